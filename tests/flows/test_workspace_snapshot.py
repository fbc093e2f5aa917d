"""Each worker keeps a workspace's flows, triggers and settings between handle batches, and a
change made anywhere (this process, another one, a rolled-back transaction) is never missed.

Real database and queue (Redis when REDIS_URL is set): the version keys live there.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from benchmarks.flows_e2e import keyword_reply_flow
from channels_app import queue
from channels_app.models import Channel, ContactField, ContactGroup, Global, Label, Msg
from channels_app.services import ingest, versioned_cache
from flows.models import Flow, Trigger
from flows.service_models import AirtimeService, LLMService, ResthookSubscriber, Topic
from flows.services import workspace_snapshot
from flows.services.definitions import save_definition
from flows.services.triggers import create_trigger

# tables a handle batch read for its workspace on every batch before the snapshot
ASSET_TABLES = (
    "flows_flow",
    "flows_trigger",
    "channels_app_contactfield",
    "channels_app_label",
    "channels_app_global",
    "flows_topic",
    "flows_llmservice",
    "flows_airtimeservice",
    "flows_resthooksubscriber",
    "channels_app_workspace",
)


def _handle(channel: Any, sender: str, text: str) -> tuple[list[str], list[str]]:
    """Receive and handle one message; (texts of the replies it queued, asset tables read)."""
    ingest.receive(channel=channel, sender=sender, text=text)
    before = set(Msg.objects.filter(direction="out").values_list("id", flat=True))
    with CaptureQueriesContext(connection) as ctx:
        ingest.handle_pending(workspace_id=channel.workspace_id)
    replies = list(
        Msg.objects.filter(direction="out")
        .exclude(id__in=before)
        .order_by("id")
        .values_list("text", flat=True)
    )
    read = sorted({t for q in ctx.captured_queries for t in ASSET_TABLES if f'FROM "{t}"' in q["sql"]})
    return replies, read


def _reply_text(flow: Flow, text: str) -> None:
    definition = dict(flow.definition)
    definition["nodes"] = [dict(definition["nodes"][0])]
    definition["nodes"][0]["actions"] = [dict(definition["nodes"][0]["actions"][0], text=text)]
    save_definition(flow=flow, definition=definition)


@pytest.fixture
def settled(settings: Any) -> None:
    settings.FLOWGATE_INBOUND_DEDUPE_SECONDS = 0


def test_a_second_batch_reads_no_workspace_assets(ex_channel: Any, settled: None) -> None:
    keyword_reply_flow(ex_channel.workspace, "join")
    first, read_first = _handle(ex_channel, "+250788100001", "join a")
    second, read_second = _handle(ex_channel, "+250788100002", "join b")

    assert first == ["Welcome! You said: join a"] and second == ["Welcome! You said: join b"]
    assert {"flows_flow", "flows_trigger", "channels_app_contactfield"} <= set(read_first)
    assert read_second == []


def test_a_saved_definition_is_what_the_next_batch_runs(ex_channel: Any, settled: None) -> None:
    flow = keyword_reply_flow(ex_channel.workspace, "join")
    assert _handle(ex_channel, "+250788100001", "join a")[0] == ["Welcome! You said: join a"]

    _reply_text(Flow.objects.get(id=flow.id), "Changed: @input.text")
    assert _handle(ex_channel, "+250788100001", "join b")[0] == ["Changed: join b"]


def test_a_new_trigger_and_an_archived_flow_are_seen_at_once(ex_channel: Any, settled: None) -> None:
    flow = keyword_reply_flow(ex_channel.workspace, "join")
    assert _handle(ex_channel, "+250788100001", "hello")[0] == []

    create_trigger(workspace=ex_channel.workspace, trigger_type="keyword", flow=flow, keywords=["hello"])
    assert _handle(ex_channel, "+250788100001", "hello")[0] == ["Welcome! You said: hello"]

    flow.archived = True
    flow.save()
    assert _handle(ex_channel, "+250788100001", "hello again")[0] == []


def test_a_trigger_limited_to_a_group_later_is_seen(ex_channel: Any, settled: None) -> None:
    keyword_reply_flow(ex_channel.workspace, "join")
    group = ContactGroup.objects.create(workspace=ex_channel.workspace, name="VIPs")
    assert _handle(ex_channel, "+250788100001", "join a")[0] == ["Welcome! You said: join a"]
    Trigger.objects.get(workspace=ex_channel.workspace).groups.add(group)  # m2m only: no row saved
    assert _handle(ex_channel, "+250788100001", "join b")[0] == []


def _row_of(model: type, workspace: Any, channel: Any) -> Any:
    """A saved row of each model a snapshot is made of (a model added to the watched ones
    without a row here fails the test below)."""
    fixtures: dict[type, Any] = {
        Channel: lambda: channel,
        Flow: lambda: keyword_reply_flow(workspace, "join"),
        Trigger: lambda: keyword_reply_flow(workspace, "join").triggers.get(),
        ContactField: lambda: ContactField.objects.create(workspace=workspace, key="age", name="Age"),
        ContactGroup: lambda: ContactGroup.objects.create(workspace=workspace, name="G"),
        Label: lambda: Label.objects.create(workspace=workspace, name="L"),
        Global: lambda: Global.objects.create(workspace=workspace, key="org", name="Org", value="x"),
        Topic: lambda: Topic.objects.create(workspace=workspace, name="T"),
        LLMService: lambda: LLMService.objects.create(
            workspace=workspace, name="m", url="https://llm.example.com", model="m"
        ),
        AirtimeService: lambda: AirtimeService.objects.create(
            workspace=workspace, url="https://air.example.com", currency="RWF"
        ),
        ResthookSubscriber: lambda: ResthookSubscriber.objects.create(
            workspace=workspace, resthook="r", target_url="https://hook.example.com"
        ),
    }
    return fixtures[model]()


@pytest.mark.parametrize("model", workspace_snapshot.WATCHED_MODELS, ids=lambda m: m.__name__)
def test_saving_or_deleting_any_row_a_snapshot_is_made_of_replaces_it(
    model: type, ex_channel: Any, settled: None
) -> None:
    workspace = ex_channel.workspace
    row = _row_of(model, workspace, ex_channel)
    key = workspace_snapshot._snapshots.key(workspace.id)
    snap = workspace_snapshot.snapshot(workspace.id)
    assert workspace_snapshot.snapshot(workspace.id) is snap  # kept while nothing changes

    version = queue.connection().get(key)
    row.save()
    assert queue.connection().get(key) != version  # other processes are told
    renewed = workspace_snapshot.snapshot(workspace.id)
    assert renewed is not snap

    if model is not Channel:  # (deleting the channel would take the workspace's messages)
        row.delete()
        assert workspace_snapshot.snapshot(workspace.id) is not renewed


def test_a_change_of_the_workspace_itself_replaces_it(workspace: Any) -> None:
    snap = workspace_snapshot.snapshot(workspace.id)
    workspace.timezone = "Africa/Kigali"
    workspace.save()
    renewed = workspace_snapshot.snapshot(workspace.id)
    assert renewed is not snap and renewed.environment["timezone"] == "Africa/Kigali"


def test_a_change_made_by_another_process_is_seen(ex_channel: Any, settled: None) -> None:
    flow = keyword_reply_flow(ex_channel.workspace, "join")
    assert _handle(ex_channel, "+250788100001", "hello")[0] == []
    # another process: its row without this process's signals, then the version its commit sets
    Trigger.objects.bulk_create(
        [Trigger(workspace=ex_channel.workspace, trigger_type="keyword", flow=flow, keywords=["hello"])]
    )
    assert _handle(ex_channel, "+250788100001", "hello")[0] == []  # (no announcement yet)
    workspace_snapshot._snapshots.bump(ex_channel.workspace_id)
    assert _handle(ex_channel, "+250788100001", "hello")[0] == ["Welcome! You said: hello"]


def test_an_unannounced_change_is_seen_after_max_age(
    ex_channel: Any, settled: None, monkeypatch: Any
) -> None:
    flow = keyword_reply_flow(ex_channel.workspace, "join")
    snap = workspace_snapshot.snapshot(ex_channel.workspace_id)
    Trigger.objects.bulk_create(
        [Trigger(workspace=ex_channel.workspace, trigger_type="keyword", flow=flow, keywords=["hello"])]
    )
    assert workspace_snapshot.snapshot(ex_channel.workspace_id) is snap
    monkeypatch.setattr(workspace_snapshot._snapshots, "max_age", 0.0)
    assert workspace_snapshot.snapshot(ex_channel.workspace_id) is not snap
    assert _handle(ex_channel, "+250788100001", "hello")[0] == ["Welcome! You said: hello"]


def test_redis_losing_its_data_is_not_taken_for_an_unchanged_version(ex_channel: Any, settled: None) -> None:
    flow = keyword_reply_flow(ex_channel.workspace, "join")
    assert _handle(ex_channel, "+250788100001", "hello")[0] == []
    Trigger.objects.bulk_create(
        [Trigger(workspace=ex_channel.workspace, trigger_type="keyword", flow=flow, keywords=["hello"])]
    )
    queue.connection().flushdb()
    assert _handle(ex_channel, "+250788100001", "hello")[0] == ["Welcome! You said: hello"]


def test_a_transaction_sees_its_own_change_and_a_rollback_leaves_nothing_cached(workspace: Any) -> None:
    before = workspace_snapshot.snapshot(workspace.id)
    with pytest.raises(RuntimeError), transaction.atomic():
        ContactField.objects.create(workspace=workspace, key="district", name="District")
        inside = workspace_snapshot.snapshot(workspace.id)
        assert "district" in inside.field_types
        assert workspace_snapshot.snapshot(workspace.id) is not inside  # not cached meanwhile
        raise RuntimeError("rolled back")
    after = workspace_snapshot.snapshot(workspace.id)
    assert "district" not in after.field_types
    assert after is before  # nothing was announced: the committed state is the one kept
    assert workspace_snapshot.snapshot(workspace.id) is after


def test_a_committed_transaction_announces_its_change_once_it_commits(workspace: Any) -> None:
    key = workspace_snapshot._snapshots.key(workspace.id)
    workspace_snapshot.snapshot(workspace.id)
    version = queue.connection().get(key)
    with transaction.atomic():
        ContactField.objects.create(workspace=workspace, key="district", name="District")
        ContactField.objects.create(workspace=workspace, key="sector", name="Sector")
        assert queue.connection().get(key) == version  # others read the old rows until the commit
    assert queue.connection().get(key) != version
    assert {"district", "sector"} <= set(workspace_snapshot.snapshot(workspace.id).field_types)


def test_redis_down_loads_every_time(workspace: Any, monkeypatch: Any) -> None:
    from redis.exceptions import ConnectionError as RedisConnectionError

    def down() -> Any:
        raise RedisConnectionError("down")

    snap = workspace_snapshot.snapshot(workspace.id)
    monkeypatch.setattr(workspace_snapshot._snapshots, "_version", lambda workspace_id: down())
    first = workspace_snapshot.snapshot(workspace.id)
    assert first is not snap and workspace_snapshot.snapshot(workspace.id) is not first


def test_a_secret_rotation_replaces_every_cached_value(ex_channel: Any, settings: Any) -> None:
    from channels_app.services.secret_rotation import rotate_all

    snap = workspace_snapshot.snapshot(ex_channel.workspace_id)
    rotate_all()
    assert workspace_snapshot.snapshot(ex_channel.workspace_id) is not snap
    assert workspace_snapshot._snapshots in versioned_cache._all


def test_a_process_keeps_the_most_recently_used_workspaces_only(workspace: Any, monkeypatch: Any) -> None:
    from channels_app.models import Workspace

    other, third = Workspace.objects.create(name="other"), Workspace.objects.create(name="third")
    monkeypatch.setattr(workspace_snapshot._snapshots, "max_entries", 2)
    first = workspace_snapshot.snapshot(workspace.id)
    second = workspace_snapshot.snapshot(other.id)
    assert workspace_snapshot.snapshot(workspace.id) is first  # used last: kept
    workspace_snapshot.snapshot(third.id)  # one too many: the least recently used goes
    assert workspace_snapshot.snapshot(workspace.id) is first
    assert workspace_snapshot.snapshot(other.id) is not second
