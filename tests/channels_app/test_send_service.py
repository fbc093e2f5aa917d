"""The claim/send service step by step: which messages a sender claims, wires and records.

The end-to-end behaviour (retries over HTTP, a worker killed mid-send) is in test_send_faults.py
and test_worker_kill.py; these tests pin each step's rules directly, inside one transaction
each (fast), to answer the mutants `make mutation` found alive in channels_app/services/send.py
(issue 26).
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from django.utils import timezone

from channels_app.models import Contact, Msg, MsgEvent, MsgStatus
from channels_app.services import send
from channels_app.services.channels import create_channel
from channels_app.services.send import (
    SendError,
    build_message,
    claim_batch,
    queue_message,
    quick_reply_texts,
    record_results,
    release_claims,
    renew_lease,
    retry_delay,
    sweep,
    wire,
)
from channels_app.types.base import SendResult
from channels_app.workspaces import create_workspace

TOKEN, OTHER = "a" * 32, "b" * 32


@pytest.fixture
def channel(db: None) -> Any:
    workspace, _ = create_workspace(name="Send NGO")
    return create_channel(
        workspace=workspace,
        type_code="EX",
        name="Aggregator",
        address="+250788000000",
        country="RW",
        config={"send_url": "http://127.0.0.1:9/send", "content_type": "urlencoded"},
    )


def _queued(channel: Any, n: int = 1, **fields: Any) -> list[Msg]:
    """`n` queued messages, each to a new contact."""
    first = Msg.objects.count()
    msgs = [queue_message(channel=channel, to=f"+25078812{first + i:04d}", text=f"m{i}") for i in range(n)]
    if fields:
        Msg.objects.filter(id__in=[m.id for m in msgs]).update(**fields)
    return msgs


def _fresh(msg: Msg) -> Msg:
    return Msg.objects.get(id=msg.id)


# --- building a message -----------------------------------------------------------------------


def test_build_message_refuses_what_cannot_be_sent(channel: Any) -> None:
    cases = [
        ({"channel": channel, "to": "+250788123123", "text": ""}, "a message needs text or attachments"),
        ({"to": "+250788123123", "text": "hi"}, "a message needs a channel or a workspace"),
        (
            {
                "channel": channel,
                "workspace_id": channel.workspace_id + 1000,
                "to": "+250788123123",
                "text": "hi",
            },
            "the channel belongs to another workspace",
        ),
        (
            {"channel": channel, "to": "mailto:a@b.org", "text": "hi"},
            "channel 'Aggregator' cannot send to mailto: URNs",
        ),
    ]
    for kwargs, error in cases:
        with pytest.raises(SendError) as info:
            build_message(**kwargs)
        assert str(info.value) == error
    with pytest.raises(SendError) as info:
        build_message(channel=channel, to="tel:", text="hi")
    assert str(info.value) == "the phone number is empty"


def test_a_number_without_plus_is_read_in_the_channels_country(channel: Any) -> None:
    msg = build_message(channel=channel, to="0788123123", text="hi")
    assert msg.urn == "tel:+250788123123" and msg.status == MsgStatus.QUEUED and msg.error == ""
    assert msg.channel_id == channel.id and msg.workspace_id == channel.workspace_id
    assert build_message(
        workspace_id=channel.workspace_id, to="+250788123123", text="", attachments=["a"]
    ).attachments == ["a"]


def test_a_stopped_contact_gets_a_failed_message(channel: Any) -> None:
    msg = queue_message(channel=channel, to="+250788123123", text="hi")
    Contact.objects.filter(id=msg.contact_id).update(status=Contact.Status.STOPPED)
    stopped = build_message(channel=channel, to="+250788123123", text="again")
    assert (stopped.status, stopped.error) == (MsgStatus.FAILED, "the contact is stopped")


def test_queued_messages_start_with_a_channel_and_a_status_event(channel: Any) -> None:
    [msg] = _queued(channel)
    events = list(msg.events.order_by("id").values_list("event_type", "status"))
    assert events == [("channel", ""), ("status", "queued")]


# --- claiming ---------------------------------------------------------------------------------


def test_claim_leases_due_messages_in_order_up_to_the_limit(channel: Any, settings: Any) -> None:
    settings.FLOWGATE_SEND_LEASE_SECONDS = 45
    msgs = _queued(channel, 3)
    before = timezone.now()
    batch = claim_batch(channel, 2, token=TOKEN)
    assert [m.id for m in batch] == [msgs[0].id, msgs[1].id]
    assert all(m.channel is channel for m in batch)
    for m in msgs[:2]:
        fresh = _fresh(m)
        assert fresh.claimed_by == TOKEN and fresh.status == MsgStatus.QUEUED  # leased, not wired
        assert before + timedelta(seconds=44) < fresh.lease_until <= timezone.now() + timedelta(seconds=45)
    assert _fresh(msgs[2]).claimed_by is None
    assert [m.id for m in claim_batch(channel, 10, token=OTHER)] == [msgs[2].id]  # leased ones skipped
    assert claim_batch(channel, 10, token=OTHER) == []


def test_claim_takes_errored_messages_only_when_due_and_leases_only_when_run_out(channel: Any) -> None:
    now = timezone.now()
    due, later, leased, expired, wired, sent = _queued(channel, 6)
    Msg.objects.filter(id=due.id).update(status=MsgStatus.ERRORED, next_attempt_on=now - timedelta(seconds=1))
    Msg.objects.filter(id=later.id).update(
        status=MsgStatus.ERRORED, next_attempt_on=now + timedelta(minutes=5)
    )
    Msg.objects.filter(id=leased.id).update(claimed_by=OTHER, lease_until=now + timedelta(minutes=1))
    Msg.objects.filter(id=expired.id).update(claimed_by=OTHER, lease_until=now - timedelta(seconds=1))
    Msg.objects.filter(id=wired.id).update(status=MsgStatus.WIRED)
    Msg.objects.filter(id=sent.id).update(status=MsgStatus.SENT)
    assert [m.id for m in claim_batch(channel, 10, token=TOKEN)] == [due.id, expired.id]
    assert send._has_due(channel) is False
    Msg.objects.filter(id=later.id).update(next_attempt_on=now - timedelta(seconds=1))
    assert send._has_due(channel) is True


def test_inbound_messages_are_never_claimed(channel: Any) -> None:
    [msg] = _queued(channel, 1, direction="in")
    assert claim_batch(channel, 10, token=TOKEN) == []
    assert _fresh(msg).claimed_by is None


# --- wiring, leases ---------------------------------------------------------------------------


def test_wire_marks_only_the_senders_own_claims(channel: Any) -> None:
    msgs = _queued(channel, 3)
    claim_batch(channel, 2, token=TOKEN)
    Msg.objects.filter(id=msgs[2].id).update(claimed_by=OTHER)
    Msg.objects.filter(id=msgs[0].id).update(
        status=MsgStatus.ERRORED, next_attempt_on=timezone.now(), attempts=1
    )
    batch = [_fresh(m) for m in msgs]
    started = wire(batch, token=TOKEN)
    assert [m.id for m in started] == [msgs[0].id, msgs[1].id]
    assert [(m.status, m.attempts) for m in started] == [(MsgStatus.WIRED, 2), (MsgStatus.WIRED, 1)]
    for m in msgs[:2]:
        fresh = _fresh(m)
        assert fresh.status == MsgStatus.WIRED and fresh.lease_until is None and fresh.next_attempt_on is None
    assert _fresh(msgs[0]).attempts == 2 and _fresh(msgs[1]).attempts == 1
    assert _fresh(msgs[2]).status == MsgStatus.QUEUED and _fresh(msgs[2]).attempts == 0
    assert wire([], token=TOKEN) == []


def test_renew_and_release_touch_only_the_senders_unstarted_claims(channel: Any, settings: Any) -> None:
    settings.FLOWGATE_SEND_LEASE_SECONDS = 600
    mine, started, theirs = _queued(channel, 3)
    soon = timezone.now() + timedelta(seconds=5)
    Msg.objects.filter(id__in=[mine.id, started.id]).update(claimed_by=TOKEN, lease_until=soon)
    Msg.objects.filter(id=theirs.id).update(claimed_by=OTHER, lease_until=soon)
    wire([_fresh(started)], token=TOKEN)
    renew_lease([mine.id, started.id, theirs.id], token=TOKEN)
    assert _fresh(mine).lease_until > timezone.now() + timedelta(seconds=590)
    assert _fresh(started).lease_until is None and _fresh(theirs).lease_until == soon
    renew_lease([], token=TOKEN)
    assert release_claims(token=TOKEN) == 1
    assert (_fresh(mine).claimed_by, _fresh(mine).lease_until) == (None, None)
    assert _fresh(started).claimed_by == TOKEN and _fresh(theirs).claimed_by == OTHER


# --- recording outcomes -----------------------------------------------------------------------


def _wired(channel: Any, n: int = 1) -> list[Msg]:
    _queued(channel, n)
    return wire(claim_batch(channel, n, token=TOKEN), token=TOKEN)


def test_record_results_sends_retries_and_fails(channel: Any, settings: Any) -> None:
    settings.FLOWGATE_SEND_MAX_ATTEMPTS = 2
    settings.FLOWGATE_SEND_BACKOFF_SECONDS = 10
    ok, retry, final, fatal = _wired(channel, 4)
    Msg.objects.filter(id=final.id).update(attempts=2)
    final.attempts = 2
    log = [{"method": "POST", "url": "http://x", "status_code": 200}]
    before = timezone.now()
    record_results(
        channel,
        [ok, retry, final, fatal],
        [
            SendResult(ok=True, external_id="ext-1", parts=2, parts_sent=2, log=log),
            SendResult(ok=False, retryable=True, error="HTTP 503"),
            SendResult(ok=False, retryable=True, error="HTTP 429"),
            SendResult(ok=False, retryable=False, error="bad number"),
        ],
    )
    ok, retry, final, fatal = (_fresh(m) for m in (ok, retry, final, fatal))
    assert (ok.status, ok.external_id, ok.parts, ok.error) == (MsgStatus.SENT, "ext-1", 2, "")
    assert ok.sent_on is not None and ok.sent_on >= before and ok.metadata["parts_sent"] == 2
    assert (retry.status, retry.error) == (MsgStatus.ERRORED, "HTTP 503")
    assert before + timedelta(seconds=9) < retry.next_attempt_on < timezone.now() + timedelta(seconds=11)
    assert (final.status, final.error) == (MsgStatus.FAILED, "HTTP 429")
    assert (fatal.status, fatal.error, fatal.next_attempt_on) == (MsgStatus.FAILED, "bad number", None)
    assert list(ok.events.filter(event_type="http").values_list("data", flat=True)) == log
    last = {
        m.id: m.events.filter(event_type="status").order_by("-id").first() for m in (ok, retry, final, fatal)
    }
    assert [
        (last[m.id].status, last[m.id].description, last[m.id].data) for m in (ok, retry, final, fatal)
    ] == [
        ("sent", "", {"attempt": 1}),
        ("errored", "HTTP 503", {"attempt": 1}),
        ("failed", "HTTP 429", {"attempt": 2}),
        ("failed", "bad number", {"attempt": 1}),
    ]


def test_a_recorded_group_gives_each_message_its_own_provider_id_and_parts(channel: Any) -> None:
    # one UPDATE from arrays for the whole group: each row must get its own values, awkward ids
    # (array syntax characters, none at all) included
    msgs = _wired(channel, 4)
    msgs[1].metadata = {**msgs[1].metadata, "parts_sent": 1}  # a retry that resumes after part 1
    ids = ['a,b{"c"}\\d', None, "plain", "NULL"]
    record_results(
        channel,
        msgs,
        [
            SendResult(ok=True, external_id=ids[0], parts=1, parts_sent=1),
            SendResult(ok=True, external_id=ids[1], parts=3, parts_sent=3),
            SendResult(ok=True, external_id=ids[2], parts=2, parts_sent=0),
            SendResult(ok=True, external_id=ids[3], parts=1, parts_sent=1),
        ],
    )
    fresh = [_fresh(m) for m in msgs]
    assert [(m.status, m.external_id, m.parts) for m in fresh] == [
        (MsgStatus.SENT, ids[0], 1),
        (MsgStatus.SENT, None, 3),
        (MsgStatus.SENT, "plain", 2),
        (MsgStatus.SENT, "NULL", 1),
    ]
    assert [m.metadata.get("parts_sent") for m in fresh] == [1, 3, None, 1]


def test_a_partial_send_keeps_its_parts_for_the_retry(channel: Any) -> None:
    [msg] = _wired(channel)
    record_results(channel, [msg], [SendResult(ok=False, retryable=True, error="x", parts_sent=1)])
    assert _fresh(msg).metadata == {"parts_sent": 1}
    [msg2] = _wired(channel)
    record_results(channel, [msg2], [SendResult(ok=False, retryable=True, error="x")])
    assert "parts_sent" not in _fresh(msg2).metadata


def test_a_late_send_result_does_not_undo_a_delivery(channel: Any) -> None:
    [msg] = _wired(channel)
    Msg.objects.filter(id=msg.id).update(status=MsgStatus.DELIVERED)
    record_results(channel, [msg], [SendResult(ok=True, external_id="e-9")])
    fresh = _fresh(msg)
    assert fresh.status == MsgStatus.DELIVERED and fresh.external_id == "e-9" and fresh.sent_on is None
    [msg2] = _wired(channel)
    Msg.objects.filter(id=msg2.id).update(status=MsgStatus.DELIVERED)
    record_results(channel, [msg2], [SendResult(ok=False, retryable=False, error="late")])
    assert _fresh(msg2).status == MsgStatus.DELIVERED and _fresh(msg2).error == ""


def test_an_opt_out_answer_stops_the_contact(channel: Any) -> None:
    [msg] = _wired(channel)
    record_results(channel, [msg], [SendResult(ok=False, error="21610", opted_out=True)])
    assert Contact.objects.get(id=msg.contact_id).status == Contact.Status.STOPPED
    [msg2] = _wired(channel)
    record_results(channel, [msg2], [SendResult(ok=True)])
    assert Contact.objects.get(id=msg2.contact_id).status == Contact.Status.ACTIVE


def test_retry_delay_doubles_from_the_backoff(settings: Any) -> None:
    settings.FLOWGATE_SEND_BACKOFF_SECONDS = 10
    assert [retry_delay(n).total_seconds() for n in (0, 1, 2, 3, 4)] == [10, 10, 20, 40, 80]


def test_quick_reply_texts_of_both_stored_shapes() -> None:
    metadata = {
        "quick_replies": [
            "Yes",
            {"type": "text", "text": "No"},
            {"text": "Maybe"},
            {"type": "location"},
            {"type": "text"},
            5,
        ]
    }
    assert quick_reply_texts(metadata) == ["Yes", "No", "Maybe"]
    assert quick_reply_texts({}) == [] and quick_reply_texts({"quick_replies": None}) == []


def test_pacer_spaces_starts_at_the_channels_rate() -> None:
    free = send._Pacer(0)
    assert all(free.take() for _ in range(100)) and free.delay() == 0.0
    paced = send._Pacer(10)
    assert paced.take() is True and paced.take() is False
    assert 0.05 < paced.delay() <= 0.1
    time.sleep(0.11)
    assert paced.delay() == 0.0 and paced.take() is True


# --- the sweeper and the whole drain ----------------------------------------------------------


def test_sweep_flags_stale_wired_messages_once_and_counts_wakeups(channel: Any, settings: Any) -> None:
    settings.FLOWGATE_WIRED_STALE_SECONDS = 60
    stale, fresh_wired, queued = _queued(channel, 3)
    Msg.objects.filter(id__in=[stale.id, fresh_wired.id]).update(status=MsgStatus.WIRED)
    Msg.objects.filter(id=stale.id).update(modified_on=timezone.now() - timedelta(seconds=120))
    counts = sweep()
    assert counts == {"send_wakeups": 1, "stale_wired": 1, "handle_wakeups": 0}
    assert _fresh(stale).metadata == {"outcome_unknown": True} and _fresh(fresh_wired).metadata == {}
    event = MsgEvent.objects.get(msg=stale, event_type="outcome_unknown")
    assert event.status == MsgStatus.WIRED and "not resent" in event.description
    Msg.objects.filter(id=queued.id).update(direction="in", status=MsgStatus.PENDING)
    assert sweep() == {"send_wakeups": 0, "stale_wired": 0, "handle_wakeups": 1}


def test_send_channel_drains_the_queue_through_the_channels_type(channel: Any) -> None:
    seen: list[str] = []

    def provider(request: httpx.Request) -> httpx.Response:
        seen.append(dict(x.split("=") for x in request.content.decode().split("&"))["text"])
        return httpx.Response(200, text=json.dumps({"ok": True}))

    msgs = _queued(channel, 3)
    assert send.send_channel(channel_id=channel.id, transport=httpx.MockTransport(provider)) == 3
    assert sorted(seen) == ["m0", "m1", "m2"]
    assert [(_fresh(m).status, _fresh(m).attempts, _fresh(m).lease_until) for m in msgs] == [
        (MsgStatus.SENT, 1, None)
    ] * 3
    assert send.send_channel(channel_id=channel.id, transport=httpx.MockTransport(provider)) == 0
    _queued(channel, 1)
    channel.is_active = False
    channel.save(update_fields=["is_active"])
    assert send.send_channel(channel_id=channel.id, transport=httpx.MockTransport(provider)) == 0
    assert len(seen) == 3


def test_sweep_wakes_each_due_sender_and_pending_handler_after_commit(
    channel: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from channels_app.queue import get_queue

    _queued(channel, 2)
    [inbound] = _queued(channel, 1)
    Msg.objects.filter(id=inbound.id).update(direction="in", status=MsgStatus.PENDING)
    sends, handles = get_queue("send"), get_queue("handle")  # emptied before each test (conftest)
    with django_capture_on_commit_callbacks(execute=True):
        sweep()
        assert sends.count == 0 and handles.count == 0  # not before the sweep's writes are visible
    assert [job.args for job in sends.jobs] == [(channel.id,)]  # one wake-up per channel
    assert [job.args for job in handles.jobs] == [(channel.workspace_id,)]


def test_sweep_flags_only_wired_messages(channel: Any, settings: Any) -> None:
    settings.FLOWGATE_WIRED_STALE_SECONDS = 60
    old = timezone.now() - timedelta(seconds=120)
    wired, sent = _queued(channel, 2)
    Msg.objects.filter(id=wired.id).update(status=MsgStatus.WIRED, modified_on=old)
    Msg.objects.filter(id=sent.id).update(status=MsgStatus.SENT, modified_on=old)
    assert sweep()["stale_wired"] == 1
    assert (
        _fresh(sent).metadata == {}
        and not MsgEvent.objects.filter(msg=sent, event_type="outcome_unknown").exists()
    )
    event = MsgEvent.objects.get(msg=wired, event_type="outcome_unknown")
    assert event.description == (
        "the worker stopped after writing to the provider; not resent to avoid a duplicate"
    )


def test_renew_lease_extends_only_the_messages_named(channel: Any, settings: Any) -> None:
    settings.FLOWGATE_SEND_LEASE_SECONDS = 600
    named, other = _queued(channel, 2)
    soon = timezone.now() + timedelta(seconds=5)
    Msg.objects.filter(id__in=[named.id, other.id]).update(claimed_by=TOKEN, lease_until=soon)
    renew_lease([named.id], token=TOKEN)
    assert _fresh(named).lease_until > soon and _fresh(other).lease_until == soon


def test_one_sender_per_channel_under_its_lock(channel: Any, settings: Any) -> None:
    from channels_app import queue

    settings.FLOWGATE_SEND_LOCK_SECONDS = 7
    lock_ttls: list[int] = []

    def provider(request: httpx.Request) -> httpx.Response:
        # While a sender runs, its channel's lock is held with the configured lifetime.
        lock_ttls.append(int(queue.connection().ttl(f"flowgate:lock:send:{channel.id}")))
        return httpx.Response(200)

    msgs = _queued(channel, 2)
    assert queue.try_lock(f"send:{channel.id}", seconds=60)  # another sender holds the channel
    assert send.send_channel(channel_id=channel.id, transport=httpx.MockTransport(provider)) == 0
    assert [_fresh(m).status for m in msgs] == [MsgStatus.QUEUED] * 2 and lock_ttls == []
    queue.release_lock(f"send:{channel.id}")
    assert send.send_channel(channel_id=channel.id, transport=httpx.MockTransport(provider)) == 2
    assert len(lock_ttls) == 2 and all(0 < ttl <= 7 for ttl in lock_ttls)
    assert queue.try_lock(f"send:{channel.id}", seconds=1)  # released when done


def test_send_channel_drains_in_batches_and_only_its_own_channel(
    channel: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.FLOWGATE_BATCH_SIZE = 2
    monkeypatch.setattr(send, "JOB_SECONDS", 600.0)  # a slow machine must not cut the drain short
    other = create_channel(
        workspace=channel.workspace,
        type_code="EX",
        name="Other",
        address="+250788000001",
        country="RW",
        config={"send_url": "http://127.0.0.1:9/other"},
    )
    paths: list[str] = []

    def provider(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        return httpx.Response(200)

    theirs = queue_message(channel=other, to="+250788999999", text="theirs")
    mine = _queued(channel, 5)
    assert send.send_channel(channel_id=channel.id, transport=httpx.MockTransport(provider)) == 5
    assert paths == ["/send"] * 5
    assert all(_fresh(m).status == MsgStatus.SENT for m in mine) and _fresh(theirs).status == MsgStatus.QUEUED
