"""Courier's External handler cases replayed against a running Flowgate over real HTTP.

Channels are created through the API, inbound posts go to the live ASGI server, outgoing
messages are queued through the messages API and sent by the worker to a local fake aggregator
that records each request. Every case is checked; a failure lists the courier cases by name.
Run with `-s` to see one line per courier case.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.aggregators.external import external_cases as cases
from tests.aggregators.external.conftest import record
from tests.conftest import run_jobs

LETTERS = {"sent": "S", "delivered": "D", "failed": "F"}


@pytest.fixture(autouse=True)
def _no_retry_within_a_case(settings) -> None:
    settings.FLOWGATE_SEND_BACKOFF_SECONDS = 3600  # an errored message stays errored for the check


def _create_channel(web: Any, *, address: str, country: str, config: dict[str, Any]) -> dict[str, Any]:
    response = web.post(
        "/api/v1/channels",
        json={"type": "EX", "name": "Courier case", "address": address, "country": country, "config": config},
    )
    assert response.status_code == 201, response.text
    return response.json()


def _report(kind: str, results: list[tuple[str, str | None]]) -> None:
    passed = sum(1 for _, problem in results if problem is None)
    for name, problem in results:
        print(
            f"courier {kind} {'PASS' if problem is None else 'FAIL'}: {name}"
            + (f" -- {problem}" if problem else "")
        )
    print(f"courier External {kind}: {passed}/{len(results)} cases pass")
    record(f"External {kind}", passed, len(results))
    failures = [f"{name}: {problem}" for name, problem in results if problem is not None]
    assert not failures, "\n".join(failures)


def _outgoing_message(web: Any, channel_uuid: str) -> str:
    """An outgoing message of the channel, already sent, for the status cases."""
    response = web.post(
        "/api/v1/messages", json={"channel": channel_uuid, "to": "tel:+250788383383", "text": "status case"}
    )
    assert response.status_code == 201, response.text
    run_jobs()
    return str(response.json()["uuid"])


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _forget_recent_inbound() -> None:
    """Each courier case stands alone: the same "Join" again is not a resend to dedupe."""
    from channels_app import queue

    redis = queue.connection()
    for key in redis.scan_iter("flowgate:in:*"):
        redis.delete(key)


def _incoming_case(web: Any, channel: dict[str, Any], case: dict[str, Any]) -> str | None:
    _forget_recent_inbound()
    url = case["url"].replace(cases.COURIER_CHANNEL, channel["uuid"])
    data = case.get("data")
    msg_uuid = None
    if cases.COURIER_MSG in url or (data and cases.COURIER_MSG in data):
        msg_uuid = _outgoing_message(web, channel["uuid"])
        url = url.replace(cases.COURIER_MSG, msg_uuid)
        data = data.replace(cases.COURIER_MSG, msg_uuid) if data else data
    if data:  # courier's harness: POST, content type guessed from the body
        content_type = "application/x-www-form-urlencoded"
        if "{" in data and "}" in data:
            content_type = "application/json"
        elif "<" in data and ">" in data:
            content_type = "application/xml"
        response = web.post(url, content=data.encode(), headers={"Content-Type": content_type})
    elif case.get("multipart"):
        response = web.post(url, files={k: (None, v) for k, v in case["multipart"].items()})
    else:
        response = web.get(url)
    if response.status_code != case["status"]:
        return f"answered {response.status_code}, courier {case['status']}: {response.text[:200]}"
    if case["contains"] not in response.text:
        return f"answer lacks {case['contains']!r}: {response.text[:200]}"
    if case.get("text") is not None:
        answer = response.json() if "json" in response.headers.get("content-type", "") else None
        if answer is None:  # a fixed answer body: find the message through the API
            found = web.get("/api/v1/messages", params={"direction": "in", "channel": channel["uuid"]}).json()
            items = found.get("results", found) if isinstance(found, dict) else found
            msg = items[0]
        else:
            if answer["data"][0]["type"] != "msg" or answer["data"][0]["channel_uuid"] != channel["uuid"]:
                return f"answer is not courier's shape: {answer}"
            msg = web.get(f"/api/v1/messages/{answer['data'][0]['msg_uuid']}").json()
        if (msg["text"], msg["urn"]) != (case["text"], case["urn"]):
            return f"stored {(msg['text'], msg['urn'])}, courier {(case['text'], case['urn'])}"
        if case.get("date") and _instant(msg["created_on"]) != _instant(case["date"]):
            return f"date {msg['created_on']}, courier {case['date']}"
    if case.get("msg_status"):
        msg = web.get(f"/api/v1/messages/{msg_uuid}").json()
        if msg["status"] != case["msg_status"]:
            return f"message is {msg['status']}, courier {case['msg_status']}"
        if response.json()["data"][0]["status"] != LETTERS[case["msg_status"]]:
            return f"answer status {response.json()['data'][0]}"
    if case.get("stopped"):
        answer = response.json()
        event = answer["data"][0]
        if (event["type"], event["event_type"], event["urn"]) != ("event", "stop_contact", case["stopped"]):
            return f"answer event {event}"
        contact = web.get(f"/api/v1/contacts/{answer['contact']}").json()
        if contact["status"] != "stopped" or case["stopped"] not in contact["urns"]:
            return f"contact is {contact['status']} with {contact['urns']}"
    return None


def test_courier_external_incoming_cases(live_asgi, token, aggregator) -> None:
    web = live_asgi.client(headers={"Authorization": f"Token {token}"})
    channels = {}
    for key, spec in cases.INCOMING_CHANNELS.items():
        config = {"send_url": f"{aggregator.url}/send", **spec["config"]}
        channels[key] = _create_channel(web, address=spec["address"], country=spec["country"], config=config)
    results = []
    for case in cases.INCOMING:
        name = f"TestIncoming/{case['group']}/{case['label']}"
        results.append((name, _incoming_case(web, channels[case["channel"]], case)))
    _report("incoming", results)


def _check_request(recorded: Any, expected: dict[str, Any]) -> str | None:
    for header, value in (expected.get("headers") or {}).items():
        if recorded.headers.get(header) != value:
            return f"header {header}: {recorded.headers.get(header)!r}, courier {value!r}"
    if "params" in expected:
        params = parse_qs(urlsplit(recorded.path).query, keep_blank_values=True)
        if params != expected["params"]:
            return f"query {params}, courier {expected['params']}"
    if "form" in expected:
        form = parse_qs(recorded.body.decode(), keep_blank_values=True)
        if form != expected["form"]:
            return f"form {form}, courier {expected['form']}"
    if "body" in expected and recorded.body.decode() != expected["body"]:
        return f"body {recorded.body.decode()!r}, courier {expected['body']!r}"
    return None


def _outgoing_case(web: Any, channel: dict[str, Any], case: dict[str, Any], aggregator: Any) -> str | None:
    aggregator.requests.clear()
    aggregator.script = [(status, body, 0.0) for status, body in case["responses"]]
    response = web.post(
        "/api/v1/messages",
        json={
            "channel": channel["uuid"],
            "to": case["urn"],
            "text": case["text"],
            "attachments": case.get("attachments", []),
            "quick_replies": case.get("quick_replies", []),
        },
    )
    if response.status_code != 201:
        return f"messages API answered {response.status_code}: {response.text[:200]}"
    run_jobs()
    if len(aggregator.requests) != len(case["requests"]):
        return f"{len(aggregator.requests)} requests, courier {len(case['requests'])}"
    for number, (recorded, expected) in enumerate(zip(aggregator.requests, case["requests"], strict=True), 1):
        problem = _check_request(recorded, expected)
        if problem:
            return f"request {number}: {problem}"
    msg = web.get(f"/api/v1/messages/{response.json()['uuid']}").json()
    expected_status = "errored" if case["error"] else "sent"
    if msg["status"] != expected_status:
        return f"message is {msg['status']} ({msg['error']}), courier {case['error'] or 'no error'}"
    return None


def test_courier_external_outgoing_cases(live_asgi, token, aggregator) -> None:
    web = live_asgi.client(headers={"Authorization": f"Token {token}"})
    channels: dict[str, dict[str, Any]] = {}
    for key, config in cases.OUTGOING_CHANNELS.items():
        config = {**config, "send_url": config["send_url"].replace(cases.SEND, f"{aggregator.url}/send")}
        channels[key] = _create_channel(web, address="2020", country="US", config=config)
    results = []
    for channel_key, list_name, run_cases in cases.OUTGOING_RUNS:
        for case in run_cases:
            name = f"TestOutgoing/{channel_key}/{list_name}/{case['label']}"
            results.append((name, _outgoing_case(web, channels[channel_key], case, aggregator)))
    _report("outgoing", results)
