"""The claim/send service through a probe channel type that records what it is asked to send.

The probe (registered for one test at a time) answers each message with a scripted SendResult
or exception, so the whole path — claim, wire, _send_one, record_results, _mark_sent — runs for
real against the database without a provider. One transaction per test, no servers: these are
the first tests `make mutation` runs over channels_app/services/send.py (issue 26).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from django.db import connection, transaction
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from channels_app import realtime
from channels_app.crypto import SecretDecryptionError
from channels_app.models import (
    Channel,
    Contact,
    ContactURN,
    Msg,
    MsgStatus,
    WebhookDelivery,
    WebhookSubscription,
)
from channels_app.queue import get_queue
from channels_app.services import send, send_clients
from channels_app.services.ingest import get_or_create_contact
from channels_app.services.send import build_message, queue_message
from channels_app.services.webhooks import MESSAGE_STATUS
from channels_app.types.base import OutgoingMessage, SendResult
from channels_app.workspaces import create_workspace
from tests.channels_app.probe import Probe
from tests.channels_app.probe import fresh as _fresh
from tests.channels_app.probe import queue_texts as _queue


@pytest.fixture
def channel(db: None, probe: Probe) -> Channel:
    workspace, _ = create_workspace(name="Steps NGO")
    return Channel.objects.create(
        workspace=workspace, channel_type=Probe.code, name="Probe", address="+250788000000", country="RW"
    )


def _inbound(channel: Channel, identity: str) -> Msg:
    contact, urn = get_or_create_contact(workspace_id=channel.workspace_id, identity=identity)
    return Msg.objects.create(
        workspace_id=channel.workspace_id,
        channel=channel,
        contact=contact,
        contact_urn=urn,
        urn=identity,
        direction="in",
        status=MsgStatus.HANDLED,
        text="question",
        created_on=timezone.now(),
    )


def _drain(channel: Channel) -> int:
    return send.send_channel(
        channel_id=channel.id, transport=httpx.MockTransport(lambda r: httpx.Response(500))
    )


# --- queueing ---------------------------------------------------------------------------------


def test_queue_message_stores_what_it_is_given_and_wakes_the_sender_after_commit(
    channel: Channel, django_capture_on_commit_callbacks: Any
) -> None:
    sends = get_queue("send")
    with django_capture_on_commit_callbacks(execute=True):
        inbound = Msg.objects.create(
            workspace_id=channel.workspace_id,
            channel=channel,
            urn="tel:+250788550099",
            direction="in",
            status=MsgStatus.HANDLED,
            text="question",
            created_on=timezone.now(),
        )
        msg = queue_message(
            channel=channel,
            to="+250788550099",
            text="answer",
            attachments=["image/png:http://x/a.png"],
            metadata={"quick_replies": ["Yes"]},
            response_to=inbound,
        )
        assert sends.count == 0  # not before the message is visible
    fresh = _fresh(msg)
    assert (fresh.text, fresh.attachments, fresh.metadata) == (
        "answer",
        ["image/png:http://x/a.png"],
        {"quick_replies": ["Yes"]},
    )
    assert (fresh.response_to_id, fresh.urn, fresh.status, fresh.direction) == (
        inbound.id,
        "tel:+250788550099",
        MsgStatus.QUEUED,
        "out",
    )
    assert fresh.workspace_id == channel.workspace_id and fresh.channel_id == channel.id
    assert [job.args for job in sends.jobs] == [(channel.id,)]


def test_send_one_hands_the_type_every_field_of_the_message(channel: Channel, probe: Probe) -> None:
    [msg] = _queue(channel, "hello", metadata={"quick_replies": ["Yes", {"text": "No"}], "parts_sent": 2})
    assert _drain(channel) == 1
    [out] = probe.seen
    assert msg.urn.startswith("tel:+25078855")
    assert out == OutgoingMessage(
        id=msg.id,
        uuid=str(msg.uuid),
        text="hello",
        urn=msg.urn,
        attachments=[],
        quick_replies=["Yes", "No"],
        attempt=1,
        parts_sent=2,
        contact_id=msg.contact_id,
    )


def test_a_stopped_contacts_message_is_stored_failed_and_wakes_no_sender(
    channel: Channel, django_capture_on_commit_callbacks: Any
) -> None:
    [first] = _queue(channel, "hi")
    Contact.objects.filter(msgs=first).update(status=Contact.Status.BLOCKED)
    sends = get_queue("send")
    with django_capture_on_commit_callbacks(execute=True):
        msg = queue_message(channel=channel, to=first.urn, text="again")
    fresh = _fresh(msg)
    assert (fresh.status, fresh.error) == (MsgStatus.FAILED, "the contact is blocked")
    assert list(fresh.events.order_by("id").values_list("event_type", "status", "description")) == [
        ("channel", "", "the sender chose the channel 'Probe'"),
        ("status", "failed", "the contact is blocked"),
    ]
    assert sends.count == 0


def test_queue_messages_publishes_one_event_or_one_batch_per_workspace(
    channel: Channel, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    published: list[tuple[int, dict[str, Any]]] = []
    monkeypatch.setattr(realtime, "_publish_now", lambda ws, event: published.append((ws, event)))
    other_ws, _ = create_workspace(name="Other NGO")
    other = Channel.objects.create(workspace=other_ws, channel_type=Probe.code, name="Other", country="RW")
    with django_capture_on_commit_callbacks(execute=True):
        msgs = [
            build_message(channel=channel, to="+250788550001", text="a"),
            build_message(channel=channel, to="+250788550002", text="b"),
            build_message(channel=other, to="+250788550003", text="c"),
        ]
        send.queue_messages(msgs)
        send.queue_messages([])
    ws = channel.workspace_id
    assert published == [
        (ws, {"kind": "batch", "events": [realtime.msg_event(msgs[0]), realtime.msg_event(msgs[1])]}),
        (other_ws.id, realtime.msg_event(msgs[2])),
    ]
    assert published[1][1]["text"] == "c" and published[0][1]["events"][1]["text"] == "b"
    assert [job.args for job in get_queue("send").jobs] == [(channel.id,), (other.id,)]
    for m in msgs:
        assert list(m.events.order_by("id").values_list("event_type", flat=True)) == ["channel", "status"]
        channel_event = m.events.get(event_type="channel")
        assert channel_event.data["rule"] == "explicit" and "chose the channel" in channel_event.description


def test_a_message_built_without_a_route_logs_only_its_status(channel: Channel) -> None:
    msg = build_message(channel=channel, to="+250788550001", text="a")
    del msg._route  # type: ignore[attr-defined]
    send.queue_messages([msg])
    assert list(msg.events.values_list("event_type", "status", "description")) == [("status", "queued", "")]


# --- building ---------------------------------------------------------------------------------


def test_a_reply_is_read_in_the_inbound_channels_country_and_scheme(
    channel: Channel, probe: Probe, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The workspace's first channel is in Kenya: without a hint 07… would be a Kenyan number.
    Channel.objects.filter(id=channel.id).update(country="KE")
    rw = Channel.objects.create(workspace=channel.workspace, channel_type=Probe.code, name="RW", country="RW")
    inbound = _inbound(rw, "tel:+250788123123")
    msg = build_message(workspace_id=channel.workspace_id, to="0788123123", text="hi", response_to=inbound)
    assert (msg.urn, msg.channel_id, msg.response_to_id) == ("tel:+250788123123", rw.id, inbound.id)
    assert msg._route.why == "a reply goes out on 'RW', where the message came in"  # type: ignore[attr-defined]
    kenyan = build_message(workspace_id=channel.workspace_id, to="0712345678", text="hi")
    assert kenyan.urn == "tel:+254712345678"
    # The hint channel's type names the scheme of a bare identity.
    monkeypatch.setattr(Probe, "default_scheme", lambda self, ch: "ext" if ch.id == rw.id else "tel")
    ext = build_message(workspace_id=channel.workspace_id, to="user-7", text="hi", response_to=inbound)
    assert ext.urn == "ext:user-7"
    assert build_message(channel=rw, to="user-8", text="hi").urn == "ext:user-8"


def test_a_known_contact_urn_saves_the_contact_lookup(channel: Channel) -> None:
    [first] = _queue(channel, "hi")
    urn = ContactURN.objects.select_related("contact").get(identity=first.urn)
    with CaptureQueriesContext(connection) as queries:
        msg = build_message(channel=channel, to=first.urn, text="again", contact_urn=urn)
    assert not [q for q in queries.captured_queries if "channels_app_contact" in q["sql"]]
    assert (msg.contact_id, msg.contact_urn_id) == (first.contact_id, urn.id)
    # Another identity's URN is not reused: the recipient's own contact is found.
    other = build_message(channel=channel, to="+250788559999", text="x", contact_urn=urn)
    assert other.contact_id != first.contact_id and other.urn == "tel:+250788559999"
    # Nor one without its contact.
    urn.contact = None
    again = build_message(channel=channel, to=first.urn, text="x", contact_urn=urn)
    assert again.contact_id == first.contact_id


def test_a_callers_pool_is_used_as_it_is(channel: Channel) -> None:
    pool = send.routing.ChannelPool(channel.workspace_id)
    Channel.objects.filter(id=channel.id).update(is_active=False)  # the pool was loaded before
    msg = queue_message(workspace_id=channel.workspace_id, to="+250788550001", text="hi", pool=pool)
    assert msg.channel_id == channel.id
    with pytest.raises(send.SendError) as info:
        queue_message(workspace_id=channel.workspace_id, to="+250788550001", text="hi")
    assert str(info.value) == "no channel can send to tel:+250788550001"


def test_affinity_first_prefers_the_contacts_channel_over_the_inbounds(channel: Channel) -> None:
    other = Channel.objects.create(
        workspace=channel.workspace, channel_type=Probe.code, name="B", country="RW"
    )
    inbound = _inbound(channel, "tel:+250788123123")
    urn = ContactURN.objects.get(identity="tel:+250788123123")
    ContactURN.objects.filter(id=urn.id).update(channel=other)
    urn.refresh_from_db()
    kwargs: dict[str, Any] = {"to": "+250788123123", "text": "x", "response_to": inbound, "contact_urn": urn}
    assert build_message(workspace_id=channel.workspace_id, **kwargs).channel_id == channel.id
    chosen = build_message(workspace_id=channel.workspace_id, affinity_first=True, **kwargs)
    assert chosen.channel_id == other.id


def test_build_message_keeps_text_attachments_and_metadata(channel: Channel) -> None:
    msg = build_message(channel=channel, to="+250788550001", text="", attachments=["a"], metadata={"k": 1})
    assert (msg.text, msg.attachments, msg.metadata, msg.direction) == ("", ["a"], {"k": 1}, "out")
    assert (msg.status, msg.error, msg.workspace_id) == (MsgStatus.QUEUED, "", channel.workspace_id)
    assert msg.created_on is not None and abs((timezone.now() - msg.created_on).total_seconds()) < 60
    bare = build_message(channel=channel, to="+250788550001", text="t")
    assert (bare.attachments, bare.metadata) == ([], {})
    with pytest.raises(send.SendError) as info:
        build_message(channel=channel, to="+250788550001", text="", attachments=[])
    assert str(info.value) == "a message needs text or attachments"


# --- reply_problem ----------------------------------------------------------------------------


def test_reply_problem_allows_only_the_same_contact(channel: Channel) -> None:
    inbound = _inbound(channel, "tel:+250788123123")
    ws = channel.workspace_id
    assert send.reply_problem(workspace_id=ws, response_to=inbound, to="0788123123") == ""
    # Another URN of the same contact may be replied to; someone else's may not.
    ContactURN.objects.create(workspace_id=ws, contact_id=inbound.contact_id, identity="tel:+250788000111")
    assert send.reply_problem(workspace_id=ws, response_to=inbound, to="+250788000111") == ""
    other = queue_message(channel=channel, to="+250788000222", text="x")
    assert other.contact_id != inbound.contact_id
    same = "response_to must be a message of the same contact"
    assert send.reply_problem(workspace_id=ws, response_to=inbound, to="+250788000222") == same
    assert send.reply_problem(workspace_id=ws, response_to=inbound, to="+250788000333") == same  # unknown
    # The same number in another workspace does not count.
    assert send.reply_problem(workspace_id=ws + 1000, response_to=inbound, to="+250788000111") == same
    assert send.reply_problem(workspace_id=ws, response_to=inbound, to="tel:") == "the phone number is empty"


# --- sending one message ----------------------------------------------------------------------


def test_send_one_turns_exceptions_into_outcomes(
    channel: Channel, probe: Probe, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.FLOWGATE_SEND_MAX_ATTEMPTS = 3
    probe.answers = {
        "net": httpx.ConnectError("refused"),
        "key": SecretDecryptionError("no key opens it"),
        "bug": ZeroDivisionError("boom"),
    }
    net, key, bug = _queue(channel, "net", "key", "bug")
    with caplog.at_level(logging.ERROR, logger="channels_app.services.send"):
        assert _drain(channel) == 3
    assert [(_fresh(m).status, _fresh(m).error) for m in (net, key, bug)] == [
        (MsgStatus.ERRORED, "transport error: ConnectError('refused')"),
        (MsgStatus.ERRORED, "no key opens it"),
        (MsgStatus.FAILED, "internal error: boom"),
    ]
    [record] = [r for r in caplog.records if r.name == "channels_app.services.send"]
    assert record.getMessage() == f"channel type ZP failed to send {bug.uuid}"
    assert record.exc_info is not None and record.exc_info[0] is ZeroDivisionError


def test_the_retry_tells_the_type_its_attempt_and_a_fresh_message_no_parts(
    channel: Channel, probe: Probe, settings: Any
) -> None:
    settings.FLOWGATE_SEND_BACKOFF_SECONDS = 0
    probe.answers = {"again": SendResult(ok=False, retryable=True, error="busy")}
    [msg] = _queue(channel, "again")
    _drain(channel)
    probe.answers = {}
    _drain(channel)
    assert [(o.attempt, o.parts_sent, o.quick_replies) for o in probe.seen] == [(1, 0, []), (2, 0, [])]
    assert (_fresh(msg).status, _fresh(msg).attempts) == (MsgStatus.SENT, 2)


def test_clients_carry_the_send_settings_and_are_kept_per_channel(channel: Channel, settings: Any) -> None:
    settings.FLOWGATE_SEND_TIMEOUT_SECONDS = 7
    sender = send._Sender(channel, None, token="t", lock="l", lock_seconds=15)
    clients = send_clients.run(sender._clients(3, 4))
    try:
        assert len(clients) == 3 and len({id(c) for c in clients}) == 3
        for client in clients:
            assert client.timeout == httpx.Timeout(7) and client.follow_redirects is False
            transport = client._transport  # type: ignore[attr-defined]
            assert transport.limits == httpx.Limits(max_connections=4, max_keepalive_connections=4)
            assert transport.ssl_context is send._ssl_context()
        assert send_clients.run(sender._clients(3, 4)) == clients  # the next batch reuses them
    finally:
        send_clients.close_all()
    transport = httpx.MockTransport(lambda r: httpx.Response(200))
    own = send._Sender(channel, transport, token="t", lock="l", lock_seconds=15)
    mine = send_clients.run(own._clients(2, 20))
    assert len(mine) == 2 and all(c._transport is transport for c in mine)  # type: ignore[attr-defined]
    send_clients.run(send_clients.close(mine))


def test_a_batch_is_spread_over_shards_and_a_callers_clients_are_closed(
    channel: Channel, probe: Probe
) -> None:
    _queue(channel, *[f"m{i}" for i in range(10)])
    try:
        assert send.send_channel(channel_id=channel.id) == 10
        # Own clients: SEND_CONCURRENCY // SHARD_CONNECTIONS shards, used evenly, kept open.
        used = [id(c) for c in probe.clients]
        assert len(set(used)) == 5 and all(used.count(u) == 2 for u in set(used))
        assert not any(c.is_closed for c in probe.clients)
        limits = [c._transport.limits for c in probe.clients]  # type: ignore[attr-defined]
        assert limits == [httpx.Limits(max_connections=4, max_keepalive_connections=4)] * 10
        probe.clients.clear()
        _queue(channel, "a", "b")
        assert send.send_channel(channel_id=channel.id) == 2
        assert len({id(c) for c in probe.clients}) == 2  # no more shards than messages
    finally:
        send_clients.close_all()
    probe.clients.clear()
    _queue(channel, "c", "d", "e")
    assert _drain(channel) == 3
    # A caller's transport: one client for the batch, closed after it.
    assert len({id(c) for c in probe.clients}) == 1 and probe.clients[0].is_closed


# --- the sender loop --------------------------------------------------------------------------


def test_at_most_send_concurrency_requests_are_in_flight(channel: Channel, probe: Probe) -> None:
    in_flight, peak = 0, 0

    async def slow_send(ch: Channel, msg: OutgoingMessage, client: httpx.AsyncClient) -> SendResult:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.05)
        in_flight -= 1
        return SendResult(ok=True, external_id=f"x-{msg.id}")

    probe.send = slow_send  # type: ignore[method-assign,assignment]
    msgs = _queue(channel, *[f"m{i}" for i in range(send.SEND_CONCURRENCY + 5)])
    assert _drain(channel) == len(msgs)
    assert peak == send.SEND_CONCURRENCY
    assert {_fresh(m).external_id for m in msgs} == {f"x-{m.id}" for m in msgs}


def test_a_paced_channel_starts_requests_at_its_rate(channel: Channel, probe: Probe) -> None:
    probe.tps = 20  # one start every 50 ms
    starts: list[float] = []

    def answer(msg: OutgoingMessage) -> SendResult:
        starts.append(time.monotonic())
        return SendResult(ok=True)

    probe.default = answer
    _queue(channel, "a", "b", "c", "d")
    assert _drain(channel) == 4
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert len(gaps) == 3 and all(gap >= 0.025 for gap in gaps), gaps  # 50 ms apart, give or take


def test_a_long_drain_renews_the_leases_of_its_unstarted_messages_and_its_lock(
    channel: Channel, probe: Probe, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from channels_app import queue

    settings.FLOWGATE_SEND_LEASE_SECONDS = 3  # renewed every max(1 s, min(3 s, 3 s) / 3)
    settings.FLOWGATE_SEND_LOCK_SECONDS = 3
    monkeypatch.setattr(send, "SEND_CONCURRENCY", 1)
    renewals: list[tuple[float, list[int], str]] = []
    renew = send.renew_lease

    def spy_renew(ids: list[int], *, token: str) -> None:
        renewals.append((time.monotonic(), ids, token))
        renew(ids, token=token)

    monkeypatch.setattr(send, "renew_lease", spy_renew)
    refreshed: list[tuple[str, int]] = []
    refresh = queue.refresh_lock

    def spy_refresh(name: str, seconds: int) -> None:
        refreshed.append((name, seconds))
        refresh(name, seconds)

    monkeypatch.setattr(queue, "refresh_lock", spy_refresh)

    def answer(msg: OutgoingMessage) -> SendResult:
        time.sleep(0.6)
        return SendResult(ok=True)

    probe.default = answer
    msgs = _queue(channel, "a", "b", "c", "d")
    started = time.monotonic()
    assert _drain(channel) == 4
    assert all(_fresh(m).status == MsgStatus.SENT for m in msgs)
    # About once a second (not on every turn of the loop), only the sender's unstarted messages.
    assert 1 <= len(renewals) <= 3 and renewals[0][0] - started >= 1.0
    tokens = {token for _, _, token in renewals}
    assert len(tokens) == 1 and len(tokens.pop()) == 32
    pending = renewals[0][1]
    assert pending and set(pending) < {m.id for m in msgs[1:]}
    # ... and the channel's lock with them (and once more after the batch), to its full lifetime.
    assert set(refreshed) == {(f"send:{channel.id}", 3)} and len(refreshed) == len(renewals) + 1


def test_the_renewal_interval_is_a_third_of_the_shorter_of_lease_and_lock(
    channel: Channel, probe: Probe, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.FLOWGATE_SEND_LEASE_SECONDS = 6
    settings.FLOWGATE_SEND_LOCK_SECONDS = 9  # min(6, 9) / 3 = 2 s
    monkeypatch.setattr(send, "SEND_CONCURRENCY", 1)
    renewals: list[float] = []
    renew = send.renew_lease

    def spy_renew(ids: list[int], *, token: str) -> None:
        renewals.append(time.monotonic())
        renew(ids, token=token)

    monkeypatch.setattr(send, "renew_lease", spy_renew)

    async def send_one(ch: Channel, msg: OutgoingMessage, client: httpx.AsyncClient) -> SendResult:
        await asyncio.sleep(2.3 if msg.text == "slow" else 0)  # the sender's loop turns meanwhile
        return SendResult(ok=True)

    probe.send = send_one  # type: ignore[method-assign,assignment]
    _queue(channel, "slow", "next")
    started = time.monotonic()
    assert _drain(channel) == 2
    assert renewals and renewals[0] - started >= 1.95


def test_a_paced_channel_starts_on_time_while_earlier_requests_are_in_flight(
    channel: Channel, probe: Probe
) -> None:
    probe.tps = 10  # one start every 100 ms; each request takes 600 ms
    starts: list[float] = []

    async def slow_send(ch: Channel, msg: OutgoingMessage, client: httpx.AsyncClient) -> SendResult:
        starts.append(time.monotonic())
        await asyncio.sleep(0.6)
        return SendResult(ok=True)

    probe.send = slow_send  # type: ignore[method-assign,assignment]
    _queue(channel, "a", "b", "c")
    assert _drain(channel) == 3
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert all(0.05 <= gap < 0.5 for gap in gaps), gaps  # (start times jitter by a few ms)


def test_finished_gathers_up_to_half_of_the_requests_within_the_grace_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(send, "GATHER_SECONDS", 1.0)
    loop = send_clients.loop()

    def tasks(*delays: float) -> list[asyncio.Task[SendResult]]:
        async def after(delay: float) -> SendResult:
            await asyncio.sleep(delay)
            return SendResult(ok=True)

        return [loop.create_task(after(d)) for d in delays]

    def finished(group: list[asyncio.Task[SendResult]], timeout: float) -> list[int]:
        done = loop.run_until_complete(send._finished(set(group), timeout))
        return sorted(group.index(t) for t in done)

    def cancel(group: list[asyncio.Task[SendResult]]) -> None:
        for t in group:
            t.cancel()
        loop.run_until_complete(asyncio.gather(*group, return_exceptions=True))

    # The first answer, then more for up to GATHER_SECONDS until half of the four are in.
    group = tasks(0, 0.25, 0.5, 30)
    assert finished(group, 5) == [0, 1]
    cancel(group)
    # Nothing within the timeout: nothing to record yet.
    group = tasks(0.3, 30)
    assert finished(group, 0.05) == []
    cancel(group)
    # The grace time ends the gathering.
    monkeypatch.setattr(send, "GATHER_SECONDS", 0.1)
    group = tasks(0, 0.6, 30)
    assert finished(group, 5) == [0]
    cancel(group)
    group = tasks(0, 0, 0)
    assert finished(group, 5) == [0, 1, 2]


def test_a_pacer_below_one_message_a_second_still_paces() -> None:
    slow = send._Pacer(0.5)
    assert slow.interval == 2.0 and slow.take() is True and slow.take() is False
    assert 1.5 < slow.delay() <= 2.0


# --- recording outcomes -----------------------------------------------------------------------


def test_record_results_logs_publishes_and_emits_every_outcome(
    channel: Channel, probe: Probe, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.FLOWGATE_SEND_MAX_ATTEMPTS = 3
    settings.FLOWGATE_SEND_BACKOFF_SECONDS = 10
    published: list[dict[str, Any]] = []
    monkeypatch.setattr(
        realtime,
        "_publish_now",
        lambda ws, event: published.append(event) if ws == channel.workspace_id else None,
    )
    WebhookSubscription.objects.create(
        workspace_id=channel.workspace_id, url="https://h.example/x", secret="a" * 48, events=[MESSAGE_STATUS]
    )
    log = [{"url": "http://p/1", "status_code": 503}, {"url": "http://p/2", "status_code": 503}]
    probe.answers = {
        "first": SendResult(ok=False, retryable=True, error="HTTP 503", log=log),
        "second": SendResult(ok=False, retryable=True, error="HTTP 503"),
        "gone": SendResult(ok=False, error="21610", opted_out=True),
    }
    first, second, gone = _queue(channel, "first", "second", "gone")
    Msg.objects.filter(id=second.id).update(attempts=1)  # its second attempt: twice the backoff
    before = timezone.now()
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert _drain(channel) == 3
    first, second, gone = (_fresh(m) for m in (first, second, gone))
    assert list(first.events.filter(event_type="http").order_by("id").values_list("data", flat=True)) == log
    assert (first.status, second.status, gone.status) == (
        MsgStatus.ERRORED,
        MsgStatus.ERRORED,
        MsgStatus.FAILED,
    )
    assert first.modified_on >= before and gone.modified_on >= before and gone.error == "21610"
    assert first.next_attempt_on is not None and second.next_attempt_on is not None
    assert 9 <= (first.next_attempt_on - before).total_seconds() < 11
    assert 19 <= (second.next_attempt_on - before).total_seconds() < 21
    [batch] = [e for e in published if e.get("kind") == "batch" and e["events"][0]["status"] != "queued"]
    assert sorted((e["uuid"], e["status"]) for e in batch["events"]) == sorted(
        [(str(first.uuid), "errored"), (str(second.uuid), "errored"), (str(gone.uuid), "failed")]
    )
    deliveries = WebhookDelivery.objects.filter(workspace_id=channel.workspace_id, event=MESSAGE_STATUS)
    assert sorted(d.payload["uuid"] for d in deliveries) == sorted(str(m.uuid) for m in (first, second, gone))
    assert Contact.objects.get(msgs=gone).status == Contact.Status.STOPPED
    assert Contact.objects.get(msgs=first).status == Contact.Status.ACTIVE
    assert gone.events.filter(description="the provider reports the recipient opted out").count() == 1


def test_sent_messages_keep_their_progress_and_others_metadata_untouched(
    channel: Channel, probe: Probe
) -> None:
    probe.answers = {
        "two": SendResult(ok=True, external_id="e2", parts=2, parts_sent=2),
        "one": SendResult(ok=True, external_id="e1"),
        "half": SendResult(ok=False, error="cut", parts_sent=1),
    }
    two, one, half = _queue(channel, "two", "one", "half", metadata={"topic": "t"})
    _drain(channel)
    two, one, half = (_fresh(m) for m in (two, one, half))
    assert (two.metadata, two.parts, two.external_id) == ({"topic": "t", "parts_sent": 2}, 2, "e2")
    assert (one.metadata, one.parts, one.external_id) == ({"topic": "t"}, 1, "e1")
    assert (half.metadata, half.status) == ({"topic": "t", "parts_sent": 1}, MsgStatus.FAILED)


def test_mark_sent_without_postgresql_gives_the_same_rows(
    channel: Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(send, "connection", SimpleNamespace(vendor="sqlite"))
    _queue(channel, "two", "one", "late", metadata={"topic": "t"})
    two, one, late = send.wire(send.claim_batch(channel, 3, token="t"), token="t")
    Msg.objects.filter(id=late.id).update(status=MsgStatus.DELIVERED, error="x")
    before = timezone.now()
    send.record_results(
        channel,
        [two, one, late],
        [
            SendResult(ok=True, external_id="e2", parts=2, parts_sent=2),
            SendResult(ok=True, external_id="e1"),
            SendResult(ok=True, external_id="e3"),
        ],
    )
    two, one, late = (_fresh(m) for m in (two, one, late))
    assert (two.status, two.metadata, two.parts, two.external_id) == (
        MsgStatus.SENT,
        {"topic": "t", "parts_sent": 2},
        2,
        "e2",
    )
    assert (one.status, one.metadata, one.parts, one.external_id, one.error) == (
        MsgStatus.SENT,
        {"topic": "t"},
        1,
        "e1",
        "",
    )
    assert two.sent_on is not None and two.sent_on >= before and two.modified_on >= before
    assert (late.status, late.sent_on, late.external_id, late.error) == (MsgStatus.DELIVERED, None, "e3", "x")


# --- the drain --------------------------------------------------------------------------------


def test_a_drain_past_job_seconds_yields_and_wakes_itself_again(
    channel: Channel, settings: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    settings.FLOWGATE_BATCH_SIZE = 2
    monkeypatch.setattr(send, "JOB_SECONDS", 0.0)
    msgs = _queue(channel, "a", "b", "c")
    sends = get_queue("send")
    with django_capture_on_commit_callbacks(execute=True):  # (rq enqueues on commit)
        assert _drain(channel) == 2  # one full batch, then the worker is given back
    assert [_fresh(m).status for m in msgs] == [MsgStatus.SENT, MsgStatus.SENT, MsgStatus.QUEUED]
    assert [job.args for job in sends.jobs] == [(channel.id,)]
    assert _fresh(msgs[2]).claimed_by is None and _fresh(msgs[2]).lease_until is None
    with django_capture_on_commit_callbacks(execute=True):
        assert _drain(channel) == 1
    assert sends.count == 1  # nothing left: no new wake-up


def test_a_partial_batch_ends_the_drain_even_with_a_retry_due_at_once(
    channel: Channel, probe: Probe, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.FLOWGATE_SEND_BACKOFF_SECONDS = 0
    probe.answers = {"again": SendResult(ok=False, retryable=True, error="busy")}
    [msg] = _queue(channel, "again")
    sends = get_queue("send")
    with django_capture_on_commit_callbacks(execute=True):
        assert _drain(channel) == 1
    assert _fresh(msg).status == MsgStatus.ERRORED and len(probe.seen) == 1
    assert [job.args for job in sends.jobs] == [(channel.id,)]  # the retry is a new job


def test_a_stopping_worker_finishes_in_flight_and_gives_back_the_rest(
    channel: Channel, probe: Probe, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    monkeypatch.setattr(send, "SEND_CONCURRENCY", 1)

    def stop(msg: OutgoingMessage) -> SendResult:
        send.stopping.set()
        return SendResult(ok=True)

    probe.default = stop
    first, second = _queue(channel, "a", "b")
    sends = get_queue("send")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert _drain(channel) == 1
            assert _drain(channel) == 0  # a stopping worker starts nothing
    finally:
        send.stopping.clear()
    assert _fresh(first).status == MsgStatus.SENT
    second = _fresh(second)
    assert (second.status, second.claimed_by, second.lease_until) == (MsgStatus.QUEUED, None, None)
    assert sends.count == 0  # and wakes nothing: the next worker's sweep does
    from channels_app import queue

    assert queue.try_lock(f"send:{channel.id}", seconds=1)  # the lock was let go


# --- the sweeper ------------------------------------------------------------------------------


def test_sweep_measures_staleness_from_the_time_it_is_given(channel: Channel, settings: Any) -> None:
    settings.FLOWGATE_WIRED_STALE_SECONDS = 60
    [msg] = _queue(channel, "a")
    Msg.objects.filter(id=msg.id).update(status=MsgStatus.WIRED, modified_on=timezone.now())
    assert send.sweep()["stale_wired"] == 0
    later = timezone.now() + timedelta(seconds=120)
    assert send.sweep(now=later)["stale_wired"] == 1
    assert _fresh(msg).metadata == {"outcome_unknown": True}
    # Errored messages due by the given time wake their sender.
    Msg.objects.filter(id=msg.id).update(
        status=MsgStatus.ERRORED, next_attempt_on=later - timedelta(seconds=1)
    )
    assert send.sweep()["send_wakeups"] == 0 and send.sweep(now=later)["send_wakeups"] == 1


def test_sweep_flags_at_most_a_thousand_messages_a_run(channel: Channel, settings: Any) -> None:
    settings.FLOWGATE_WIRED_STALE_SECONDS = 60
    old = timezone.now() - timedelta(seconds=120)
    [template] = _queue(channel, "x")
    Msg.objects.bulk_create(
        Msg(
            workspace_id=channel.workspace_id,
            channel=channel,
            contact_id=template.contact_id,
            urn=template.urn,
            direction="out",
            status=MsgStatus.WIRED,
            text=f"w{i}",
            created_on=old,
        )
        for i in range(1000)
    )
    Msg.objects.filter(channel=channel).update(status=MsgStatus.WIRED, modified_on=old)  # 1,001 stale
    assert send.sweep()["stale_wired"] == 1000
    assert send.sweep()["stale_wired"] == 1  # the rest on the next run
    assert send.sweep()["stale_wired"] == 0


def test_results_that_do_not_match_the_batch_record_nothing(channel: Channel) -> None:
    _queue(channel, "a", "b")
    a, b = send.wire(send.claim_batch(channel, 2, token="t"), token="t")
    with pytest.raises(ValueError):
        send.record_results(channel, [a, b], [SendResult(ok=True, external_id="e")])
    assert {_fresh(m).status for m in (a, b)} == {MsgStatus.WIRED} and _fresh(a).external_id is None


def test_sent_messages_are_marked_in_one_statement_on_postgresql(channel: Channel) -> None:
    _queue(channel, "a", "b", "c")
    batch = send.wire(send.claim_batch(channel, 3, token="t"), token="t")
    with CaptureQueriesContext(connection) as queries:
        send.record_results(channel, batch, [SendResult(ok=True, external_id=f"e{i}") for i in range(3)])
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1 and "FROM unnest(" in updates[0]
    assert [_fresh(m).external_id for m in batch] == ["e0", "e1", "e2"]


def test_wire_skips_messages_lost_to_another_sender_or_failed_while_leased(channel: Channel) -> None:
    mine, stolen, cancelled = _queue(channel, "mine", "stolen", "cancelled")
    batch = send.claim_batch(channel, 3, token="t" * 32)
    # The lease ran out and another sender wired one; a user failed another meanwhile.
    Msg.objects.filter(id=stolen.id).update(claimed_by="o" * 32, status=MsgStatus.WIRED, attempts=1)
    Msg.objects.filter(id=cancelled.id).update(status=MsgStatus.FAILED)
    started = send.wire(batch, token="t" * 32)
    assert [m.id for m in started] == [mine.id]
    assert (_fresh(stolen).attempts, _fresh(cancelled).status) == (1, MsgStatus.FAILED)
    # A stopping sender gives back only what may still be sent.
    again = _queue(channel, "again")[0]
    send.claim_batch(channel, 1, token="t" * 32)
    assert send.release_claims(token="t" * 32) == 1
    assert _fresh(again).claimed_by is None and _fresh(cancelled).claimed_by == "t" * 32


def test_the_lease_and_lock_lifetimes_default_without_settings(
    channel: Channel, probe: Probe, settings: Any
) -> None:
    from channels_app import queue

    del settings.FLOWGATE_SEND_LEASE_SECONDS
    del settings.FLOWGATE_SEND_LOCK_SECONDS
    ttls: list[int] = []

    def answer(msg: OutgoingMessage) -> SendResult:
        ttls.append(queue.connection().ttl(f"flowgate:lock:send:{channel.id}"))
        return SendResult(ok=True)

    probe.default = answer
    [msg] = _queue(channel, "a")
    before = timezone.now()
    send.claim_batch(channel, 1, token="t")
    lease = _fresh(msg).lease_until
    assert lease is not None and 29 <= (lease - before).total_seconds() <= 30.5
    Msg.objects.filter(id=msg.id).update(claimed_by=None, lease_until=None)
    assert _drain(channel) == 1 and ttls and 10 < ttls[0] <= send.SEND_LOCK_SECONDS == 15


def test_sequential_requests_reuse_the_first_shards_connection(channel: Channel, probe: Probe) -> None:
    probe.tps = 20  # each request is answered before the next may start
    _queue(channel, "a", "b", "c", "d")
    try:
        assert send.send_channel(channel_id=channel.id) == 4
    finally:
        send_clients.close_all()
    assert len(probe.clients) == 4 and len({id(c) for c in probe.clients}) == 1


def test_a_claim_skips_rows_another_sender_is_claiming(transactional_db: None, probe: Probe) -> None:
    workspace, _ = create_workspace(name="Skip NGO")
    channel = Channel.objects.create(workspace=workspace, channel_type=Probe.code, name="P", country="RW")
    first, second = _queue(channel, "a", "b")
    claimed: list[list[int]] = []

    def other_sender() -> None:
        try:
            claimed.append([m.id for m in send.claim_batch(channel, 10, token="o" * 32)])
        finally:
            connection.close()

    with transaction.atomic():
        Msg.objects.select_for_update().filter(id=first.id).get()  # a claim in progress
        thread = threading.Thread(target=other_sender)
        thread.start()
        thread.join(5)
        alive = thread.is_alive()
    thread.join(10)
    assert not alive and claimed == [[second.id]]  # not blocked: the locked row is skipped


def test_sweep_wakes_senders_and_handlers_only_once_its_transaction_commits(
    channel: Channel, django_capture_on_commit_callbacks: Any
) -> None:
    from channels_app import queue, wakes

    _queue(channel, "a")
    [inbound] = _queue(channel, "b")
    Msg.objects.filter(id=inbound.id).update(direction="in", status=MsgStatus.PENDING)
    markers = [
        queue.wake_marker(wakes.sender_key(channel.id)),
        queue.wake_marker(wakes.handler_key(channel.workspace_id)),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert send.sweep()["send_wakeups"] == 1
        assert queue.connection().exists(*markers) == 0  # nothing marked woken before the commit
    assert queue.connection().exists(*markers) == 2


def test_due_work_is_counted_per_channel_and_outbound_only(channel: Channel) -> None:
    other = Channel.objects.create(
        workspace=channel.workspace, channel_type=Probe.code, name="B", country="RW"
    )
    queue_message(channel=other, to="+250788550001", text="theirs")
    [inbound] = _queue(channel, "in")
    Msg.objects.filter(id=inbound.id).update(direction="in")  # (an inbound is never queued; if it were)
    assert send._has_due(channel) is False and send._has_due(other) is True


def test_a_new_request_goes_to_a_shard_with_nothing_in_flight(channel: Channel, probe: Probe) -> None:
    probe.tps = 10  # starts 100 ms apart: the first has finished when the second starts
    used: dict[str, httpx.AsyncClient] = {}

    async def send_one(ch: Channel, msg: OutgoingMessage, client: httpx.AsyncClient) -> SendResult:
        used[msg.text] = client
        await asyncio.sleep(0.5 if msg.text == "slow" else 0)
        return SendResult(ok=True)

    probe.send = send_one  # type: ignore[method-assign,assignment]
    _queue(channel, "quick", "slow", "third")
    try:
        assert send.send_channel(channel_id=channel.id) == 3
    finally:
        send_clients.close_all()
    # The finished request's shard is free again; the slow one's is busy when the third starts.
    assert used["quick"] is used["slow"] and used["third"] is not used["slow"]


def test_sweep_wakes_handlers_only_for_pending_inbound(channel: Channel) -> None:
    handled, outbound = _queue(channel, "handled", "outbound")
    Msg.objects.filter(id=handled.id).update(direction="in", status=MsgStatus.HANDLED)
    Msg.objects.filter(id=outbound.id).update(
        status=MsgStatus.PENDING
    )  # (outbound is never pending; if it were)
    assert send.sweep()["handle_wakeups"] == 0
    Msg.objects.filter(id=handled.id).update(status=MsgStatus.PENDING)
    assert send.sweep()["handle_wakeups"] == 1


def test_recorded_retries_and_failures_are_stamped_modified(channel: Channel, settings: Any) -> None:
    settings.FLOWGATE_SEND_MAX_ATTEMPTS = 3
    _queue(channel, "retry", "fail")
    retry, fail = send.wire(send.claim_batch(channel, 2, token="t"), token="t")
    wired_on = _fresh(retry).modified_on
    time.sleep(0.01)
    before = timezone.now()
    assert before > wired_on
    send.record_results(
        channel,
        [retry, fail],
        [SendResult(ok=False, retryable=True, error="busy"), SendResult(ok=False, error="bad")],
    )
    assert _fresh(retry).modified_on >= before and _fresh(fail).modified_on >= before
    assert (_fresh(retry).status, _fresh(fail).status) == (MsgStatus.ERRORED, MsgStatus.FAILED)


def test_send_channel_drains_the_channel_it_is_given(channel: Channel) -> None:
    second = Channel.objects.create(
        workspace=channel.workspace, channel_type=Probe.code, name="B", country="RW"
    )
    [first_msg] = _queue(channel, "first")
    second_msg = queue_message(channel=second, to="+250788550009", text="second")
    assert (
        send.send_channel(channel_id=second.id, transport=httpx.MockTransport(lambda r: httpx.Response(200)))
        == 1
    )
    assert (_fresh(second_msg).status, _fresh(first_msg).status) == (MsgStatus.SENT, MsgStatus.QUEUED)


def test_a_round_lost_to_another_sender_does_not_stall_the_rest(
    channel: Channel, probe: Probe, monkeypatch: pytest.MonkeyPatch
) -> None:
    msgs = _queue(channel, *[f"m{i}" for i in range(send.SEND_CONCURRENCY + 5)])
    batch = send.claim_batch(channel, len(msgs), token="t" * 32)
    # The first round's messages were taken (and wired) by another sender meanwhile.
    Msg.objects.filter(id__in=[m.id for m in msgs[: send.SEND_CONCURRENCY]]).update(
        claimed_by="o" * 32, status=MsgStatus.WIRED
    )
    sleeps: list[float] = []
    monkeypatch.setattr(send, "time", SimpleNamespace(monotonic=time.monotonic, sleep=sleeps.append))
    sender = send._Sender(
        channel, httpx.MockTransport(lambda r: httpx.Response(200)), token="t" * 32, lock="l", lock_seconds=15
    )
    assert sender.run(batch) == 5
    assert sleeps == [0.001]  # an unpaced channel waits a millisecond, not a second, for its next round
    assert [m.text for m in probe.seen] == [m.text for m in msgs[send.SEND_CONCURRENCY :]]


def test_wiring_an_old_message_does_not_make_it_look_stale(channel: Channel, settings: Any) -> None:
    settings.FLOWGATE_WIRED_STALE_SECONDS = 60
    [msg] = _queue(channel, "old")
    Msg.objects.filter(id=msg.id).update(modified_on=timezone.now() - timedelta(minutes=10))
    before = timezone.now()
    [wired] = send.wire(send.claim_batch(channel, 1, token="t"), token="t")
    assert _fresh(wired).modified_on >= before
    assert send.sweep()["stale_wired"] == 0 and "outcome_unknown" not in _fresh(wired).metadata


def test_release_gives_back_only_unstarted_claims_not_started_retries(
    channel: Channel, settings: Any
) -> None:
    settings.FLOWGATE_SEND_MAX_ATTEMPTS = 3
    started, unstarted = _queue(channel, "started", "unstarted")
    batch = send.claim_batch(channel, 2, token="t")
    [wired] = send.wire([m for m in batch if m.id == started.id], token="t")
    send.record_results(channel, [wired], [SendResult(ok=False, retryable=True, error="busy")])
    assert _fresh(started).status == MsgStatus.ERRORED and _fresh(started).lease_until is None
    assert send.release_claims(token="t") == 1  # the unstarted one only
    assert (_fresh(unstarted).claimed_by, _fresh(started).claimed_by) == (None, "t")


def test_a_sweeper_killed_mid_sweep_blocks_the_next_sweep_for_two_intervals_only(
    channel: Channel, settings: Any
) -> None:
    """A worker SIGKILLed during a sweep never releases the sweep's lock. With the old fixed 55 s
    no sweep ran for a minute: expired leases and due retries were not woken (the chaos
    scenario "worker SIGKILL mid-batch" then left messages queued and errored)."""
    from channels_app import jobs, queue

    settings.FLOWGATE_SWEEP_INTERVAL_SECONDS = 15
    assert jobs.sweep_lock_seconds() == 30
    settings.FLOWGATE_SWEEP_INTERVAL_SECONDS = 1
    assert jobs.sweep_lock_seconds() == 5  # never shorter than a slow sweep might need
    queue.release_lock("sweep")
    assert queue.try_lock("sweep", seconds=jobs.sweep_lock_seconds())  # the holder, then killed
    ttl = queue.connection().ttl("flowgate:lock:sweep")
    assert 0 < ttl <= 5
    assert jobs.sweep() == {}  # held: this scheduler skips
    queue.release_lock("sweep")  # as the lapse of those seconds would
    assert "stale_wired" in jobs.sweep()
    assert not queue.connection().exists("flowgate:lock:sweep")  # a finished sweep lets go


# --- what one send batch costs the database (issue 22) ------------------------------------------


def test_a_one_message_batch_claims_in_one_statement_and_releases_nothing(channel: Channel) -> None:
    """Claim as one UPDATE … RETURNING every column, wire in one statement of its own, record in
    one transaction, and no release when every claimed message went out: 4 statements on the
    messages table (there were 7 and three more transactions: a locking SELECT, the lease and a
    reload, a release)."""
    [msg] = _queue(channel, "hello")
    with CaptureQueriesContext(connection) as queries:
        assert _drain(channel) == 1
    sqls = [q["sql"] for q in queries.captured_queries if not _transaction_control(q["sql"])]
    claims = [s for s in sqls if "FOR UPDATE SKIP LOCKED" in s]
    assert len(claims) == 1 and claims[0].startswith("UPDATE") and "RETURNING" in claims[0]
    wires = [s for s in sqls if "SET status = 'wired'" in s or "SET \"status\" = 'wired'" in s]
    assert len(wires) == 1 and "= ANY(" in wires[0]  # the ids as one array parameter
    assert not any(s.startswith("UPDATE") and 'claimed_by" = NULL' in s for s in sqls)  # no release
    # on the messages: the claim, the wire, the record (in its transaction), the look for more
    on_messages = [s for s in sqls if "channels_app_msg" in s.split(" WHERE ")[0]]
    assert len(on_messages) == 4, "\n".join(s[:150] for s in on_messages)
    fresh = _fresh(msg)
    assert (fresh.status, fresh.attempts, fresh.lease_until) == (MsgStatus.SENT, 1, None)


def _transaction_control(sql: str) -> bool:
    return sql.split(" ", 1)[0] in ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK")


def test_claims_on_two_channels_take_each_its_own_messages(channel: Channel) -> None:
    """The claim's SQL is compiled once per batch size and shared by every channel (the channel
    is a parameter swapped in per call): the second channel's claim must not reuse the first's."""
    other = Channel.objects.create(
        workspace=channel.workspace, channel_type=Probe.code, name="Other", address="+250788000001"
    )
    [mine] = _queue(channel, "mine")
    [theirs] = _queue(other, "theirs")
    assert [m.id for m in send.claim_batch(channel, 7, token="a" * 32)] == [mine.id]
    assert [m.id for m in send.claim_batch(other, 7, token="b" * 32)] == [theirs.id]
    assert send.claim_batch(channel, 7, token="c" * 32) == []


def test_a_claim_returns_every_column_as_stored(channel: Channel) -> None:
    [msg] = _queue(
        channel,
        "full",
        attachments=["image/png:https://x.example/a.png"],
        metadata={"quick_replies": ["Yes", "No"]},
    )
    Msg.objects.filter(id=msg.id).update(metadata={"k": "v"}, error="before")
    [claimed] = send.claim_batch(channel, 5, token="t" * 32)
    stored = Msg.objects.get(id=msg.id)
    for field in Msg._meta.concrete_fields:
        assert getattr(claimed, field.attname) == getattr(stored, field.attname), field.name
    assert claimed.channel is channel and claimed.claimed_by == "t" * 32 and claimed.lease_until


def test_a_batch_that_fails_half_way_gives_back_what_it_had_not_started(
    channel: Channel, probe: Probe, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No release after a batch that sent everything; after one that raised, the messages it
    claimed and never started are released at once, not left leased until the lease runs out."""
    msgs = _queue(channel, *[f"m{i}" for i in range(send.SEND_CONCURRENCY + 5)])

    def broken(*args: Any, **kwargs: Any) -> list[Msg]:
        raise RuntimeError("database went away")

    monkeypatch.setattr(send, "_record", broken)
    with pytest.raises(RuntimeError):
        send.send_channel(channel_id=channel.id)
    states = [(_fresh(m).status, _fresh(m).claimed_by, _fresh(m).lease_until) for m in msgs]
    assert {s[0] for s in states[: send.SEND_CONCURRENCY]} == {MsgStatus.WIRED}
    assert states[send.SEND_CONCURRENCY :] == [(MsgStatus.QUEUED, None, None)] * 5
