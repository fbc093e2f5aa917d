"""The flow-tests bench's own suite must pass (its figure is only meaningful if every test runs
to the end); the time is printed by the bench, never asserted here."""

from __future__ import annotations

from benchmarks.flow_tests import registration_flow, run


def test_bench_flow_has_60_nodes_and_its_tests_pass() -> None:
    assert len(registration_flow()["nodes"]) == 60
    _seconds, outcome = run(5)
    assert outcome["failed"] == 0, outcome["results"][0]["diff"]
    assert outcome["passed"] == 5
    assert any({"fired": "wait_timeout"} in r["transcript"] for r in outcome["results"])
