"""Delivery callbacks and inbound messages: the exact items read from each request.

Written against the mutation run (`scripts/mutation.py --only connector-parser-mapping`): which
message a delivery report updates, to what status, with which error text, and the sender,
text, date and attachments of an inbound message; refusals with their exact reason (the view
answers 400 with it).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from aggregators.connector import PayloadError, load_connector
from aggregators.connector.mapping import (
    CallbackItem,
    InboundMessage,
    _attachments,
    _numbered,
    decode_charset,
    items_of,
    map_item,
    parse_callback,
    parse_receive,
)
from aggregators.connector.model import Connector, PathRef, ResponseMap
from aggregators.connector.payload import MISSING, Payload

SEND = """<connector for="SMSNotifier">
  <provider><url>https://sms.example.com</url></provider>
  <message_send>
    <request><url>/send</url></request>
    <response/>
    <callback%s>%s</callback>
    <statuses%s>
      <status Processing="sent"/><status Delivered="dlv"/><status Failed="undeliv"/>
      <status Retry="later"/><status Ignore="wait"/>
    </statuses>
    <errors>
      <error codes="21610" means="opted_out"/><error codes="9" means="failed"/><error codes="7" means="retry"/>
      <error contains="blacklist" means="opted_out"/>
    </errors>
  </message_send>
</connector>
"""
FORM_CALLBACK = (
    '<message_id use="id" fallback="ref"/><message_status use="status"/>'
    '<error use="err"/><error_code use="code"/>'
)


def sms(callback: str = FORM_CALLBACK, fmt: str = "", unknown: str = "") -> Connector:
    attrs = f' format="{fmt}"' if fmt else ""
    return load_connector(SEND % (attrs, callback, f' unknown="{unknown}"' if unknown else ""))


def item(
    message_id: str, status: str, raw_status: str | None, error: str | None = None, **kw: Any
) -> CallbackItem:
    return CallbackItem(
        message_id, status, raw_status, error, kw.pop("raw", None), kw.pop("opted_out", False)
    )


@pytest.mark.parametrize(
    ("query", "status", "error", "opted_out"),
    [
        ("id=m1&status=DLV", "delivered", None, False),
        ("id=m1&status=sent", "processing", None, False),
        ("id=m1&status=undeliv&err=No+route&code=5", "failed", "No route (code 5)", False),
        ("id=m1&status=undeliv&err=No+route", "failed", "No route", False),
        ("id=m1&status=undeliv&code=5", "failed", "error code 5", False),
        ("id=m1&status=undeliv", "failed", None, False),
        ("id=m1&status=dlv&err=None&code=0", "delivered", None, False),  # successes carry no error
        ("id=m1&status=later", "failed", None, False),  # a retry status in a report: that attempt failed
        ("id=m1&status=wait", "ignored", None, False),
        ("id=m1&status=what", "unknown", None, False),
        ("id=m1&status=dlv&code=21610", "failed", "error code 21610", True),
        ("id=m1&status=sent&code=9&err=Barred", "failed", "Barred (code 9)", False),
        ("id=m1&status=sent&code=7", "processing", None, False),
        ("id=m1&status=undeliv&code=7", "failed", "error code 7", False),
        # a phrase of the error text can carry the meaning
        ("id=m1&status=sent&err=Number+BLACKLISTED", "failed", "Number BLACKLISTED", True),
        ("id=m1&status=dlv&err=blacklisted&code=4", "failed", "blacklisted (code 4)", True),
    ],
)
def test_delivery_reports(query: str, status: str, error: str | None, opted_out: bool) -> None:
    (got,) = parse_callback(sms(), query=query)
    raw_status = dict(p.split("=") for p in query.split("&"))["status"]
    assert (got.message_id, got.status, got.raw_status, got.error, got.opted_out) == (
        "m1",
        status,
        raw_status,
        error,
        opted_out,
    )


def test_a_report_in_the_body_wins_over_the_query_and_keeps_its_raw_form() -> None:
    body = b"ref=m2&status=dlv"
    assert parse_callback(sms(), body=body, query="id=q&status=undeliv") == [
        item("q", "delivered", "dlv", raw={"id": "q", "status": "dlv", "ref": "m2"})
    ]
    assert parse_callback(sms(), body=body) == [
        item("m2", "delivered", "dlv", raw={"ref": "m2", "status": "dlv"})
    ]


@pytest.mark.parametrize(
    ("connector", "kw", "message"),
    [
        (sms(), {"query": "id=m1"}, "callback has no status at 'status'"),
        (sms(), {"query": "status=dlv"}, "callback has no message id at 'id' or 'ref'"),
        (sms('<message_id use="id"/>'), {"query": "x=1"}, "callback has no message id at 'id'"),
        (sms(unknown="reject"), {"query": "id=m1&status=what"}, "unknown status 'what'"),
        (sms(unknown="fail"), {"query": "id=m1&status=what"}, "unknown status 'what'"),
        (
            sms(fmt="json"),
            {"body": b"id=m1", "content_type": ""},
            "invalid JSON: Expecting value: line 1 column 1 (char 0)",
        ),
    ],
)
def test_delivery_reports_refused(connector: Connector, kw: dict[str, Any], message: str) -> None:
    with pytest.raises(PayloadError) as info:
        parse_callback(connector, **kw)
    assert str(info.value) == message


def test_unknown_statuses_in_reports_that_list_none() -> None:
    bare = load_connector(
        (SEND % ("", FORM_CALLBACK, "")).replace(SEND.split("<statuses%s>")[1].split("</statuses>")[0], "")
    )
    assert parse_callback(bare, query="id=m1&status=anything") == [
        item("m1", "processing", "anything", raw={"id": "m1", "status": "anything"})
    ]
    assert parse_callback(sms(unknown="retry"), query="id=m1&status=what")[0].status == "unknown"


def test_reports_without_a_status_mapping_or_a_callback() -> None:
    only_id = sms('<message_id use="id"/>')
    assert parse_callback(only_id, query="id=m1") == [item("m1", "processing", None, raw={"id": "m1"})]
    send = only_id.message_send
    assert send is not None
    no_callback = dataclasses.replace(only_id, message_send=dataclasses.replace(send, callback=None))
    for connector in (no_callback, dataclasses.replace(only_id, message_send=None)):
        with pytest.raises(PayloadError) as info:
            parse_callback(connector, query="id=m1")
        assert str(info.value) == "this connector has no <callback>"
    status_only = ResponseMap("form", {"message_status": PathRef("s")})
    unmapped = dataclasses.replace(only_id, message_send=dataclasses.replace(send, callback=status_only))
    with pytest.raises(PayloadError) as info:
        parse_callback(unmapped, query="s=dlv")
    assert str(info.value) == "callback has no message id at '(unmapped)'"


BATCH = '<messages use="results"/><message_id use="id"/><message_status use="s"/><error use="e"/>'


def test_a_batch_of_reports() -> None:
    body = json.dumps(
        {
            "results": [
                {"s": "dlv"},
                {"id": "a", "s": "dlv"},
                {"id": "b", "s": "undeliv", "e": "Off"},
                {"id": "c", "s": "x"},
            ]
        }
    ).encode()
    got = parse_callback(sms(BATCH, fmt="json"), body=body, content_type="application/json")
    assert got == [
        # the first item has no id: skipped, the rest still read
        item("a", "delivered", "dlv", raw={"id": "a", "s": "dlv"}),
        item("b", "failed", "undeliv", "Off", raw={"id": "b", "s": "undeliv", "e": "Off"}),
        item("c", "unknown", "x", raw={"id": "c", "s": "x"}),
    ]


def test_a_list_of_bare_ids_needs_no_status_each() -> None:
    body = json.dumps({"results": ["a", "b"]}).encode()
    got = parse_callback(sms(BATCH, fmt="json"), body=body, content_type="application/json")
    assert got == [item("a", "processing", None, raw="a"), item("b", "processing", None, raw="b")]
    # a status beside the list applies to every id
    body = json.dumps({"results": ["a"], "s": "dlv"}).encode()
    assert parse_callback(sms(BATCH, fmt="json"), body=body) == [item("a", "delivered", "dlv", raw="a")]


def test_a_plain_text_report() -> None:
    connector = sms('<message_id use="ID:(\\w+)"/><message_status use="stat:(\\w+)"/>', fmt="text")
    got = parse_callback(connector, body=b"ID:abc stat:DLV", content_type="text/plain")
    assert got == [item("abc", "delivered", "DLV", raw=None)]


RECEIVE = """<connector for="SMSNotifier">
  <provider><url>https://sms.example.com</url></provider>
  <message_send><request><url>/send</url></request><response/></message_send>
  <message_receive%s>%s</message_receive>
</connector>
"""
FORM_RECEIVE = (
    '<from use="from" prefix="tel:"/><to use="to" fallback="dest" required="true"/><text use="text"/>'
    '<message_id use="id"/><date use="date"/><attachments use="MediaUrl*"/><attachment_types use="MediaType*"/>'
)


def receiver(mapping: str = FORM_RECEIVE, fmt: str = "") -> Connector:
    return load_connector(RECEIVE % (f' format="{fmt}"' if fmt else "", mapping))


def inbound(sender: str, text: str, **kw: Any) -> InboundMessage:
    return InboundMessage(
        sender,
        text,
        kw.get("to"),
        kw.get("external_id"),
        kw.get("date"),
        kw.get("raw"),
        kw.get("attachments", []),
    )


def test_an_inbound_message_from_a_query() -> None:
    query = "from=TEL:%2B250788&to=123&text=Hi&id=x1&date=2024-01-02"
    raw = {"from": "TEL:+250788", "to": "123", "text": "Hi", "id": "x1", "date": "2024-01-02"}
    assert parse_receive(receiver(), query=query) == [
        inbound("+250788", "Hi", to="123", external_id="x1", date="2024-01-02", raw=raw)
    ]


def test_an_inbound_message_in_a_form_body_with_attachments() -> None:
    body = (
        b"from=tel:1&dest=99&MediaUrl1=u1&MediaUrl10=u10&MediaUrl0=u0&MediaUrlX=ux&MediaUrl2="
        b"&MediaType0=image/jpeg&MediaType1=bogus"
    )
    (got,) = parse_receive(receiver(), body=body)
    assert (got.sender, got.to, got.text, got.external_id, got.date) == ("1", "99", "", None, None)
    # numbered fields in number order (10 after 2), empty ones skipped; a type without "/" is no type
    assert got.attachments == ["image/jpeg:u0", "u1", "u10"]
    assert got.raw == dict(p.split("=") for p in body.decode().split("&"))  # the body alone


def test_an_inbound_json_message_is_read_as_declared() -> None:
    # declared JSON: a form body without a content type is refused, not read as a form
    with pytest.raises(PayloadError) as info:
        parse_receive(receiver(JSON_RECEIVE, "json"), body=b"from=1&text=x")
    assert str(info.value) == "invalid JSON: Expecting value: line 1 column 1 (char 0)"
    got = parse_receive(
        receiver(JSON_RECEIVE, "json"),
        body=b"from=1&text=x",
        content_type="application/x-www-form-urlencoded",
    )
    assert got == [inbound("1", "x", raw=None)]  # no batch in a form: the whole is the message


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=%2B250&to=1&text=x", "inbound from '+250' at 'from' does not start with 'tel:'"),
        ("to=1&text=x", "inbound message has no sender at 'from'"),
        ("from=tel:&to=1&text=x", "inbound message has no sender at 'from'"),  # nothing after the prefix
        ("from=tel:1&text=x", "inbound message has no to at 'to' or 'dest'"),
        ("from=tel:1&to=1", "inbound message has no text at 'text'"),
        ("from=tel:1&to=1&text=", "inbound message has no text at 'text'"),
    ],
)
def test_inbound_messages_refused(query: str, message: str) -> None:
    with pytest.raises(PayloadError) as info:
        parse_receive(receiver(), query=query)
    assert str(info.value) == message


def test_inbound_refusals_name_an_unmapped_sender_and_a_missing_section() -> None:
    no_from = receiver('<text use="t"/>')
    with pytest.raises(PayloadError) as info:
        parse_receive(no_from, query="t=x")
    assert str(info.value) == "inbound message has no sender at '(unmapped)'"
    with pytest.raises(PayloadError) as info:
        parse_receive(dataclasses.replace(no_from, message_receive=None), query="t=x")
    assert str(info.value) == "this connector does not receive messages"
    required = receiver('<from use="f"/><to use="t" required="true"/>')
    with pytest.raises(PayloadError) as info:
        parse_receive(required, query="f=1")
    assert str(info.value) == "inbound message has no to at 't'"
    # no text mapped: a message without text is fine
    assert parse_receive(receiver('<from use="f"/>'), query="f=1") == [inbound("1", "", raw={"f": "1"})]


JSON_RECEIVE = (
    '<messages use="messages"/><from use="from"/><text use="text"/><to use="to"/>'
    '<date use="time" format="%Y-%m-%d %H:%M:%S" timezone="Asia/Kuala_Lumpur"/>'
    '<attachments use="media" fallback="files"/><attachment_types use="types"/>'
)


def test_a_json_batch_of_inbound_messages() -> None:
    body = {
        "to": "555",
        "messages": [
            {
                "from": "1",
                "text": "a",
                "time": "2024-01-02 12:30:00",
                "media": ["u1", "u2"],
                "types": ["image/png"],
            },
            {"from": "2", "text": "b", "to": "777", "files": "f1"},
        ],
    }
    got = parse_receive(receiver(JSON_RECEIVE, "json"), body=json.dumps(body).encode())
    assert got == [
        inbound(
            "1",
            "a",
            to="555",
            date="2024-01-02T12:30:00+08:00",
            raw=body["messages"][0],
            attachments=["image/png:u1", "u2"],
        ),
        inbound("2", "b", to="777", raw=body["messages"][1], attachments=["f1"]),
    ]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b'{"messages": []}', "application/json"), (b"<messages/>", "text/xml"), (b'""', "application/json")],
)
def test_an_empty_batch_is_nothing_to_store(body: bytes, content_type: str) -> None:
    assert parse_receive(receiver(JSON_RECEIVE, "json"), body=body, content_type=content_type) == []


def test_a_batch_under_another_name_is_refused() -> None:
    with pytest.raises(PayloadError) as info:
        parse_receive(receiver(JSON_RECEIVE, "json"), body=b'{"msgs": []}')
    assert str(info.value) == "inbound message has no sender at 'from'"


def test_inbound_dates() -> None:
    utc = receiver('<from use="f"/><date use="d" format="%d/%m/%Y %H:%M"/>')
    assert parse_receive(utc, query="f=1&d=+02/01/2024+10:05+")[0].date == "2024-01-02T10:05:00+00:00"
    zoned = receiver('<from use="f"/><date use="d" format="%d/%m/%Y %H:%M %z" timezone="Asia/Tokyo"/>')
    assert parse_receive(zoned, query="f=1&d=02/01/2024 10:05 %2B0100")[0].date == "2024-01-02T10:05:00+01:00"
    with pytest.raises(PayloadError) as info:
        parse_receive(utc, query="f=1&d=2024-01-02")
    assert str(info.value) == "invalid date '2024-01-02': expected the format '%d/%m/%Y %H:%M'"
    # no date, or a date without a format: as sent
    assert parse_receive(utc, query="f=1")[0].date is None
    plain = receiver('<from use="f"/><date use="d"/>')
    assert parse_receive(plain, query="f=1&d=yesterday")[0].date == "yesterday"


@pytest.mark.parametrize(
    ("text", "charset", "decoded"),
    [
        ("hello%21", "ISO-8859-1", "hello!"),
        ("caf%E9+ok", " latin-1 ", "café ok"),
        ("%00h%00i", "UTF-16BE", "hi"),
        ("%D8%00", "utf-16be", "\ufffd"),  # a lone surrogate half: replaced, not an error
        ("hello%21", "utf-8", "hello%21"),
        ("hello%21", "UTF8", "hello%21"),
        ("hello%21", None, "hello%21"),
        ("hello%21", "", "hello%21"),
        ("hello%21", "klingon", "hello%21"),
        ("\x02\x00\x11", "0", "$@_"),  # GSM 03.38 septets, one a character
        ("\x02", "gsm7", "$"),
        ("\x02", "GSM-7", "$"),
        ("\x7f", "0", "à"),
        ("\x02", "8", "\x02"),  # another data coding: already text
        ("\x02", "00", "$"),
        ("é\x02", "0", "é\x02"),  # not septets
        ("\x80", "0", "\x80"),
    ],
)
def test_decode_charset(text: str, charset: str | None, decoded: str) -> None:
    assert decode_charset(text, charset) == decoded


def test_charset_beside_each_item_or_the_whole() -> None:
    mapping = ResponseMap("json", {"text": PathRef("t", charset="cs")}, "items")
    payload = Payload({"items": [{"t": "caf%E9", "cs": "latin-1"}, {"t": "%00h"}], "cs": "utf-16be"})
    assert [map_item(mapping, payload, it)["text"] for it in items_of(mapping, payload)] == [
        "café",
        "%00h",  # the charset is read in the item only
    ]
    whole = Payload({"t": "caf%E9", "cs": "latin-1"}, form=True)
    assert map_item(ResponseMap("form", {"text": PathRef("t", charset="cs")}), whole, MISSING) == {
        "text": "café"
    }
    assert map_item(ResponseMap("form", {"text": PathRef("t", charset="cs")}), whole, whole.data) == {
        "text": "café"
    }


@pytest.mark.parametrize(
    ("mapping", "data", "item", "expected"),
    [
        # a path missing in the item falls back to the whole payload
        (
            ResponseMap("json", {"message_id": PathRef("id"), "to": PathRef("to")}),
            {"to": "9", "l": [{"id": "a"}]},
            {"id": "a"},
            {"message_id": "a", "to": "9"},
        ),
        # defaults for empty values
        (
            ResponseMap("json", {"message_id": PathRef("id", default="d")}),
            {"id": ""},
            MISSING,
            {"message_id": "d"},
        ),
        (
            ResponseMap("json", {"message_id": PathRef("", default="d")}),
            {"id": "x"},
            MISSING,
            {"message_id": "d"},
        ),
        # fallback paths: in the item first, then the whole
        (
            ResponseMap("json", {"message_id": PathRef("id", fallback="ref")}),
            {"ref": "w"},
            {"ref": "i"},
            {"message_id": "i"},
        ),
        (
            ResponseMap("json", {"message_id": PathRef("id", fallback="ref")}),
            {"ref": "w"},
            {"x": "i"},
            {"message_id": "w"},
        ),
        (
            ResponseMap("json", {"message_id": PathRef("id", fallback="ref")}),
            {"ref": "w", "id": ""},
            MISSING,
            {"message_id": "w"},
        ),
        (
            ResponseMap("json", {"message_id": PathRef("id", fallback="ref", default="d")}),
            {},
            MISSING,
            {"message_id": "d"},
        ),
        # a list of plain values is a list of ids (call ids too), other keys read the whole payload
        (
            ResponseMap("json", {"message_id": PathRef("id"), "message_status": PathRef("s")}),
            {"s": "ok"},
            "id7",
            {"message_id": "id7", "message_status": "ok"},
        ),
        (ResponseMap("json", {"call_id": PathRef("id")}), {}, 7, {"call_id": "7", "message_id": "7"}),
        # an empty plain id takes the default, and stays it
        (ResponseMap("json", {"message_id": PathRef("id", default="d")}), {}, "", {"message_id": "d"}),
        (
            ResponseMap("json", {"message_status": PathRef("s")}),
            {"s": "ok"},
            "id8",
            {"message_status": "ok", "message_id": "id8"},
        ),
        (
            ResponseMap("json", {"message_status": PathRef("s")}),
            {"s": "ok"},
            {"s": "it"},
            {"message_status": "it"},
        ),
        (
            ResponseMap("json", {"message_status": PathRef("s")}),
            {"s": "ok"},
            [{"s": "it"}],
            {"message_status": "it"},
        ),
    ],
)
def test_map_item(mapping: ResponseMap, data: Any, item: Any, expected: dict[str, Any]) -> None:
    assert map_item(mapping, Payload(data), item) == expected


@pytest.mark.parametrize(
    ("payload", "messages", "items"),
    [
        (Payload("plain text", text=True), "x", [MISSING]),
        (Payload({"l": [1, 2]}), "l", [1, 2]),
        (Payload({"l": []}), "l", [MISSING]),
        (Payload({"l": {"a": 1}}), "l", [{"a": 1}]),
        (Payload({"x": 1}), "l", [MISSING]),
        (Payload([{"a": 1}, {"a": 2}]), None, [{"a": 1}, {"a": 2}]),
        (Payload([]), None, [MISSING]),
        (Payload({"a": 1}), None, [{"a": 1}]),
    ],
)
def test_items_of(payload: Payload, messages: str | None, items: list[Any]) -> None:
    assert items_of(ResponseMap("json", {}, messages), payload) == items


@pytest.mark.parametrize(
    ("data", "item", "use", "values"),
    [
        ({"M1": "b", "M0": "a", "M": "x", "Mx": "y", "M2": ""}, MISSING, "M*", ["a", "b"]),
        ({"M0": "w"}, {"M0": "i", "M1": 5}, "M*", ["i", "5"]),
        ({"M0": "w"}, "bare", "M*", ["w"]),
        (["M0"], MISSING, "M*", []),
        ({"l": ["a", "", {"#text": "b"}]}, MISSING, "l", ["a", "b"]),
        ({"l": "one"}, MISSING, "l", ["one"]),
        ({"l": ""}, MISSING, "l", []),
        ({"l": "whole"}, {"x": 1}, "l", ["whole"]),
        ({"l": "whole"}, {"l": "item"}, "l", ["item"]),
        ({}, MISSING, "l", []),
    ],
)
def test_numbered(data: Any, item: Any, use: str, values: list[str]) -> None:
    assert _numbered(Payload(data), item, use) == values


def test_attachments_need_a_path() -> None:
    payload = Payload({"m": ["u"], "t": ["image/png"]})
    assert _attachments(ResponseMap("json", {"attachments": PathRef("")}), payload, MISSING) == []
    assert _attachments(ResponseMap("json", {}), payload, MISSING) == []
    typed = {"attachments": PathRef("m"), "attachment_types": PathRef("t")}
    assert _attachments(ResponseMap("json", typed), payload, MISSING) == ["image/png:u"]
    untyped = {"attachments": PathRef("m"), "attachment_types": PathRef("")}
    assert _attachments(ResponseMap("json", untyped), payload, MISSING) == ["u"]
