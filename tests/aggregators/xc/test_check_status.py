"""On-demand "check status" for one message: the API call and the message page's button send the
connector's <message_status> request now (BulkSMS over a real local HTTP server)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.test import Client

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


def test_api_check_status_processing_then_delivered(api, provider_server):
    row = _sent_bulksms(api, provider_server)
    provider_server.polls = [provider_server.recorded("bulksms", "send_ok.json", 200, "application/json")]
    first = api.post(f"/api/v1/messages/{row.uuid}/check_status")
    assert first.status_code == 200, first.content
    assert first.json() == {
        "uuid": str(row.uuid),
        "status": "sent",
        "provider_status": "ACCEPTED",
        "outcome": "processing",
        "error": None,
    }
    assert row.events.filter(event_type="check", description="checked: provider status ACCEPTED").exists()
    provider_server.polls = [
        provider_server.recorded("bulksms", "status_delivered.json", 200, "application/json")
    ]
    second = api.post(f"/api/v1/messages/{row.uuid}/check_status").json()
    assert second["status"] == "delivered" and second["outcome"] == "delivered"
    row.refresh_from_db()
    assert row.status == "delivered" and row.metadata["xc_poll_done"] == "delivered"
    polls = [r for r in provider_server.requests if r.method == "GET"]
    assert [r.path for r in polls] == ["/v1/messages/1114230637"] * 2


def test_check_status_refused_where_it_cannot_apply(api, provider_server, workspace):
    provider_server.sends = [provider_server.recorded("bulksms", "send_ok.json", 201, "application/json")]
    channel = make_channel(api, "bulksms", provider_server)
    queued = queue_message(api, channel, "bulksms")  # not sent yet: no provider id
    resp = api.post(f"/api/v1/messages/{queued['uuid']}/check_status")
    assert resp.status_code == 400 and "has not given this message an id" in resp.json()["error"]
    assert api.post("/api/v1/messages/00000000-0000-0000-0000-000000000000/check_status").status_code == 404


def test_message_page_button_checks_status(api, provider_server):
    row = _sent_bulksms(api, provider_server)
    web = Client()
    web.force_login(get_user_model().objects.get(username="admin@test.org"))
    page = web.get(f"/messages/{row.uuid}/").content.decode()
    assert 'id="check-status"' in page
    provider_server.polls = [
        provider_server.recorded("bulksms", "status_delivered.json", 200, "application/json")
    ]
    answer = web.post(f"/messages/{row.uuid}/check-status", follow=True)
    assert answer.status_code == 200 and "The provider says: DELIVERED" in answer.content.decode()
    row.refresh_from_db()
    assert row.status == "delivered"
