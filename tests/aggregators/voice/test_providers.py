"""Ozonetel and Plivo Voice over real HTTP with their recorded bodies (fixtures beside the connector tests)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

from channels_app.models import Call, CallEvent
from tests.aggregators.xc.helpers import make_channel

from .helpers import FORM, case, fixture_bytes


def _member(workspace, email: str, extension: str = "", phone_home: str = ""):
    from django.contrib.auth import get_user_model

    from aggregators.voice.services import set_agent_phone
    from channels_app.models import Membership

    user = get_user_model().objects.create_user(username=email, email=email, password="x")
    Membership.objects.create(workspace=workspace, user=user)
    set_agent_phone(user=user, extension=extension, phone_home=phone_home)
    return user


def test_ozonetel_manual_dial_then_answered_and_not_answered_callbacks(
    live_asgi, web, api, workspace, provider_server, recorded
):
    spec = case("ozonetel")
    _member(workspace, spec["ctx"]["email"], phone_home=spec["ctx"]["user_phone_home"])
    channel = make_channel(api, "ozonetel", provider_server)
    provider_server.polls = [recorded("ozonetel", "call_ok.json")]
    response = web.post(
        "/api/v1/calls",
        json={"channel": channel["uuid"], "to": spec["ctx"]["to_number"], "user": spec["ctx"]["email"]},
    )
    assert response.status_code == 201, response.text
    placed = response.json()
    # Ozonetel answers without a call id: the call waits queued for its status callback.
    assert (placed["status"], placed["call_id"]) == ("queued", None)
    (sent,) = provider_server.requests
    want = urlsplit(spec["request"]["url"])
    assert sent.method == "GET" and sent.path.split("?")[0] == want.path
    assert parse_qsl(urlsplit(sent.path).query) == parse_qsl(want.query)

    # The "Answered" branch (form field `data` holding JSON) is matched to the call by number.
    status_url = f"/c/xc/{channel['uuid']}/status"
    done = web.post(
        status_url, content=fixture_bytes("ozonetel", "status_answered.txt"), headers={"Content-Type": FORM}
    )
    assert done.status_code == 200, done.text
    call = Call.objects.get(uuid=placed["uuid"])
    assert (call.status, call.external_id, call.duration) == ("completed", "5011675084560045", 65)
    assert call.recording_url == "http://recordings.example/5011675084560045.mp3"
    assert call.started_on == datetime(2024, 1, 15, 10, 0, 0, tzinfo=UTC)
    assert call.ended_on == datetime(2024, 1, 15, 10, 1, 5, tzinfo=UTC)
    assert call.data["uui"] == "contact-42" and call.data["campaign_name"] == "Inbound_918000000000"
    assert call.data["user_number"] == "agent1" and call.data["provider_direction"] == "Manual"
    # Ozonetel echoes the API key in its callback: it is never stored.
    stored = str(CallEvent.objects.filter(call=call).values_list("data", flat=True)[::1])
    assert "KK0123" not in stored and "********" in stored

    # "NotAnswered" for a call id nobody placed: a 404 naming the id.
    missed = web.post(
        status_url,
        content=fixture_bytes("ozonetel", "status_notanswered.txt"),
        headers={"Content-Type": FORM},
    )
    assert missed.status_code == 404
    assert missed.json() == {"error": "unknown call id '5011675084560046' on this channel"}


def test_ozonetel_not_answered_branch(live_asgi, web, api, workspace, provider_server, recorded):
    spec = case("ozonetel")
    _member(workspace, spec["ctx"]["email"], phone_home="Inbound_918000000000")
    channel = make_channel(api, "ozonetel", provider_server)
    provider_server.polls = [recorded("ozonetel", "call_ok.json")]
    placed = web.post(
        "/api/v1/calls",
        json={"channel": channel["uuid"], "to": "+919876543210", "user": spec["ctx"]["email"]},
    ).json()
    response = web.post(
        f"/c/xc/{channel['uuid']}/status?call={placed['uuid']}",
        content=fixture_bytes("ozonetel", "status_notanswered.txt"),
        headers={"Content-Type": FORM},
    )
    assert response.status_code == 200, response.text
    call = Call.objects.get(uuid=placed["uuid"])
    assert (call.status, call.recording_url, call.external_id) == ("no-answer", "", "5011675084560046")


def test_ozonetel_incoming_json(live_asgi, web, api, workspace, provider_server):
    channel = make_channel(api, "ozonetel", provider_server)
    response = web.post(
        f"/c/xc/{channel['uuid']}/incoming",
        content=fixture_bytes("ozonetel", "incoming.json"),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "in-progress"  # no <send_response>: a JSON receipt
    call = Call.objects.get(external_id="5011675084560099")
    assert (call.direction, call.from_number, call.to_number) == ("in", "09876500000", "918000000000")
    assert call.data["campaign_name"] == "Inbound_918000000000"


def test_plivo_voice_click_to_call_answer_and_hangup(
    live_asgi, web, api, workspace, provider_server, recorded
):
    spec = case("plivo_voice")
    _member(workspace, "agent@plivo.example", extension=spec["ctx"]["extension"])
    channel = make_channel(api, "plivo_voice", provider_server)
    provider_server.sends = [recorded("plivo_voice", "call_ok.json", 201)]
    placed = web.post(
        "/api/v1/calls",
        json={"channel": channel["uuid"], "to": spec["ctx"]["to_number"], "user": "agent@plivo.example"},
    ).json()
    assert placed["call_id"] == "9aad6d16-ed2c-4433-9313-26f8cfc4d99c"
    sent = provider_server.requests[0]
    base = f"{live_asgi.url}/c/xc/{channel['uuid']}"
    status_url = f"{base}/status?call={placed['uuid']}"
    assert sent.path == "/v1/Account/MAXXXXXXXXXXXXXXXXXX/Call/"
    assert sent.json() == {
        **spec["request"]["json"],
        "answer_url": f"{base}/answer?call={placed['uuid']}&DialTo=%2B33612345678",
        "hangup_url": status_url,
        "ring_url": status_url,
    }
    answered = web.post(
        sent.json()["answer_url"],
        content=fixture_bytes("plivo_voice", "answer.txt"),
        headers={"Content-Type": FORM},
    )
    assert answered.status_code == 200 and answered.headers["content-type"] == "application/xml"
    assert answered.text == spec["answer"]["reply"].replace(
        "https://flowgate.example/c/xc/pv/status", status_url.replace("&", "&amp;")
    )
    hangup = web.post(
        status_url, content=fixture_bytes("plivo_voice", "hangup.txt"), headers={"Content-Type": FORM}
    )
    assert hangup.status_code == 200, hangup.text
    call = Call.objects.get(uuid=placed["uuid"])
    assert (call.status, call.duration) == ("completed", 37)
    assert call.data["billrate"] == "0.00850" and call.data["hangup_cause"] == "NORMAL_CLEARING"
    assert call.data["provider_call_uuid"] == "e5f28bd2-1ef6-11e4-9c5c-8d9f2b1cda17"


def _ozonetel_status(status: str) -> bytes:
    """The recorded "Answered" callback with another provider status word."""
    from urllib.parse import quote, unquote

    body = fixture_bytes("ozonetel", "status_answered.txt").decode()
    field, _, data = body.partition("=")
    payload = json.loads(unquote(data))
    payload["Status"] = status
    return f"{field}={quote(json.dumps(payload))}".encode()


def test_final_call_status_is_final_and_unknown_statuses_are_logged_only(
    live_asgi, web, api, workspace, provider_server, recorded
):
    spec = case("ozonetel")
    _member(workspace, spec["ctx"]["email"], phone_home=spec["ctx"]["user_phone_home"])
    channel = make_channel(api, "ozonetel", provider_server)
    provider_server.polls = [recorded("ozonetel", "call_ok.json")]
    placed = web.post(
        "/api/v1/calls",
        json={"channel": channel["uuid"], "to": spec["ctx"]["to_number"], "user": spec["ctx"]["email"]},
    ).json()
    status_url = f"/c/xc/{channel['uuid']}/status?call={placed['uuid']}"

    # "Busy" is in no <status for=…> list of this connector: recorded, the call does not move.
    odd = web.post(status_url, content=_ozonetel_status("Busy"), headers={"Content-Type": FORM})
    assert odd.status_code == 200, odd.text
    call = Call.objects.get(uuid=placed["uuid"])
    assert call.status == "queued"
    logged = CallEvent.objects.filter(call=call).last()
    # (the first branch's mapping would have called it "completed": the word is kept in the log)
    assert logged is not None and logged.data.get("unmatched_status") is True
    assert "Busy" in json.dumps(logged.data["payload"])

    answered = web.post(status_url, content=_ozonetel_status("Answered"), headers={"Content-Type": FORM})
    assert answered.status_code == 200
    call.refresh_from_db()
    assert call.status == "completed"

    # A late "not answered" for the same call: completed stays completed (but is in the log).
    late = web.post(status_url, content=_ozonetel_status("NotAnswered"), headers={"Content-Type": FORM})
    assert late.status_code == 200
    call.refresh_from_db()
    assert call.status == "completed"
    assert CallEvent.objects.filter(call=call, event_type="status").count() == 3
