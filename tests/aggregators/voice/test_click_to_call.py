"""Click-to-call through Twilio Voice end to end: real HTTP both ways and the websocket."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from urllib.parse import quote

from websockets.sync.client import connect

from channels_app.models import Call

from .helpers import AGENT_EXTENSION, FORM, fixture_bytes, next_call_event, session_cookie

CALL_SID = "CAa346467ca321c71dbd5e12f627deb854"
CONTACT = "+250788123123"


def test_click_to_call_answer_and_status_branches(
    live_asgi, web, agent, twilio_channel, provider_server, recorded
):
    provider_server.sends = [recorded("twilio_voice", "call_ok.json", 201)]
    channel_uuid = twilio_channel["uuid"]
    base = f"{live_asgi.url}/c/xc/{channel_uuid}"
    ws_url = live_asgi.url.replace("http", "ws") + "/ws/events/"
    with connect(ws_url, additional_headers={"Cookie": session_cookie()}) as ws:
        assert next_or_hello(ws) == "hello"

        # 1. Click-to-call: the provider is asked to ring the agent and to fetch our answer URL.
        response = web.post("/api/v1/calls", json={"channel": channel_uuid, "to": CONTACT})
        assert response.status_code == 201, response.text
        placed = response.json()
        assert (placed["call_id"], placed["status"], placed["direction"]) == (CALL_SID, "ringing", "out")
        assert placed["to_number"] == CONTACT and placed["user"] == "admin@test.org"
        assert placed["contact"]["urns"] == [f"tel:{CONTACT}"]
        call_uuid = placed["uuid"]
        (sent,) = provider_server.requests
        assert sent.method == "POST"
        assert sent.path == "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Calls.json"
        assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
        auth = base64.b64encode(b"AC0123456789abcdef0123456789abcdef:tok").decode()
        assert sent.headers["Authorization"] == f"Basic {auth}"
        status_url = f"{base}/status?call={call_uuid}"
        answer_url = f"{base}/answer?call={call_uuid}&DialTo={quote(CONTACT)}"
        assert sent.form() == {
            "To": AGENT_EXTENSION,
            "From": "+15005550006",
            "Url": answer_url,
            "StatusCallback": status_url,
        }
        assert next_call_event(ws, "placed")["uuid"] == call_uuid

        # 2. Ringing: the status callback's "ringing" branch records the start time.
        ringing = web.post(
            status_url,
            content=fixture_bytes("twilio_voice", "status_ringing.txt"),
            headers={"Content-Type": FORM},
        )
        assert ringing.status_code == 200, ringing.text
        assert ringing.json()["status"] == "ringing"

        # 3. The agent answers: Twilio fetches the Url and gets TwiML dialling the contact.
        answered = web.post(
            answer_url, content=fixture_bytes("twilio_voice", "answer.txt"), headers={"Content-Type": FORM}
        )
        assert answered.status_code == 200, answered.text
        assert answered.headers["content-type"] == "text/xml"
        assert answered.text == (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<Response><Dial action="{status_url}" callerId="+15005550006"><Number>{CONTACT}</Number></Dial></Response>'
        )
        assert next_call_event(ws, "answer")["status"] == "in-progress"

        # 4. A late "ringing" never undoes the answer.
        web.post(
            status_url,
            content=fixture_bytes("twilio_voice", "status_ringing.txt"),
            headers={"Content-Type": FORM},
        )
        assert Call.objects.get(uuid=call_uuid).status == "in-progress"

        # 5. Completed: the "completed,..." branch sets duration, end time and extra data.
        done = web.post(
            status_url,
            content=fixture_bytes("twilio_voice", "status_completed.txt"),
            headers={"Content-Type": FORM},
        )
        assert done.status_code == 200, done.text
        event = next_call_event(ws, "status")
        while event["status"] != "completed":
            event = next_call_event(ws, "status")
        assert event["duration"] == 42

    call = Call.objects.get(uuid=call_uuid)
    assert (call.status, call.duration, call.external_id) == ("completed", 42, CALL_SID)
    assert call.started_on == datetime(2024, 1, 15, 10, 0, 0, tzinfo=UTC)
    assert call.ended_on == datetime(2024, 1, 15, 10, 0, 42, tzinfo=UTC)
    assert call.data["sip_response_code"] == "200"
    assert call.data["provider_direction"] == "outbound-api"

    detail = web.get(f"/api/v1/calls/{call_uuid}").json()
    assert [e["type"] for e in detail["events"]] == [
        "requested",
        "placed",
        "status",
        "answer",
        "status",
        "status",
    ]
    assert detail["events"][-1]["data"]["payload"]["CallDuration"] == "42"
    assert detail["duration"] == 42 and detail["direction"] == "out" and detail["status"] == "completed"
    # The provider request is logged with the auth token masked.
    placed_log = detail["events"][1]["data"]
    assert placed_log["status_code"] == 201 and "tok" not in str(placed_log.get("request_body", ""))
    listed = web.get("/api/v1/calls").json()
    assert [c["uuid"] for c in listed] == [call_uuid]


def next_or_hello(ws) -> str:
    import json

    return json.loads(ws.recv(timeout=5))["kind"]


def test_status_callback_by_provider_id_alone_and_no_answer_branch(
    live_asgi, web, agent, twilio_channel, provider_server, recorded
):
    """Providers that drop our query string still reach the call through its CallSid."""
    provider_server.sends = [recorded("twilio_voice", "call_ok.json", 201)]
    placed = web.post(
        "/api/v1/calls", json={"channel": twilio_channel["uuid"], "to": CONTACT, "extension": "+15550009999"}
    ).json()
    assert provider_server.requests[0].form()["To"] == "+15550009999"  # an explicit extension wins
    response = web.post(
        f"/c/xc/{twilio_channel['uuid']}/status",
        content=fixture_bytes("twilio_voice", "status_noanswer.txt"),
        headers={"Content-Type": FORM},
    )
    assert response.status_code == 200, response.text
    call = Call.objects.get(uuid=placed["uuid"])
    assert (call.status, call.duration) == ("no-answer", 0)
    assert call.ended_on is not None


def test_provider_refusal_is_recorded_as_failed_call(
    live_asgi, web, agent, twilio_channel, provider_server, recorded
):
    provider_server.sends = [recorded("twilio_voice", "call_fail.json", 400)]
    response = web.post("/api/v1/calls", json={"channel": twilio_channel["uuid"], "to": CONTACT})
    assert response.status_code == 502
    body = response.json()
    assert body["status"] == "failed"
    assert body["error"] == "The 'To' number 1234 is not a valid phone number."
    assert Call.objects.get(uuid=body["uuid"]).status == "failed"
