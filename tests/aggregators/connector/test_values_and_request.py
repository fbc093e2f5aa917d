"""Templates, filters, the request builder, payload paths and hostile callbacks."""

from __future__ import annotations

import json

import httpx
import pytest

from aggregators.connector import (
    BuildError,
    PayloadError,
    build_send_request,
    builtin_connectors,
    load_connector,
    map_send_response,
    parse_callback,
)
from aggregators.connector.payload import load
from aggregators.connector.values import TemplateError, compile_template

CTX = {
    "message": "hi there",
    "recipients": ["+250788123123", "+250788000001"],
    "to_number": "+1 555",
    "empty": "",
}
FIELDS = {"acct": "AC1", "base": "https://api.example.com/v1"}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("$config.$fields.base/accounts/$config.$fields.acct", "https://api.example.com/v1/accounts/AC1"),
        ("$config.fields.acct", "AC1"),
        ("@message|upper", "HI THERE"),
        ("@recipients", ["+250788123123", "+250788000001"]),
        ("@recipients|no_plus", ["250788123123", "250788000001"]),
        ("@recipients|no_plus|join:';'", "250788123123;250788000001"),
        ("@recipients|first", "+250788123123"),
        ("to:@recipients", "to:+250788123123,+250788000001"),
        ("@message|urlencode", "hi%20there"),
        ("@message|truncate:2", "hi"),
        ("@to_number|digits", "1555"),
        ("@missing|default:'none'", "none"),
        ("@missing|default:'@message'", "hi there"),
        ("@message|prefix:'sms:'", "sms:hi there"),
        (
            "https://x.example/a?b=1|urlappend:{'DialTo': '@to_number', 'k': 'v w'}",
            "https://x.example/a?b=1&DialTo=%2B1+555&k=v+w",
        ),
        ("user@@example.com", "user@example.com"),
        ("a | b", "a | b"),
    ],
)
def test_template_rendering(template, expected):
    assert compile_template(template).render(FIELDS, CTX) == expected


@pytest.mark.parametrize(
    ("template", "offset", "message"),
    [
        ("@x|nope", 3, "unknown filter 'nope'"),
        ("@x|truncate:abc", 12, "needs a whole number"),
        ("@x|urlappend:{'a':", 13, "cannot read argument"),
        ("@x|upper:1", 9, "takes no argument"),
        ("$config.settings.x", 0, "malformed config reference"),
    ],
)
def test_template_errors(template, offset, message):
    with pytest.raises(TemplateError, match=message) as info:
        compile_template(template)
    assert info.value.offset == offset


def test_refs_include_urlappend_values():
    tpl = compile_template("@answer_callback|urlappend:{'DialTo': '@to_number'}")
    assert tpl.refs("var") == [("answer_callback", 0), ("to_number", 39)]


NESTED = """<connector for="SMSNotifier">
  <config><fields><field name="key" label="Key" type="password"/></fields></config>
  <provider><url>https://api.example.com</url><auth><basic username="u" password="$config.$fields.key"/></auth></provider>
  <message_send>
    <request method="%s">
      <url>%s</url>
      <headers><header name="Content-Type" value="%s"/></headers>
      <parameters>
        <parameter name="messages" type="array">
          <parameter name="destinations" type="array"><parameter name="to" value="@recipients|first"/></parameter>
          <parameter name="text" value="@message"/>
          <parameter name="count" type="number" value="%s"/>
          <parameter name="flash" type="boolean" value="yes"/>
          <parameter name="tags" type="array" value="@recipients"/>
        </parameter>
      </parameters>
    </request>
    <response format="json"><message_id use="messages.0.id"/><error_message use="error"/></response>
  </message_send>
</connector>"""


def nested(method="post", url="/send", content_type="application/json", count="2"):
    return load_connector(NESTED % (method, url, content_type, count))


def test_nested_json_body_with_typed_values():
    request = build_send_request(nested(), {"key": "k"}, CTX)
    assert json.loads(request.content) == {
        "messages": [
            {
                "destinations": [{"to": "+250788123123"}],
                "text": "hi there",
                "count": 2,
                "flash": True,
                "tags": ["+250788123123", "+250788000001"],
            }
        ]
    }
    assert str(request.url) == "https://api.example.com/send"
    assert request.headers["authorization"] == "Basic dTpr"


def test_get_puts_params_in_query_string():
    request = build_send_request(nested(method="get", url="https://other.example.com/q?x=1"), {}, CTX)
    assert request.content == b""
    assert str(request.url).startswith(
        "https://other.example.com/q?x=1&messages%5Bdestinations%5D%5Bto%5D=%2B250788123123"
    )


def test_form_body_flattens_nested_values():
    request = build_send_request(nested(content_type="application/x-www-form-urlencoded"), {}, CTX)
    assert b"messages%5Btext%5D=hi+there" in request.content
    assert b"messages%5Bflash%5D=true" in request.content


def test_xml_body():
    request = build_send_request(nested(content_type="text/xml"), {}, CTX)
    assert request.content.startswith(
        b'<?xml version="1.0" encoding="UTF-8"?>\n<messages><destinations><to>+250788123123</to>'
    )


def test_bad_number_is_a_build_error():
    with pytest.raises(BuildError, match="'many' is not a number"):
        build_send_request(nested(count="many"), {}, CTX)


def test_runtime_values_are_escaped_in_urls():
    connector = builtin_connectors()["telnyx"]
    from aggregators.connector import build_status_request

    request = build_status_request(connector, {"api_key": "k"}, {"messageid": "../../admin?x=1"})
    assert str(request.url) == "https://api.telnyx.com/v2/messages/..%2F..%2Fadmin%3Fx%3D1"


def test_http_200_with_error_inside_fails_with_reason():
    response = httpx.Response(200, json={"error": "insufficient credit"})
    result = map_send_response(nested(), response)
    assert (result.status, result.error) == ("failed", "insufficient credit")


def test_unparseable_200_answer_fails():
    result = map_send_response(
        nested(), httpx.Response(200, content=b"<html>oops", headers={"content-type": "text/html"})
    )
    assert result.status == "failed" and "unreadable answer" in result.error


def test_path_resolution_in_json_and_xml():
    payload = load(b'{"result": {"content": [{"message_id": 7}]}}', "application/json")
    assert payload.get("result.content.0.message_id") == 7
    assert payload.get("result.content.message_id") == 7  # a name on a list looks in the first item
    xml = load(b'<R><Message status="ok"><Sid>SM1</Sid></Message></R>', "text/xml")
    assert xml.get("Message.Sid") == "SM1"
    assert xml.get("R.Message.Sid") == "SM1"  # naming the root element is accepted too
    assert xml.get("Message.@status") == "ok"


def test_callback_batch_as_top_level_array_and_unknown_statuses_are_unknown():
    # A status in no group is "unknown": the callback view logs it and changes nothing (it
    # used to become "processing", i.e. "sent", hiding statuses nobody mapped).
    connector = builtin_connectors()["telnyx"]
    body = json.dumps(
        [
            {"data": {"payload": {"id": "a", "to": [{"status": "delivered"}]}}},
            {"data": {"payload": {"id": "b", "to": [{"status": "carrier_magic"}]}}},
        ]
    ).encode()
    items = parse_callback(connector, body=body, content_type="application/json")
    assert [(i.message_id, i.status, i.raw_status) for i in items] == [
        ("a", "delivered", "delivered"),
        ("b", "unknown", "carrier_magic"),
    ]


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (
            b"Status=delivered",
            "application/x-www-form-urlencoded",
            "no message id at 'ParentMessageUUID' or 'MessageUUID'",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
            "text/xml",
            "DOCTYPE",
        ),
        (b"<r><unclosed></r>", "application/xml", "invalid XML at 1:18"),
        (b"[" * 100_000, "application/json", "invalid JSON"),
        (b"x=" + b"a" * 2_000_000, "application/x-www-form-urlencoded", "limit"),
    ],
)
def test_hostile_callbacks_raise_payload_error(body, content_type, message):
    with pytest.raises(PayloadError, match=message):
        parse_callback(builtin_connectors()["plivo"], body=body, content_type=content_type)


def test_bench_overhead_is_measured_and_small():
    from benchmarks.connector import bench

    figures = bench(20)
    assert set(figures) == {"twilio", "infobip", "plivo"}
    assert all(0 < ms < 5 for ms in figures.values())  # generous: CI machines vary; the target is 0.5 ms
