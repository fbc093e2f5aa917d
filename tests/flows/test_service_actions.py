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


def test_an_export_using_the_service_actions_imports_and_runs(api, workspace) -> None:
    """A spec 13 export (open_ticket with `body`, airtime/ticket nodes splitting on results, as
    RapidPro wrote them) imports whole and runs: the nodes split on the actions' output locals."""
    flow_uuid = "f1000000-0000-4000-8000-000000000001"
    ticket_node, airtime_node = "c2000000-0000-4000-8000-000000000001", "c2000000-0000-4000-8000-000000000002"

    def split(node_uuid: str, action: dict, result: str, next_node: str | None) -> dict:
        ok, bad = f"{node_uuid[:-3]}e01", f"{node_uuid[:-3]}e02"
        return {
            "uuid": node_uuid,
            "actions": [action],
            "router": {
                "type": "switch",
                "operand": f"@results.{result.lower()}",
                "categories": [
                    {"uuid": f"{node_uuid[:-3]}a01", "name": "Success", "exit_uuid": ok},
                    {"uuid": f"{node_uuid[:-3]}a02", "name": "Failure", "exit_uuid": bad},
                ],
                "cases": [
                    {
                        "uuid": f"{node_uuid[:-3]}b01",
                        "type": "has_category",
                        "arguments": ["Success"],
                        "category_uuid": f"{node_uuid[:-3]}a01",
                    }  # fmt: skip
                ],
                "default_category_uuid": f"{node_uuid[:-3]}a02",
            },
            "exits": [
                {"uuid": ok, "destination_uuid": next_node},
                {"uuid": bad, "destination_uuid": next_node},
            ],
        }

    ticket = {"uuid": "a2000000-0000-4000-8000-000000000001", "type": "open_ticket", "body": "From @contact.name", "result_name": "Ticket"}  # fmt: skip
    airtime = {"uuid": "a2000000-0000-4000-8000-000000000002", "type": "transfer_airtime", "amounts": {"RWF": 100}, "result_name": "Transfer"}  # fmt: skip
    flow = {
        "uuid": flow_uuid,
        "name": "Support",
        "spec_version": "13.1.0",
        "language": "eng",
        "type": "messaging",
        "revision": 1,
        "expire_after_minutes": 60,
        "localization": {},
        "nodes": [
            split(ticket_node, ticket, "Ticket", airtime_node),
            split(airtime_node, airtime, "Transfer", None),
        ],
    }
    response = post_json(
        api, "/api/v1/flows/import", {"version": "13", "site": "https://app.rapidpro.io", "flows": [flow]}
    )
    assert response.status_code == 200, response.content
    sim = post_json(api, "/api/v1/simulate", {"flow": flow_uuid, "inputs": [], "contact": {"name": "Ann", "urn": "tel:+250788555001"}})  # fmt: skip
    assert sim.status_code == 200, sim.content
    out = sim.json()
    ticket_events = [e for e in out["events"] if e["type"] in ("ticket_opened", "ticket_note_added")]
    assert [e["type"] for e in ticket_events] == ["ticket_opened", "ticket_note_added"]
    assert ticket_events[1]["note"] == "From Ann"
    # the ticket split succeeded, the airtime one failed (the simulator sends no airtime)
    assert out["results"]["ticket"]["category"] == "Success"
    assert out["results"]["ticket"]["value"] == ticket_events[0]["ticket"]["uuid"]
    assert out["results"]["transfer"]["category"] == "Failure"
