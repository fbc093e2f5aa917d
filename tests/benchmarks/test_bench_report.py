"""`make bench` as one report: scripts/bench.py runs bench modules as processes and collects them."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _load_bench_script() -> Any:
    spec = importlib.util.spec_from_file_location("bench_script", ROOT / "scripts" / "bench.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_report_of_two_benches_has_machine_info_and_positive_figures(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "scripts/bench.py", "--quick", "--only", "connector,engine", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "total bench time" in completed.stdout
    assert "Flow engine node visits" in completed.stdout  # the table names every figure

    report = json.loads((tmp_path / "bench-report.json").read_text())
    machine = report["machine"]
    assert isinstance(machine["cores"], int) and machine["cores"] >= 1
    assert len(machine["load_before"]) == 3 and len(machine["load_after"]) == 3
    assert len(machine["git_commit"]) == 40
    assert report["started"] and report["seconds"] > 0 and report["quick"] is True

    benches = {b["name"]: b for b in report["benches"]}
    assert set(benches) == {"connector", "engine"}
    for bench in benches.values():
        assert bench["status"] == "ok", bench
        assert bench["figures"], bench
        for fig in bench["figures"]:
            assert {"key", "label", "value", "unit", "higher_is_better", "baseline", "target"} <= fig.keys()
            assert isinstance(fig["value"], int | float) and fig["value"] > 0, fig
            if fig["baseline"] is not None:
                assert fig["baseline"]["label"] and fig["baseline"]["value"] > 0, fig
    connector_keys = {f["key"] for f in benches["connector"]["figures"]}
    assert {"connector.twilio.ms", "connector.infobip.ms", "connector.plivo.ms"} <= connector_keys
    assert all(
        f["baseline"] and f["target"] == {"op": "<=", "value": 0.5} for f in benches["connector"]["figures"]
    )
    # Each module also left its own file in the shared shape.
    assert (
        json.loads((tmp_path / "bench" / "benchmarks.engine.json").read_text())["bench"]
        == "benchmarks.engine"
    )


def test_table_shows_failed_benches_ratios_and_verdicts() -> None:
    bench = _load_bench_script()
    faster = {
        "key": "a.rate",
        "label": "Fast thing",
        "value": 300.0,
        "unit": "msg/s",
        "higher_is_better": True,
        "baseline": {"label": "slow thing", "value": 100.0},
        "target": {"op": ">=", "value": 500},
    }
    quicker = {
        **faster,
        "key": "a.ms",
        "label": "Latency",
        "value": 2.0,
        "unit": "ms",
        "higher_is_better": False,
    }
    quicker.update(baseline={"label": "old", "value": 8.0}, target={"op": "<=", "value": 5})
    table = bench.render_table(
        [
            {"name": "ok", "status": "ok", "figures": [faster, quicker], "error": None},
            {"name": "broken", "status": "failed", "figures": [], "error": "exit code 1"},
        ]
    )
    lines = table.splitlines()
    assert any("Fast thing" in line and "3.00x" in line and "MISS" in line for line in lines)
    assert any("Latency" in line and "4.00x" in line and "PASS" in line for line in lines)
    assert any("broken: FAILED" in line and "exit code 1" in line for line in lines)


def test_unknown_bench_name_is_refused() -> None:
    completed = subprocess.run(
        [sys.executable, "scripts/bench.py", "--only", "nope"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode != 0
    assert "unknown bench(es): nope" in completed.stderr
