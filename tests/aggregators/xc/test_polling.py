"""Status polling with backoff until a final status or expiry (BulkSMS has no callback)."""

from __future__ import annotations

import time
from datetime import timedelta

from django.utils import timezone

from aggregators.xc import jobs
from channels_app.models import Msg
from tests.conftest import run_jobs

from .helpers import make_channel, queue_message


def _sent_bulksms(api, provider_server):
    provider_server.sends = [provider_server.recorded("bulksms", "send_ok.json", 201, "application/json")]
    channel = make_channel(api, "bulksms", provider_server)
    msg = queue_message(api, channel, "bulksms")
    run_jobs()
    row = Msg.objects.get(uuid=msg["uuid"])
    assert (row.status, row.external_id) == ("sent", "1114230637")
    return row


def test_processing_answer_backs_off_then_delivered(api, provider_server, settings):
    settings.FLOWGATE_XC_POLL_FIRST_SECONDS = 0
    settings.FLOWGATE_XC_POLL_BACKOFF_SECONDS = 60
    row = _sent_bulksms(api, provider_server)
    # First poll: still ACCEPTED at the provider -> stays sent, next poll scheduled later.
    provider_server.polls = [provider_server.recorded("bulksms", "send_ok.json", 200, "application/json")]
    assert jobs.poll_statuses()["poll_wakeups"] == 1
    run_jobs()
    row.refresh_from_db()
    assert row.status == "sent"
    assert row.metadata["xc_polls"] == 1
    assert row.metadata["xc_poll_at"] >= time.time() + 100  # 60 s * 2**1
    assert row.events.filter(event_type="poll", description="provider status ACCEPTED").exists()
    assert jobs.poll_statuses()["poll_wakeups"] == 0  # not due yet: nobody asks the provider

    # When the backoff has passed, the next poll sees DELIVERED.
    Msg.objects.filter(id=row.id).update(metadata={**row.metadata, "xc_poll_at": time.time() - 1})
    provider_server.polls = [
        provider_server.recorded("bulksms", "status_delivered.json", 200, "application/json")
    ]
    assert jobs.poll_statuses()["poll_wakeups"] == 1
    run_jobs()
    row.refresh_from_db()
    assert row.status == "delivered" and row.delivered_on
    assert row.metadata["xc_poll_done"] == "delivered"
    polls = [r for r in provider_server.requests if r.method == "GET"]
    assert [r.path for r in polls] == ["/v1/messages/1114230637"] * 2
    assert polls[0].headers["Authorization"].startswith("Basic ")
    assert jobs.poll_statuses()["poll_wakeups"] == 0  # final: never polled again


def test_poll_errors_are_retried_not_fatal(api, provider_server, settings):
    settings.FLOWGATE_XC_POLL_FIRST_SECONDS = 0
    row = _sent_bulksms(api, provider_server)
    provider_server.polls = [provider_server.recorded("bulksms", "send_fail.json", 503, "application/json")]
    jobs.poll_statuses()
    run_jobs()
    row.refresh_from_db()
    assert row.status == "sent" and row.metadata["xc_polls"] == 1


def test_polling_stops_at_expiry(api, provider_server, settings):
    settings.FLOWGATE_XC_POLL_FIRST_SECONDS = 0
    row = _sent_bulksms(api, provider_server)
    Msg.objects.filter(id=row.id).update(sent_on=timezone.now() - timedelta(days=3))
    result = jobs.poll_statuses()
    assert result == {"poll_wakeups": 0, "poll_expired": 1}
    row.refresh_from_db()
    assert row.status == "sent" and row.metadata["xc_poll_done"] == "expired"
    assert not [r for r in provider_server.requests if r.method == "GET"]


def test_poll_job_is_registered_as_periodic(settings):
    assert "aggregators.xc.jobs.poll_statuses" in settings.FLOWGATE_PERIODIC_JOBS
