"""Phone connectors: click-to-call request, answer/status/incoming callbacks and XML replies."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import httpx
import pytest

from aggregators.connector import (
    PayloadError,
    build_outgoing_call_request,
    builtin_connectors,
    load_connector,
    map_answer_callback,
    map_incoming_call,
    map_outgoing_call_response,
    map_status_callback,
    normalise_call_status,
    render_send_response,
)

from .helpers import FIXTURES, Recorder, case, fixture_bytes

PHONE_PROVIDERS = ["twilio_voice", "ozonetel", "plivo_voice"]
FORM = "application/x-www-form-urlencoded"


def test_every_builtin_phone_connector_has_fixtures():
    phone = {slug for slug, c in builtin_connectors().items() if c.kind == "phone"}
    assert phone == set(PHONE_PROVIDERS)
    assert all((FIXTURES / slug / "case.json").exists() for slug in phone)


@pytest.mark.parametrize("provider", PHONE_PROVIDERS)
def test_outgoing_call_request_is_exact(provider):
    spec = case(provider)
    recorder = Recorder()
    with recorder.client() as client:
        client.send(build_outgoing_call_request(builtin_connectors()[provider], spec["fields"], spec["ctx"]))
    (sent,) = recorder.requests
    want = spec["request"]
    assert (sent.method, str(sent.url)) == (want["method"], want["url"])
    for name, value in want["headers"].items():
        assert sent.headers.get(name) == value
    if "json" in want:
        assert json.loads(sent.content) == want["json"]
    if "form" in want:
        assert dict(parse_qsl(sent.content.decode())) == want["form"]
    if want["method"] == "GET":
        assert sent.content == b""


def _responses():
    for provider in PHONE_PROVIDERS:
        for i, item in enumerate(case(provider)["responses"]):
            yield pytest.param(provider, item, id=f"{provider}-{i}")


@pytest.mark.parametrize(("provider", "item"), list(_responses()))
def test_outgoing_call_response(provider, item):
    response = httpx.Response(
        item["status"],
        content=fixture_bytes(provider, item["file"]),
        headers={"content-type": "application/json"},
    )
    result = map_outgoing_call_response(builtin_connectors()[provider], response)
    for key, value in item["expect"].items():
        assert getattr(result, key) == value, key


def _event_values(event):
    return {"call_id": event.call_id, "call_status": event.call_status, **event.values}


@pytest.mark.parametrize("provider", [p for p in PHONE_PROVIDERS if "answer" in case(p)])
def test_answer_callback_and_reply(provider):
    spec = case(provider)
    connector = builtin_connectors()[provider]
    event = map_answer_callback(
        connector, body=fixture_bytes(provider, spec["answer"]["file"]), content_type=FORM
    )
    got = _event_values(event)
    for key, value in spec["answer"]["expect"].items():
        assert got[key] == value, key
    ctx = {**spec["ctx"], **event.context()}
    body, content_type = render_send_response(connector.answer_callback.send_response, spec["fields"], ctx)
    assert body.decode() == spec["answer"]["reply"]
    assert content_type in ("text/xml", "application/xml")


def _status_cases():
    for provider in PHONE_PROVIDERS:
        for item in case(provider)["status"]:
            yield pytest.param(provider, item, id=f"{provider}-{item['file']}")


@pytest.mark.parametrize(("provider", "item"), list(_status_cases()))
def test_status_callback_branches(provider, item):
    event = map_status_callback(
        builtin_connectors()[provider], body=fixture_bytes(provider, item["file"]), content_type=FORM
    )
    assert event.branch_matched
    got = _event_values(event)
    for key, value in item["expect"].items():
        assert got.get(key) == value, key


@pytest.mark.parametrize("provider", PHONE_PROVIDERS)
def test_incoming_call(provider):
    spec = case(provider)["incoming"]
    connector = builtin_connectors()[provider]
    content_type = "application/json" if spec["file"].endswith(".json") else FORM
    event = map_incoming_call(
        connector, body=fixture_bytes(provider, spec["file"]), content_type=content_type
    )
    got = _event_values(event)
    for key, value in spec["expect"].items():
        assert got.get(key) == value, key
    if "reply" in spec:
        body, _ct = render_send_response(
            connector.incoming_call.send_response, case(provider)["fields"], spec["ctx"]
        )
        assert body.decode() == spec["reply"]


def test_ozonetel_keeps_extra_named_elements_as_call_data():
    event = map_status_callback(
        builtin_connectors()["ozonetel"],
        body=fixture_bytes("ozonetel", "status_answered.txt"),
        content_type=FORM,
    )
    assert event.data == {"uui": "contact-42", "campaign_name": "Inbound_918000000000"}


def test_unmatched_status_is_recorded_with_the_first_branch_ids():
    event = map_status_callback(
        builtin_connectors()["twilio_voice"], body=b"CallSid=CA1&CallStatus=weird-state", content_type=FORM
    )
    assert (event.call_id, event.raw_status, event.call_status, event.branch_matched) == (
        "CA1",
        "weird-state",
        None,
        False,
    )


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"CallStatus=completed", FORM, "no call id at 'CallSid'"),
        (b"CallSid=CA1", FORM, "no status at 'CallStatus'"),
        (b"{not json", "application/json", "invalid JSON"),
        (b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', "text/xml", "DOCTYPE/ENTITY"),
    ],
)
def test_bad_status_callbacks_raise_payload_error(body, content_type, message):
    with pytest.raises(PayloadError, match=message):
        map_status_callback(builtin_connectors()["twilio_voice"], body=body, content_type=content_type)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Ringing", "ringing"), ("answered", "in-progress"), ("hangup", "completed"), ("NotAnswered", "no-answer"),
     ("cancelled", "canceled"), ("busy", "busy"), ("mystery", None), (None, None)],
)  # fmt: skip
def test_call_status_normalisation(raw, expected):
    assert normalise_call_status(raw) == expected


def test_send_response_json_format_and_text_with_attrs():
    connector = load_connector(
        """<connector for="PhoneCalls">
          <provider><url>https://voice.example.com</url></provider>
          <outgoing_call><request method="post"/></outgoing_call>
          <incoming_call>
            <response><call_id use="id"/></response>
            <send_response format="json">
              <parameters>
                <parameter name="action" value="connect"/>
                <parameter name="endpoint"><parameter name="number" value="@extension|no_plus"/></parameter>
              </parameters>
            </send_response>
          </incoming_call>
        </connector>"""
    )
    body, content_type = render_send_response(
        connector.incoming_call.send_response, {}, {"extension": "+1555"}
    )
    assert json.loads(body) == {"action": "connect", "endpoint": {"number": "1555"}}
    assert content_type == "application/json"


def test_send_response_names_must_be_xml_names():
    from aggregators.connector import parse_connector

    errors = parse_connector(
        """<connector for="PhoneCalls">
  <provider><url>https://voice.example.com</url></provider>
  <outgoing_call><request method="post"/></outgoing_call>
  <incoming_call><response><call_id use="id"/></response>
    <send_response><parameters><parameter name="Dial now"/></parameters></send_response>
  </incoming_call>
</connector>"""
    ).errors
    assert [(e.line, e.column, e.message) for e in errors] == [(5, 43, "'Dial now' is not a valid XML name")]


def test_send_response_json_keeps_attributes():
    connector = load_connector(
        """<connector for="PhoneCalls">
          <provider><url>https://voice.example.com</url></provider>
          <outgoing_call><request method="post"/></outgoing_call>
          <incoming_call>
            <response><call_id use="id"/></response>
            <send_response format="json">
              <parameters>
                <parameter name="Dial">
                  <attrs><attr name="action" value="@status_callback"/><attr name="from_number" value="@from_number"/></attrs>
                  <parameter name="Number" value="@to_number"/>
                </parameter>
                <parameter name="Say" value="Hello">
                  <attrs><attr name="voice" value="alice"/></attrs>
                </parameter>
              </parameters>
            </send_response>
          </incoming_call>
        </connector>"""
    )
    body, _ = render_send_response(
        connector.incoming_call.send_response,
        {},
        {"status_callback": "https://fg.example/c/xc/u/status", "from_number": "+1555", "to_number": "+1666"},
    )
    assert json.loads(body) == {
        "Dial": {"action": "https://fg.example/c/xc/u/status", "from_number": "+1555", "Number": "+1666"},
        "Say": {"voice": "alice", "value": "Hello"},
    }
