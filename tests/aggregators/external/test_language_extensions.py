"""Connector language elements added for courier parity: each validated with line:column.

`<status Retry=…>`, `<statuses unknown="ignore|reject">`, `<errors><error codes means/></errors>`,
a mapping's `fallback` path, `<attachments use="MediaUrl*"/>` and the `if_gsm7` filter; plus
the `error_message` rule of issue 14 item 4 (a status that maps to processing/delivered wins).
"""

from __future__ import annotations

from urllib.parse import parse_qs

import httpx
import pytest

from aggregators.connector import PayloadError, build_send_request, load_connector, parse_connector
from aggregators.connector.mapping import map_send_response, parse_callback, parse_receive

BASE = """<?xml version='1.0'?>
<connector for="SMSNotifier">
  <config><fields><field name="token" label="Token" type="password" required="true"/></fields></config>
  <provider><url>https://sms.example.com/api</url></provider>
  <message_send>
    <request method="post">
      <headers><header name="Content-Type" value="application/x-www-form-urlencoded"/></headers>
      <parameters>
        <parameter name="to" value="@recipients"/>
        <parameter name="text" value="@message"/>
        <parameter name="type" value="@message|if_gsm7:{'then': 'text', 'else': 'unicode'}"/>
      </parameters>
    </request>
    <response format="json">
      <message_id use="id"/>
      <message_status use="status"/>
      <error_message use="description"/>
      <error_code use="code"/>
    </response>
    <callback format="form">
      <message_id use="parent" fallback="id"/>
      <message_status use="status"/>
      <error_code use="code"/>
    </callback>
    <statuses unknown="ignore">
      <status Processing="queued,success"/>
      <status Delivered="delivered"/>
      <status Failed="failed"/>
      <status Retry="throttled"/>
    </statuses>
    <errors>
      <error codes="21610,21614" means="opted_out"/>
      <error codes="63018" means="retry"/>
    </errors>
  </message_send>
  <message_receive format="form">
    <from use="From"/>
    <text use="Body"/>
    <attachments use="MediaUrl*"/>
    <attachment_types use="MediaContentType*"/>
  </message_receive>
</connector>
"""


def _answer(connector, status: int, body: str) -> object:
    response = httpx.Response(status, content=body.encode(), headers={"Content-Type": "application/json"})
    return map_send_response(connector, response)


def test_the_extended_connector_is_valid_and_parses() -> None:
    connector = load_connector(BASE)
    send = connector.message_send
    assert send.statuses.lookup("THROTTLED") == "retry" and send.statuses.lookup("nope") is None
    assert send.errors.meaning("21610") == "opted_out" and send.errors.meaning("63018") == "retry"


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ('means="opted_out"', 'means="unsubscribed"', 32, "means 'unsubscribed' is not one of"),
        ('<error codes="63018" means="retry"/>', '<error codes="21610" means="retry"/>', 33, "means both"),
        ('<error codes="63018" means="retry"/>', '<error means="retry"/>', 33, "needs codes="),
        (
            '<statuses unknown="ignore">',
            '<statuses unknown="maybe">',
            25,
            "must be ignore, reject, retry or fail",
        ),
        ('<status Retry="throttled"/>', '<status Retry="throttled" Failed="x"/>', 29, "exactly one of"),
        ("{'then': 'text', 'else': 'unicode'}", "{'yes': 'text', 'no': 'unicode'}", 11, "if_gsm7"),
        ('fallback="id"', 'fallbak="id"', 21, "fallbak"),
    ],
)
def test_new_elements_are_validated_with_line_and_column(old, new, line, message) -> None:
    assert old in BASE
    result = parse_connector(BASE.replace(old, new))
    assert not result.ok
    assert any(e.line == line and e.column > 0 and message in e.message for e in result.errors), result.errors


def test_if_gsm7_picks_text_for_gsm_and_unicode_otherwise() -> None:
    connector = load_connector(BASE)
    for text, kind in (("Simple Message", "text"), ("Unicode ☺", "unicode"), ("€ and {braces}", "text")):
        request = build_send_request(connector, {"token": "t"}, {"message": text, "recipients": ["+1"]})
        assert parse_qs(request.content.decode())["type"] == [kind]


def test_error_text_fails_only_without_a_succeeding_status() -> None:
    """Issue 14 item 4: providers describe successes too (Infobip, Africa's Talking)."""
    connector = load_connector(BASE)
    ok = _answer(
        connector, 200, '{"id": "m1", "status": "Success", "description": "Message sent to next instance"}'
    )
    assert ok.ok and ok.external_id == "m1" and ok.error is None
    delivered = _answer(connector, 200, '{"id": "m1", "status": "delivered", "description": "ok"}')
    assert delivered.ok
    no_status = _answer(connector, 200, '{"description": "Invalid destination"}')
    assert not no_status.ok and no_status.error == "Invalid destination" and not no_status.retryable
    unknown_status = _answer(connector, 200, '{"status": "weird", "description": "Invalid destination"}')
    assert not unknown_status.ok
    failed = _answer(connector, 200, '{"status": "failed", "description": "Blocked"}')
    assert not failed.ok and failed.error == "Blocked"


def test_retry_status_and_error_codes_inside_a_200() -> None:
    connector = load_connector(BASE)
    throttled = _answer(connector, 200, '{"status": "throttled", "description": "Throughput Rate Exceeded"}')
    assert not throttled.ok and throttled.retryable and "Throughput" in throttled.error
    retry_code = _answer(connector, 200, '{"status": "queued", "code": "63018"}')
    assert not retry_code.ok and retry_code.retryable
    opted_out = _answer(connector, 400, '{"code": "21610", "description": "unsubscribed recipient"}')
    assert not opted_out.ok and opted_out.opted_out and not opted_out.retryable
    assert "21610" in opted_out.error


def test_callbacks_unknown_missing_opted_out_and_fallback() -> None:
    connector = load_connector(BASE)
    (item,) = parse_callback(
        connector, body=b"id=m1&status=mystery", content_type="application/x-www-form-urlencoded"
    )
    assert item.status == "unknown" and item.message_id == "m1"
    (item,) = parse_callback(
        connector, body=b"parent=p1&id=m2&status=delivered", content_type="application/x-www-form-urlencoded"
    )
    assert item.message_id == "p1" and item.status == "delivered"
    (item,) = parse_callback(
        connector, body=b"id=m1&status=failed&code=21610", content_type="application/x-www-form-urlencoded"
    )
    assert item.opted_out and item.status == "failed"
    with pytest.raises(PayloadError, match="no status"):
        parse_callback(connector, body=b"id=m1", content_type="application/x-www-form-urlencoded")
    strict = load_connector(BASE.replace('unknown="ignore"', 'unknown="reject"'))
    with pytest.raises(PayloadError, match="unknown status 'mystery'"):
        parse_callback(strict, body=b"id=m1&status=mystery", content_type="application/x-www-form-urlencoded")


def test_inbound_media_and_text_checks() -> None:
    connector = load_connector(BASE)
    body = b"From=%2B14133881111&NumMedia=2&MediaUrl1=https%3A%2F%2Fx%2Fdog.jpg&MediaUrl0=https%3A%2F%2Fx%2Fcat.jpg&MediaContentType0=image%2Fjpeg"
    (msg,) = parse_receive(connector, body=body, content_type="application/x-www-form-urlencoded")
    assert msg.attachments == ["image/jpeg:https://x/cat.jpg", "https://x/dog.jpg"] and msg.text == ""
    with pytest.raises(PayloadError, match="no text at 'Body'"):
        parse_receive(
            connector, body=b"From=%2B14133881111", content_type="application/x-www-form-urlencoded"
        )
