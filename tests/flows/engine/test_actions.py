"""Action behaviours: error events, sendability, templates, webhooks, query groups, deprecations."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from flows.engine import read_flow

from .helpers import contact, engine, exit_, types

FLOW_UUID = "f9000000-0000-4000-8000-000000000009"
TRIGGER = {"type": "manual", "flow": {"uuid": FLOW_UUID}}


def one_node(*actions: dict[str, Any], spec_version: str = "14.4.1") -> dict[str, Any]:
    return {
        "uuid": FLOW_UUID,
        "name": "Actions",
        "spec_version": spec_version,
        "language": "eng",
        "type": "messaging",
        "nodes": [
            {
                "uuid": "n1",
                "actions": [dict(a, uuid=a.get("uuid") or f"a{i}") for i, a in enumerate(actions)],
                "exits": [exit_("1")],
            }
        ],
    }


def run_actions(
    *actions: dict[str, Any], handler: Any = None, who: dict[str, Any] | None = None, **assets: Any
):
    eng = engine([one_node(*actions)], handler, **assets)
    sprint = eng.start(who or contact(), TRIGGER)
    return [e for e in sprint.events if e["type"] not in ("run_started", "run_ended")], sprint


# ----------------------------------------------------------------------------------- errors


def test_expression_errors_carry_code_and_the_expression_as_written() -> None:
    events, _ = run_actions({"type": "send_msg", "text": "Hi @(1 / 0) and @contact.nope"})
    errors = [e for e in events if e["type"] == "error"]
    assert [e["extra"]["expression"] for e in errors] == ["@(1 / 0)", "@contact.nope"]
    assert all(e["code"] == "expression" for e in errors)
    assert errors[0]["text"] == "Error evaluating expression: division by zero"
    assert events[-1]["msg"]["text"] == "Hi  and "


def test_set_run_result_is_skipped_when_its_value_has_an_error() -> None:
    events, sprint = run_actions({"type": "set_run_result", "name": "Score", "value": "@(1 / 0)"})
    assert types(events) == ["error"]
    assert sprint.session.runs[0].results == {}


def test_missing_field_is_a_dependency_error() -> None:
    events, _ = run_actions(
        {"type": "set_contact_field", "field": {"key": "shoe_size", "name": "Shoe Size"}, "value": "42"}
    )
    assert events == [
        {
            **events[0],
            "type": "error",
            "text": "Missing dependency: field[key=shoe_size,name=Shoe Size]",
            "code": "dependency:missing",
            "extra": {"identity": "shoe_size", "type": "field"},
        }
    ]


def test_locals_set_mid_node_are_visible_to_later_actions() -> None:
    events, _ = run_actions(
        {"type": "set_run_local", "local": "n", "value": "1"},
        {"type": "send_msg", "text": "before: @locals.n"},
        {"type": "set_run_local", "local": "n", "value": "5", "operation": "increment"},
        {"type": "send_msg", "text": "after: @locals.n"},
    )
    assert [e["msg"]["text"] for e in events] == ["before: 1", "after: 6"]


def test_deprecated_child_run_reference_warns_but_still_works() -> None:
    child = one_node({"type": "set_run_result", "name": "Done", "value": "yes"})
    child["uuid"] = "f9100000-0000-4000-8000-000000000001"
    parent = {
        "uuid": FLOW_UUID,
        "name": "Parent",
        "spec_version": "14.4.1",
        "language": "eng",
        "type": "messaging",
        "nodes": [
            {
                "uuid": "p1",
                "actions": [
                    {"uuid": "p-a1", "type": "enter_flow", "flow": {"uuid": child["uuid"], "name": "C"}}
                ],
                "exits": [exit_("p1", "p2")],
            },
            {
                "uuid": "p2",
                "actions": [{"uuid": "p-a2", "type": "send_msg", "text": "child was @child.run.status"}],
                "exits": [exit_("p2")],
            },
        ],
    }
    sprint = engine([parent, child]).start(contact(), TRIGGER)
    warning = next(e for e in sprint.events if e["type"] == "warning")
    assert warning["code"] == "context:deprecated"
    assert warning["text"] == "@child.run.status is deprecated, use @child.status instead"
    msg = next(e for e in sprint.events if e["type"] == "msg_created")
    assert msg["msg"]["text"] == "child was completed"


# ----------------------------------------------------------------------------------- messages


def test_msg_without_a_route_is_still_created_but_marked_unsendable() -> None:
    events, _ = run_actions({"type": "send_msg", "text": "Hello"}, who=contact(urns=["mailto:a@b.co"]))
    assert events[0]["msg"] == {"text": "Hello", "locale": "eng", "unsendable_reason": "no_route"}


def test_locale_country_comes_from_the_contacts_phone_number_when_no_channel_has_one() -> None:
    events, _ = run_actions(
        {"type": "send_msg", "text": "Hello"}, who=contact(urns=["tel:+12065551212"]), channels=[]
    )
    assert events[0]["msg"]["locale"] == "eng-US"
    assert events[0]["msg"]["unsendable_reason"] == "no_route"


def test_blocked_contacts_get_unsendable_messages() -> None:
    events, _ = run_actions({"type": "send_msg", "text": "Hello"}, who=contact(status="blocked"))
    assert events[0]["msg"]["urn"] == "tel:+250788123123"
    assert events[0]["msg"]["unsendable_reason"] == "contact_blocked"


def test_invalid_attachments_and_empty_quick_replies_are_dropped_with_errors() -> None:
    events, _ = run_actions(
        {
            "type": "send_msg",
            "text": "Pick",
            "attachments": ['image:@("")', "image/png:http://x.test/a.png"],
            "quick_replies": ['@("")', "Yes<extra>ok", '@(repeat("x", 100))'],
        }
    )
    assert [e["text"] for e in events if e["type"] == "error"] == [
        "Attachment evaluated to invalid value and will be ignored",
        "Quick reply evaluated to empty string and will be ignored",
    ]
    msg = events[-1]["msg"]
    assert msg["attachments"] == ["image/png:http://x.test/a.png"]
    assert msg["quick_replies"][0] == {"type": "text", "text": "Yes", "extra": "ok"}
    assert msg["quick_replies"][1]["text"] == "x" * 61 + "..."


def test_send_msg_uses_a_channel_template_when_one_matches() -> None:
    template = {
        "uuid": "70000000-0000-4000-8000-000000000001",
        "name": "greeting",
        "translations": [
            {
                "channel": {"uuid": "c1a00000-0000-4000-8000-000000000001", "name": "Test SMS"},
                "locale": "eng-RW",
                "components": [
                    {"name": "body", "type": "body/text", "content": "Hello {{1}}!", "variables": {"1": 0}},
                    {"name": "button.0", "type": "button/quick_reply", "content": "Stop", "variables": {}},
                ],
                "variables": [{"type": "text"}],
            }
        ],
    }
    events, _ = run_actions(
        {
            "type": "send_msg",
            "text": "Hi @contact.first_name",
            "template": {"uuid": template["uuid"], "name": "greeting"},
            "template_variables": ["@contact.first_name", "unused"],
        },
        templates=[template],
    )
    msg = events[0]["msg"]
    assert msg["text"] == "Hello Amina!"
    assert msg["locale"] == "eng-RW"
    assert msg["quick_replies"] == [{"type": "text", "text": "Stop"}]
    assert msg["templating"] == {
        "template": {"uuid": template["uuid"], "name": "greeting"},
        "components": [{"name": "body", "type": "body/text", "variables": {"1": 0}}],
        "variables": [{"type": "text", "value": "Amina"}],
    }


# ----------------------------------------------------------------------------------- groups


def test_query_groups_follow_field_changes() -> None:
    groups = [
        {"uuid": "60000000-0000-4000-8000-000000000002", "name": "Adults", "query": "age >= 18"},
        {"uuid": "60000000-0000-4000-8000-000000000003", "name": "Kids", "query": "age < 18"},
    ]
    who = contact(groups=[{"uuid": groups[0]["uuid"], "name": "Adults"}])
    events, sprint = run_actions(
        {"type": "set_contact_field", "field": {"key": "age", "name": "Age"}, "value": "12"},
        groups=groups,
        who=who,
    )
    assert types(events) == ["contact_field_changed", "contact_groups_changed"]
    assert events[1]["groups_added"] == [{"name": "Kids", "uuid": groups[1]["uuid"]}]
    assert events[1]["groups_removed"] == [{"name": "Adults", "uuid": groups[0]["uuid"]}]
    assert [g["name"] for g in sprint.session.contact.groups] == ["Kids"]


# ----------------------------------------------------------------------------------- webhooks


def test_webhook_event_has_wire_dumps_and_at_webhook_has_the_call() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["x-token"] == "abc"
        return httpx.Response(201, json={"id": 7})

    events, sprint = run_actions(
        {
            "type": "call_webhook",
            "method": "POST",
            "url": "http://api.test/items?q=1",
            "headers": {"x-token": "abc"},
            "body": "hello",
        },
        {"type": "send_msg", "text": "id=@webhook.json.id status=@webhook.status"},
        handler=handler,
    )
    called = events[0]
    assert called["status"] == "success" and called["status_code"] == 201
    assert called["request"] == (
        "POST /items?q=1 HTTP/1.1\r\nHost: api.test\r\nUser-Agent: Flowgate\r\n"
        "Content-Length: 5\r\nX-Token: abc\r\nAccept-Encoding: gzip\r\n\r\nhello"
    )
    assert called["response"].startswith("HTTP/1.1 201 Created\r\n")
    assert called["response"].endswith('\r\n\r\n{"id":7}')
    assert called["sizes"] == {"request": len(called["request"]), "response": len(called["response"])}
    assert events[1]["msg"]["text"] == "id=7 status=201"
    assert sprint.session.runs[0].webhook["json"] == {"id": 7}


@pytest.mark.parametrize(
    ("url", "code", "text"),
    [
        ('@("")', None, "Webhook URL evaluated to empty string"),
        (
            "ftp://files.test/x",
            "url:invalid",
            "Webhook URL evaluated to an invalid URL: 'ftp://files.test/x'",
        ),
        (
            "https://graph.facebook.com/v1/me",
            "url:blocked",
            "Webhook calls to graph.facebook.com are not allowed",
        ),
    ],
)
def test_webhook_urls_that_cannot_be_called(url: str, code: str | None, text: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("must not be called")

    events, _ = run_actions({"type": "call_webhook", "method": "GET", "url": url}, handler=handler)
    assert types(events) == ["error"]
    assert events[0]["text"] == text
    assert events[0].get("code") == code


def test_oversized_webhook_response_is_a_connection_error_with_a_warning() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"x" * 100_001)

    events, _ = run_actions(
        {"type": "call_webhook", "method": "GET", "url": "http://big.test/", "result_name": "Big"},
        handler=handler,
    )
    assert types(events) == ["warning", "webhook_called", "run_result_changed"]
    assert events[0]["code"] == "webhook:response_size"
    assert events[1]["status"] == "connection_error"
    assert events[1]["response"].endswith("\r\n\r\n")  # the head only
    assert events[2]["category"] == "Failure" and events[2]["value"] == "200"


def test_connection_errors_have_no_status_code_or_response() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    events, _ = run_actions(
        {"type": "call_webhook", "method": "GET", "url": "http://down.test/"}, handler=handler
    )
    assert events[0]["status"] == "connection_error"
    assert "status_code" not in events[0] and "response" not in events[0]
    assert events[0]["sizes"]["response"] == 0


def test_old_flows_have_at_webhook_migrated_to_at_webhook_json() -> None:
    flow = read_flow(one_node({"type": "send_msg", "text": "got @webhook.id"}, spec_version="13.1.0"))
    assert flow.nodes[0].actions[0].get("text") == "got @webhook.json.id"
    current = read_flow(one_node({"type": "send_msg", "text": "got @webhook.json"}))
    assert current.nodes[0].actions[0].get("text") == "got @webhook.json"
