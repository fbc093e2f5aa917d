"""Per-channel inbound authentication, over real HTTP: the Django view and the ASGI fast path."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from typing import Any
from urllib.parse import parse_qsl

import pytest

from channels_app.models import Channel, Msg
from tests import ROOT, TESTS

FIXTURES = TESTS / "aggregators" / "connector" / "fixtures" / "twilio"
TWILIO_TOKEN = "tw-auth-token-5e1f0c"
FORM = "application/x-www-form-urlencoded"


def _patch(api: Any, channel_uuid: Any, config: dict[str, Any]) -> Any:
    return api.patch(f"/api/v1/channels/{channel_uuid}", {"config": config}, content_type="application/json")


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _raw_config(channel_id: int) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT config FROM {Channel._meta.db_table} WHERE id = %s", [channel_id])
        value = cursor.fetchone()[0]
    return value if isinstance(value, str) else str(value)


def test_basic_auth_on_the_django_view(api: Any, ex_channel: Any, client: Any, caplog: Any) -> None:
    response = _patch(
        api, ex_channel.uuid,
        {"inbound_auth": "basic", "inbound_username": "agg", "inbound_password": "pa55-w0rd-basic"},
    )  # fmt: skip
    assert response.status_code == 200, response.content
    shown = response.json()["config"]
    assert shown["inbound_auth"] == "basic" and shown["inbound_password"] == "********"
    assert "pa55-w0rd-basic" not in response.content.decode()
    assert "pa55-w0rd-basic" not in _raw_config(ex_channel.id)

    url = f"/c/ex/{ex_channel.uuid}/receive"
    data = {"from": "+250788123123", "text": "hello"}
    caplog.set_level(logging.WARNING, logger="channels_app.inbound_auth")
    refused = client.post(url, data)
    assert refused.status_code == 401
    assert refused.json() == {"error": "this channel requires HTTP basic authentication"}
    assert refused["WWW-Authenticate"].startswith('Basic realm="flowgate"')
    wrong = client.post(url, data, HTTP_AUTHORIZATION=_basic("agg", "not-the-password"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "wrong username or password"
    garbage = client.post(url, data, HTTP_AUTHORIZATION="Basic %%%not-base64")
    assert garbage.status_code == 401 and "malformed" in garbage.json()["error"]
    assert Msg.objects.count() == 0  # nothing refused was stored
    assert "inbound basic auth failed" in caplog.text
    assert "not-the-password" not in caplog.text and "pa55-w0rd-basic" not in caplog.text

    accepted = client.post(url, data, HTTP_AUTHORIZATION=_basic("agg", "pa55-w0rd-basic"))
    assert accepted.status_code == 200, accepted.content
    assert Msg.objects.filter(direction="in", text="hello").count() == 1

    # Status callbacks are covered too.
    assert client.post(f"/c/ex/{ex_channel.uuid}/delivered", {"id": "1"}).status_code == 401


def test_shared_secret_header_on_the_fast_path(api: Any, ex_channel: Any, live_asgi: Any) -> None:
    # On PostgreSQL the ASGI fast path answers these; on SQLite the same check runs in the view.
    response = _patch(
        api, ex_channel.uuid,
        {"inbound_auth": "header", "inbound_header_name": "X-Webhook-Secret",
         "inbound_header_value": "s3cr3t-header-value"},
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["config"]["inbound_header_value"] == "********"
    with live_asgi.client() as http:
        url = f"/c/ex/{ex_channel.uuid}/receive"
        data = {"from": "+250788123123", "text": "via fast path"}
        missing = http.post(url, data=data)
        assert missing.status_code == 401
        assert missing.json() == {"error": "missing the X-Webhook-Secret header this channel requires"}
        wrong = http.post(url, data=data, headers={"X-Webhook-Secret": "s3cr3t-header-valuX"})
        assert wrong.status_code == 403 and wrong.json() == {
            "error": "the X-Webhook-Secret header does not match"
        }
        assert Msg.objects.count() == 0
        ok = http.post(url, data=data, headers={"x-webhook-secret": "s3cr3t-header-value"})
        assert ok.status_code == 200, ok.text
        assert Msg.objects.filter(text="via fast path").count() == 1
        # A GET receive (query string only) is checked the same way.
        assert http.get(url, params=data).status_code == 401


def test_bad_inbound_auth_settings_are_400(api: Any, ex_channel: Any) -> None:
    cases = [
        ({"inbound_auth": "basic", "inbound_password": "long-enough-pw"}, "inbound_username"),
        ({"inbound_auth": "basic", "inbound_username": "a", "inbound_password": "short"}, "inbound_password"),
        ({"inbound_auth": "header", "inbound_header_name": "Bad Header", "inbound_header_value": "x" * 12},
         "inbound_header_name"),
        ({"inbound_auth": "signature"}, "inbound_auth"),  # EX declares no signature scheme
        ({"inbound_auth": "kerberos"}, "inbound_auth"),
        ({"inbound_auth": "basic", "inbound_username": ["a"], "inbound_password": "long-enough-pw"},
         "inbound_username"),
    ]  # fmt: skip
    for config, key in cases:
        response = _patch(api, ex_channel.uuid, config)
        assert response.status_code == 400, (config, response.content)
        assert key in response.json()["errors"], (config, response.json())


def test_turning_auth_off_drops_the_stored_credentials(api: Any, ex_channel: Any, client: Any) -> None:
    assert _patch(
        api, ex_channel.uuid,
        {"inbound_auth": "header", "inbound_header_name": "X-Key", "inbound_header_value": "0123456789ab"},
    ).status_code == 200  # fmt: skip
    # The form sends the mask back: the stored secret is kept.
    assert _patch(api, ex_channel.uuid, {"inbound_header_value": "********"}).status_code == 200
    url = f"/c/ex/{ex_channel.uuid}/receive"
    assert (
        client.post(url, {"from": "+250788123123", "text": "x"}, HTTP_X_KEY="0123456789ab").status_code == 200
    )
    assert _patch(api, ex_channel.uuid, {"inbound_auth": "none"}).status_code == 200
    ex_channel.refresh_from_db()
    assert not any(k.startswith("inbound_") for k in ex_channel.config)
    assert client.post(url, {"from": "+250788123123", "text": "y"}).status_code == 200


# --- Twilio signatures ----------------------------------------------------------------------------


def twilio_signature(token: str, url: str, form_body: bytes) -> str:
    """Twilio's documented algorithm, written out independently of the code under test."""
    params = parse_qsl(form_body.decode(), keep_blank_values=True)
    data = url + "".join(k + v for k, v in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


@pytest.fixture
def twilio_channel(api: Any) -> dict[str, Any]:
    response = api.post(
        "/api/v1/channels",
        {
            "type": "XC",
            "name": "Twilio signed",
            "address": "+15005550006",
            "config": {
                "connector": "twilio",
                "fields": {"AccountSID": "AC0123456789abcdef0123456789abcdef", "AuthToken": TWILIO_TOKEN,
                           "From": "+15005550006"},
                "inbound_auth": "signature",
            },
        },
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    assert TWILIO_TOKEN not in response.content.decode()
    return response.json()


def test_twilio_signature_on_a_recorded_inbound_sms(live_asgi: Any, twilio_channel: dict[str, Any]) -> None:
    body = (FIXTURES / "receive.txt").read_bytes().strip()
    url = twilio_channel["urls"]["receive"] + "?source=twilio"
    assert url.startswith(live_asgi.url)  # the public URL is what Twilio signed
    headers = {"Content-Type": FORM}
    with live_asgi.client() as http:
        missing = http.post(url, content=body, headers=headers)
        assert missing.status_code == 401 and missing.json() == {
            "error": "missing the X-Twilio-Signature signature header"
        }
        forged = twilio_signature("not-the-token", url, body)
        bad = http.post(url, content=body, headers={**headers, "X-Twilio-Signature": forged})
        assert bad.status_code == 403 and bad.json() == {"error": "invalid X-Twilio-Signature signature"}
        tampered = body.replace(b"Yes+please", b"No+thanks")
        signed = twilio_signature(TWILIO_TOKEN, url, body)
        assert (
            http.post(url, content=tampered, headers={**headers, "X-Twilio-Signature": signed}).status_code
            == 403
        )
        assert Msg.objects.count() == 0

        ok = http.post(url, content=body, headers={**headers, "X-Twilio-Signature": signed})
        assert ok.status_code == 200, ok.text
        assert "<Response" in ok.text
    msg = Msg.objects.get(direction="in")
    assert msg.text == "Yes please" and msg.external_id == "SMa8b3d1f0c2e94b8d9b1d0f7a0c3e2b11"


def _sent_on(channel: dict[str, Any], external_id: str) -> Msg:
    """An outbound message the provider accepted as `external_id`, waiting for its report."""
    from channels_app.models import MsgStatus
    from channels_app.services.send import build_message

    msg = build_message(channel=Channel.objects.get(uuid=channel["uuid"]), to="+250788123123", text="hi")
    msg.status, msg.external_id = MsgStatus.SENT, external_id
    msg.save()
    return msg


def _callback_events(msg: Msg) -> list[tuple[str, str]]:
    return list(msg.events.filter(event_type="callback").values_list("status", "description"))


def test_twilio_signature_on_a_recorded_status_callback(twilio_channel: dict[str, Any], client: Any) -> None:
    """The refused callback changes nothing (status, events); the accepted one is applied."""
    msg = _sent_on(twilio_channel, "SM1f0e8ae6ade43cb3c0ce4525424e404f")
    body = (FIXTURES / "callback_delivered.txt").read_bytes().strip()
    url = twilio_channel["urls"]["callback"]
    path = url.split("://", 1)[1].split("/", 1)[1]
    wrong_url = twilio_signature(TWILIO_TOKEN, url.replace("http://", "https://"), body)
    bad = client.post("/" + path, body, content_type=FORM, HTTP_X_TWILIO_SIGNATURE=wrong_url)
    assert bad.status_code == 403
    msg.refresh_from_db()
    assert (msg.status, msg.delivered_on, _callback_events(msg)) == ("sent", None, [])

    good = client.post(
        "/" + path, body, content_type=FORM, HTTP_X_TWILIO_SIGNATURE=twilio_signature(TWILIO_TOKEN, url, body)
    )
    assert good.status_code == 200, good.content
    assert good.json()["results"] == [
        {"id": msg.external_id, "uuid": str(msg.uuid), "status": "delivered", "applied": True}
    ]
    msg.refresh_from_db()
    assert msg.status == "delivered" and msg.delivered_on is not None
    assert _callback_events(msg) == [("delivered", "")]


def test_twilio_json_webhooks_cover_the_body_with_body_sha256(
    twilio_channel: dict[str, Any], client: Any
) -> None:
    msg = _sent_on(twilio_channel, "SM1")
    _sent_on(twilio_channel, "SM2")
    body = b'{"MessageSid": "SM1", "MessageStatus": "delivered"}'
    base = twilio_channel["urls"]["callback"]
    path = "/" + base.split("://", 1)[1].split("/", 1)[1]
    url = f"{base}?bodySHA256={hashlib.sha256(body).hexdigest()}"
    signature = twilio_signature(TWILIO_TOKEN, url, b"")  # JSON bodies: only the URL is signed
    query = url.split("?", 1)[1]
    swapped = client.post(
        f"{path}?{query}",
        b'{"MessageSid": "SM2", "MessageStatus": "failed"}',
        content_type="application/json",
        HTTP_X_TWILIO_SIGNATURE=signature,
    )
    assert swapped.status_code == 403 and swapped.json()["error"] == "the body does not match its bodySHA256"
    assert sorted(Msg.objects.values_list("external_id", "status")) == [("SM1", "sent"), ("SM2", "sent")]
    assert not Msg.objects.filter(events__event_type="callback").exists()

    ok = client.post(
        f"{path}?{query}", body, content_type="application/json", HTTP_X_TWILIO_SIGNATURE=signature
    )
    assert ok.status_code == 200, ok.content
    assert [r["applied"] for r in ok.json()["results"]] == [True]
    assert sorted(Msg.objects.values_list("external_id", "status")) == [("SM1", "delivered"), ("SM2", "sent")]
    assert _callback_events(msg) == [("delivered", "")]


def test_generic_hmac_body_signature_from_an_uploaded_connector(live_asgi: Any, api: Any) -> None:
    xml = (ROOT / "aggregators" / "connectors" / "twilio.xml").read_text()
    xml = xml.replace(
        'algorithm="hmac-sha1" encoding="base64" payload="url-params"',
        'algorithm="hmac-sha256" encoding="hex" payload="body" prefix="sha256="',
    ).replace('header="X-Twilio-Signature"', 'header="X-Provider-Signature"')
    uploaded = api.post(
        "/api/v1/connectors", {"name": "Signed body", "xml": xml}, content_type="application/json"
    )
    assert uploaded.status_code == 201, uploaded.content
    assert uploaded.json()["signature"] == {
        "header": "X-Provider-Signature", "algorithm": "hmac-sha256", "encoding": "hex", "payload": "body"
    }  # fmt: skip
    channel = api.post(
        "/api/v1/channels",
        {"type": "XC", "name": "Generic signed", "config": {
            "connector": uploaded.json()["uuid"], "inbound_auth": "signature",
            "fields": {"AccountSID": "AC1", "AuthToken": "body-key-123", "From": "+15005550006"}}},
        content_type="application/json",
    ).json()  # fmt: skip
    body = b"From=%2B250788123123&To=%2B15005550006&Body=Signed+body&MessageSid=SMgeneric1"
    good = "sha256=" + hmac.new(b"body-key-123", body, hashlib.sha256).hexdigest()
    with live_asgi.client() as http:
        url = channel["urls"]["receive"]
        assert (
            http.post(
                url, content=body, headers={"Content-Type": FORM, "X-Provider-Signature": "sha256=00"}
            ).status_code
            == 403
        )
        ok = http.post(
            url,
            content=body,
            headers={
                "Content-Type": FORM,
                "X-Provider-Signature": good.upper().replace("SHA256=", "sha256="),
            },
        )
        assert ok.status_code == 200, ok.text
    assert Msg.objects.filter(text="Signed body").count() == 1


def test_security_page_edits_inbound_auth(workspace: Any, ex_channel: Any, client: Any) -> None:
    assert client.login(username="admin@test.org", password="secret-pass")
    page = client.get(f"/channels/{ex_channel.uuid}/security")
    assert page.status_code == 200 and 'name="config_inbound_auth"' in page.content.decode()
    bad = client.post(
        f"/channels/{ex_channel.uuid}/security",
        {
            "config_inbound_auth": "basic",
            "config_inbound_username": "",
            "config_inbound_password": "pw-long-enough",
        },
    )
    assert bad.status_code == 200 and "basic auth needs a username" in bad.content.decode()
    saved = client.post(
        f"/channels/{ex_channel.uuid}/security",
        {
            "config_inbound_auth": "basic",
            "config_inbound_username": "agg",
            "config_inbound_password": "pw-long-enough",
        },
    )
    assert saved.status_code == 302
    ex_channel.refresh_from_db()
    assert ex_channel.config["inbound_auth"] == "basic"
    assert ex_channel.config["inbound_password"].startswith("enc:v1:")
    again = client.get(f"/channels/{ex_channel.uuid}/security").content.decode()
    detail = client.get(f"/channels/{ex_channel.uuid}/").content.decode()
    assert "pw-long-enough" not in again and "pw-long-enough" not in detail and "********" in detail


def test_twilio_voice_incoming_call_needs_its_signature(api: Any, client: Any) -> None:
    created = api.post(
        "/api/v1/channels",
        {"type": "XC", "name": "Twilio voice", "address": "+15005550006", "config": {
            "connector": "twilio_voice", "inbound_auth": "signature",
            "fields": {"authid": "AC1", "authtoken": "voice-token-77", "callerid": "+15005550006"}}},
        content_type="application/json",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    url = created.json()["urls"]["incoming"]
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    body = (FIXTURES.parent / "twilio_voice" / "incoming.txt").read_bytes().strip()
    forged = client.post(
        path, body, content_type=FORM, HTTP_X_TWILIO_SIGNATURE=twilio_signature("x", url, body)
    )
    assert forged.status_code == 403
    from channels_app.models import Call

    assert Call.objects.count() == 0
    signed = twilio_signature("voice-token-77", url, body)
    answered = client.post(path, body, content_type=FORM, HTTP_X_TWILIO_SIGNATURE=signed)
    assert answered.status_code == 200, answered.content
    assert Call.objects.count() == 1
