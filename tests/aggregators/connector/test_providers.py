"""Table-driven tests over the recorded fixtures of every built-in SMS connector.

Each ``fixtures/<provider>/case.json`` holds the config, the runtime values, the exact request
the connector must build, recorded provider answers (success and failure), callbacks,
a polling answer and an inbound message, with the expected mapping of each.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import httpx
import pytest

from aggregators.connector import (
    build_send_request,
    build_status_request,
    builtin_connectors,
    map_send_response,
    map_status_response,
    parse_callback,
    parse_receive,
    render_send_response,
)

from .helpers import FIXTURES, Recorder, case, fixture_bytes

SMS_PROVIDERS = ["twilio", "bulksms", "plivo", "infobip", "vonage", "africastalking", "telnyx"]
SMS_PROVIDERS += [
    "smscentral",
    "m3tech",
    "yo",
    "dmark",
    "burstsms",
    "clicksend",
    "signalwire",
    "mblox",
    "arabiacell",
]  # courier parity (issue 25)
SMS_PROVIDERS += [
    "clickatell",
    "kannel",
    "jasmin",
    "messagebird",
    "bandwidth",
    "zenvia",
    "wavy",
    "thinq",
    "kaleyra",
    "telesom",
    "hormuud",
    "macrokiosk",
    "globe",
    "playmobile",
    "dart",
    "hub9",
    "mtn",
]  # courier parity (issue 25)


def test_every_builtin_sms_connector_has_fixtures():
    sms = {slug for slug, c in builtin_connectors().items() if c.kind == "sms"}
    assert sms == set(SMS_PROVIDERS)
    assert all((FIXTURES / slug / "case.json").exists() for slug in sms)


@pytest.mark.parametrize("provider", SMS_PROVIDERS)
def test_send_request_is_exact(provider):
    spec = case(provider)
    connector = builtin_connectors()[provider]
    recorder = Recorder()
    with recorder.client() as client:
        client.send(build_send_request(connector, spec["fields"], spec["ctx"]))
    (sent,) = recorder.requests
    want = spec["request"]
    assert sent.method == want["method"]
    assert str(sent.url) == want["url"]
    for name, value in want["headers"].items():
        assert sent.headers.get(name) == value, name
    for name in want.get("no_headers", []):
        assert name not in sent.headers
    if "json" in want:
        assert json.loads(sent.content) == want["json"]
    if "form" in want:
        assert dict(parse_qsl(sent.content.decode(), keep_blank_values=True)) == want["form"]


def _response_cases():
    for provider in SMS_PROVIDERS:
        for i, item in enumerate(case(provider)["responses"]):
            yield pytest.param(provider, item, id=f"{provider}-{i}-{item['file']}-{item['status']}")


@pytest.mark.parametrize(("provider", "item"), list(_response_cases()))
def test_send_response_mapping(provider, item):
    connector = builtin_connectors()[provider]
    response = httpx.Response(
        item["status"],
        content=fixture_bytes(provider, item["file"]),
        headers={"content-type": item["content_type"]},
    )
    result = map_send_response(connector, response)
    for key, value in item["expect"].items():
        assert getattr(result, key) == value, key


def _callback_cases():
    for provider in SMS_PROVIDERS:
        for i, item in enumerate(case(provider)["callbacks"]):
            yield pytest.param(provider, item, id=f"{provider}-{i}")


@pytest.mark.parametrize(("provider", "item"), list(_callback_cases()))
def test_callback_mapping(provider, item):
    connector = builtin_connectors()[provider]
    if "query_file" in item:  # delivered as a GET with a query string
        items = parse_callback(connector, query=fixture_bytes(provider, item["query_file"]).decode())
    else:
        items = parse_callback(
            connector, body=fixture_bytes(provider, item["file"]), content_type=item["content_type"]
        )
    got = [{k: getattr(it, k) for k in ("message_id", "status", "raw_status", "error")} for it in items]
    assert got == item["expect"]


POLL_PROVIDERS = [p for p in SMS_PROVIDERS if "poll" in case(p)]


@pytest.mark.parametrize("provider", POLL_PROVIDERS)
def test_status_polling(provider):
    spec = case(provider)
    poll = spec["poll"]
    connector = builtin_connectors()[provider]
    request = build_status_request(connector, spec["fields"], {"messageid": poll["messageid"]})
    assert request is not None and request.method == "GET"
    assert str(request.url) == poll["url"]
    recorder = Recorder(200, fixture_bytes(provider, poll["file"]), poll["content_type"])
    with recorder.client() as client:
        result = map_status_response(connector, client.send(request))
    for key, value in poll["expect"].items():
        assert getattr(result, key) == value


RECEIVE_PROVIDERS = [p for p in SMS_PROVIDERS if "receive" in case(p)]


@pytest.mark.parametrize("provider", RECEIVE_PROVIDERS)
def test_inbound_receive(provider):
    spec = case(provider)["receive"]
    connector = builtin_connectors()[provider]
    if "query_file" in spec:
        messages = parse_receive(connector, query=fixture_bytes(provider, spec["query_file"]).decode())
    else:
        messages = parse_receive(
            connector, body=fixture_bytes(provider, spec["file"]), content_type=spec["content_type"]
        )
    for message, want in zip(messages, spec["expect"], strict=True):
        for key, value in want.items():
            assert getattr(message, key) == value, key
    if "reply" in spec:
        send_response = connector.message_receive.send_response
        body, content_type = render_send_response(send_response, spec.get("fields", {}), {})
        assert body.decode() == spec["reply"]
        assert content_type == "text/xml"


def test_bulksms_has_no_callback_so_polling_is_the_way():
    bulksms = builtin_connectors()["bulksms"]
    assert bulksms.message_send.callback is None
    assert bulksms.message_status is not None
