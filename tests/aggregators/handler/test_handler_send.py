"""Sending to a handler app is retried like any send; a dead worker never causes a resend."""

from __future__ import annotations

from django.conf import settings

from aggregators.handler import senders
from aggregators.handler.auth import Caller
from channels_app.models import Msg
from channels_app.services.send import queue_message
from tests.conftest import run_jobs


def _channel(workspace, url):
    return senders.add_sender(
        caller=Caller(workspace=workspace, app=None), code="gw", sender_type="SMS", handler=url, name="GW"
    )


def test_handler_errors_are_retried_then_sent(workspace, aggregator, monkeypatch) -> None:
    monkeypatch.setattr(settings, "FLOWGATE_SEND_BACKOFF_SECONDS", 0)
    aggregator.script = [(500, "oops", 0.0), (503, "busy", 0.0)]
    channel = _channel(workspace, f"{aggregator.url}/handler")
    msg = queue_message(channel=channel, to="+250788123123", text="retry me")
    run_jobs()
    msg.refresh_from_db()
    assert msg.status == "sent" and msg.attempts == 3
    ids = {r.form()["message_id"] for r in aggregator.requests}
    assert ids == {msg.uuid.hex} and len(aggregator.requests) == 3


def test_handler_rejection_fails_without_retry(workspace, aggregator) -> None:
    aggregator.script = [(400, "unknown number", 0.0)]
    channel = _channel(workspace, f"{aggregator.url}/handler")
    msg = queue_message(channel=channel, to="+250788123123", text="nope")
    run_jobs()
    msg.refresh_from_db()
    assert msg.status == "failed" and "400" in msg.error and len(aggregator.requests) == 1


def test_worker_restart_loses_nothing(workspace, aggregator) -> None:
    """The queue job is lost (worker/Redis restart): the sweeper's tick still sends it, once."""
    from channels_app import queue
    from channels_app.worker import run_periodic_jobs

    channel = _channel(workspace, f"{aggregator.url}/handler")
    msg = queue_message(channel=channel, to="+250788123123", text="survive")
    queue.connection().flushdb()  # the wake-up job is gone
    run_jobs()
    assert Msg.objects.get(id=msg.id).status == "queued"
    run_periodic_jobs()
    run_jobs()
    msg.refresh_from_db()
    assert msg.status == "sent" and len(aggregator.requests) == 1
