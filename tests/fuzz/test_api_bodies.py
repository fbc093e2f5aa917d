"""The public API's JSON bodies: every write operation of the OpenAPI schema.

Bodies start from a valid one and get values retyped, keys dropped or added, or are random JSON
altogether; path parameters name the caller's own objects so the body parsing is reached.
Property: no 5xx the operation does not document (never a 500). (tests/aggregators/handler/test_openapi_fuzz.py runs schemathesis from the schema;
this one explores near-valid bodies that a schema-driven generator rarely builds.)
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fuzz.conftest import EXAMPLES, fuzz_settings, tried
from tests.fuzz.strategies import deep_json, json_trees
from tests.security.test_tenant_isolation import api_operations, variants
from tests.security.world import World

pytestmark = pytest.mark.django_db


def valid_bodies(w: World) -> dict[str, Any]:
    ids = w.ids
    return {
        "POST /api/v1/channels": {"type": "EX", "name": "n", "address": "+250788000009",
                                  "config": {"send_url": "http://127.0.0.1:9/send", "max_tps": 5}},
        "PATCH /api/v1/channels/{channel_uuid}": {"name": "n", "config": {"max_tps": 3}},
        "POST /api/v1/contacts": {"name": "n", "urns": ["tel:+250788123456"], "fields": {ids["field_key"]: "v"},
                                  "groups": [ids["group_uuid"]], "language": "eng"},
        "PATCH /api/v1/contacts/{contact_uuid}": {"name": "m", "fields": {ids["field_key"]: "w"}},
        "POST /api/v1/groups": {"name": "g"},
        "PATCH /api/v1/groups/{group_uuid}": {"name": "g2"},
        "POST /api/v1/groups/{group_uuid}/contacts": {"add": [ids["contact_uuid"]], "remove": []},
        "POST /api/v1/fields": {"key": "k", "name": "K", "value_type": "number"},
        "PATCH /api/v1/fields/{field_key}": {"name": "F"},
        "POST /api/v1/messages": {"channel": ids["channel_EX"], "to": "tel:+250788123123", "text": "hi",
                                  "attachments": ["image/png:http://x/y.png"]},
        "POST /api/v1/templates": {"code": "c", "name": "n", "base_language": "eng",
                                   "translations": {"eng": "Hi {{1}}"}, "variables": ["1"]},
        "PATCH /api/v1/templates/{code}": {"translations": {"fra": "Salut"}},
        "POST /api/v1/templates/{code}/render": {"params": {"1": "x"}, "language": "eng"},
        "POST /api/v1/webhooks": {"url": "http://127.0.0.1:9/hook", "events": ["message.received"]},
        "PATCH /api/v1/webhooks/{webhook_uuid}": {"events": ["flow.completed"], "is_active": True},
        "POST /api/v1/tokens": {"name": "k"},
        "POST /api/v1/tokens/apps": {"name": "a", "scope": "messageservice"},
        "POST /api/v1/flows": {"name": "f", "type": "messaging"},
        "POST /api/v1/flows/{flow_uuid}/results/export": {"format": "xlsx"},
        "POST /api/v1/simulate": {"flow": ids["flow_uuid"], "inputs": ["hi", "42"],
                                  "contact": {"name": "T", "urn": "tel:+250788000111"}},
        "POST /api/v1/flow_starts": {"flow": ids["flow_uuid"], "contacts": [ids["contact_uuid"]],
                                     "urns": ["tel:+250788000222"], "params": {"a": 1}},
        "POST /api/v1/triggers": {"type": "keyword", "flow": ids["flow_uuid"], "keywords": ["join"],
                                  "match_type": "first_word", "groups": [ids["group_uuid"]]},
        "POST /api/v1/connectors": {"name": "c", "xml": "<connector/>"},
        "POST /api/v1/calls": {"channel": ids["channel_XCV"], "to": "+250788123123"},
        "PUT /api/v1/flows/{flow_uuid}/definition": {
            "definition": w.api.get(f"/api/v1/flows/{ids['flow_uuid']}").json()["definition"],
            "comment": "c",
        },
        "PUT /api/v1/calls/agent": {"extension": "101", "phone_home": "+250788123999", "takes_incoming": True},
        "POST /api/v1/topics": {"name": "t"},
        "POST /api/v1/ticket_actions": {"tickets": [ids["ticket_uuid"]], "action": "note", "note": "n"},
        "POST /api/v1/resthook_subscribers": {"resthook": "h", "target_url": "http://127.0.0.1:9/h"},
        "PUT /api/v1/airtime_service": {"url": "http://127.0.0.1:9/a", "currency": "RWF", "body": "{\"to\": {{recipient}}}",
                                        "headers": {"X": "y"}, "authorization": "k",
                                        "response_mapping": {"external_id": "id"}},
        "POST /api/v1/llms": {"name": "l", "url": "http://127.0.0.1:9/v1", "model": "m", "api_key": "k"},
    }  # fmt: skip


json_values = json_trees(
    st.one_of(
        st.text(max_size=20),
        st.sampled_from(
            ["", "\x00", "tel:", "+", "00000000-0000-0000-0000-000000000000", "x" * 5000, "eng", "@"]
        ),
    )
)


@st.composite
def mutated(draw: st.DrawFn, body: Any) -> Any:
    body = copy.deepcopy(body)
    if not isinstance(body, dict) or not body or draw(st.integers(0, 9)) == 0:
        return draw(json_values)
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(sorted(body)))
        action = draw(st.sampled_from(["retype", "retype", "drop", "add", "nest"]))
        if action == "retype":
            body[key] = draw(json_values)
        elif action == "drop":
            body.pop(key)
            if not body:
                break
        elif action == "add":
            body[draw(st.text(max_size=8))] = draw(json_values)
        elif isinstance(body[key], dict) and body[key]:
            body[key][draw(st.sampled_from(sorted(body[key])))] = draw(json_values)
        elif isinstance(body[key], list):
            body[key] = [*body[key], draw(json_values)]
    return body


def test_api_write_bodies_never_5xx(fuzz_world: World) -> None:
    bodies = valid_bodies(fuzz_world)
    operations = []
    for path, method, op in api_operations():
        if method not in ("post", "put", "patch"):
            continue
        params = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
        url = path.format(**variants(params, fuzz_world)[0])
        # A documented 5xx is an answer, not a crash: e.g. 502 when a call's provider refuses it.
        documented = frozenset(int(code) for code in op.get("responses", {}) if int(code) != 500)
        operations.append((method, path, url, bodies.get(f"{method.upper()} {path}", {}), documented))
    assert len(operations) >= 25

    @settings(fuzz_settings, max_examples=EXAMPLES * 5)  # ~30 operations share the budget
    @given(st.sampled_from(operations).flatmap(lambda o: st.tuples(st.just(o), mutated(o[3]))))
    def check(case: tuple[tuple[str, str, str, Any, frozenset[int]], Any]) -> None:
        (method, path, url, _, documented), body = case
        tried(f"api {method.upper()} {path}")
        response = fuzz_world.api.generic(
            method.upper(), url, json.dumps(body), content_type="application/json"
        )
        ok = response.status_code < 500 or response.status_code in documented
        assert ok, (method, url, body, response.content[:500])

    check()


def test_api_deep_json_bodies_are_refused_not_5xx(fuzz_world: World) -> None:
    operations = []
    for path, method, op in api_operations():
        if method in ("post", "put", "patch"):
            params = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
            operations.append((method, path, path.format(**variants(params, fuzz_world)[0])))

    @settings(fuzz_settings, max_examples=EXAMPLES * 3)
    @given(st.sampled_from(operations), deep_json(keys=st.text(max_size=8)))
    def check(operation: tuple[str, str, str], body: str) -> None:
        method, path, url = operation
        tried(f"api {method.upper()} {path} (deep JSON)")
        response = fuzz_world.api.generic(method.upper(), url, body, content_type="application/json")
        assert response.status_code < 500, (method, url, response.content[:300])

    check()
