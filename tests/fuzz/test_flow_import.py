"""Flow import takes RapidPro exports from anywhere: a file an admin found, another server's export.

Property: POST /api/v1/flows/import answers 200 or a 4xx for any JSON, in particular for
structural mutations of real exports (values retyped, keys dropped, lists emptied or
duplicated); never a 5xx. Flows that did import can then be simulated without a 5xx.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests import SHARED as SHARED_ROOT
from tests.fuzz.conftest import fuzz_settings, tried
from tests.fuzz.strategies import deep_json, json_trees
from tests.security.world import World

pytestmark = pytest.mark.django_db

TESTS = Path(__file__).resolve().parents[1]
SHARED = SHARED_ROOT / "anchor_data" / "rapidpro_flows"
EXPORTS = [json.loads(p.read_text()) for p in [TESTS / "flows" / "fixtures" / "two_questions.json"]]
if SHARED.is_dir():
    EXPORTS += [json.loads(p.read_text()) for p in sorted(SHARED.glob("*.json"))]

json_values = json_trees(
    st.one_of(
        st.text(max_size=20),
        st.sampled_from(
            ["", "00000000-0000-4000-8000-000000000001", "@input.text", "13.1.0", "msg", "send_msg"]
        ),
    )
)


def _containers(node: Any, out: list[Any]) -> list[Any]:
    if isinstance(node, dict | list):
        out.append(node)
        for child in node.values() if isinstance(node, dict) else node:
            _containers(child, out)
    return out


@st.composite
def mutated_exports(draw: st.DrawFn) -> Any:
    export = copy.deepcopy(draw(st.sampled_from(EXPORTS)))
    for _ in range(draw(st.integers(1, 4))):
        target = draw(st.sampled_from(_containers(export, [])))
        if not target:
            continue
        key = draw(st.sampled_from(list(target.keys()) if isinstance(target, dict) else range(len(target))))
        action = draw(st.sampled_from(["replace", "drop", "duplicate"]))
        if action == "replace":
            target[key] = draw(json_values)
        elif action == "drop":
            del target[key]
        elif isinstance(target, list):
            target.append(copy.deepcopy(target[key]))
        else:
            target[f"{key}_copy"] = copy.deepcopy(target[key])
    return export


def test_flow_import_never_5xx(fuzz_world: World) -> None:
    api = fuzz_world.api

    @fuzz_settings
    @given(st.one_of(mutated_exports(), json_values))
    def check(body: Any) -> None:
        tried("flows.import")
        response = api.post("/api/v1/flows/import", data=json.dumps(body), content_type="application/json")
        assert response.status_code < 500, (response.status_code, response.content[:500])
        if response.status_code == 200:
            for flow in response.json()["flows"][:1]:
                tried("flows.simulate (imported)")
                sim = api.post(
                    "/api/v1/simulate",
                    data=json.dumps({"flow": flow["uuid"], "inputs": ["hello", "42"]}),
                    content_type="application/json",
                )
                assert sim.status_code < 500, (sim.status_code, sim.content[:500])

    check()


def test_raw_bodies_never_5xx(fuzz_world: World) -> None:
    api = fuzz_world.api

    @fuzz_settings
    @given(st.binary(max_size=200))
    def check(body: bytes) -> None:
        tried("flows.import (raw bytes)")
        response = api.post("/api/v1/flows/import", data=body, content_type="application/json")
        assert 200 <= response.status_code < 500

    check()


def test_deep_imports_are_refused_not_5xx(fuzz_world: World) -> None:
    api = fuzz_world.api

    @fuzz_settings
    @given(deep_json(keys=st.sampled_from(["flows", "version", "nodes"])))
    def check(body: str) -> None:
        tried("flows.import (deep JSON)")
        response = api.post("/api/v1/flows/import", data=body, content_type="application/json")
        assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])

    check()
