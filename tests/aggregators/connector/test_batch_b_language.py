"""Connector language added for courier's second batch of providers, each part checked alone.

`<provider><token>` and `@token` (validation, fetch, cache, 401), `<statuses unknown="retry">`,
the hash filters and the literal pipe `@|`, `@to_local` and the date variables,
`<message_receive>` `required` and `<date format timezone>`, `<send_response format="text">`.
The courier cases (`tests/aggregators/external/cases_batch_b.py`) run the same over HTTP.
"""

from __future__ import annotations

import json
import uuid
from types import SimpleNamespace

import httpx
import pytest
from asgiref.sync import async_to_sync

from aggregators.connector import (
    PayloadError,
    build_send_request,
    build_token_request,
    load_connector,
    parse_connector,
    render_send_response,
)
from aggregators.connector.mapping import map_send_response, parse_callback, parse_receive
from aggregators.connector.values import compile_template
from aggregators.xc import token as tokens

TOKEN_XML = """<?xml version='1.0'?>
<connector for="SMSNotifier">
  <config><fields>
    <field name="user" label="User"/><field name="secret" label="Secret" type="password"/>
  </fields></config>
  <provider>
    <url>https://sms.example.com</url>
    <auth><bearer token="@token"/></auth>
    <token ttl="600">
      <request method="post">
        <url>/oauth</url>
        <parameters>
          <parameter name="client_id" value="$config.$fields.user"/>
          <parameter name="client_secret" value="$config.$fields.secret"/>
        </parameters>
      </request>
      <response format="json"><access_token use="access_token"/><expires_in use="expires_in"/></response>
    </token>
  </provider>
  <message_send>
    <request method="post"><url>/send</url>
      <headers><header name="Content-Type" value="application/json"/></headers>
      <parameters><parameter name="to" value="@to"/><parameter name="text" value="@message"/></parameters>
    </request>
    <response format="json"><message_id use="id"/><message_status use="status"/></response>
    <statuses unknown="retry"><status Processing="Success"/></statuses>
  </message_send>
  <message_receive format="form">
    <from use="from"/>
    <to use="shortcode" fallback="longcode" required="true"/>
    <text use="text"/>
    <date use="time" format="%Y-%m-%d%H:%M:%S" timezone="Asia/Kuala_Lumpur"/>
    <send_response format="text"><parameters><parameter name="ok" value="-1"/></parameters></send_response>
  </message_receive>
</connector>
"""
FIELDS = {"user": "client-1", "secret": "s3cret"}


def _errors(xml: str) -> list[tuple[int, int, str]]:
    result = parse_connector(xml)
    return [(e.line, e.column, e.message) for e in result.errors]


def test_the_token_request_and_the_bearer_that_reads_it() -> None:
    connector = load_connector(TOKEN_XML)
    fetch = build_token_request(connector, FIELDS)
    assert str(fetch.url) == "https://sms.example.com/oauth"
    assert dict(httpx.QueryParams(fetch.content.decode())) == {
        "client_id": "client-1",
        "client_secret": "s3cret",
    }
    assert "authorization" not in fetch.headers  # the auth is the token being fetched
    send = build_send_request(
        connector, FIELDS, {"message": "Hi", "recipients": ["+250788383383"], "token": "T0K"}
    )
    assert send.headers["authorization"] == "Bearer T0K"


@pytest.mark.parametrize(
    ("old", "new", "line", "needle"),
    [
        ('<token ttl="600">', '<token ttl="0">', 9, "ttl '0' is not a number of seconds"),
        ("<url>/oauth</url>", "<url>/oauth?t=@token</url>", 11, "the <token> request cannot use @token"),
        ('<access_token use="access_token"/>', "", 17, "<response> is missing <access_token use=...>"),
        (
            '<statuses unknown="retry">',
            '<statuses unknown="later">',
            26,
            "must be ignore, reject, retry or fail",
        ),
        ('format="%Y-%m-%d%H:%M:%S"', 'format="Y-m-d"', 32, "has no %-directive"),
        ('timezone="Asia/Kuala_Lumpur"', 'timezone="Mars/Olympus"', 32, "is not an IANA zone name"),
        ('<text use="text"/>', '<text use="text" format="%d"/>', 31, "only read on <message_receive><date>"),
        ('<send_response format="text">', '<send_response format="csv">', 33, "format"),
    ],
)
def test_new_language_is_validated_with_line_and_column(old: str, new: str, line: int, needle: str) -> None:
    assert old in TOKEN_XML
    errors = _errors(TOKEN_XML.replace(old, new))
    assert any(e_line == line and needle in message for e_line, _col, message in errors), errors
    assert all(col > 0 for _l, col, _m in errors)


def test_token_without_a_token_request_is_refused_where_it_is_used() -> None:
    start = TOKEN_XML.index("    <token ttl")
    end = TOKEN_XML.index("</token>") + len("</token>\n")
    errors = _errors(TOKEN_XML[:start] + TOKEN_XML[end:])
    assert [(line, message) for line, _c, message in errors] == [
        (8, "@token needs a <token> request in <provider> to fetch it")
    ]


def test_a_phone_connector_cannot_fetch_a_token() -> None:
    xml = """<connector for="PhoneCalls"><provider><url>https://x.example</url>
      <token><request/><response><access_token use="t"/></response></token></provider>
      <outgoing_call><request/></outgoing_call></connector>"""
    assert any("belongs to SMSNotifier connectors" in m for _l, _c, m in _errors(xml))


def test_hash_filters_over_values_joined_with_literal_pipes() -> None:
    tpl = compile_template("$config.$fields.u@|@to@|@message@|@day/@month/@year|md5|upper")
    text = tpl.render_str(
        {"u": "user"}, {"to": "250788383383", "message": "Hi", "day": "11", "month": "04", "year": "2018"}
    )
    import hashlib

    assert text == hashlib.md5(b"user|250788383383|Hi|11/04/2018").hexdigest().upper()
    assert (
        compile_template("@message|sha256").render_str({}, {"message": "a"})
        == hashlib.sha256(b"a").hexdigest()
    )
    assert compile_template("a@@|upper").render_str({}, {}) == "A@"  # '@@' then a real pipe


def test_to_local_is_the_national_number() -> None:
    connector = load_connector(TOKEN_XML.replace('value="@to"', 'value="0@to_local"'))
    sent = build_send_request(
        connector, FIELDS, {"message": "Hi", "recipients": ["+252788383383"], "token": "t"}
    )
    assert json.loads(sent.content)["to"] == "0788383383"


def test_unknown_retry_accepts_only_a_listed_status() -> None:
    connector = load_connector(TOKEN_XML)
    request = httpx.Request("POST", "https://sms.example.com/send")
    ok = map_send_response(
        connector, httpx.Response(200, json={"id": "1", "status": "Success"}, request=request)
    )
    assert ok.ok and ok.external_id == "1"
    for answer in ({"id": "1", "status": "Missing"}, {"id": "1"}):
        result = map_send_response(connector, httpx.Response(200, json=answer, request=request))
        assert (result.status, result.retryable) == ("failed", True), answer


def test_receive_required_date_format_and_text_answer() -> None:
    connector = load_connector(TOKEN_XML)
    (message,) = parse_receive(
        connector, query="from=%2B60124361111&longcode=2020&text=Hi&time=2016-03-3019:33:06"
    )
    assert (message.to, message.date) == ("2020", "2016-03-30T19:33:06+08:00")
    with pytest.raises(PayloadError, match="no to at 'shortcode' or 'longcode'"):
        parse_receive(connector, query="from=%2B60124361111&text=Hi")
    with pytest.raises(PayloadError, match="invalid date '2016-03-30'"):
        parse_receive(connector, query="from=%2B60124361111&shortcode=1&text=Hi&time=2016-03-30")
    assert connector.message_receive is not None and connector.message_receive.send_response is not None
    assert render_send_response(connector.message_receive.send_response, {}, {}) == (b"-1", "text/plain")


def test_token_is_fetched_once_cached_and_forgotten(settings) -> None:
    settings.FLOWGATE_ALLOW_PRIVATE_URLS = True
    connector = load_connector(TOKEN_XML)
    channel = SimpleNamespace(uuid=uuid.uuid4())
    fetched: list[httpx.Request] = []

    def provider(request: httpx.Request) -> httpx.Response:
        fetched.append(request)
        return httpx.Response(200, json={"access_token": f"tok-{len(fetched)}", "expires_in": 3600})

    async def get() -> tokens.TokenOutcome:
        async with httpx.AsyncClient(transport=httpx.MockTransport(provider)) as client:
            return await tokens.token_for(channel, connector, FIELDS, client, ["s3cret"])

    first = async_to_sync(get)()
    assert first.token == "tok-1" and len(first.log) == 1
    assert "s3cret" not in json.dumps(first.log) and "tok-1" not in json.dumps(first.log)  # masked
    assert async_to_sync(get)().token == "tok-1" and len(fetched) == 1  # cached
    tokens.forget(channel)
    assert async_to_sync(get)().token == "tok-2" and len(fetched) == 2
    tokens.forget(channel)


@pytest.mark.parametrize(("status", "retryable"), [(401, False), (429, True), (503, True), (200, True)])
def test_a_refused_token_request_says_whether_to_retry(settings, status: int, retryable: bool) -> None:
    settings.FLOWGATE_ALLOW_PRIVATE_URLS = True
    connector = load_connector(TOKEN_XML)

    async def get() -> tokens.TokenOutcome:
        transport = httpx.MockTransport(lambda r: httpx.Response(status, json={"error": "no"}))
        async with httpx.AsyncClient(transport=transport) as client:
            return await tokens.token_for(SimpleNamespace(uuid=uuid.uuid4()), connector, FIELDS, client, [])

    outcome = async_to_sync(get)()
    assert outcome.token is None and outcome.retryable is retryable and outcome.error


def test_receive_prefix_is_required_and_removed_and_an_empty_batch_is_nothing() -> None:
    xml = TOKEN_XML.replace('<from use="from"/>', '<from use="from" prefix="tel:"/>')
    connector = load_connector(xml)
    (message,) = parse_receive(connector, query="from=tel:%2B60124361111&shortcode=1&text=Hi")
    assert message.sender == "+60124361111"
    with pytest.raises(PayloadError, match="does not start with 'tel:'"):
        parse_receive(connector, query="from=%2B60124361111&shortcode=1&text=Hi")
    bad = TOKEN_XML.replace('<message_id use="id"/>', '<message_id use="id" prefix="x"/>')
    assert any("'prefix' is only read in <message_receive>" in m for _l, _c, m in _errors(bad))
    batch = load_connector(
        TOKEN_XML.replace('<from use="from"/>', '<messages use="list"/><from use="from"/>')
    )
    assert parse_receive(batch, body=b'{"list": []}', content_type="application/json") == []


def test_a_response_that_maps_nothing_accepts_any_2xx_and_parts_have_their_own_id() -> None:
    xml = TOKEN_XML.replace(
        '<response format="json"><message_id use="id"/><message_status use="status"/></response>',
        '<response format="json"/>',
    ).replace('value="@to"', 'value="@part_id"')
    connector = load_connector(xml)
    request = httpx.Request("POST", "https://sms.example.com/send")
    assert map_send_response(connector, httpx.Response(200, text="Request is received", request=request)).ok
    refused = map_send_response(connector, httpx.Response(400, text="not json", request=request))
    assert (refused.status, refused.retryable) == ("failed", False)
    ctx = {"message": "Hi", "recipients": ["+1"], "token": "t", "messageid": "u-1"}
    assert json.loads(build_send_request(connector, FIELDS, ctx).content)["to"] == "u-1"  # the first part
    ctx["part_id"] = "u-1.2"
    assert json.loads(build_send_request(connector, FIELDS, ctx).content)["to"] == "u-1.2"


def test_text_answers_status_ranges_and_unknown_fail() -> None:
    xml = TOKEN_XML.replace(
        '<response format="json"><message_id use="id"/><message_status use="status"/></response>',
        '<response format="text"><message_status use="."/></response>'
        '<callback format="form"><message_id use="id"/><message_status use="status"/></callback>'
        '<callback_response format="text"><parameters><parameter name="a" value="000"/></parameters></callback_response>',
    ).replace(
        '<statuses unknown="retry"><status Processing="Success"/></statuses>',
        '<statuses unknown="fail"><status Processing="000,0-9"/><status Delivered="10-12"/>'
        '<status Failed="21-999"/></statuses>',
    )
    connector = load_connector(xml)
    request = httpx.Request("GET", "https://sms.example.com/send")
    assert map_send_response(connector, httpx.Response(200, text="000\n", request=request)).ok
    refused = map_send_response(connector, httpx.Response(200, text="001", request=request))
    assert (refused.status, refused.retryable, refused.raw_status) == ("failed", False, "001")
    statuses = connector.message_send.statuses if connector.message_send else None
    assert statuses is not None
    assert [statuses.lookup(v) for v in ("5", "11", "30", "15", "007")] == [
        "processing",
        "delivered",
        "failed",
        None,
        None,
    ]
    with pytest.raises(PayloadError, match="unknown status 'foo'"):  # fail: the list is complete
        parse_callback(connector, query="id=1&status=foo")
    assert connector.message_send is not None and connector.message_send.callback_response is not None
    empty = xml.replace('<status Failed="21-999"/>', '<status Failed="30-21"/>')
    assert any("range '30-21' is empty" in m for _l, _c, m in _errors(empty))


IGNORE_XML = """<connector for="SMSNotifier">
  <provider><url>https://sms.example.com</url></provider>
  <message_send>
    <request method="post"><url>/send</url>
      <parameters><parameter name="to" value="@to"/></parameters>
    </request>
    <response format="json"><message_id use="id"/><message_status use="status"/></response>
    <callback format="form"><message_id use="id"/><message_status use="status"/></callback>
    <statuses unknown="reject">
      <status Delivered="DELIVRD"/>
      <status Ignore="MessageWaiting,DeliveryNotificationNotSupported"/>
    </statuses>
  </message_send>
</connector>"""


def test_ignore_statuses_change_nothing_even_when_unknown_ones_are_rejected() -> None:
    connector = load_connector(IGNORE_XML)
    (waiting,) = parse_callback(connector, query="id=1&status=messagewaiting")  # case-insensitive
    assert (waiting.status, waiting.raw_status) == ("ignored", "messagewaiting")
    (delivered,) = parse_callback(connector, query="id=1&status=DELIVRD")
    assert delivered.status == "delivered"
    with pytest.raises(PayloadError, match="unknown status 'blabla'"):
        parse_callback(connector, query="id=1&status=blabla")
    request = httpx.Request("POST", "https://sms.example.com/send")
    answer = httpx.Response(200, json={"id": "7", "status": "MessageWaiting"}, request=request)
    result = map_send_response(connector, answer)  # in a send answer: taken, nothing more
    assert (result.ok, result.status, result.external_id) == (True, "processing", "7")


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        ('<status Delivered="DELIVRD"/>', '<status Delivered="DELIVRD" Ignore="X"/>', "exactly one of"),
        ('<status Delivered="DELIVRD"/>', '<status Delivered="MessageWaiting"/>', "MessageWaiting"),
        ('<status Ignore="', '<status Ignored="', "Ignored"),
    ],
)
def test_ignore_is_validated_with_line_and_column(old: str, new: str, needle: str) -> None:
    errors = _errors(IGNORE_XML.replace(old, new))
    assert [(line, message) for line, col, message in errors if needle in message and col > 0], errors
    assert {line for line, _c, message in errors if needle in message} <= {10, 11}
