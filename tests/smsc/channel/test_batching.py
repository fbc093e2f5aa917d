"""The supervisor's batched database work (smsc.services on PostgreSQL's set-based path, channels_app.bulk)
against the shared services it stands in for, and receipts held until their submit is recorded.

Each set-based step is pinned by what the general path writes for the same input: the claim picks
what send.claim_batch would, a window recorded by smsc.services.record leaves the same rows,
events and webhook payloads as send.record_results, and a receipt batch the same statuses and
events as status.update_statuses' rule gives.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from channels_app import bulk
from channels_app.models import Msg, MsgEvent, MsgStatus, WebhookDelivery, WebhookSubscription
from channels_app.services import send
from channels_app.services.send import queue_message
from smsc import services
from smsc.dlr import Receipt
from smsc.link import SubmitResult
from smsc.models import LinkState, SubmittedPart

from .conftest import FakePeer, SupervisorThread, make_channel, wait_until

TOKEN = "t" * 32


def queued(channel: Any, texts: list[str], to: str = "+250788123123") -> list[Msg]:
    return [queue_message(channel=channel, to=to, text=t) for t in texts]


def wired(channel: Any, n: int, token: str = TOKEN) -> list[Msg]:
    return services.wire(msgs=services.claim(channel_id=channel.id, limit=n, token=token), token=token)


def accepted(*ids: str) -> SubmitResult:
    return SubmitResult("accepted", list(ids), parts=len(ids))


def receipt(
    message_id: str, stat: str = "DELIVRD", outcome: str = "delivered", error: str = "000"
) -> Receipt:
    return Receipt(message_id=message_id, stat=stat, outcome=outcome, error=error)  # type: ignore[arg-type]


def row(msg: Msg) -> tuple[Any, ...]:
    m = Msg.objects.get(id=msg.id)
    return (m.status, m.external_id, m.parts, m.error, m.attempts, m.sent_on is not None, m.metadata)


def events(msg: Msg) -> list[tuple[Any, ...]]:
    return [
        (e.event_type, e.status, e.description, e.data)
        for e in MsgEvent.objects.filter(msg_id=msg.id).order_by("id")
    ]


def test_claim_picks_what_send_claim_batch_picks_and_loads_what_is_read(
    workspace: Any, django_assert_num_queries: Any
) -> None:
    channel = make_channel(workspace, 9)
    other = make_channel(workspace, 9)
    msgs = queued(channel, [f"m{i}" for i in range(6)])
    queued(other, ["elsewhere"])
    now = timezone.now()
    Msg.objects.filter(id=msgs[1].id).update(status=MsgStatus.ERRORED, next_attempt_on=now)  # due
    Msg.objects.filter(id=msgs[2].id).update(
        status=MsgStatus.ERRORED, next_attempt_on=now + dt.timedelta(hours=1)
    )  # not due yet
    Msg.objects.filter(id=msgs[3].id).update(claimed_by="x" * 32, lease_until=now + dt.timedelta(hours=1))
    Msg.objects.filter(id=msgs[4].id).update(claimed_by="x" * 32, lease_until=now - dt.timedelta(seconds=1))
    Msg.objects.filter(id=msgs[5].id).update(status=MsgStatus.SENT)

    with transaction.atomic():
        ours = services.claim(channel_id=channel.id, limit=10, token=TOKEN)
        transaction.set_rollback(True)
    with transaction.atomic():
        theirs = send.claim_batch(channel, 10, token="u" * 32)
        transaction.set_rollback(True)
    assert [m.id for m in ours] == [m.id for m in theirs] == [msgs[0].id, msgs[1].id, msgs[4].id]

    claimed = services.claim(channel_id=channel.id, limit=2, token=TOKEN)
    assert [m.id for m in claimed] == [msgs[0].id, msgs[1].id]  # the limit, oldest first
    stored = {m.id: m for m in Msg.objects.filter(id__in=[m.id for m in claimed])}
    for m in stored.values():
        assert m.claimed_by == TOKEN and m.lease_until is not None
        assert m.lease_until > timezone.now() + dt.timedelta(seconds=send.lease_seconds() - 5)
    with django_assert_num_queries(0):  # what sending and recording read is loaded already
        for m in claimed:
            s = stored[m.id]
            assert (m.uuid, m.workspace_id, m.channel_id, m.urn, m.direction) == (
                s.uuid, s.workspace_id, s.channel_id, s.urn, s.direction
            )  # fmt: skip
            assert (m.status, m.text, m.attachments, m.metadata, m.attempts) == (
                s.status, s.text, s.attachments, s.metadata, s.attempts
            )  # fmt: skip
            assert (m.external_id, m.error, m.parts, m.created_on, m.contact_id) == (
                s.external_id, s.error, s.parts, s.created_on, s.contact_id
            )  # fmt: skip
            assert services.to_sms(m).to == "250788123123" and m.channel.id == channel.id
            assert not m._state.adding and m._state.db == "default"


def test_wire_marks_only_rows_still_leased_to_the_token(workspace: Any) -> None:
    channel = make_channel(workspace, 9)
    queued(channel, ["a", "b", "c", "d"])
    batch = services.claim(channel_id=channel.id, limit=4, token=TOKEN)
    Msg.objects.filter(id=batch[1].id).update(claimed_by="x" * 32)  # lost to another sender
    Msg.objects.filter(id=batch[2].id).update(status=MsgStatus.FAILED)  # no longer sendable
    started = services.wire(msgs=batch, token=TOKEN)
    assert [m.id for m in started] == [batch[0].id, batch[3].id]
    assert all(m.status == MsgStatus.WIRED and m.attempts == 1 for m in started)
    stored = {m.id: m for m in Msg.objects.filter(id__in=[m.id for m in batch])}
    for m in started:
        assert stored[m.id].status == MsgStatus.WIRED and stored[m.id].attempts == 1
        assert stored[m.id].lease_until is None and stored[m.id].next_attempt_on is None
    assert stored[batch[1].id].status == MsgStatus.QUEUED and stored[batch[1].id].attempts == 0
    assert stored[batch[2].id].status == MsgStatus.FAILED
    assert services.wire(msgs=started, token=TOKEN) == []  # wired already: not twice


def test_claim_wired_wires_what_claim_then_wire_would(workspace: Any) -> None:
    channel = make_channel(workspace, 9)
    msgs = queued(channel, ["retry", "first time", "left for later"])
    Msg.objects.filter(id=msgs[0].id).update(
        status=MsgStatus.ERRORED, attempts=1, next_attempt_on=timezone.now() - dt.timedelta(seconds=1)
    )
    with transaction.atomic():
        expected = services.wire(
            msgs=services.claim(channel_id=channel.id, limit=2, token=TOKEN), token=TOKEN
        )
        transaction.set_rollback(True)
    got = services.claim_wired(channel_id=channel.id, limit=2, token=TOKEN)
    assert [(m.id, m.status, m.attempts) for m in got] == [(m.id, m.status, m.attempts) for m in expected]
    assert [(m.id, m.attempts) for m in got] == [(msgs[0].id, 2), (msgs[1].id, 1)]
    stored = {m.id: m for m in Msg.objects.filter(channel=channel)}
    for m in got:
        s = stored[m.id]
        assert (s.status, s.attempts, s.claimed_by) == ("wired", m.attempts, TOKEN)
        assert s.lease_until is None and s.next_attempt_on is None
    rest = stored[msgs[2].id]
    assert (rest.status, rest.attempts, rest.claimed_by, rest.lease_until) == ("queued", 0, None, None)
    # A failure before the commit wires nothing and says so.
    with pytest.raises(services.ClaimFailed):
        services.claim_wired(channel_id=channel.id + 1000, limit=2, token=TOKEN)
    assert Msg.objects.get(id=msgs[2].id).status == "queued"


def test_recorded_window_is_what_send_record_results_writes(workspace: Any) -> None:
    WebhookSubscription.objects.create(
        workspace=workspace, url="http://127.0.0.1:9/hook", events=["message.status_changed"], secret="s" * 32
    )
    channel = make_channel(workspace, 9)
    ours = queued(channel, ["one", "two", "three"])
    general = queued(channel, ["one", "two", "three"])
    Msg.objects.filter(id__in=[ours[2].id, general[2].id]).update(metadata={"note": "kept"})
    a = wired(channel, 3)
    b = wired(channel, 3)
    assert [m.id for m in a] == [m.id for m in ours] and [m.id for m in b] == [m.id for m in general]

    results = [accepted("0A1"), accepted("B2", "B3"), accepted("C4")]
    services.record(channel_id=channel.id, batch=a, results=results)
    send.record_results(
        channel, b, [services.to_send_result(r, resend_unacknowledged=False) for r in results]
    )

    for mine, theirs in zip(ours, general, strict=True):
        assert row(mine) == row(theirs)
        assert events(mine) == events(theirs)  # the queueing events, then
        assert events(mine)[-1] == ("status", "sent", "", {"attempt": 1})
    assert row(ours[1])[:3] == ("sent", "B2", 2) and row(ours[2])[-1] == {"note": "kept"}
    assert list(
        SubmittedPart.objects.filter(msg__in=ours).order_by("msg_id", "part").values_list("smsc_id", "part")
    ) == [("a1", 1), ("b2", 1), ("b3", 2), ("c4", 1)]
    payloads = {d.payload["uuid"]: d.payload for d in WebhookDelivery.objects.all()}
    assert len(payloads) == 6
    for mine, theirs in zip(ours, general, strict=True):
        one, other = dict(payloads[str(mine.uuid)]), dict(payloads[str(theirs.uuid)])
        for volatile in ("uuid", "text", "created_on", "sent_on", "modified_on"):
            one.pop(volatile, None), other.pop(volatile, None)
        assert one == other and one["status"] == "sent"


def test_mixed_outcomes_in_one_window(workspace: Any, settings: Any) -> None:
    channel = make_channel(workspace, 9)
    msgs = queued(channel, ["ok", "throttled", "refused", "lost", "never written"])
    batch = wired(channel, 5)
    services.record(
        channel_id=channel.id,
        batch=batch,
        results=[
            accepted("ff"),
            SubmitResult("rejected", status=0x58, error="throttled"),
            SubmitResult("rejected", status=0x0B, error="bad address"),
            SubmitResult("unacknowledged", error="no submit_sm_resp"),
            SubmitResult("not_sent", error="link is closing"),
        ],
    )
    stored = {m.id: m for m in Msg.objects.filter(id__in=[m.id for m in msgs])}
    ok, throttled, refused, lost, unsent = (stored[m.id] for m in msgs)
    assert (ok.status, ok.external_id) == ("sent", "ff")
    assert throttled.status == "errored" and throttled.next_attempt_on is not None
    assert refused.status == "failed" and refused.error == "bad address"
    assert lost.status == "failed" and lost.metadata.get("outcome_unknown") is True
    assert lost.error.startswith(services.UNKNOWN_PREFIX)
    assert unsent.status == "errored" and "outcome_unknown" not in unsent.metadata
    assert [events(m)[-1][1] for m in msgs] == ["sent", "errored", "failed", "failed", "errored"]
    assert list(SubmittedPart.objects.filter(channel=channel).values_list("msg_id", "smsc_id")) == [
        (ok.id, "ff")
    ]


def test_receipt_batch_statuses_events_and_odd_ids(workspace: Any) -> None:
    channel = make_channel(workspace, 9)
    single, failing, double, passing, late = queued(channel, ["s", "f", "d", "p", "l"])
    batch = wired(channel, 5)
    services.record(
        channel_id=channel.id,
        batch=batch,
        results=[accepted("3039"), accepted("ab"), accepted("d1", "d2"), accepted("e5"), accepted("f6")],
    )
    Msg.objects.filter(id=late.id).update(status=MsgStatus.DELIVERED)  # e.g. a status callback won

    matched = services.apply_receipts(
        channel_id=channel.id,
        receipts=[
            receipt("12345"),  # decimal spelling of 0x3039
            receipt("AB", "UNDELIV", "failed", 'e"\\\x00r'),  # quote, backslash and NUL in err
            receipt("d1"),  # one part of two
            receipt("E5", "ENROUTE", "other"),  # intermediate: no status change
            receipt("nope"),  # nobody's
            receipt("ab\x00"),  # cannot be stored, so cannot match
            receipt("f6"),  # its message is delivered already
        ],
    )
    assert matched == [True, True, True, True, False, False, True]
    assert Msg.objects.get(id=single.id).status == "delivered"
    assert Msg.objects.get(id=single.id).delivered_on is not None
    failed = Msg.objects.get(id=failing.id)
    assert failed.status == "failed" and failed.error == 'SMSC receipt UNDELIV err:e"\\r'
    assert Msg.objects.get(id=double.id).status == "sent"
    assert Msg.objects.get(id=passing.id).status == "sent"
    data = {"id": "12345", "stat": "DELIVRD", "err": "000", "part": 1}
    assert events(single)[-1] == ("smpp_receipt", "delivered", "", data)
    assert events(failing)[-1] == (
        "smpp_receipt",
        "failed",
        'SMSC receipt UNDELIV err:e"\\r',
        {"id": "AB", "stat": "UNDELIV", "err": 'e"\\r', "part": 1},
    )
    assert events(double)[-1] == (
        "smpp_receipt",
        "",
        "part 1 of 2 delivered",
        {"id": "d1", "stat": "DELIVRD", "err": "000", "part": 1},
    )
    assert events(passing)[-1] == ("status", "sent", "", {"attempt": 1})  # nothing after it
    assert events(late)[-1][:3] == ("smpp_receipt", "delivered", "ignored: message is already delivered")
    stats = dict(SubmittedPart.objects.filter(channel=channel).values_list("smsc_id", "stat"))
    assert stats == {
        "3039": "DELIVRD",
        "ab": "UNDELIV",
        "d1": "DELIVRD",
        "d2": "",
        "e5": "ENROUTE",
        "f6": "DELIVRD",
    }

    # The second part completes the message; a repeated receipt changes nothing but is logged.
    assert services.apply_receipts(channel_id=channel.id, receipts=[receipt("D2"), receipt("3039")]) == [
        True,
        True,
    ]
    assert Msg.objects.get(id=double.id).status == "delivered"
    assert events(double)[-1][:3] == ("smpp_receipt", "delivered", "")
    assert events(single)[-1][:3] == ("smpp_receipt", "delivered", "ignored: message is already delivered")


def test_one_failed_part_fails_the_message_whatever_the_order(workspace: Any) -> None:
    channel = make_channel(workspace, 9)
    (msg,) = queued(channel, ["two parts"])
    services.record(channel_id=channel.id, batch=wired(channel, 1), results=[accepted("a1", "a2")])
    matched = services.apply_receipts(
        channel_id=channel.id,
        receipts=[receipt("a1", "UNDELIV", "failed"), receipt("a2"), receipt("a1")],
    )
    assert matched == [True, True, True]
    stored = Msg.objects.get(id=msg.id)
    assert stored.status == "failed" and stored.error == "SMSC receipt UNDELIV err:000"
    # the later receipt for the same part is its stored stat
    assert dict(SubmittedPart.objects.filter(msg=msg).values_list("smsc_id", "stat")) == {
        "a1": "DELIVRD",
        "a2": "DELIVRD",
    }


@pytest.mark.parametrize(
    "values",
    [
        [1, 2, 3],
        [],
        ["plain", "with space", 'q"uote', "back\\slash", "a,b", "{braces}", "NULL", "", "é😀"],
    ],
)
def test_array_literal_is_read_back_as_the_list(transactional_db: None, values: list[Any]) -> None:
    from psycopg import postgres
    from psycopg.adapt import Transformer
    from psycopg.pq import Format

    type_name = "int8" if values and isinstance(values[0], int) else "text"
    text = bulk.array_literal(values)
    loader = Transformer().get_loader(postgres.types[type_name].array_oid, Format.TEXT)
    assert loader.load(text.encode()) == values
    if type_name == "text":
        assert loader.load(bulk.array_literal(["a\x00b", "c"]).encode()) == ["ab", "c"]  # NUL dropped
    if connection.vendor == "postgresql":  # and as the server reads it
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT %s::{'bigint' if type_name == 'int8' else 'text'}[]", [text])
            assert cursor.fetchone()[0] == values


def test_load_builds_what_the_orm_builds(workspace: Any) -> None:
    channel = make_channel(workspace, 9)
    (msg,) = queued(channel, ["hello"])
    fields = ("id", "uuid", "text", "metadata", "created_on", "channel_id")
    values = Msg.objects.filter(id=msg.id).values_list(*fields)
    (loaded,) = bulk.load(Msg, fields, values, convert=False)
    orm = Msg.objects.only(*fields).get(id=msg.id)
    assert [getattr(loaded, f) for f in fields] == [getattr(orm, f) for f in fields]
    assert loaded.get_deferred_fields() == orm.get_deferred_fields()
    assert (loaded._state.adding, loaded._state.db) == (False, "default")
    assert loaded.channel == channel  # relations resolve as on any instance
    loaded.text = "changed"
    loaded.save(update_fields=["text"])
    assert Msg.objects.get(id=msg.id).text == "changed"


def test_receipts_overtaking_their_submits_are_held_then_looked_up_once(
    fake_peer: FakePeer, workspace: Any, supervisors: list, monkeypatch: Any
) -> None:
    """The SMSC writes each receipt right after its submit_sm_resp, before the supervisor has
    recorded the submit: such a receipt waits for that record instead of missing in the database
    and being looked up again after a pause."""

    def receipts_on() -> None:
        fake_peer.smsc.auto_receipt = "DELIVRD"

    fake_peer.t.call(receipts_on)
    looked_up: Counter[str] = Counter()
    real = services.apply_receipts

    def counting(*, channel_id: int, receipts: list[Receipt]) -> list[bool]:
        looked_up.update(r.message_id for r in receipts)
        return real(channel_id=channel_id, receipts=receipts)

    monkeypatch.setattr(services, "apply_receipts", counting)
    channel = make_channel(workspace, fake_peer.port, window=20)
    total = 200
    queued(channel, [f"held {i:03d}" for i in range(total)])
    supervisors.append(SupervisorThread(batch_size=100))
    wait_until(
        lambda: Msg.objects.filter(channel=channel, status="delivered").count() == total,
        timeout=60,
        what="every message delivered",
    )
    accepted_ids = fake_peer.accepted_ids()
    assert len(accepted_ids) == total  # each submitted once
    assert set(looked_up) == set(accepted_ids)
    assert max(looked_up.values()) == 1  # none looked up before its submit was recorded
    supervisors.pop().stop()
    assert LinkState.objects.get(channel=channel).stats["unmatched_receipts"] == 0
