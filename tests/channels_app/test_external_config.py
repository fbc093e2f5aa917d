"""External API channel settings, table-driven: inbound field names/XML/multipart, outbound shapes."""

from __future__ import annotations

import pytest

from channels_app.models import Msg
from channels_app.services.channels import create_channel
from channels_app.services.send import queue_message
from tests.conftest import run_jobs


def _channel(workspace, aggregator, **config):
    return create_channel(
        workspace=workspace, type_code="EX", name="Configured", address="+250788000000", country="RW",
        config={"send_url": f"{aggregator.url}/send", **config},
    )  # fmt: skip


def test_custom_inbound_field_names(client, workspace, aggregator) -> None:
    channel = _channel(workspace, aggregator, mo_from_field="msisdn", mo_text_field="body", mo_id_field="ref")
    response = client.get(
        f"/c/ex/{channel.uuid}/receive", {"msisdn": "250788123123", "body": "hi", "ref": "r1"}
    )
    assert response.status_code == 200, response.content
    msg = Msg.objects.get(uuid=response.json()["uuid"])
    assert (msg.urn, msg.text, msg.external_id) == ("tel:+250788123123", "hi", "r1")


def test_multipart_inbound(client, workspace, aggregator) -> None:
    channel = _channel(workspace, aggregator)
    response = client.post(
        f"/c/ex/{channel.uuid}/receive", {"from": "+250788123123", "text": "multi"}
    )  # multipart
    assert response.status_code == 200
    assert Msg.objects.get(uuid=response.json()["uuid"]).text == "multi"


def test_xml_inbound_with_xpath_and_hostile_xml(client, workspace, aggregator) -> None:
    channel = _channel(workspace, aggregator, mo_from_xpath="//sender", mo_text_xpath="//content",
                       mo_date_xpath="//sent")  # fmt: skip
    body = "<mo><sender>+250788123123</sender><content>Bonjour &amp; salut</content><sent>2024-01-02T03:04:05Z</sent></mo>"
    response = client.post(f"/c/ex/{channel.uuid}/receive", body, content_type="text/xml")
    assert response.status_code == 200, response.content
    msg = Msg.objects.get(uuid=response.json()["uuid"])
    assert msg.text == "Bonjour & salut" and msg.created_on.year == 2024
    xxe = '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><mo><sender>&x;</sender></mo>'
    response = client.post(f"/c/ex/{channel.uuid}/receive", xxe, content_type="text/xml")
    assert response.status_code == 400 and "passwd" not in response.content.decode()
    response = client.post(f"/c/ex/{channel.uuid}/receive", "<mo><sender>", content_type="text/xml")
    assert response.status_code == 400 and "line 1" in response.json()["error"]


@pytest.mark.parametrize(
    ("config", "method", "content_type", "expected_body"),
    [
        ({"method": "PUT", "content_type": "json"}, "PUT", "application/json", None),
        ({"content_type": "xml"}, "POST", "text/xml; charset=utf-8", None),
        (
            {"content_type": "custom", "custom_content_type": "text/plain", "body": "SEND {{to_no_plus}} {{text}}"},
            "POST", "text/plain", b"SEND 250788123123 caf\xc3\xa9 <&>",
        ),
        (
            {"content_type": "xml", "body": "<sms><to>{{to}}</to><txt>{{text}}</txt></sms>"},
            "POST", "text/xml; charset=utf-8", b"<sms><to>+250788123123</to><txt>caf\xc3\xa9 &lt;&amp;&gt;</txt></sms>",
        ),
    ],
)  # fmt: skip
def test_outbound_methods_and_content_types(
    workspace, aggregator, config, method, content_type, expected_body
):
    channel = _channel(workspace, aggregator, **config)
    queue_message(channel=channel, to="+250788123123", text="café <&>")
    run_jobs()
    request = aggregator.requests[0]
    assert request.method == method and request.headers["Content-Type"] == content_type
    if expected_body is not None:
        assert request.body == expected_body
    elif "json" in content_type:
        assert request.json()["text"] == "café <&>"
    else:
        assert b"<text>caf\xc3\xa9 &lt;&amp;&gt;</text>" in request.body


def test_smart_encoding_replaces_non_gsm_punctuation(workspace, aggregator) -> None:
    channel = _channel(workspace, aggregator, encoding="smart", content_type="json")
    queue_message(channel=channel, to="+250788123123", text="“Quotes” — and…")
    run_jobs()
    assert aggregator.requests[0].json()["text"] == '"Quotes" - and...'


def test_private_send_url_is_refused_unless_allowed(workspace, aggregator, settings) -> None:
    # Saved while private URLs were allowed (saving one now is refused: tests/security/
    # test_config_url_checks.py); the send-time check still stops it after the setting changed.
    channel = _channel(workspace, aggregator)
    settings.FLOWGATE_ALLOW_PRIVATE_URLS = False
    msg = queue_message(channel=channel, to="+250788123123", text="x")
    run_jobs()
    msg.refresh_from_db()
    assert msg.status == "failed" and "private" in msg.error
    assert aggregator.requests == []
