"""call_resthook through an httpx.MockTransport: the payload every subscriber is posted (goflow's
shape, pinned whole), how it is sent, the resthook_called / webhook_called / error events, and
which subscriber's call becomes @webhook and the result."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from .builders import action_events, flow_def, node, numbered, trigger, without_ids
from .helpers import CHANNEL, CONTACT_UUID, contact, exit_, msg_received, seeded_engine

FLOW_UUID = "f9000000-0000-4000-8000-000000000029"


def hook_flow(*actions: dict[str, Any]) -> dict[str, Any]:
    """A switch on the input (saving the result Answer, localized in French), then `actions`."""
    router = {
        "type": "switch",
        "operand": "@input.text",
        "result_name": "Answer",
        "cases": [{"uuid": "c1", "type": "has_any_word", "arguments": ["yes"], "category_uuid": "cat-yes"}],
        "categories": [
            {"uuid": "cat-yes", "name": "Yes", "exit_uuid": "e1"},
            {"uuid": "cat-other", "name": "Other", "exit_uuid": "e2"},
        ],
        "default_category_uuid": "cat-other",
    }
    return flow_def(
        FLOW_UUID,
        "Hooks",
        [
            node("n1", [], [exit_("1", "n2"), exit_("2", "n2")], router),
            node("n2", numbered(actions), [exit_("3")]),
        ],
        revision=12,
        localization={"fra": {"cat-yes": {"name": ["Oui"]}}},
    )


def msg_trigger(msg: dict[str, Any] | None) -> dict[str, Any]:
    """A manual trigger without `msg`, else a msg trigger of it (received a minute before the start)."""
    if msg is None:
        return trigger(FLOW_UUID)
    return trigger(FLOW_UUID, type="msg", event=msg_received(msg, "2024-03-01T08:59:00Z"))


def start(
    *actions: dict[str, Any],
    subscribers: dict[str, list[str]],
    handler: Any = None,
    msg: dict[str, Any] | None = None,
    who: dict[str, Any] | None = None,
) -> tuple[list[dict[str, Any]], Any]:
    """Starts the Hooks flow with `actions`, the resthooks' `subscribers` answered by `handler`;
    its events (without ids, run start/end or the switch's noise) and its run."""
    data = {
        "flows": [hook_flow(*actions)],
        "channels": [CHANNEL],
        "resthooks": [{"slug": slug, "subscribers": urls} for slug, urls in subscribers.items()],
    }
    eng = seeded_engine(data, handler or (lambda r: httpx.Response(200)))
    sprint = eng.start(who or contact(), msg_trigger(msg), {"allowed_languages": ["eng", "fra"]})
    events = [without_ids(e) for e in action_events(sprint) if not _switch_noise(e)]
    return events, sprint.session.runs[0]


def _switch_noise(event: dict[str, Any]) -> bool:
    """Without a message the switch on @input.text logs errors: not what these tests are about."""
    return event["type"] == "error" and (
        event.get("code") == "expression" or event["text"].startswith("error calling has_any_word")
    )


HOOK = {"type": "call_resthook", "resthook": "new-mother"}
FULL_MSG = {
    "uuid": "m-1",
    "text": "yes please",
    "urn": "tel:+250788123123#Amina",
    "channel": {"uuid": "ch-1", "name": "SMS"},
    "attachments": ["image/jpeg:http://x.test/a.jpg", "audio/mp3:http://x.test/b.mp3"],
}


def payload_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    called = [e for e in events if e["type"] == "resthook_called"]
    assert len(called) == 1 and called[0]["resthook"] == "new-mother"
    return called[0]["payload"]


def test_the_payload_with_results_path_and_a_message_input() -> None:
    sent: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.read())
        assert request.headers["content-type"] == "application/json"
        return httpx.Response(200, json={"ok": True})

    events, the_run = start(
        {"type": "set_run_result", "name": "Plain", "value": "v", "category": "Cat"},
        {"type": "send_msg", "text": "Hi @contact.name"},  # the context is built before the hook
        HOOK,
        subscribers={"new-mother": ["http://hooks.test/a"]},
        handler=handler,
        msg=FULL_MSG,
        who=contact(language="fra", name="Amina Uwasé"),
    )
    channel = {"uuid": "ch-1", "name": "SMS"}
    run_uuid = the_run.uuid
    expected = {
        "contact": {
            "uuid": CONTACT_UUID,
            "name": "Amina Uwasé",
            "urn": "tel:+250788123123",
            "language": "fra",
        },
        "flow": {"uuid": FLOW_UUID, "name": "Hooks", "revision": 12},
        "path": [
            {"arrived_on": "2024-03-01T09:00:03.000000Z", "node_uuid": "n1", "exit_uuid": "e1"},
            {"arrived_on": "2024-03-01T09:00:07.000000Z", "node_uuid": "n2"},
        ],
        "results": {
            "answer": {
                "category": "Yes",
                "category_localized": "Oui",
                "created_on": "2024-03-01T09:00:04.000000Z",
                "input": "yes please",
                "name": "Answer",
                "node_uuid": "n1",
                "value": "yes",
            },
            "plain": {
                "category": "Cat",
                "category_localized": "Cat",
                "created_on": "2024-03-01T09:00:08.000000Z",
                "input": None,
                "name": "Plain",
                "node_uuid": "n2",
                "value": "v",
            },
        },
        "run": {"uuid": run_uuid, "created_on": "2024-03-01T09:00:01.000000Z"},
        "input": {
            "attachments": [
                {"content_type": "image/jpeg", "url": "http://x.test/a.jpg"},
                {"content_type": "audio/mp3", "url": "http://x.test/b.mp3"},
            ],
            "channel": channel,
            "created_on": "2024-03-01T08:59:00Z",
            "text": "yes please",
            "type": "msg",
            "urn": {"display": "Amina", "path": "+250788123123", "scheme": "tel"},
            "uuid": "m-1",
        },
        "channel": channel,
    }
    assert payload_of(events) == expected
    # posted as Go marshals it: compact, keys sorted, UTF-8 (not \\u escapes)
    assert sent == [json.dumps(expected, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()]
    assert events[-1]["request"].endswith(sent[0].decode())


def test_the_payload_without_input_urn_or_language() -> None:
    events, the_run = start(
        HOOK, subscribers={"new-mother": ["http://hooks.test/a"]}, who=contact(urns=[], language=None)
    )
    assert payload_of(events) == {
        "contact": {"uuid": CONTACT_UUID, "name": "Amina Uwase", "urn": None, "language": ""},
        "flow": {"uuid": FLOW_UUID, "name": "Hooks", "revision": 12},
        "path": [
            {"arrived_on": "2024-03-01T09:00:03.000000Z", "node_uuid": "n1", "exit_uuid": "e2"},
            {"arrived_on": "2024-03-01T09:00:09.000000Z", "node_uuid": "n2"},
        ],
        "results": {
            "answer": {
                "category": "Other",
                "category_localized": "Other",
                "created_on": "2024-03-01T09:00:06.000000Z",
                "input": "",
                "name": "Answer",
                "node_uuid": "n1",
                "value": "",
            }
        },
        "run": {"uuid": the_run.uuid, "created_on": "2024-03-01T09:00:01.000000Z"},
        "input": None,
        "channel": None,
    }


@pytest.mark.parametrize(
    ("msg", "input_json"),
    [
        (
            {"urn": "tel:+250788000001"},
            {
                "attachments": [],
                "channel": None,
                "created_on": "2024-03-01T08:59:00Z",
                "text": "",
                "type": "msg",
                "urn": {"display": "+250788000001", "path": "+250788000001", "scheme": "tel"},
                "uuid": "",
            },
        ),
        (
            {"text": "hi", "uuid": "m-2", "channel": None, "attachments": ["bare"]},
            {
                "attachments": [{"content_type": "bare", "url": ""}],
                "channel": None,
                "created_on": "2024-03-01T08:59:00Z",
                "text": "hi",
                "type": "msg",
                "urn": None,
                "uuid": "m-2",
            },
        ),
    ],
)
def test_the_payload_input_for_sparse_messages(msg: dict[str, Any], input_json: dict[str, Any]) -> None:
    events, _ = start(HOOK, subscribers={"new-mother": ["http://hooks.test/a"]}, msg=msg)
    payload = payload_of(events)
    assert (payload["input"], payload["channel"]) == (input_json, None)


def test_a_resthook_the_workspace_lacks_calls_nothing_and_clears_at_webhook() -> None:
    events, the_run = start(
        {"type": "call_webhook", "method": "GET", "url": "http://api.test/"},
        {"type": "send_msg", "text": "before: @webhook.status"},
        {"type": "call_resthook", "resthook": "unknown", "result_name": "R"},
        {"type": "send_msg", "text": "after: @webhook"},
        subscribers={"new-mother": ["http://hooks.test/a"]},
    )
    assert [e["type"] for e in events] == [
        "run_result_changed",
        "webhook_called",
        "msg_created",
        "msg_created",
    ]
    assert [e["msg"]["text"] for e in events[2:]] == ["before: 200", "after: "]
    assert the_run.webhook is None and "r" not in the_run.results


def test_a_resthook_without_a_slug_is_the_blank_slug() -> None:
    events, _ = start(
        {"type": "call_resthook"},
        subscribers={"": ["http://hooks.test/a"]},
        handler=lambda r: httpx.Response(200),
    )
    assert [e["type"] for e in events] == ["run_result_changed", "resthook_called", "webhook_called"]
    assert events[1]["resthook"] == ""


def _by_url(codes: dict[str, int]) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(codes[request.url.host], json={"from": request.url.host})

    return handler


@pytest.mark.parametrize(
    ("codes", "picked", "category"),
    [
        ({"a.test": 200}, "a.test", "Success"),
        ({"a.test": 410}, "a.test", "Failure"),
        ({"a.test": 200, "b.test": 410}, "a.test", "Success"),
        ({"a.test": 410, "b.test": 200}, "b.test", "Success"),
        ({"a.test": 500, "b.test": 200}, "a.test", "Failure"),
        ({"a.test": 410, "b.test": 200, "c.test": 500, "d.test": 201}, "c.test", "Failure"),
        ({"a.test": 200, "b.test": 201}, "b.test", "Success"),
    ],
)
def test_which_call_becomes_at_webhook_and_the_result(
    codes: dict[str, int], picked: str, category: str
) -> None:
    urls = [f"http://{host}/hook" for host in codes]
    events, the_run = start(
        {**HOOK, "result_name": "Hook"}, subscribers={"new-mother": urls}, handler=_by_url(codes)
    )
    calls = [e for e in events if e["type"] == "webhook_called"]
    assert [(c["url"], c["status"], c["resthook"]) for c in calls] == [
        (
            url,
            {200: "success", 201: "success", 410: "subscriber_gone"}.get(codes[url[7:-5]], "response_error"),
            "new-mother",
        )
        for url in urls
    ]
    assert the_run.webhook == {
        "method": "POST",
        "url": f"http://{picked}/hook",
        "status": codes[picked],
        "headers": {"Content-Type": "application/json"},
        "json": {"from": picked},
    }
    assert events[-1] == {
        "type": "run_result_changed",
        "name": "Hook",
        "value": str(codes[picked]),
        "category": category,
        "extra": {"from": picked},
    }
    assert the_run.results["hook"]["node_uuid"] == "n2"


def test_invalid_subscriber_urls_are_errors_and_the_others_are_still_called() -> None:
    long_url = "ftp://hooks.test/" + "x" * 300
    events, the_run = start(
        {**HOOK, "result_name": "Hook"},
        subscribers={"new-mother": [long_url, "http://hooks.test/ok"]},
        handler=lambda r: httpx.Response(200),
    )
    assert [e["type"] for e in events] == [
        "run_result_changed",
        "resthook_called",
        "error",
        "webhook_called",
        "run_result_changed",
    ]
    assert events[2] == {
        "type": "error",
        "text": f"Resthook subscriber URL is invalid: '{long_url[:252]}...'",
        "code": "url:invalid",
    }
    assert the_run.webhook["url"] == "http://hooks.test/ok"


def test_no_valid_subscriber_leaves_no_webhook_or_result() -> None:
    events, the_run = start(
        {**HOOK, "result_name": "Hook"},
        subscribers={"new-mother": ["not a url"]},
        handler=lambda r: httpx.Response(200),
    )
    assert [e["type"] for e in events] == ["run_result_changed", "resthook_called", "error"]
    assert the_run.webhook is None and "hook" not in the_run.results
