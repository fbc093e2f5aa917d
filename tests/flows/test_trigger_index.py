"""A worker's trigger index: which keyword trigger answers a contact, by channel and groups, and
the triggers' groups read once per loaded trigger (the index lives from batch to batch in a
worker's workspace snapshot, so a message costs no query and no related manager for them)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channels_app.models import ContactGroup
from flows.services.definitions import create_flow
from flows.services.triggers import TriggerIndex, create_trigger


@pytest.fixture
def groups(workspace: Any) -> dict[str, Any]:
    return {
        name: ContactGroup.objects.create(workspace=workspace, name=name) for name in ("staff", "blocked")
    }


def test_the_most_specific_applicable_trigger_answers(workspace: Any, ex_channel: Any, groups: Any) -> None:
    def trigger(name: str, **extra: Any) -> Any:
        flow = create_flow(workspace=workspace, name=name)
        return create_trigger(
            workspace=workspace, trigger_type="keyword", flow=flow, keywords=["join"], **extra
        )

    everybody = trigger("everybody")
    staff = trigger("staff", group_uuids=[str(groups["staff"].uuid)])
    on_channel = trigger("on channel", channel=ex_channel, exclude_group_uuids=[str(groups["blocked"].uuid)])
    index = TriggerIndex(workspace_id=workspace.id)
    staff_id, blocked_id = groups["staff"].id, groups["blocked"].id

    def answer(group_ids: set[int], channel: Any = ex_channel) -> Any:
        found = index.keyword(channel=channel, group_ids=group_ids, text="join now")
        return found[0].id if found else None

    with CaptureQueriesContext(connection) as queries:
        assert answer(set()) == on_channel.id  # the channel's own trigger first
        assert answer({blocked_id}) == everybody.id  # excluded from the channel's one
        assert answer({staff_id, blocked_id}) == staff.id  # limited to a group it is in
        assert answer({staff_id}, channel=None) == staff.id
        assert answer(set(), channel=None) == everybody.id
        assert index.keyword(channel=ex_channel, group_ids=set(), text="hello") is None
    assert len(queries) == 0, [q["sql"] for q in queries]  # groups were prefetched with the index


def test_a_triggers_groups_are_read_once_per_loaded_trigger(
    workspace: Any, ex_channel: Any, groups: Any
) -> None:
    flow = create_flow(workspace=workspace, name="staff only")
    create_trigger(workspace=workspace, trigger_type="keyword", flow=flow, keywords=["join"],
                   group_uuids=[str(groups["staff"].uuid)])  # fmt: skip
    index = TriggerIndex(workspace_id=workspace.id)
    trig = index.by_type["keyword"][0]
    managers: list[Any] = []
    original = type(trig).groups.related_manager_cls.__init__

    def counting(self: Any, *args: Any, **kwargs: Any) -> None:
        managers.append(self)
        original(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(type(trig).groups.related_manager_cls, "__init__", counting)
        for _ in range(50):  # fifty messages of one batch, or of fifty batches
            index.keyword(channel=ex_channel, group_ids={groups["staff"].id}, text="join")
    assert len(managers) <= 2, len(managers)  # its groups and its excluded groups, once
