"""Sending under faults: retries, final failures, timeouts and a worker dying mid-send."""

from __future__ import annotations

import pytest

from channels_app.models import Msg
from channels_app.services import send
from channels_app.services.send import queue_message
from tests.conftest import run_jobs


@pytest.fixture(autouse=True)
def _fast_retries(settings) -> None:
    settings.FLOWGATE_SEND_BACKOFF_SECONDS = 0  # retries become due at once


def _send(channel, text: str = "hello") -> Msg:
    msg = queue_message(channel=channel, to="+250788123123", text=text)
    run_jobs()
    msg.refresh_from_db()
    return msg


def test_500_then_200_is_sent_once_after_retry(ex_channel, aggregator) -> None:
    aggregator.script = [(500, "oops", 0.0)]
    msg = _send(ex_channel)
    assert msg.status == "sent" and msg.attempts == 2
    assert len(aggregator.requests) == 2
    statuses = list(msg.events.filter(event_type="status").values_list("status", flat=True))
    assert statuses == ["queued", "errored", "sent"]


def test_429_is_retried_until_attempts_run_out(ex_channel, aggregator, settings) -> None:
    settings.FLOWGATE_SEND_MAX_ATTEMPTS = 3
    aggregator.default = (429, "slow down", 0.0)
    msg = _send(ex_channel)
    assert msg.status == "failed" and msg.attempts == 3
    assert "429" in msg.error
    assert len(aggregator.requests) == 3


def test_400_is_errored_and_retried_with_the_reason_then_failed(ex_channel, aggregator, settings) -> None:
    # Courier and mailroom retry any non-2xx answer with backoff before failing the message.
    settings.FLOWGATE_SEND_MAX_ATTEMPTS = 2
    aggregator.default = (400, '{"error": "invalid destination"}', 0.0)
    msg = _send(ex_channel)
    assert msg.status == "failed" and msg.attempts == 2
    assert "400" in msg.error and "invalid destination" in msg.error
    assert len(aggregator.requests) == 2
    statuses = list(msg.events.filter(event_type="status").values_list("status", flat=True))
    assert statuses == ["queued", "errored", "failed"]


def test_400_then_200_is_sent_on_the_retry(ex_channel, aggregator) -> None:
    aggregator.script = [(401, "1: Unknown channel", 0.0)]
    msg = _send(ex_channel)
    assert msg.status == "sent" and msg.attempts == 2 and len(aggregator.requests) == 2


def test_timeout_is_retried(ex_channel, aggregator, settings) -> None:
    settings.FLOWGATE_SEND_TIMEOUT_SECONDS = 0.3
    aggregator.script = [(200, "late", 1.0)]
    msg = _send(ex_channel)
    assert msg.status == "sent" and msg.attempts == 2
    assert msg.events.filter(event_type="status", status="errored", description__icontains="timeout").exists()


def test_mt_response_check_errors_a_200_without_the_marker_then_fails(
    ex_channel, aggregator, settings
) -> None:
    settings.FLOWGATE_SEND_MAX_ATTEMPTS = 2
    ex_channel.config["mt_response_check"] = "ACCEPTED"
    ex_channel.save()
    aggregator.default = (200, "REJECTED: no credit", 0.0)
    msg = _send(ex_channel)
    assert msg.status == "failed" and "ACCEPTED" in msg.error and msg.attempts == 2
    assert list(msg.events.filter(event_type="status").values_list("status", flat=True)) == [
        "queued",
        "errored",
        "failed",
    ]


def test_long_messages_are_split_and_a_retry_resumes_after_sent_parts(ex_channel, aggregator) -> None:
    ex_channel.config["max_length"] = 20
    ex_channel.save()
    aggregator.script = [(200, "ok", 0.0), (503, "busy", 0.0)]
    msg = _send(ex_channel, "one two three four five six seven eight nine")
    texts = [r.form()["text"] for r in aggregator.requests]
    assert texts == ["one two three four", "five six seven eight", "five six seven eight", "nine"]
    assert msg.status == "sent" and msg.parts == 3


def test_worker_killed_between_http_call_and_status_write_never_sends_twice(
    ex_channel, aggregator, monkeypatch, settings
) -> None:
    msg = queue_message(channel=ex_channel, to="+250788123123", text="only once")

    def die(*args, **kwargs):
        raise SystemExit("worker killed")  # what a SIGKILL looks like from the database's side

    monkeypatch.setattr(send, "_record", die)  # the writes of an answered request
    with pytest.raises(SystemExit):
        send.send_channel(channel_id=ex_channel.id)
    assert len(aggregator.requests) == 1
    monkeypatch.undo()
    settings.FLOWGATE_SEND_BACKOFF_SECONDS = 0

    # The job is retried, the sweeper runs: the message is not sent again.
    from channels_app import queue

    queue.release_lock(f"send:{ex_channel.id}")
    send.send_channel(channel_id=ex_channel.id)
    settings.FLOWGATE_WIRED_STALE_SECONDS = 0
    report = send.sweep()
    run_jobs()
    assert len(aggregator.requests) == 1
    msg.refresh_from_db()
    assert msg.status == "wired" and msg.metadata.get("outcome_unknown") is True
    assert report["stale_wired"] == 1
    # A late delivery report from the provider still completes it.
    from channels_app.services.status import update_status

    assert update_status(msg=msg, status="delivered")
    assert msg.status == "delivered"


def test_burst_workers_start_no_pubsub_thread(ex_channel, aggregator) -> None:
    """The latent hang of `test_status_never_moves_backwards` (60 s against < 1 s): every
    `run_jobs` burst started rq's pubsub helper thread, which blocks 60 s per read, and now and
    then the burst's teardown waited for it (3 of 40 bursts on empty queues took 60 s). Threaded
    workers no longer subscribe; a burst that sends a message leaves no helper thread behind."""
    import threading

    from channels_app.worker import make_worker

    queue_message(channel=ex_channel, to="+250788123123", text="hello")
    before = {t.ident for t in threading.enumerate()}
    worker = make_worker(threaded=True)
    worker.work(burst=True, logging_level="WARNING")
    assert worker.pubsub_thread is None and worker.pubsub is None
    assert len(aggregator.requests) == 1  # the burst did its work
    assert not [t for t in threading.enumerate() if t.ident not in before and "PubSub" in type(t).__name__]


def test_status_never_moves_backwards(ex_channel, aggregator) -> None:
    from channels_app.services.status import update_status

    msg = _send(ex_channel)
    assert update_status(msg=msg, status="delivered")
    assert not update_status(msg=msg, status="sent")
    msg.refresh_from_db()
    assert msg.status == "delivered"
    assert msg.events.filter(description__startswith="ignored").count() == 1


def test_stopped_contact_gets_nothing(ex_channel, aggregator, client) -> None:
    response = client.post(f"/c/ex/{ex_channel.uuid}/stopped", {"from": "+250788123123"})
    assert response.status_code == 200
    msg = _send(ex_channel)
    assert msg.status == "failed" and "stopped" in msg.error
    assert aggregator.requests == []


def test_rate_limit_spaces_requests(ex_channel, aggregator) -> None:
    import time

    ex_channel.config["max_tps"] = 20
    ex_channel.save()
    for i in range(6):
        queue_message(channel=ex_channel, to=f"+25078812310{i}", text="tick")
    started = time.monotonic()
    run_jobs()
    elapsed = time.monotonic() - started
    assert len(aggregator.requests) == 6
    assert elapsed >= 5 / 20 * 0.9  # six requests at 20/s need at least 0.25 s
