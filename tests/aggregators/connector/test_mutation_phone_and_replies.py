"""Phone callbacks, outgoing-call answers and reply bodies, pinned whole.

Written against the mutation run (`scripts/mutation.py --only connector-parser-mapping`): the
call a callback updates, its normalised status, the values kept for the reply, and the reply
body byte for byte (providers parse it: TwiML, JSON, plain text).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import httpx
import pytest

from aggregators.connector import PayloadError, load_connector
from aggregators.connector.mapping import (
    CallEvent,
    CallResult,
    map_answer_callback,
    map_incoming_call,
    map_outgoing_call_response,
    map_status_callback,
    normalise_call_status,
    render_send_response,
)
from aggregators.connector.model import Connector, StatusCallback

PHONE = """<connector for="PhoneCalls">
  <provider><url>https://voice.example.com</url></provider>
  <outgoing_call>
    <request><url>Calls</url></request>
    <response format="json">
      <callid use="sid"/><status use="status"/><error use="message"/><success use="ok"/><to_number use="to"/>
    </response>
    <callbacks>
      <answer_callback>
        <response format="json">
          <call_id use="CallSid"/><call_status use="CallStatus"/><direction use="Direction" default="outbound"/>
          <campaign use="Camp"/>
        </response>
      </answer_callback>
      <status_callback use="CallStatus">
        <status for="completed,busy"><response format="json"><call_id use="CallSid"/><duration use="Dur" default="0"/></response></status>
        <status for="ringing"><response><call_id use="RingSid"/><call_status use="Detail"/></response></status>
      </status_callback>
    </callbacks>
  </outgoing_call>
  <incoming_call><response format="json"><call_id use="id"/><from_number use="from"/></response></incoming_call>
</connector>
"""


@pytest.fixture(scope="module")
def phone() -> Connector:
    return load_connector(PHONE)


def test_answer_callback_from_a_query_or_a_form(phone: Connector) -> None:
    query = "CallSid=C1&CallStatus=In+Progress&Camp=x"
    expected = CallEvent(
        "C1",
        "in-progress",
        "In Progress",
        {"call_id": "C1", "call_status": "In Progress", "direction": "outbound", "campaign": "x"},
        {"CallSid": "C1", "CallStatus": "In Progress", "Camp": "x"},
    )
    assert map_answer_callback(phone, query=query) == expected
    event = map_answer_callback(phone, body=query.encode(), content_type="application/x-www-form-urlencoded")
    assert event == expected
    # declared JSON: an untyped form body is not read as a form
    with pytest.raises(PayloadError) as info:
        map_answer_callback(phone, body=query.encode())
    assert str(info.value) == "invalid JSON: Expecting value: line 1 column 1 (char 0)"
    assert event.get("campaign") == "x" and event.get("nope") is None
    assert event.data == {"campaign": "x"}  # named call fields are not extra data
    assert event.context() == expected.values


def test_answer_callback_without_a_status(phone: Connector) -> None:
    event = map_answer_callback(phone, query="CallSid=C1&Direction=inbound")
    assert (event.call_status, event.raw_status, event.values["call_status"]) == (None, None, None)
    assert event.context() == {"call_id": "C1", "direction": "inbound"}  # None values are left out


def test_incoming_call_reads_its_declared_format(phone: Connector) -> None:
    event = map_incoming_call(phone, body=b'{"id": "I1", "from": "+250"}')
    assert (event.call_id, event.values, event.raw) == (
        "I1",
        {"call_id": "I1", "from_number": "+250", "call_status": None},
        {"id": "I1", "from": "+250"},
    )
    # declared JSON: a form body without a content type is not read as a form
    with pytest.raises(PayloadError) as info:
        map_incoming_call(phone, body=b"id=I1")
    assert str(info.value).startswith("invalid JSON: ")
    assert map_incoming_call(phone, query="id=I2").call_id == "I2"
    form = map_incoming_call(phone, body=b"id=I3", content_type="application/x-www-form-urlencoded")
    assert (form.call_id, form.raw) == ("I3", {"id": "I3"})


@pytest.mark.parametrize(
    ("query", "call_id", "status", "raw", "values", "matched"),
    [
        ("CallStatus=completed&CallSid=C1&Dur=30", "C1", "completed", "completed", {"duration": "30"}, True),
        ("CallStatus=BUSY&CallSid=C1", "C1", "busy", "BUSY", {"duration": "0"}, True),
        # the ringing branch reads other paths, and its own status value
        ("CallStatus=ringing&RingSid=R1&CallSid=C1&Detail=initiated", "R1", "ringing", "initiated", {}, True),
        ("CallStatus=ringing&RingSid=R1", "R1", "ringing", "ringing", {}, True),
        # no branch for the status: recorded with the first branch's paths
        ("CallStatus=no-answer&CallSid=C1", "C1", "no-answer", "no-answer", {"duration": "0"}, False),
        ("CallStatus=weird&CallSid=C1", "C1", None, "weird", {"duration": "0"}, False),
    ],
)
def test_status_callbacks_pick_their_branch(
    phone: Connector,
    query: str,
    call_id: str,
    status: str | None,
    raw: str,
    values: dict[str, str],
    matched: bool,
) -> None:
    event = map_status_callback(phone, query=query)
    assert (event.call_id, event.call_status, event.raw_status, event.branch_matched) == (
        call_id,
        status,
        raw,
        matched,
    )
    assert event.values == {"call_id": call_id, **values, "call_status": raw}
    assert event.data == {}  # duration is a named call field
    assert event.raw == dict(p.split("=") for p in query.split("&"))


def test_status_callback_in_a_form_body(phone: Connector) -> None:
    form = "application/x-www-form-urlencoded"
    event = map_status_callback(phone, body=b"CallStatus=busy&CallSid=C9", content_type=form)
    assert (event.call_id, event.call_status, event.raw) == (
        "C9",
        "busy",
        {"CallStatus": "busy", "CallSid": "C9"},
    )
    # the first branch's declared format (JSON) reads an untyped body
    with pytest.raises(PayloadError) as info:
        map_status_callback(phone, body=b"CallStatus=ringing&RingSid=R1")
    assert str(info.value) == "invalid JSON: Expecting value: line 1 column 1 (char 0)"


@pytest.mark.parametrize(
    ("call", "kw", "message"),
    [
        (map_answer_callback, {"query": "CallStatus=x"}, "call callback has no call id at 'CallSid'"),
        (map_incoming_call, {"query": "from=1"}, "call callback has no call id at 'id'"),
        (map_status_callback, {"query": "CallSid=C1"}, "status callback has no status at 'CallStatus'"),
        (map_status_callback, {"query": "CallStatus=busy"}, "call callback has no call id at 'CallSid'"),
        (map_status_callback, {"query": "CallStatus=weird"}, "call callback has no call id at 'CallSid'"),
    ],
)
def test_phone_callbacks_refused(phone: Connector, call: Any, kw: dict[str, Any], message: str) -> None:
    with pytest.raises(PayloadError) as info:
        call(phone, **kw)
    assert str(info.value) == message


def test_phone_callbacks_need_their_sections_and_a_phone_connector(phone: Connector) -> None:
    bare = dataclasses.replace(phone, answer_callback=None, status_callback=None, incoming_call=None)
    for call, section in (
        (map_answer_callback, "answer_callback"),
        (map_incoming_call, "incoming_call"),
        (map_status_callback, "status_callback"),
    ):
        with pytest.raises(PayloadError) as info:
            call(bare, query="CallSid=C1&CallStatus=busy&id=1")
        assert str(info.value) == f"this connector has no <{section}>"
        with pytest.raises(PayloadError) as info:
            call(dataclasses.replace(phone, kind="sms"), query="CallSid=C1&CallStatus=busy&id=1")
        assert str(info.value) == "not a phone connector"
    no_branches = dataclasses.replace(phone, status_callback=StatusCallback("CallStatus", ()))
    with pytest.raises(PayloadError) as info:
        map_status_callback(no_branches, query="CallStatus=busy")
    assert str(info.value) == "this connector has no <status_callback>"


def test_a_call_mapping_without_a_call_id(phone: Connector) -> None:
    section = phone.incoming_call
    assert section is not None
    no_id = dataclasses.replace(
        section.response, fields={"from_number": section.response.fields["from_number"]}
    )
    connector = dataclasses.replace(phone, incoming_call=dataclasses.replace(section, response=no_id))
    with pytest.raises(PayloadError) as info:
        map_incoming_call(connector, query="from=1")
    assert str(info.value) == "call callback has no call id at '(unmapped)'"


def _call(
    phone: Connector, status: int, body: bytes, content_type: str | None = "application/json"
) -> CallResult:
    headers = {"content-type": content_type} if content_type else {}
    return map_outgoing_call_response(phone, httpx.Response(status, content=body, headers=headers))


def _values(**kw: str | None) -> dict[str, str | None]:
    base: dict[str, str | None] = dict.fromkeys(
        ("call_id", "call_status", "error_message", "success", "to_number")
    )
    return {**base, **kw}


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            200,
            b'{"sid": "C1", "status": "queued"}',
            CallResult(
                True, "C1", "ringing", "queued", None, _values(call_id="C1", call_status="queued"), 200
            ),
        ),
        (
            201,
            b'{"sid": "C1", "ok": "true"}',
            CallResult(True, "C1", None, None, None, _values(call_id="C1", success="true"), 201),
        ),
        (
            200,
            b'{"sid": "C1", "ok": " FALSE "}',
            CallResult(
                False,
                "C1",
                None,
                None,
                "provider answered  FALSE ",
                _values(call_id="C1", success=" FALSE "),
                200,
            ),
        ),
        (
            200,
            b'{"ok": "failure", "message": "No credit"}',
            CallResult(
                False,
                None,
                None,
                None,
                "No credit",
                _values(success="failure", error_message="No credit"),
                200,
            ),
        ),
        (
            200,
            b'{"ok": "yes", "message": "Queued fine"}',
            CallResult(
                True, None, None, None, None, _values(success="yes", error_message="Queued fine"), 200
            ),
        ),
        (
            200,
            b'{"message": "Rejected"}',
            CallResult(False, None, None, None, "Rejected", _values(error_message="Rejected"), 200),
        ),
        (200, b"", CallResult(True, None, None, None, None, {}, 200)),
        (204, b"  ", CallResult(True, None, None, None, None, {}, 204)),
        (399, b"{}", CallResult(True, None, None, None, None, _values(), 399)),
        (
            400,
            b'{"message": "Bad number"}',
            CallResult(False, None, None, None, "Bad number", _values(error_message="Bad number"), 400),
        ),
        (
            400,
            b'{"sid": "C1", "ok": "true"}',
            CallResult(
                False,
                "C1",
                None,
                None,
                'HTTP 400: {"sid": "C1", "ok": "true"}',
                _values(call_id="C1", success="true"),
                400,
            ),
        ),
        (503, b"", CallResult(False, None, None, None, "HTTP 503: ", {}, 503)),
        (
            200,
            b"{oops",
            CallResult(
                False,
                None,
                None,
                None,
                "unreadable answer: invalid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
                {},
                200,
            ),
        ),
        (500, b"{oops", CallResult(False, None, None, None, "HTTP 500: {oops", {}, 500)),
    ],
)
def test_outgoing_call_answers(phone: Connector, status: int, body: bytes, expected: CallResult) -> None:
    assert _call(phone, status, body) == expected


def test_outgoing_call_answers_read_the_content_type(phone: Connector) -> None:
    # declared JSON; a form answer with its content type is read as a form
    got = _call(phone, 200, b"sid=C5&ok=true", "application/x-www-form-urlencoded")
    assert (got.ok, got.call_id) == (True, "C5")
    assert _call(phone, 200, b"sid=C5", None).error == (
        "unreadable answer: invalid JSON: Expecting value: line 1 column 1 (char 0)"
    )


def test_outgoing_call_answers_need_the_section(phone: Connector) -> None:
    with pytest.raises(ValueError) as info:
        map_outgoing_call_response(dataclasses.replace(phone, outgoing_call=None), httpx.Response(200))
    assert str(info.value) == "connector has no <outgoing_call>"


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (None, None),
        ("", None),
        ("completed", "completed"),
        (" Completed ", "completed"),
        ("IN-PROGRESS", "in-progress"),
        ("queued", "ringing"),
        ("Not Answered", "no-answer"),
        ("cancelled", "canceled"),
        ("error", "failed"),
        ("weird", None),
    ],
)
def test_normalise_call_status(raw: str | None, status: str | None) -> None:
    assert normalise_call_status(raw) == status


REPLIES = """<connector for="PhoneCalls">
  <config><fields><field name="caller"/></fields></config>
  <provider><url>https://voice.example.com</url></provider>
  <outgoing_call><request><url>Calls</url></request></outgoing_call>
  <incoming_call>
    <response><call_id use="id"/></response>
    <send_response%s>
      <parameters>
        <parameter name="Say" value="Hi @to_number from $config.$fields.caller"/>
        <parameter name="Dial">
          <attrs><attr name="callerId" value="$config.$fields.caller"/><attr name="n" value="@to_number|digits"/></attrs>
          <parameter name="Number" value="@to_number"/>
          <parameter name="From" value="$config.$fields.caller"/>
          <parameter name="Empty"/>
        </parameter>
        <parameter name="Pause"><attrs><attr name="length" value="2"/></attrs></parameter>
        <parameter name="Note" value="é &amp; ü"/>
        <parameter name="Hangup"/>
      </parameters>
    </send_response>
  </incoming_call>
</connector>
"""
FIELDS = {"caller": "+1000"}
CTX = {"to_number": "+250 788"}


def _reply(attrs: str) -> tuple[bytes, str]:
    section = load_connector(REPLIES % attrs).incoming_call
    assert section is not None and section.send_response is not None
    return render_send_response(section.send_response, FIELDS, CTX)


def test_an_xml_reply() -> None:
    body, content_type = _reply("")
    assert content_type == "text/xml"
    assert body == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Say>Hi +250 788 from +1000</Say>'
        b'<Dial callerId="+1000" n="250788"><Number>+250 788</Number><From>+1000</From><Empty/></Dial>'
        b'<Pause length="2"/><Note>\xc3\xa9 &amp; \xc3\xbc</Note><Hangup/></Response>'
    )
    body, _ = _reply(' root="Twiml"')
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<Twiml><Say>')


def test_a_json_reply() -> None:
    body, content_type = _reply(' format="json"')
    assert content_type == "application/json"
    assert (
        body
        == (
            '{"Say":"Hi +250 788 from +1000","Dial":{"callerId":"+1000","n":"250788","Number":"+250 788",'
            '"From":"+1000","Empty":""},'
            '"Pause":{"length":"2"},"Note":"é & ü","Hangup":""}'
        ).encode()
    )
    assert json.loads(body)["Note"] == "é & ü"


def test_a_text_reply() -> None:
    body, content_type = _reply(' format="text"')
    assert (body, content_type) == (
        "Hi +250 788 from +1000é & ü".encode(),
        "text/plain",
    )  # top-level values only


def test_a_json_value_beside_attributes() -> None:
    connector = load_connector(
        (REPLIES % ' format="json"').replace(
            '<parameter name="Hangup"/>',
            '<parameter name="Play" value="@to_number $config.$fields.caller"><attrs><attr name="loop" value="2"/></attrs></parameter>',
        )
    )
    section = connector.incoming_call
    assert section is not None and section.send_response is not None
    body, _ = render_send_response(section.send_response, FIELDS, {"to_number": ["a", "b"]})
    assert json.loads(body)["Play"] == {"loop": "2", "value": "a,b +1000"}
    assert json.loads(body)["Say"] == "Hi a,b from +1000"
