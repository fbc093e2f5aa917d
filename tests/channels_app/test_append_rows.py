"""append_rows.insert (COPY) stores exactly what bulk_create stores, on the real database."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from channels_app.models import Msg, MsgEvent
from channels_app.services import append_rows
from channels_app.services.channels import create_channel
from channels_app.workspaces import create_workspace

# text COPY escapes tabs, newlines and backslashes; JSON adds quotes and unicode
AWKWARD = 'tab\there, new\nline, back\\slash, "quoted", \\N, é ✓, 𝄞'


@pytest.fixture
def msg(db: None) -> Msg:
    workspace, _ = create_workspace(name="Rows NGO")
    channel = create_channel(
        workspace=workspace,
        type_code="EX",
        name="Aggregator",
        address="+250788000000",
        country="RW",
        config={"send_url": "http://127.0.0.1:9/send"},
    )
    return Msg.objects.create(
        workspace=workspace,
        channel=channel,
        urn="tel:+250788123456",
        direction="out",
        text="hi",
        created_on=timezone.now(),
    )


def _columns(event: MsgEvent) -> tuple[Any, ...]:
    return (event.msg_id, event.event_type, event.status, event.description, event.data)


def test_rows_match_bulk_create_field_for_field(msg: Msg) -> None:
    def made() -> list[MsgEvent]:
        return [
            MsgEvent(msg=msg, event_type="http", data={"url": AWKWARD, "n": [1, 2.5, None, True]}),
            MsgEvent(msg=msg, event_type="status", status="sent", description=AWKWARD),
            MsgEvent(msg=msg, event_type="channel"),  # defaults: "" and {}
        ]

    before = timezone.now()
    MsgEvent.objects.bulk_create(made())
    reference = [_columns(e) for e in MsgEvent.objects.order_by("id")]
    MsgEvent.objects.all().delete()

    copied = made()
    append_rows.insert(copied)
    stored = list(MsgEvent.objects.order_by("id"))
    assert [_columns(e) for e in stored] == reference
    assert stored[0].data["url"] == AWKWARD and stored[1].description == AWKWARD
    # auto_now_add was filled (and set on the instance, as bulk_create does)
    assert all(e.created_on >= before for e in stored)
    assert [e.created_on for e in stored] == [e.created_on for e in copied]
    assert all(e.pk is None for e in copied)  # COPY returns no ids: the docstring's limit


def test_a_related_row_saved_after_the_instance_was_built_gives_its_new_id(msg: Msg) -> None:
    later = Msg(
        workspace_id=msg.workspace_id,
        channel=msg.channel,
        urn=msg.urn,
        direction="out",
        text="x",
        created_on=timezone.now(),
    )
    event = MsgEvent(msg=later, event_type="status")  # built while `later` has no id yet
    later.save()
    append_rows.insert([event])
    assert MsgEvent.objects.get().msg_id == later.id


def test_an_unsaved_related_row_is_refused_instead_of_storing_null(msg: Msg) -> None:
    unsaved = Msg(
        workspace_id=msg.workspace_id,
        channel=msg.channel,
        urn=msg.urn,
        direction="out",
        text="x",
        created_on=timezone.now(),
    )
    with pytest.raises(ValueError):
        append_rows.insert([MsgEvent(msg=unsaved, event_type="status")])
    assert not MsgEvent.objects.exists()


def test_saved_instances_and_mixed_models_are_refused(msg: Msg) -> None:
    saved = MsgEvent.objects.create(msg=msg, event_type="status")
    with pytest.raises(ValueError):
        append_rows.insert([saved])
    with pytest.raises(ValueError):
        append_rows.insert([MsgEvent(msg=msg, event_type="status"), msg])  # type: ignore[list-item]
    append_rows.insert([])  # nothing to do
    assert MsgEvent.objects.count() == 1


def test_with_ids_gives_each_row_its_new_id_in_list_order(msg: Msg) -> None:
    made = [
        Msg(workspace_id=msg.workspace_id, channel=msg.channel, urn=msg.urn, direction="out", text=f"n{i}",
            metadata={"i": i, "s": AWKWARD}, created_on=timezone.now())
        for i in range(5)
    ]  # fmt: skip
    append_rows.insert(made, with_ids=True)
    ids = [m.id for m in made]
    assert ids == sorted(ids) and ids[0] > msg.id
    assert not made[0]._state.adding
    for m in made:  # the id on the instance is the row with that instance's values
        stored = Msg.objects.get(id=m.id)
        assert (stored.text, stored.metadata, stored.visibility, stored.uuid) == (
            m.text, {"i": int(m.text[1:]), "s": AWKWARD}, "visible", m.uuid,
        )  # fmt: skip
    # rows referring to them can be written right away (what queue_messages does next)
    append_rows.insert([MsgEvent(msg=m, event_type="status") for m in made])
    assert sorted(MsgEvent.objects.values_list("msg_id", flat=True)) == ids
    # a later insert through the ORM continues after them (the same sequence)
    assert Msg.objects.create(**{k: getattr(msg, k) for k in ("workspace_id", "channel_id", "urn")},
                              direction="out", created_on=timezone.now()).id > ids[-1]  # fmt: skip


def test_a_constraint_violation_is_djangos_integrity_error(msg: Msg) -> None:
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        append_rows.insert([MsgEvent(msg=msg, event_type=None)])  # type: ignore[misc]  # NOT NULL (foreign keys are deferred)
    assert not MsgEvent.objects.exists()


def test_a_nul_from_a_provider_is_dropped_not_the_whole_batch(msg: Msg) -> None:
    """PostgreSQL text and jsonb cannot hold U+0000. A provider's error text carrying one used
    to fail the batch's shared insert: every event of the group, and the recording of every
    outcome with it. The character is dropped, as ingest drops it from inbound text."""
    append_rows.insert(
        [
            MsgEvent(msg=msg, event_type="status", status="errored", description="bad\x00 gateway"),
            MsgEvent(msg=msg, event_type="http", data={"body": "x\x00y", "k\x00": ["\x00z"]}),
            MsgEvent(msg=msg, event_type="status", status="sent", description="fine"),
        ]
    )
    stored = [(e.description, e.data) for e in MsgEvent.objects.filter(msg=msg).order_by("id")]
    assert stored == [("bad gateway", {}), ("", {"body": "xy", "k": ["z"]}), ("fine", {})]


def test_a_lone_surrogate_from_a_provider_is_replaced_not_the_whole_batch(msg: Msg) -> None:
    """UTF-8 cannot encode half a surrogate pair (a JSON `\\ud800` escape decodes to one): the
    COPY would fail for every event of the batch. The half becomes U+FFFD; a whole pair stays."""
    append_rows.insert(
        [
            MsgEvent(msg=msg, event_type="status", status="errored", description="bad \ud800 gateway"),
            MsgEvent(msg=msg, event_type="http", data={"body": "x\udc00y 🎉"}),
        ]
    )
    stored = [(e.description, e.data) for e in MsgEvent.objects.filter(msg=msg).order_by("id")]
    assert stored == [("bad \ufffd gateway", {}), ("", {"body": "x\ufffdy 🎉"})]
