"""Tests written to answer the survivors of `scripts/mutation.py --only claim-send-service` (issue 26).

The probe channel type of test_send_steps.py answers each message with a scripted SendResult,
so claim, wire, _send_one, record_results and _mark_sent run for real against the database,
without servers. Each test names the mutants it was written against.
"""

from __future__ import annotations

import ssl
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from django.utils import timezone

from channels_app.models import Channel, Msg, MsgStatus
from channels_app.services import send
from channels_app.types.base import SendResult
from channels_app.workspaces import create_workspace
from tests.channels_app.probe import Probe
from tests.channels_app.probe import fresh as _fresh
from tests.channels_app.probe import queue_texts as _queue


@pytest.fixture
def channel(db: None, probe: Probe) -> Channel:
    workspace, _ = create_workspace(name="Mutation NGO")
    return _channel(workspace, "Probe")


def _channel(workspace: Any, name: str) -> Channel:
    return Channel.objects.create(
        workspace=workspace, channel_type=Probe.code, name=name, address="+250788000000", country="RW"
    )


def _drain(channel: Channel) -> int:
    return send.send_channel(
        channel_id=channel.id, transport=httpx.MockTransport(lambda r: httpx.Response(500))
    )


# --- quick_reply_texts ------------------------------------------------------------------------


def test_quick_reply_texts_keeps_only_text_replies_with_a_text() -> None:
    """x_quick_reply_texts: the `type` test, the empty-text test and what is not a dict."""
    replies: list[Any] = [
        "Yes",
        {"type": "text", "text": "No"},
        {"text": "Maybe"},  # no type: a text reply
        {"type": "text", "text": 5},  # kept as its string
        {"type": "location", "text": "Where are you?"},  # not a text reply
        {"type": "text", "text": ""},  # nothing to show
        {"type": "text"},
        7,  # neither a string nor a dict: ignored
        None,
    ]
    assert send.quick_reply_texts({"quick_replies": replies}) == ["Yes", "No", "Maybe", "5"]
    assert send.quick_reply_texts({"quick_replies": None}) == []
    assert send.quick_reply_texts({}) == []


def test_the_type_is_sent_only_the_text_quick_replies(channel: Channel, probe: Probe) -> None:
    replies = [{"type": "location", "text": "Where?"}, {"type": "text", "text": "Here"}, 3, "There"]
    _queue(channel, "hello", metadata={"quick_replies": replies})
    assert _drain(channel) == 1
    assert [o.quick_replies for o in probe.seen] == [["Here", "There"]]


# --- claiming --------------------------------------------------------------------------------


def test_only_errored_messages_are_due_by_their_next_attempt(channel: Channel, probe: Probe) -> None:
    """x__due__mutmut_6: a past next_attempt_on makes only an `errored` message due; one failed or
    delivered after an errored attempt (a user's cancel, a late callback) keeps its
    next_attempt_on and must never be claimed, woken or sent again."""
    earlier = timezone.now() - timedelta(minutes=5)
    failed, delivered, errored = _queue(channel, "failed", "delivered", "errored")
    for msg, status in (
        (failed, MsgStatus.FAILED),
        (delivered, MsgStatus.DELIVERED),
        (errored, MsgStatus.ERRORED),
    ):
        Msg.objects.filter(id=msg.id).update(status=status, attempts=1, next_attempt_on=earlier)
    assert [m.id for m in send.claim_batch(channel, 10, token="t")] == [errored.id]
    Msg.objects.filter(id=errored.id).update(status=MsgStatus.SENT)
    assert send.claim_batch(channel, 10, token="u") == [] and send._has_due(channel) is False
    assert send.sweep()["send_wakeups"] == 0
    assert _drain(channel) == 0 and probe.seen == []
    assert [_fresh(m).status for m in (failed, delivered)] == [MsgStatus.FAILED, MsgStatus.DELIVERED]


# --- _Sender._send_one -----------------------------------------------------------------------


def test_the_type_is_given_the_messages_attachments(channel: Channel, probe: Probe) -> None:
    """xǁ_Senderǁ_send_one__mutmut_16: attachments left out of the OutgoingMessage (its default
    is an empty list, the same as a message without attachments)."""
    attachments = ["image/jpeg:https://example.com/a.jpg", "audio/mp3:https://example.com/b.mp3"]
    [msg] = _queue(channel, "", attachments=attachments)
    assert _drain(channel) == 1
    [out] = probe.seen
    assert (out.id, out.text, out.attachments) == (msg.id, "", attachments)
    assert _fresh(msg).status == MsgStatus.SENT


# --- _Sender._clients ------------------------------------------------------------------------


def test_httpcore_clients_get_the_shard_limits_and_the_shared_tls_context(
    channel: Channel, probe: Probe, settings: Any
) -> None:
    """xǁ_Senderǁ_clients__mutmut_22/_23: with FLOWGATE_SEND_HTTP=httpcore the client builds its
    own transport from `limits` and `verify` (with aiohttp, or a caller's transport, both are
    ignored by httpx), so there they must be the shard's limits and the process's TLS context."""
    from channels_app.services import send_clients

    settings.FLOWGATE_SEND_HTTP = "httpcore"
    settings.FLOWGATE_SEND_TIMEOUT_SECONDS = 9
    _queue(channel, "a", "b")
    try:
        assert send.send_channel(channel_id=channel.id) == 2
        assert len(probe.clients) == 2 and len({id(c) for c in probe.clients}) == 2
        for client in probe.clients:
            assert isinstance(client._transport, httpx.AsyncHTTPTransport)  # type: ignore[attr-defined]
            pool = client._transport._pool  # type: ignore[attr-defined]
            assert (pool._max_connections, pool._max_keepalive_connections) == (4, 4)
            assert pool._ssl_context is send._ssl_context()
            assert pool._ssl_context.verify_mode == ssl.CERT_REQUIRED
            assert client.timeout == httpx.Timeout(9) and client.follow_redirects is False
    finally:
        send_clients.close_all()


# --- _mark_sent: the PostgreSQL statement and the portable ORM path -----------------------------


def _mark_sent_scenario(channel: Channel) -> dict[str, Any]:
    """One batch recorded through record_results: a sent message whose parts_sent moved, a sent one
    that did not move, one a fast callback already marked delivered, one that failed halfway; and a
    `wired` message of another sender that is not in the batch. Returns what the rows and events
    look like afterwards, with the times as booleans relative to the recording."""
    texts = ("two", "one", "late", "half", "bystander")
    msgs = dict(zip(texts, _queue(channel, *texts, metadata={"topic": "t"}), strict=True))
    bystander = msgs.pop("bystander")
    batch = send.wire(send.claim_batch(channel, 4, token="t" * 32), token="t" * 32)
    assert [m.text for m in batch] == ["two", "one", "late", "half"]
    Msg.objects.filter(id=bystander.id).update(status=MsgStatus.WIRED, claimed_by="o" * 32, attempts=1)
    Msg.objects.filter(id=msgs["late"].id).update(status=MsgStatus.DELIVERED, error="early")
    # A retry: wire() keeps the error of the earlier attempt until the outcome is recorded.
    Msg.objects.filter(id=msgs["one"].id).update(error="busy")
    # A flag written while the requests were out (as the sweeper's outcome_unknown is) stays.
    Msg.objects.filter(id=msgs["two"].id).update(metadata={"topic": "t", "outcome_unknown": True})
    before = timezone.now()
    untouched = {m.id: _fresh(m).modified_on for m in (msgs["late"], bystander)}
    assert all(t < before for t in untouched.values())
    send.record_results(
        channel,
        batch,
        [
            SendResult(ok=True, external_id="e2", parts=2, parts_sent=2),
            SendResult(ok=True, external_id="e1"),
            SendResult(ok=True, external_id="e3", parts=3),
            SendResult(ok=False, error="cut", parts_sent=1),
        ],
    )
    rows = {}
    for text, msg in [*msgs.items(), ("bystander", bystander)]:
        row = _fresh(msg)
        rows[text] = {
            "status": row.status,
            "external_id": row.external_id,
            "parts": row.parts,
            "error": row.error,
            "metadata": row.metadata,
            "attempts": row.attempts,
            "sent_on": None if row.sent_on is None else row.sent_on >= before,
            "sent_on_is_modified_on": row.sent_on == row.modified_on,
            "modified": row.modified_on >= before,
            "events": list(
                row.events.filter(event_type__in=["status", "http"])
                .order_by("id")
                .values_list("event_type", "status", "description", "data")
            ),
        }
    return rows


EXPECTED_ROWS = {
    "two": {
        "status": MsgStatus.SENT,
        "external_id": "e2",
        "parts": 2,
        "error": "",
        "metadata": {"topic": "t", "outcome_unknown": True, "parts_sent": 2},
        "attempts": 1,
        "sent_on": True,
        "sent_on_is_modified_on": True,
        "modified": True,
        "events": [("status", "queued", "", {}), ("status", "sent", "", {"attempt": 1})],
    },
    "one": {
        "status": MsgStatus.SENT,
        "external_id": "e1",
        "parts": 1,
        "error": "",
        "metadata": {"topic": "t"},
        "attempts": 1,
        "sent_on": True,
        "sent_on_is_modified_on": True,
        "modified": True,
        "events": [("status", "queued", "", {}), ("status", "sent", "", {"attempt": 1})],
    },
    # Delivered before its "sent" was recorded: it stays delivered, keeps its error and gets no
    # sent_on, but the provider's id and parts are stored (and so it was modified).
    "late": {
        "status": MsgStatus.DELIVERED,
        "external_id": "e3",
        "parts": 3,
        "error": "early",
        "metadata": {"topic": "t"},
        "attempts": 1,
        "sent_on": None,
        "sent_on_is_modified_on": False,
        "modified": True,
        "events": [("status", "queued", "", {}), ("status", "sent", "", {"attempt": 1})],
    },
    "half": {
        "status": MsgStatus.FAILED,
        "external_id": None,
        "parts": 1,
        "error": "cut",
        "metadata": {"topic": "t", "parts_sent": 1},
        "attempts": 1,
        "sent_on": None,
        "sent_on_is_modified_on": False,
        "modified": True,
        "events": [("status", "queued", "", {}), ("status", "failed", "cut", {"attempt": 1})],
    },
    # Not in the batch: untouched by either path.
    "bystander": {
        "status": MsgStatus.WIRED,
        "external_id": None,
        "parts": 1,
        "error": "",
        "metadata": {"topic": "t"},
        "attempts": 1,
        "sent_on": None,
        "sent_on_is_modified_on": False,
        "modified": False,
        "events": [("status", "queued", "", {})],
    },
}


def test_mark_sent_on_postgresql_and_through_the_orm_leave_the_same_rows_and_events(
    channel: Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """x__mark_sent: the branch for other databases runs on PostgreSQL too (the vendor check is
    patched) and must leave exactly the rows the one-statement UPDATE leaves; e.g. _45 (every
    wired message of the database marked sent), _41 (an earlier attempt's error kept) and _56 (the
    wrong messages' progress stored). Two differences it found in the ORM path are fixed: a
    delivered message's modified_on was not stamped, and a metadata flag written while the
    requests were out was overwritten."""
    on_postgresql = _mark_sent_scenario(channel)
    assert on_postgresql == EXPECTED_ROWS
    monkeypatch.setattr(send, "connection", SimpleNamespace(vendor="sqlite"))
    other = _channel(channel.workspace, "Portable")
    through_the_orm = _mark_sent_scenario(other)
    assert through_the_orm == EXPECTED_ROWS


# --- _record -----------------------------------------------------------------------------------


def test_progress_is_compared_with_the_parts_already_stored(channel: Channel, probe: Probe) -> None:
    """x__record__mutmut_28/_32/_33: the stored parts_sent (not 0) is what a result's parts_sent is
    compared with, so a result that reports fewer parts than stored moves it back, and one that
    reports as many leaves the message's metadata as it is."""
    probe.answers = {
        "sent": SendResult(ok=True, external_id="s"),  # a type that does not count parts: 0
        "failed": SendResult(ok=False, error="gone"),
        "same": SendResult(ok=False, error="again", parts_sent=2),
    }
    sent, failed, same = _queue(channel, "sent", "failed", "same", metadata={"topic": "t", "parts_sent": 2})
    assert _drain(channel) == 3
    assert [o.parts_sent for o in probe.seen] == [2, 2, 2]
    assert [(_fresh(m).status, _fresh(m).metadata) for m in (sent, failed, same)] == [
        (MsgStatus.SENT, {"topic": "t", "parts_sent": 0}),
        (MsgStatus.FAILED, {"topic": "t", "parts_sent": 0}),
        (MsgStatus.FAILED, {"topic": "t", "parts_sent": 2}),
    ]


# --- send_channel -----------------------------------------------------------------------------


def _marked(channel_id: int) -> bool:
    from channels_app import queue, wakes

    return bool(queue.connection().exists(queue.wake_marker(wakes.sender_key(channel_id))))


def _mark(channel_id: int) -> None:
    from channels_app import queue, wakes

    queue.connection().set(queue.wake_marker(wakes.sender_key(channel_id)), 1)


def test_a_stopping_worker_clears_the_channels_wake_marker_and_sends_nothing(
    channel: Channel, probe: Probe
) -> None:
    """x_send_channel__mutmut_25: the marker cleared is the channel's own (else its later
    wake-ups enqueue nothing until the marker expires)."""
    [msg] = _queue(channel, "a")
    _mark(channel.id)
    send.stopping.set()
    try:
        assert _drain(channel) == 0
    finally:
        send.stopping.clear()
    assert not _marked(channel.id)
    assert probe.seen == [] and _fresh(msg).status == MsgStatus.QUEUED


def test_an_inactive_channel_clears_its_wake_marker_and_sends_nothing(channel: Channel, probe: Probe) -> None:
    """x_send_channel: the early return for a channel that is gone or inactive."""
    [msg] = _queue(channel, "a")
    Channel.objects.filter(id=channel.id).update(is_active=False)
    _mark(channel.id)
    assert _drain(channel) == 0
    assert not _marked(channel.id)
    assert probe.seen == [] and _fresh(msg).status == MsgStatus.QUEUED


# --- wire and claim: both branches (added with the one-statement claim, 2026-12-07) ------------


def _wire_scenario(channel: Channel) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Six messages leased to one sender; it wires five of them after the lease of two ran out
    and another sender took them (and wired one), and a user failed another meanwhile. Returns the texts wire()
    gave back and, per message, what wiring left in its row."""
    token, old = "t" * 32, timezone.now() - timedelta(hours=1)
    msgs = _queue(channel, "a", "b", "stolen", "taken", "failed", "later")
    batch = {m.id: m for m in send.claim_batch(channel, 6, token=token)}
    ids = [m.id for m in msgs]
    Msg.objects.filter(id__in=ids).update(next_attempt_on=old, modified_on=old)
    Msg.objects.filter(id=msgs[2].id).update(claimed_by="o" * 32, status=MsgStatus.WIRED, attempts=1)
    Msg.objects.filter(id=msgs[3].id).update(claimed_by="o" * 32)  # claimed, not wired yet
    Msg.objects.filter(id=msgs[4].id).update(status=MsgStatus.FAILED)
    wired = send.wire([batch[m.id] for m in msgs[:5]], token=token)  # "later": the next window
    rows = [
        (m.text, m.status, m.attempts, m.claimed_by == token, m.lease_until is None)
        + (m.next_attempt_on is None, m.modified_on > old)
        for m in Msg.objects.filter(id__in=ids).order_by("id")
    ]
    return [m.text for m in wired], rows


WIRED_ROWS = (
    ["a", "b"],
    [
        ("a", MsgStatus.WIRED, 1, True, True, True, True),
        ("b", MsgStatus.WIRED, 1, True, True, True, True),
        ("stolen", MsgStatus.WIRED, 1, False, False, False, False),  # wired by the other sender
        ("taken", MsgStatus.QUEUED, 0, False, False, False, False),
        ("failed", MsgStatus.FAILED, 0, True, False, False, False),
        ("later", MsgStatus.QUEUED, 0, True, False, False, False),
    ],
)


def test_wire_on_postgresql_and_through_the_orm_leave_the_same_rows(
    channel: Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """x_wire: the branch for other databases (SQLite, `make run`) runs on PostgreSQL too, the
    vendor check patched, and must wire exactly what the one-statement UPDATE wires: only the
    listed rows still leased to the token and still queued or errored (_34, _35), their lease and
    retry time ended and modified_on stamped (_28, _29, _30), and not a row the other sender wired
    meanwhile among those it reports as its own (_53)."""
    assert _wire_scenario(channel) == WIRED_ROWS
    monkeypatch.setattr(send, "connection", SimpleNamespace(vendor="sqlite"))
    assert _wire_scenario(_channel(channel.workspace, "Portable")) == WIRED_ROWS


def test_a_sender_that_finds_nothing_releases_nothing(channel: Channel) -> None:
    """x_send_channel: no release statement when nothing was claimed (claims_left starts False)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert _drain(channel) == 0
    sqls = [q["sql"] for q in queries.captured_queries]
    assert any("FOR UPDATE SKIP LOCKED" in sql for sql in sqls)  # it did look
    assert not [sql for sql in sqls if '"claimed_by" = NULL' in sql]  # and released nothing
