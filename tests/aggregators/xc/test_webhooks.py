"""Inbound SMS at /c/xc/<uuid>/receive and hostile callbacks: 4xx with a reason, never a 500."""

from __future__ import annotations

import logging

import pytest

from channels_app.models import Msg
from tests.conftest import run_jobs

from .conftest import case, fixture_bytes
from .helpers import make_channel, queue_message

RECEIVE_PROVIDERS = ["twilio", "plivo", "infobip", "vonage", "africastalking", "telnyx"]


@pytest.mark.parametrize("provider", RECEIVE_PROVIDERS)
def test_inbound_sms_through_message_receive(provider, live_asgi, api, provider_server):
    spec = case(provider)["receive"]
    channel = make_channel(api, provider, provider_server)
    web = live_asgi.client()
    url = f"/c/xc/{channel['uuid']}/receive"
    if "query_file" in spec:
        response = web.get(url + "?" + fixture_bytes(provider, spec["query_file"]).decode().strip())
    else:
        response = web.post(
            url, content=fixture_bytes(provider, spec["file"]), headers={"Content-Type": spec["content_type"]}
        )
    assert response.status_code == 200, response.text
    want = spec["expect"][0]
    msg = Msg.objects.get(channel__uuid=channel["uuid"], direction="in")
    assert msg.text == want["text"]
    assert msg.urn == "tel:+" + want["sender"].lstrip("+")
    assert msg.external_id == want["external_id"]
    if "reply" in spec:  # the provider expects a reply body (TwiML for Twilio)
        assert response.text == spec["reply"]
        assert response.headers["content-type"].startswith("text/xml")
    else:
        assert response.json()["messages"][0]["uuid"] == str(msg.uuid)
    run_jobs()
    msg.refresh_from_db()
    assert msg.status == "handled" and msg.contact is not None


def test_same_inbound_posted_twice_is_stored_once(live_asgi, api, provider_server):
    channel = make_channel(api, "telnyx", provider_server)
    body = fixture_bytes("telnyx", "receive.json")
    web = live_asgi.client()
    for _ in range(2):
        response = web.post(
            f"/c/xc/{channel['uuid']}/receive", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 200
    assert Msg.objects.filter(direction="in").count() == 1


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<r><MessageSid>&xxe;</MessageSid><MessageStatus>delivered</MessageStatus></r>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<lolz>&lol2;</lolz>"""

HOSTILE = [
    ("xxe", "POST", XXE, "application/xml", 400, "DOCTYPE"),
    ("billion-laughs", "POST", LAUGHS, "text/xml", 400, "DOCTYPE"),
    ("malformed-xml", "POST", b"<r><MessageSid>SM1</r>", "application/xml", 400, "invalid XML"),
    ("malformed-json", "POST", b'{"MessageSid": ', "application/json", 400, "invalid JSON"),
    ("no-id", "POST", b"MessageStatus=delivered", "application/x-www-form-urlencoded", 400, "no message id"),
    ("id-is-object", "POST", b'{"MessageSid": {"a": 1}}', "application/json", 400, "no message id"),
    ("not-utf8-form", "POST", b"MessageSid=\xff\xfe", "application/x-www-form-urlencoded", 400, "UTF-8"),
    ("wrong-method", "DELETE", b"", "", 400, "use GET, POST or PUT"),
    (
        "too-big",
        "POST",
        b"MessageSid=" + b"x" * 400_000,
        "application/x-www-form-urlencoded",
        413,
        "too large",
    ),
]


@pytest.mark.parametrize(
    ("method", "body", "content_type", "code", "reason"),
    [pytest.param(*h[1:], id=h[0]) for h in HOSTILE],
)
def test_hostile_callbacks_get_a_4xx_with_a_reason(
    method, body, content_type, code, reason, live_asgi, api, provider_server
):
    channel = make_channel(api, "twilio", provider_server)
    headers = {"Content-Type": content_type} if content_type else {}
    response = live_asgi.client().request(
        method, f"/c/xc/{channel['uuid']}/callback", content=body, headers=headers
    )
    assert response.status_code == code, response.text
    assert reason in response.json()["error"]


def test_unknown_ids_and_wrong_types_are_200_and_logged(live_asgi, api, provider_server, caplog):
    channel = make_channel(api, "infobip", provider_server)
    web = live_asgi.client()
    url = f"/c/xc/{channel['uuid']}/callback"
    with caplog.at_level(logging.WARNING, logger="aggregators.xc.receive"):
        response = web.post(
            url,
            content=fixture_bytes("infobip", "callback_batch.json"),
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 200, response.text
        assert [r["result"] for r in response.json()["results"]] == ["unknown message id, ignored"] * 2
        # Wrong types where ids belong: plain values are read as ids, unknown, ignored.
        response = web.post(url, json={"results": [1, True]})
        assert response.status_code == 200, response.text
        assert [r["id"] for r in response.json()["results"]] == ["1", "true"]
        response = web.post(url, content=b'"delivered"', headers={"Content-Type": "application/json"})
        assert response.status_code == 400  # no list at results: nothing to read
        assert "no message id at 'messageId'" in response.json()["error"]
    assert "9f0c1b2a-msg" in caplog.text


def test_callback_for_another_channels_message_does_not_touch_it(live_asgi, api, provider_server):
    provider_server.sends = [provider_server.recorded("twilio", "send_ok.xml", 201, "application/xml")]
    first = make_channel(api, "twilio", provider_server)
    queue_message(api, first, "twilio")
    run_jobs()
    second = make_channel(api, "twilio", provider_server)
    response = live_asgi.client().post(
        f"/c/xc/{second['uuid']}/callback",
        content=fixture_bytes("twilio", "callback_delivered.txt"),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert Msg.objects.get(channel__uuid=first["uuid"]).status == "sent"


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"To=%2B15005550006&Body=hi", "application/x-www-form-urlencoded", "no sender"),
        (b'{"From": ', "application/json", "invalid JSON"),
        (XXE, "application/xml", "DOCTYPE"),
    ],
)
def test_bad_inbound_posts_get_400(body, content_type, reason, live_asgi, api, provider_server):
    channel = make_channel(api, "twilio", provider_server)
    response = live_asgi.client().post(
        f"/c/xc/{channel['uuid']}/receive", content=body, headers={"Content-Type": content_type}
    )
    assert response.status_code == 400, response.text
    assert reason in response.json()["error"]
    assert not Msg.objects.filter(direction="in").exists()


def test_unknown_channel_is_404(live_asgi):
    response = live_asgi.client().post(
        "/c/xc/00000000-0000-4000-8000-000000000000/callback", data={"MessageSid": "x"}
    )
    assert response.status_code == 404
