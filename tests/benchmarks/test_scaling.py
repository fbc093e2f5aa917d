"""The scaling bench's table and bend logic on given numbers, and its /proc/stat reading.

The bench itself needs minutes of real processes; these keep its arithmetic and wording from
rotting: a series that stops gaining on a busy machine is called CPU bound with the ceiling
cores x 1000 / CPU ms per message, one that stops gaining with idle cores is not."""

from __future__ import annotations

import os
import time
from typing import Any

from benchmarks.kit import busy_cores, machine_cpu
from benchmarks.scaling import bend, ceiling, cpu_ms, figures, render


def _e2e(workers: int, rate: float, busy: float) -> dict[str, Any]:
    return {"series": "e2e", "config": f"e2e, 1 web + {workers} worker(s)", "processes": workers,
            "per_second": rate, "p95_ms": 900.0, "web_cpu_ms_per_msg": 0.5, "worker_cpu_ms_per_msg": 2.0,
            "db_cpu_ms_per_msg": 0.9, "harness_cpu_ms_per_msg": 0.1, "machine_busy_cores": busy}  # fmt: skip


def _receive(webs: int, rate: float, busy: float) -> dict[str, Any]:
    return {"series": "receive", "config": f"receive, {webs} web process(es)", "processes": webs,
            "per_second": rate, "p95_ms": 20.0, "web_cpu_ms_per_msg": 0.25, "worker_cpu_ms_per_msg": None,
            "db_cpu_ms_per_msg": 0.2, "harness_cpu_ms_per_msg": 0.05, "machine_busy_cores": busy}  # fmt: skip


def test_cpu_per_message_adds_every_part_and_sets_the_ceiling() -> None:
    row = _e2e(1, 300.0, 1.0)
    assert cpu_ms(row) == 3.5  # web 0.5 + workers 2.0 + PostgreSQL 0.9 + harness 0.1
    assert round(ceiling(row, 2)) == 571  # 2 cores x 1000 ms / 3.5 ms
    assert cpu_ms(_receive(1, 3000.0, 1.0)) == 0.5  # no workers in the receive path


def test_a_series_that_stops_gaining_on_a_busy_machine_bends_there_for_cpu() -> None:
    series = [_e2e(1, 300.0, 1.1), _e2e(2, 520.0, 1.9), _e2e(3, 530.0, 2.0)]
    line = bend(series, cores=2)
    # 1 -> 2 gave 1.73x of an ideal 2x (73% of the gain): no bend; 2 -> 3 gave 1.02x of 1.5x.
    assert "bends from e2e, 1 web + 2 worker(s) to e2e, 1 web + 3 worker(s)" in line
    assert "(1.02x for an ideal 1.5x)" in line
    assert "CPU bound" in line and "~571 msg/s on all 2 cores" in line
    # this run: 3.5 ms x 530/s = 1.86 cores, so others 0.14 and 1.86 left: ~530 msg/s, the rate itself (busy = all cores)
    assert "1.9 then 2.0 of 2 cores busy (1.9 of them this run" in line
    assert "0.1 other tenants" in line and "~530 on the 1.9 the others left" in line


def test_a_series_that_stops_gaining_with_idle_cores_is_not_called_cpu_bound() -> None:
    line = bend([_receive(1, 3000.0, 0.8), _receive(2, 3100.0, 1.0)], cores=2)
    assert "bends from receive, 1 web process(es) to receive, 2 web process(es)" in line
    assert "1.0 of 2 cores idle: not CPU" in line and "CPU bound" not in line


def test_a_series_that_keeps_gaining_has_no_bend() -> None:
    line = bend([_e2e(1, 200.0, 0.6), _e2e(2, 380.0, 1.1), _e2e(3, 540.0, 1.6)], cores=2)
    assert line.startswith("e2e: no bend from e2e, 1 web + 1 worker(s) to e2e, 1 web + 3 worker(s)")


def test_table_has_a_row_per_configuration_speed_ups_and_a_bend_line_per_series() -> None:
    rows = [_e2e(1, 300.0, 1.1), _e2e(2, 520.0, 1.9), _receive(1, 3000.0, 1.9), _receive(2, 2900.0, 2.0)]
    text = render(rows, cores=2)
    lines = text.splitlines()
    assert lines[0].split()[:2] == ["configuration", "msg/s"]
    e2e2 = next(x for x in lines if x.startswith("e2e, 1 web + 2 worker(s)"))
    assert "1.73x" in e2e2 and "1.90/2 (95%)" in e2e2 and "571" in e2e2
    assert " - " in next(x for x in lines if x.startswith("receive, 1 web"))  # no workers column value
    assert sum(x.startswith(("e2e:", "receive:")) for x in lines) == 2
    assert "receive: the curve bends" in text and "CPU bound" in text


def test_figures_compare_each_configuration_with_the_first_of_its_series() -> None:
    rows = [_e2e(1, 300.0, 1.1), _e2e(2, 520.0, 1.9), _receive(1, 3000.0, 1.9), _receive(2, 2900.0, 2.0)]
    rates = {f["key"]: f for f in figures(rows) if f["key"].endswith(".rate")}
    assert rates["scaling.e2e.1.rate"]["baseline"] is None
    assert rates["scaling.e2e.2.rate"]["baseline"] == {"label": "e2e, 1 web + 1 worker(s)", "value": 300.0}
    assert rates["scaling.receive.2.rate"]["baseline"] == {
        "label": "receive, 1 web process(es)",
        "value": 3000.0,
    }


def test_machine_cpu_sees_this_process_keep_a_core_busy() -> None:
    before = machine_cpu()
    end = time.process_time() + 0.3
    while time.process_time() < end:  # 0.3 s of CPU on one core
        pass
    busy = busy_cores(before, machine_cpu())
    assert 0.1 <= busy <= (os.cpu_count() or 1)
