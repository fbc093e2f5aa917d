"""goflow's vectors as a regression floor: each conformance section must pass at least as many
vectors as recorded. Runs over ../shared when it is there (or FLOWGATE_SHARED points at it);
a small runner vector of our own checks the runner section everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows.engine import conformance
from tests import ROOT, SHARED

GOFLOW = SHARED / "anchor_data" / "goflow"
FLOORS = ROOT / "tests" / "floors.json"


@pytest.mark.skipif(not GOFLOW.exists(), reason="goflow vectors (../shared) not present")
def test_no_section_falls_below_its_floor() -> None:
    counts = conformance.section_counts(conformance.run_all(GOFLOW))
    assert {"expressions", "routers", "actions", "resumes", "runner"} <= set(counts)
    # every non-legacy goflow runner test passes (the legacy_* ones need legacy migration)
    runner_passed, runner_total = counts["runner"]
    legacy = len(list((GOFLOW / "test" / "testdata" / "runner").glob("legacy_*.*.json")))
    assert runner_passed >= runner_total - legacy
    assert conformance.floor_failures(counts, conformance.read_floors(FLOORS)) == []


FLOW_UUID = "615b8a0f-588c-4d20-a05f-363b0b4ce6f4"
CONTACT = {"uuid": "ba96bf7f-bc2a-4873-a7c7-254d1927c4e3", "name": "Ben", "urns": ["tel:+12065551212"]}


def _own_runner_vector(folder: Path) -> Path:
    """A flow whose first node waits: the message that triggers it answers that wait (goflow)."""
    folder.mkdir(parents=True)
    node, exit_uuid = "46d51f50-58de-49da-8d13-dadbf322685d", "1ca74fca-1803-4ae7-8ae9-336e75276cd6"
    flow = {
        "uuid": FLOW_UUID,
        "name": "Initial Wait",
        "spec_version": "13.0.0",
        "language": "eng",
        "type": "messaging",
        "nodes": [
            {
                "uuid": node,
                "router": {
                    "type": "switch",
                    "wait": {"type": "msg"},
                    "operand": "@input.text",
                    "result_name": "Command",
                    "categories": [
                        {"uuid": "c1", "name": "Ping", "exit_uuid": exit_uuid},
                        {"uuid": "c2", "name": "Other", "exit_uuid": "e2"},
                    ],
                    "cases": [
                        {"uuid": "k1", "type": "has_any_word", "arguments": ["ping"], "category_uuid": "c1"}
                    ],
                    "default_category_uuid": "c2",
                },
                "exits": [{"uuid": exit_uuid}, {"uuid": "e2"}],
            }
        ],
    }
    (folder / "initial.json").write_text(json.dumps({"flows": [flow]}))
    events = [
        {"type": "run_started", "flow": {"name": "Initial Wait", "uuid": FLOW_UUID}},
        {"type": "run_result_changed", "name": "Command", "value": "PING", "category": "Ping"},
        {"type": "run_ended", "flow": {"name": "Initial Wait", "uuid": FLOW_UUID}, "status": "completed"},
    ]
    trigger = {
        "type": "msg",
        "flow": {"uuid": FLOW_UUID, "name": "Initial Wait"},
        "event": {"type": "msg_received", "msg": {"text": "PING", "urn": "tel:+12065551212"}},
    }
    vector = {
        "contact": CONTACT,
        "trigger": trigger,
        "outputs": [{"events": events, "session": {"status": "completed"}}],
    }
    path = folder / "initial.test.json"
    path.write_text(json.dumps(vector))
    return path


def test_own_runner_vector_passes_in_the_runner_section(tmp_path: Path) -> None:
    path = _own_runner_vector(tmp_path / "test" / "testdata" / "runner")
    results = {r.section: r for r in conformance.run_runner_file(path)}
    assert (results["runner"].passed, results["runner"].total) == (1, 1), results["runner"].failures
    assert (results["runner_sprints"].passed, results["runner_sprints"].total) == (1, 1)


def test_a_wrong_expectation_fails_the_runner_section(tmp_path: Path) -> None:
    path = _own_runner_vector(tmp_path / "test" / "testdata" / "runner")
    vector = json.loads(path.read_text())
    vector["outputs"][0]["session"]["status"] = "waiting"
    path.write_text(json.dumps(vector))
    results = {r.section: r for r in conformance.run_runner_file(path)}
    assert results["runner"].passed == 0
