"""Courier's cases for Vonage, Twilio, Plivo, Infobip and Africa's Talking, replayed over HTTP.

Each provider's shipped connector is uploaded through the API (its host pointed at a local
fake provider), a channel made with it, and courier's cases run against the live server:
inbound posts to `/receive`, status reports to `/callback`, sends through the messages API
and the worker. Prints one line per case and the count per provider (`-s` to see them).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from channels_app.attachments import attachment_url
from channels_app.models import Msg
from tests import TESTS
from tests.aggregators.external import provider_cases as cases
from tests.aggregators.external.cases_batch_a import BATCH_A_PROVIDERS
from tests.aggregators.external.cases_batch_b import BATCH_B_CLOCKS, BATCH_B_FIELDS, BATCH_B_PROVIDERS
from tests.aggregators.external.conftest import record
from tests.aggregators.external.more_provider_cases import MORE_PROVIDERS
from tests.aggregators.xc.conftest import case as fixture_case
from tests.aggregators.xc.conftest import provider_server  # noqa: F401  (the fake provider fixture)
from tests.aggregators.xc.helpers import make_channel
from tests.conftest import run_jobs

PROVIDERS = {**cases.PROVIDERS, **MORE_PROVIDERS}
PROVIDERS.update(BATCH_A_PROVIDERS)
PROVIDERS.update(BATCH_B_PROVIDERS)

FLOORS = TESTS / "floors.json"

LETTERS = {"sent": "S", "delivered": "D", "failed": "F"}


@pytest.fixture(autouse=True)
def _no_retry_within_a_case(settings) -> None:
    settings.FLOWGATE_SEND_BACKOFF_SECONDS = 3600


def _forget_recent_inbound() -> None:
    from channels_app import queue

    redis = queue.connection()
    for key in redis.scan_iter("flowgate:in:*"):
        redis.delete(key)


def _forget_tokens() -> None:
    """Courier's "clear the cached token" step: the next send fetches a fresh one."""
    from aggregators.xc.token import KEY_PREFIX
    from channels_app import queue

    redis = queue.connection()
    for key in redis.scan_iter(f"{KEY_PREFIX}*"):
        redis.delete(key)


def _seed_token(channel: dict[str, Any], value: str) -> None:
    """Courier's setupBackend: the channel's access token is already cached when the case starts,
    stored where the sender looks for it (the key of the connector's own token request)."""
    from aggregators import services
    from aggregators.connector import build_token_request
    from aggregators.xc import token as tokens
    from channels_app.crypto import reveal
    from channels_app.models import Channel

    found = Channel.objects.get(uuid=channel["uuid"])
    resolved = services.resolve_cached(workspace_id=found.workspace_id, ref=str(found.config["connector"]))
    request = build_token_request(resolved.parsed, reveal(found.config.get("fields") or {}))
    tokens._write(tokens._key(found, request), value, 3600)


def _post(web: Any, url: str, data: str | None) -> Any:
    if data is None:
        return web.get(url)
    content_type = "application/x-www-form-urlencoded"  # courier's harness guesses from the body
    if "{" in data and "}" in data:
        content_type = "application/json"
    elif "<" in data and ">" in data:
        content_type = "application/xml"
    return web.post(url, content=data.encode(), headers={"Content-Type": content_type})


def _send_one(api: Any, server: Any, provider: str, channel: dict[str, Any], **extra: Any) -> dict[str, Any]:
    ok = fixture_case(provider)["responses"][0]
    server.sends = [server.recorded(provider, ok["file"], ok["status"], ok["content_type"])]
    response = api.post(
        "/api/v1/messages",
        {"channel": channel["uuid"], "to": "+250788383383", "text": "status case", **extra},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    run_jobs()
    return response.json()


def _check_answer(response: Any, case: dict[str, Any]) -> str | None:
    if response.status_code != case["status"]:
        return f"answered {response.status_code}, courier {case['status']}: {response.text[:200]}"
    expected = case.get("ours") or case["contains"]
    if expected not in response.text:
        return f"answer lacks {expected!r}: {response.text[:200]}"
    return None


def _receive_case(web: Any, api: Any, channel: dict[str, Any], case: dict[str, Any]) -> str | None:
    url = f"/c/xc/{channel['uuid']}/receive" + (f"?{case['query']}" if case.get("query") else "")
    before = Msg.objects.filter(direction="in").count()
    response = _post(web, url, case["data"])
    problem = _check_answer(response, case)
    if problem or "urn" not in case:
        if case["status"] >= 400 and Msg.objects.filter(direction="in").count() != before:
            return "a refused post stored a message"
        return problem
    found = api.get("/api/v1/messages", {"direction": "in", "channel": channel["uuid"]}).json()
    msg = max(found, key=lambda m: m["id"])
    got = {"text": msg["text"], "urn": msg["urn"]}
    want = {"text": case.get("text", msg["text"]), "urn": case["urn"]}
    if case.get("external_id"):
        got["external_id"], want["external_id"] = msg["external_id"], case["external_id"]
    if "attachments" in case:
        got["attachments"] = [attachment_url(a) for a in msg["attachments"]]
        want["attachments"] = case["attachments"]
    if got != want:
        return f"stored {got}, courier {want}"
    if case.get("date"):
        stored = datetime.fromisoformat(msg["created_on"].replace("Z", "+00:00"))
        # the API gives milliseconds; courier's DMark case has microseconds
        if abs((stored - datetime.fromisoformat(case["date"])).total_seconds()) >= 0.001:
            return f"date {msg['created_on']}, courier {case['date']}"
    return None


def _status_case(
    web: Any, api: Any, server: Any, provider: str, channel: dict[str, Any], case: dict[str, Any]
) -> str | None:
    sent = _send_one(api, server, provider, channel)
    Msg.objects.filter(uuid=sent["uuid"]).update(external_id=case.get("external_id"), status="sent")
    query = (case.get("query") or "").replace(cases.COURIER_MSG, sent["uuid"])
    url = f"/c/xc/{channel['uuid']}/callback" + (f"?{query}" if query else "")
    data = case["data"].replace(cases.COURIER_MSG, sent["uuid"]) if case["data"] else case["data"]
    response = _post(web, url, data)
    problem = _check_answer(response, case)
    if problem:
        return problem
    detail = api.get(f"/api/v1/messages/{sent['uuid']}").json()
    if case.get("msg_status") and detail["status"] != case["msg_status"]:
        return f"message is {detail['status']}, courier {case['msg_status']}"
    if case.get("by_our_id") and not detail["external_id"]:
        return "the provider id of a report found by our id was not kept"
    if case.get("stopped"):
        contact = api.get(f"/api/v1/contacts/{detail['contact']}").json()
        if contact["status"] != "stopped":
            return f"contact is {contact['status']}, courier stops it"
    return None


def _request_problem(seen: Any, case: dict[str, Any], channel: dict[str, Any], msg_uuid: str) -> str | None:
    """The first request against courier's expected form fields, query parameters and headers."""
    from channels_app.models import Channel

    found = Channel.objects.get(uuid=channel["uuid"])
    callback = found.type.urls(found).get("callback", "")

    def want(value: str) -> str:
        return value.replace("{uuid}", msg_uuid).replace("{callback}", callback)

    got_params = dict(parse_qsl(urlsplit(seen.path).query, keep_blank_values=True))
    form_pairs = parse_qsl(seen.body.decode(), keep_blank_values=True) if case.get("form") else []
    checks = [("form", seen.form() if case.get("form") else {}), ("params", got_params)]
    for key, got in checks:
        for name, value in (case.get(key) or {}).items():
            if isinstance(value, list):  # a repeated field (Twilio's MediaUrl): every value, in order
                values = [v for k, v in form_pairs if k == name]
                if values != [want(v) for v in value]:
                    return f"request {name}={values!r}, courier {value!r}"
            elif got.get(name) != want(value):
                return f"request {name}={got.get(name)!r}, courier {want(value)!r}"
    if case.get("path") and urlsplit(seen.path).path != case["path"]:
        return f"request path {urlsplit(seen.path).path!r}, courier {case['path']!r}"
    if "json" in case:
        wanted = json.loads(want(json.dumps(case["json"])))
        if seen.json() != wanted:
            return f"request body {seen.body.decode()!r}, courier {json.dumps(wanted, ensure_ascii=False)!r}"
    headers = {k.lower(): v for k, v in seen.headers.items()}
    for name, value in (case.get("headers") or {}).items():
        if headers.get(name.lower()) != value:
            return f"header {name}: {headers.get(name.lower())!r}, courier {value!r}"
    return None


def _send_case(api: Any, server: Any, channel: dict[str, Any], case: dict[str, Any]) -> str | None:
    server.requests.clear()
    server.sends = [server.recorded_text(status, body) for status, body in case["answers"]]
    server.polls = list(server.sends)  # providers sending by GET (Yo!, M3Tech) are answered from here
    response = api.post(
        "/api/v1/messages",
        {"channel": channel["uuid"], "to": case.get("to", "+250788383383"), "text": case["text"],
         "attachments": case.get("attachments", [])},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    run_jobs()
    if len(server.requests) != case.get("requests", 1):
        return f"{len(server.requests)} requests, courier {case.get('requests', 1)}"
    problem = _request_problem(server.requests[0], case, channel, response.json()["uuid"])
    if problem:
        return problem
    parts = [{"form": p} for p in case.get("part_forms") or []] + [
        {"json": p} for p in case.get("part_jsons") or []
    ]
    parts += case.get("part_requests") or []  # each request in full (a token fetch, then the send)
    for i, part in enumerate(parts):  # a split message: each request's part
        problem = _request_problem(server.requests[i], part, channel, response.json()["uuid"])
        if problem:
            return f"part {i + 1}: {problem}"
    detail = api.get(f"/api/v1/messages/{response.json()['uuid']}").json()
    if case.get("external_id") and detail["external_id"] != case["external_id"]:
        return f"external id {detail['external_id']!r}, courier {case['external_id']!r}"
    if detail["status"] != case["outcome"]:
        return f"message is {detail['status']} ({detail['error']}), courier {case['outcome']}"
    if case.get("stopped"):
        contact = api.get(f"/api/v1/contacts/{detail['contact']}").json()
        if contact["status"] != "stopped":
            return f"contact is {contact['status']}, courier stops it"
    return None


@pytest.mark.parametrize("provider", list(PROVIDERS))
def test_courier_provider_cases(provider, live_asgi, api, provider_server, token, monkeypatch) -> None:  # noqa: F811
    from aggregators.connector import request as connector_request
    from channels_app.models import Contact

    if provider in BATCH_B_CLOCKS:  # courier pins the clock where a request signs the date
        monkeypatch.setattr(connector_request, "clock", lambda: BATCH_B_CLOCKS[provider])

    web = live_asgi.client()
    fields = cases.CHANNEL_FIELDS.get(provider) or BATCH_B_FIELDS.get(provider) or {}
    channels: dict[str, dict[str, Any]] = {}

    def channel_for(extra: dict[str, str]) -> dict[str, Any]:
        """The provider's channel; a case with its own `fields` (courier's second channel with
        other config) gets a channel of its own."""
        key = json.dumps(extra, sort_keys=True)
        if key not in channels:
            channels[key] = make_channel(api, provider, provider_server, fields={**fields, **extra})
        return channels[key]

    results: list[tuple[str, str | None, str | None]] = []
    for case in PROVIDERS[provider]:
        # Each case stands alone, as in courier's harness: no earlier inbound message to dedupe
        # against, no other message holding the provider id, no contact left stopped.
        _forget_recent_inbound()
        Msg.objects.filter(direction="in").delete()
        Msg.objects.filter(direction="out").update(external_id=None)
        Contact.objects.filter(status="stopped").update(status="active")
        channel = channel_for(case.get("fields") or {})
        if case.get("fresh_token"):
            _forget_tokens()
        if case.get("cached_token"):  # courier starts these cases with a token in the cache
            _forget_tokens()
            _seed_token(channel, case["cached_token"])
        if case["kind"] == "receive":
            problem = _receive_case(web, api, channel, case)
        elif case["kind"] == "status":
            problem = _status_case(web, api, provider_server, provider, channel, case)
        else:
            problem = _send_case(api, provider_server, channel, case)
        results.append((f"{provider}/{case['kind']}/{case['label']}", problem, case.get("gap")))
    passed = sum(1 for _, problem, _ in results if problem is None)
    for name, problem, gap in results:
        verdict = "PASS" if problem is None else ("GAP " if gap else "FAIL")
        print(
            f"courier {verdict}: {name}"
            + (f" -- {problem}" if problem else "")
            + (f" [gap: {gap}]" if gap and problem else "")
        )
    print(f"courier {provider}: {passed}/{len(results)} cases pass")
    record(provider, passed, len(results))
    failures = [f"{name}: {problem}" for name, problem, gap in results if problem is not None and not gap]
    assert not failures, "\n".join(failures)
    # a declared gap may not hide a regression: the count is a gate with its floor in tests/floors.json
    floor = json.loads(FLOORS.read_text())["courier"][provider]
    assert passed >= floor, f"courier {provider}: {passed} cases pass, floor {floor}"
