"""Flows using open_ticket, call_resthook, transfer_airtime and call_llm save and simulate
without error, whatever the workspace has configured (none of them may break an import)."""

from __future__ import annotations

from tests.flows.conftest import post_json, put_json

ACTIONS = [
    {"uuid": "a1000000-0000-4000-8000-000000000001", "type": "open_ticket", "note": "Help: @input.text"},
    {"uuid": "a1000000-0000-4000-8000-000000000002", "type": "call_resthook", "resthook": "new-mother"},
    {"uuid": "a1000000-0000-4000-8000-000000000003", "type": "transfer_airtime", "amounts": {"RWF": 500}},
    {
        "uuid": "a1000000-0000-4000-8000-000000000004",
        "type": "call_llm",
        "llm": {"uuid": "b1000000-0000-4000-8000-000000000001", "name": "GPT"},
        "instructions": "Summarize",
        "input": "@input.text",
        "output_local": "_llm_output",
    },
]


def test_flow_with_the_service_actions_saves_and_simulates(api) -> None:
    flow = post_json(api, "/api/v1/flows", {"name": "Services"}).json()
    node = {
        "uuid": "c1000000-0000-4000-8000-000000000001",
        "actions": ACTIONS,
        "exits": [{"uuid": "d1000000-0000-4000-8000-000000000001"}],
    }
    definition = dict(flow["definition"], nodes=[node])
    response = put_json(api, f"/api/v1/flows/{flow['uuid']}/definition", {"definition": definition})
    assert response.status_code == 200, response.content
    response = post_json(
        api,
        "/api/v1/simulate",
        {"flow": flow["uuid"], "inputs": [], "contact": {"name": "Tester", "urn": "tel:+250788555000"}},
    )
    assert response.status_code == 200, response.content
    out = response.json()
    assert out["status"] == "completed"
    by_type: dict[str, list[dict]] = {}
    for e in out["events"]:
        by_type.setdefault(e["type"], []).append(e)
    # a ticket opens without a topic; the workspace has no resthook, airtime service or LLM
    assert by_type["ticket_opened"][0]["ticket"]["status"] == "open"
    assert "resthook_called" not in by_type
    errors = [e["text"] for e in by_type.get("error", [])]
    assert "no airtime service configured" in errors
    assert any(t.startswith("Missing dependency: llm[") for t in errors)
