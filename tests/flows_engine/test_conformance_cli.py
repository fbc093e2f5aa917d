"""The conformance runner's contract with CI: a summary line, exit 0 unless the runner crashes."""

from __future__ import annotations

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
    results = conformance.run_runner_file(folder / "broken.test.json")
    assert [r.section for r in results] == ["runner", "runner_sprints", "runner_segments"]
    for result in results:
        assert (result.passed, result.total) == (0, 1)
        assert "crashed" in result.failures[0]
