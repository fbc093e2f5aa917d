"""open_ticket, call_resthook, transfer_airtime and call_llm end to end through the flow runner,
against a real local HTTP server playing the resthook subscriber, the airtime provider and an
OpenAI-compatible LLM; plus their API (secrets encrypted at rest and masked)."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

from django.core.management import call_command
from django.db import transaction

from channels_app.models import Contact
from flows.models import AirtimeService, Flow, LLMService, Ticket
from flows.services.sessions import FlowRunner
from tests.flows.conftest import post_json, put_json

SUCCESS, FAILURE = "c0000000-0000-4000-8000-000000000001", "c0000000-0000-4000-8000-000000000002"
EXIT_OK, EXIT_FAIL = "e0000000-0000-4000-8000-000000000001", "e0000000-0000-4000-8000-000000000002"


def _flow(workspace: Any, actions: list[dict[str, Any]], operand: str, cases: list[dict[str, Any]]) -> Flow:
    """One node with the actions and a router on `operand` (Success when a case matches)."""
    flow_uuid = str(uuid.uuid4())
    node = {
        "uuid": str(uuid.uuid4()),
        "actions": actions,
        "router": {
            "type": "switch",
            "operand": operand,
            "result_name": "Outcome",
            "categories": [
                {"uuid": SUCCESS, "name": "Success", "exit_uuid": EXIT_OK},
                {"uuid": FAILURE, "name": "Failure", "exit_uuid": EXIT_FAIL},
            ],
            "cases": [dict(c, uuid=str(uuid.uuid4()), category_uuid=SUCCESS) for c in cases],
            "default_category_uuid": FAILURE,
        },
        "exits": [{"uuid": EXIT_OK}, {"uuid": EXIT_FAIL}],
    }
    definition = {
        "uuid": flow_uuid,
        "name": "Services",
        "spec_version": "14.3.0",
        "language": "eng",
        "type": "messaging",
        "nodes": [node],
    }
    return Flow.objects.create(uuid=flow_uuid, workspace=workspace, name="Services", definition=definition)


def _contact(api: Any, phone: str = "+250788123456") -> Contact:
    created = post_json(api, "/api/v1/contacts", {"name": "Amina", "urns": [f"tel:{phone}"]})
    assert created.status_code == 201, created.content
    return Contact.objects.get(uuid=created.json()["uuid"])


def _start(workspace: Any, contact: Contact, flow: Flow) -> Any:
    """Starts `flow` as flow starts and triggers do: one transaction per contact."""
    with transaction.atomic():
        return FlowRunner(workspace=workspace).start(contact=contact, flow=flow)


def _events(sprint: Any, kind: str) -> list[dict[str, Any]]:
    return [e for e in sprint.events if e["type"] == kind]


def _outcome(sprint: Any) -> str:
    return sprint.session.runs[0].results["outcome"]["category"]


HAS_TEXT = [{"type": "has_text", "arguments": []}]


def test_open_ticket_creates_one_ticket_per_contact_listed_by_the_api(api, workspace, ex_channel) -> None:
    topic = post_json(api, "/api/v1/topics", {"name": "Weather"}).json()
    assert post_json(api, "/api/v1/topics", {"name": "Weather"}).status_code == 400  # names are unique
    action = {
        "uuid": str(uuid.uuid4()),
        "type": "open_ticket",
        "topic": {"uuid": topic["uuid"], "name": "Weather"},
        "note": "Needs help with @contact.name",
    }
    flow = _flow(workspace, [action], "@locals._new_ticket", HAS_TEXT)
    contact = _contact(api)
    sprint = _start(workspace, contact, flow)
    opened = _events(sprint, "ticket_opened")
    assert len(opened) == 1 and _outcome(sprint) == "Success"
    ticket = Ticket.objects.get(uuid=opened[0]["ticket"]["uuid"])
    assert ticket.contact_id == contact.id and ticket.topic is not None and ticket.topic.name == "Weather"
    assert ticket.note == "Needs help with Amina" and ticket.status == "open"

    # the contact already has an open ticket: no second one, the node routes to Failure
    again = _start(workspace, contact, flow)
    assert _events(again, "ticket_opened") == [] and _outcome(again) == "Failure"
    assert Ticket.objects.filter(contact=contact).count() == 1

    listed = api.get("/api/v1/tickets").json()
    assert [(t["uuid"], t["status"], t["topic"]["name"], t["note"]) for t in listed] == [
        (str(ticket.uuid), "open", "Weather", "Needs help with Amina")
    ]
    assert api.get(f"/api/v1/tickets?contact={contact.uuid}").json()[0]["contact"]["name"] == "Amina"
    assert api.get("/api/v1/tickets?status=closed").json() == []
    assert api.get("/api/v1/tickets?status=nope").status_code == 400

    # the ticket actions of the API
    act = lambda body: post_json(api, "/api/v1/ticket_actions", dict(body, tickets=[str(ticket.uuid)]))  # noqa: E731
    assert (
        act({"action": "assign", "assignee": "agent@example.org"}).json()[0]["assignee"]
        == "agent@example.org"
    )
    assert act({"action": "note", "note": "Called back"}).json()[0]["note"] == "Called back"
    closed = act({"action": "close"}).json()[0]
    assert closed["status"] == "closed" and closed["closed_on"]
    # closed: the flow can open a new one
    third = _start(workspace, contact, flow)
    assert len(_events(third, "ticket_opened")) == 1
    assert act({"action": "reopen"}).status_code == 400  # the contact has an open ticket again
    assert act({"action": "explode"}).status_code == 400
    assert post_json(api, "/api/v1/ticket_actions", {"tickets": [str(uuid.uuid4())], "action": "close"}).status_code == 400  # fmt: skip


def test_call_resthook_posts_the_payload_to_every_subscriber(api, workspace, ex_channel, aggregator) -> None:
    for path in ("hook-a", "hook-b"):
        body = {"resthook": "new-mother", "target_url": f"{aggregator.url}/{path}"}
        assert post_json(api, "/api/v1/resthook_subscribers", body).status_code == 201
    assert post_json(api, "/api/v1/resthook_subscribers", {"resthook": "new-mother", "target_url": "ftp://x"}).status_code == 400  # fmt: skip
    assert len(api.get("/api/v1/resthook_subscribers").json()) == 2
    action = {
        "uuid": str(uuid.uuid4()),
        "type": "call_resthook",
        "resthook": "new-mother",
        "result_name": "Hook",
    }
    flow = _flow(
        workspace, [action], "@results.hook.category", [{"type": "has_only_text", "arguments": ["Success"]}]
    )
    contact = _contact(api)
    # the second subscriber fails: the result is the failure
    aggregator.script = [(200, '{"ok": true}', 0.0), (500, '{"error": "down"}', 0.0)]
    sprint = _start(workspace, contact, flow)
    called = _events(sprint, "resthook_called")
    assert len(called) == 1 and called[0]["payload"]["contact"]["uuid"] == str(contact.uuid)
    assert [r.path for r in aggregator.requests] == ["/hook-a", "/hook-b"]
    posted = aggregator.requests[0].json()
    assert posted["contact"]["urn"] == "tel:+250788123456" and posted["flow"]["uuid"] == str(flow.uuid)
    assert [e["status"] for e in _events(sprint, "webhook_called")] == ["success", "response_error"]
    assert sprint.session.runs[0].results["hook"]["value"] == "500" and _outcome(sprint) == "Failure"

    # unsubscribing one: only the other is called
    first = api.get("/api/v1/resthook_subscribers").json()[1]
    assert api.delete(f"/api/v1/resthook_subscribers/{first['uuid']}").status_code == 204
    aggregator.requests.clear()
    aggregator.script = []
    sprint = _start(workspace, contact, flow)
    assert [r.path for r in aggregator.requests] == ["/hook-a"] and _outcome(sprint) == "Success"

    # a subscriber answering 410 Gone has unsubscribed: it is removed
    aggregator.script = [(410, "", 0.0)]
    _start(workspace, contact, flow)
    assert api.get("/api/v1/resthook_subscribers").json() == []


def test_transfer_airtime_through_the_configured_provider(api, workspace, ex_channel, aggregator) -> None:
    action = {"uuid": str(uuid.uuid4()), "type": "transfer_airtime", "amounts": {"RWF": 500, "USD": 1}}
    flow = _flow(workspace, [action], "@locals._new_transfer", HAS_TEXT)
    contact = _contact(api)

    # no airtime service: goflow's error event, the node routes to Failure
    sprint = _start(workspace, contact, flow)
    assert [e["text"] for e in _events(sprint, "error")] == ["no airtime service configured"]
    assert _outcome(sprint) == "Failure"

    config = {
        "url": f"{aggregator.url}/topup",
        "authorization": "Bearer airtime-secret",
        "body": '{"msisdn": {{recipient_no_plus}}, "value": {{amount}}, "ref": {{transfer_uuid}}}',
        "currency": "RWF",
        "response_mapping": {"external_id": "data.transaction_id", "amount": "data.sent"},
    }
    response = put_json(api, "/api/v1/airtime_service", config)
    assert response.status_code == 200, response.content
    assert response.json()["authorization"] == "********"
    stored = AirtimeService.objects.get(workspace=workspace)
    assert stored.authorization.startswith("enc:v1:") and "airtime-secret" not in stored.authorization
    # saving again with the mask keeps the secret
    assert put_json(api, "/api/v1/airtime_service", dict(config, authorization="********")).status_code == 200
    assert AirtimeService.objects.get(workspace=workspace).authorization == stored.authorization
    assert put_json(api, "/api/v1/airtime_service", dict(config, body="{{nope}}")).status_code == 400
    assert put_json(api, "/api/v1/airtime_service", dict(config, currency="rwanda")).status_code == 400

    aggregator.script = [(200, '{"data": {"transaction_id": "TX-77", "sent": 500}}', 0.0)]
    sprint = _start(workspace, contact, flow)
    created = _events(sprint, "airtime_created")
    assert len(created) == 1, sprint.events
    transfer = created[0]
    assert (transfer["external_id"], transfer["currency"], transfer["amount"]) == ("TX-77", "RWF", 500)
    assert transfer["recipient"] == "tel:+250788123456"
    assert transfer["http_logs"][0]["status"] == "success"
    assert "airtime-secret" not in json.dumps(transfer)  # the log masks the Authorization header
    request = aggregator.requests[-1]
    assert request.headers["Authorization"] == "Bearer airtime-secret"
    assert request.json() == {"msisdn": "250788123456", "value": "500", "ref": transfer["uuid"]}
    assert _outcome(sprint) == "Success"

    # the provider refuses: an error event and Failure
    aggregator.script = [(402, '{"error": "insufficient balance"}', 0.0)]
    sprint = _start(workspace, contact, flow)
    assert [e["text"] for e in _events(sprint, "error")] == ["airtime provider answered HTTP 402"]
    assert _outcome(sprint) == "Failure"


def test_call_llm_through_an_openai_compatible_service(api, workspace, ex_channel, aggregator) -> None:
    body = {"name": "Helper", "url": f"{aggregator.url}/v1/chat/completions", "api_key": "sk-test-123", "model": "tiny-1"}  # fmt: skip
    created = post_json(api, "/api/v1/llms", body)
    assert created.status_code == 201, created.content
    llm = created.json()
    assert llm["api_key"] == "********" and api.get("/api/v1/llms").json()[0]["api_key"] == "********"
    row = LLMService.objects.get(uuid=llm["uuid"])
    assert row.api_key.startswith("enc:v1:") and "sk-test-123" not in row.api_key
    assert post_json(api, "/api/v1/llms", dict(body, url="not a url")).status_code == 400

    action = {
        "uuid": str(uuid.uuid4()),
        "type": "call_llm",
        "llm": {"uuid": llm["uuid"], "name": "Helper"},
        "instructions": 'Categorize into: @(join(array("Flights", "Hotels"), ", "))',
        "input": "I need a room in Kigali",
        "output_local": "_llm_output",
    }
    flow = _flow(
        workspace, [action], "@locals._llm_output", [{"type": "has_only_text", "arguments": ["Hotels"]}]
    )
    contact = _contact(api)
    answer = {"choices": [{"message": {"role": "assistant", "content": "Hotels"}}], "usage": {"prompt_tokens": 21, "completion_tokens": 1}}  # fmt: skip
    aggregator.script = [(200, json.dumps(answer), 0.0)]
    sprint = _start(workspace, contact, flow)
    called = _events(sprint, "llm_called")
    assert len(called) == 1, sprint.events
    assert (called[0]["output"], called[0]["tokens"]) == ("Hotels", {"input": 21, "output": 1})
    assert called[0]["instructions"] == "Categorize into: Flights, Hotels"
    request = aggregator.requests[-1]
    assert request.path == "/v1/chat/completions"
    assert request.headers["Authorization"] == "Bearer sk-test-123"
    sent = request.json()
    assert sent["model"] == "tiny-1" and sent["messages"][1] == {
        "role": "user",
        "content": "I need a room in Kigali",
    }
    assert _outcome(sprint) == "Success"

    # the service fails: an error event, <ERROR> in the local, Failure
    aggregator.script = [(500, '{"error": "overloaded"}', 0.0)]
    sprint = _start(workspace, contact, flow)
    assert [e["text"] for e in _events(sprint, "error")] == ["LLM Helper answered HTTP 500"]
    assert sprint.session.runs[0].locals["_llm_output"] == "<ERROR>" and _outcome(sprint) == "Failure"

    assert api.delete(f"/api/v1/llms/{llm['uuid']}").status_code == 204
    assert api.delete(f"/api/v1/llms/{llm['uuid']}").status_code == 404


def test_service_secrets_are_rotated_with_the_others(api, workspace, settings) -> None:
    from channels_app import crypto
    from tests.channels_app.security.test_secrets_at_rest import KEY_1, KEY_2

    settings.FLOWGATE_SECRET_KEYS = KEY_1
    llm = post_json(
        api, "/api/v1/llms", {"name": "R", "url": "https://llm.example/v1", "model": "m", "api_key": "sk-rot"}
    )
    config = {"url": "https://airtime.example/topup", "authorization": "Bearer rot", "currency": "RWF"}
    assert put_json(api, "/api/v1/airtime_service", config).status_code == 200
    settings.FLOWGATE_SECRET_KEYS = f"{KEY_2},{KEY_1}"
    out = io.StringIO()
    call_command("rotate_secrets", stdout=out)
    assert json.loads(out.getvalue())["rotated"]["service_secrets"] == 2
    settings.FLOWGATE_SECRET_KEYS = KEY_2  # only the new key: both still open
    assert crypto.decrypt(LLMService.objects.get(uuid=llm.json()["uuid"]).api_key) == "sk-rot"
    assert crypto.decrypt(AirtimeService.objects.get(workspace=workspace).authorization) == "Bearer rot"
