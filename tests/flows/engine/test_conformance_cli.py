"""The conformance runner's contract with CI: per-section counts, a summary line, exit 0 unless the
runner crashes or a section falls below its floor (tests/floors.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows.engine import conformance
from flows.engine.conformance import FileResult


def _result(name: str, passed: int, total: int) -> FileResult:
    r = FileResult(name)
    for i in range(total):
        r.check(i < passed, f"vector {i}")
    return r


def test_low_pass_rate_still_exits_zero_and_ends_with_a_summary(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        conformance, "run_all", lambda base: [_result("a.json", 1, 4), _result("b.json", 2, 2)]
    )
    assert conformance.main([str(tmp_path)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == "conformance: 3/6 vectors passed (50.0%), 1/2 files fully passing"
    assert "TOTAL" in lines[-2]


def test_runner_crash_exits_non_zero(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(base: Path) -> list[FileResult]:
        raise KeyError("outputs")

    monkeypatch.setattr(conformance, "run_all", boom)
    assert conformance.main([str(tmp_path)]) == 1
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("conformance: runner crashed")


def test_missing_vectors_exit_non_zero(tmp_path: Path) -> None:
    assert conformance.main([str(tmp_path / "nope")]) == 2


def test_engine_crash_on_a_vector_is_a_failed_vector_not_a_crash(tmp_path: Path) -> None:
    folder = tmp_path / "test" / "testdata" / "runner"
    folder.mkdir(parents=True)
    (folder / "broken.json").write_text('{"flows": []}')
    (folder / "broken.test.json").write_text(
        '{"contact": {"uuid": "c"}, "trigger": {"type": "manual", "flow": {"uuid": "missing"}},'
        ' "outputs": [{"events": [], "session": {"status": "completed"}}]}'
    )
    whole, sprints, segments = conformance.run_runner_file(folder / "broken.test.json")
    for result in (whole, sprints, segments):
        assert (result.passed, result.total) == (0, 1)
        assert "crashed" in result.failures[0]


VECTORS = Path(__file__).parent / "vectors"  # our own small vectors in goflow's layout


def _floors(tmp_path: Path, floors: dict[str, int]) -> Path:
    path = tmp_path / "floors.json"
    path.write_text(json.dumps({"goflow": floors}))
    return path


def test_own_vectors_pass_and_the_gate_holds_at_their_floor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The router vectors include both bounds of has_number_between (inclusive, as goflow has
    it): the `lo <= n < hi` mutation fails them, and so does a locals_after mismatch."""
    floors = _floors(tmp_path, {"routers": 5, "actions": 2})
    assert conformance.main([str(VECTORS), "--floors", str(floors)]) == 0
    out = capsys.readouterr().out
    assert "BELOW FLOOR" not in out
    assert "  routers                  5/5" in out


def test_a_section_below_its_floor_fails_the_gate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    floors = _floors(tmp_path, {"routers": 6, "actions": 2, "runner": 0})
    assert conformance.main([str(VECTORS), "--floors", str(floors)]) == 3
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "conformance: BELOW FLOOR routers: 5 passed, floor 6"


def test_a_section_that_vanished_counts_as_zero(tmp_path: Path) -> None:
    counts = conformance.section_counts(conformance.run_all(VECTORS))
    assert conformance.floor_failures(counts, {"resumes": 1}) == ["resumes: 0 passed, floor 1"]


def test_raising_floors_records_gains_and_never_lowers(tmp_path: Path) -> None:
    path = _floors(tmp_path, {"routers": 3, "actions": 9})
    floors = conformance.raise_floors(path, {"routers": (5, 5), "actions": (2, 2), "runner": (0, 1)})
    assert floors == {"routers": 5, "actions": 9, "runner": 0}
    assert conformance.read_floors(path) == floors


def test_a_definition_the_engine_cannot_load_fails_its_vector_and_the_run_goes_on() -> None:
    """The CI breakage of issue 26: a legacy runner definition crashed the whole run."""
    results = conformance.run_all(VECTORS)
    runner = [r for r in results if r.section == "runner"]
    assert [(r.passed, r.total) for r in runner] == [(0, 1)]
    assert runner[0].failures  # a reason is given
    assert {r.section for r in results} >= {"routers", "actions", "runner", "runner_sprints"}
