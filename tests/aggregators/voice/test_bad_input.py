"""Bad input on the call webhooks and API: a 4xx saying what is wrong, never a 500."""

from __future__ import annotations

import pytest

from channels_app.models import Call

from .helpers import FORM, fixture_bytes

HOSTILE_XML = (
    b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<r><CallSid>&xxe;</CallSid><From>&b;</From></r>'
)


@pytest.mark.parametrize(
    ("action", "body", "content_type", "status", "message"),
    [
        (
            "answer",
            b"CallSid=CAnope&CallStatus=in-progress",
            FORM,
            404,
            "unknown call id 'CAnope' on this channel",
        ),
        (
            "status",
            b"CallSid=CAnope&CallStatus=completed",
            FORM,
            404,
            "unknown call id 'CAnope' on this channel",
        ),
        ("status", b"CallSid=CA1", FORM, 400, "status callback has no status at 'CallStatus'"),
        ("status", b"CallStatus=completed", FORM, 400, "call callback has no call id at 'CallSid'"),
        ("answer", b"CallStatus=in-progress", FORM, 400, "call callback has no call id at 'CallSid'"),
        (
            "incoming",
            b"CallSid=CA9&CallStatus=ringing",
            FORM,
            400,
            "incoming call has no caller number (from_number)",
        ),
        ("incoming", b"CallSid=CA9&From=%3Cscript%3E", FORM, 400, "the caller's number is not usable"),
        ("incoming", b'{"CallSid": ', "application/json", 400, "invalid JSON"),
        ("incoming", HOSTILE_XML, "text/xml", 400, ""),
        ("status", HOSTILE_XML, "application/xml", 400, ""),
    ],
)
def test_bad_callbacks_are_4xx_with_a_reason(
    live_asgi, web, twilio_channel, action, body, content_type, status, message
):
    response = web.post(
        f"/c/xc/{twilio_channel['uuid']}/{action}", content=body, headers={"Content-Type": content_type}
    )
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert message in error and error
    assert Call.objects.count() == 0
    if body is HOSTILE_XML:
        assert "root:" not in response.text  # no entity was expanded into the answer


def test_hostile_xml_names_the_problem(live_asgi, web, twilio_channel):
    response = web.post(
        f"/c/xc/{twilio_channel['uuid']}/incoming", content=HOSTILE_XML, headers={"Content-Type": "text/xml"}
    )
    assert response.status_code == 400
    assert any(word in response.json()["error"].lower() for word in ("doctype", "entit", "dtd"))


def test_sms_channels_refuse_call_webhooks_and_phone_channels_refuse_sms_ones(
    live_asgi, web, api, twilio_channel
):
    sms = api.post(
        "/api/v1/channels",
        {
            "type": "XC",
            "name": "SMS",
            "config": {
                "connector": "twilio",
                "fields": {"AccountSID": "AC1", "AuthToken": "t", "From": "+15005550006"},
            },
        },
        content_type="application/json",
    )
    assert sms.status_code == 201, sms.content
    assert set(sms.json()["urls"]) == {"callback", "receive"}
    assert set(twilio_channel["urls"]) == {"answer", "status", "incoming"}
    response = web.post(
        f"/c/xc/{sms.json()['uuid']}/incoming",
        content=fixture_bytes("twilio_voice", "incoming.txt"),
        headers={"Content-Type": FORM},
    )
    assert response.status_code == 400
    assert "not a phone one" in response.json()["error"]
    response = web.post(
        f"/c/xc/{twilio_channel['uuid']}/receive",
        content=b"From=%2B1&Body=hi",
        headers={"Content-Type": FORM},
    )
    assert response.status_code == 400 and "does not receive messages" in response.json()["error"]


@pytest.mark.parametrize(
    ("payload", "status", "message"),
    [
        ({"to": "+250788123123"}, 400, "invalid request"),
        ({"channel": "CHANNEL"}, 400, "invalid request"),
        ({"channel": "CHANNEL", "to": "not a number!"}, 400, "'to':"),
        ({"channel": "CHANNEL", "to": "mailto:a@b.c"}, 400, "must be a phone number or tel: URN"),
        (
            {"channel": "CHANNEL", "to": "+250788123123", "user": "stranger@else.org"},
            400,
            "not a member of this workspace",
        ),
        ({"channel": "CHANNEL", "to": "+250788123123", "extension": "9" * 80}, 400, "limited to 64"),
        ({"channel": "CHANNEL", "to": "+250788123123"}, 400, "no extension"),
        (
            {"channel": "3b0e9f0c-0000-4000-8000-000000000000", "to": "+250788123123"},
            404,
            "channel not found",
        ),
        ({"channel": "garbage", "to": "+250788123123"}, 404, "channel not found"),
    ],
)
def test_bad_click_to_call_requests(
    live_asgi, web, twilio_channel, provider_server, payload, status, message
):
    body = {k: (twilio_channel["uuid"] if v == "CHANNEL" else v) for k, v in payload.items()}
    response = web.post("/api/v1/calls", json=body)
    assert response.status_code == status, response.text
    assert message in response.json()["error"]
    assert provider_server.requests == []  # nothing reached the provider


def test_click_to_call_on_an_sms_channel_is_refused(live_asgi, web, api, agent):
    sms = api.post(
        "/api/v1/channels",
        {
            "type": "XC",
            "name": "SMS",
            "config": {
                "connector": "twilio",
                "fields": {"AccountSID": "AC1", "AuthToken": "t", "From": "+1500"},
            },
        },
        content_type="application/json",
    ).json()
    response = web.post("/api/v1/calls", json={"channel": sms["uuid"], "to": "+250788123123"})
    assert response.status_code == 400
    assert "not a phone one" in response.json()["error"]


def test_another_workspaces_calls_and_channels_are_404(
    live_asgi, web, agent, twilio_channel, provider_server, recorded
):
    from channels_app.workspaces import create_workspace

    provider_server.sends = [recorded("twilio_voice", "call_ok.json", 201)]
    placed = web.post("/api/v1/calls", json={"channel": twilio_channel["uuid"], "to": "+250788123123"}).json()
    _other, other_token = create_workspace(name="Other NGO", email="other@else.org", password="x")
    with live_asgi.client(headers={"Authorization": f"Token {other_token}"}) as other:
        assert other.get(f"/api/v1/calls/{placed['uuid']}").status_code == 404
        assert other.get("/api/v1/calls").json() == []
        response = other.post(
            "/api/v1/calls",
            json={"channel": twilio_channel["uuid"], "to": "+250788123123", "extension": "+1555"},
        )
        assert response.status_code == 404
        assert other.get(f"/api/v1/calls?channel={twilio_channel['uuid']}").status_code == 404
    assert len(provider_server.requests) == 1
    assert web.get("/api/v1/calls/not-a-uuid").status_code == 404


def test_agent_phone_api(live_asgi, web):
    assert web.get("/api/v1/calls/agent").json() == {
        "extension": "",
        "phone_home": "",
        "takes_incoming": True,
    }
    response = web.put("/api/v1/calls/agent", json={"extension": "+15551230000", "phone_home": "Campaign"})
    assert response.status_code == 200, response.text
    assert web.get("/api/v1/calls/agent").json()["extension"] == "+15551230000"
    assert web.put("/api/v1/calls/agent", json={"extension": "x" * 65}).status_code == 400
