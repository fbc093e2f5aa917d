"""The e2e bench compares like with like: its batching-off baseline runs the headline's workers
and message count (it once ran 300 messages on 1 worker against 6,000 on 2)."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.flows_e2e import _figures


def _row(case: str, workers: int, messages: int, per_second: float) -> dict[str, Any]:
    return {"case": case, "workers": workers, "messages": messages, "per_second": per_second,
            "p50_ms": 1.0, "p95_ms": 2.0, "p99_ms": 3.0, "worker_rss_peak_mb": 50.0,
            "worker_cpu_ms_per_msg": 1.0}  # fmt: skip


def test_each_rate_is_compared_with_the_baseline_of_its_own_worker_count() -> None:
    results = [_row("keyword -> reply, 1 worker(s)", 1, 6000, 900.0), _row("keyword -> reply, 2 worker(s)", 2, 6000, 1500.0),
               _row("paced at 750/s (half the best), 2 worker(s)", 2, 3000, 750.0)]  # fmt: skip
    baselines = {w: _row(f"batching off (batch size 1), {w} worker(s)", w, 6000, 100.0 * w) for w in (1, 2)}
    rates = {f["key"]: f for f in _figures(results, baselines) if f["key"].endswith(".rate")}
    assert rates["e2e.keyword_reply.w1.rate"]["baseline"] == {"label": baselines[1]["case"], "value": 100.0}
    assert rates["e2e.keyword_reply.w2.rate"]["baseline"] == {"label": baselines[2]["case"], "value": 200.0}


@pytest.mark.parametrize(("workers", "messages"), [(1, 6000), (2, 300)])
def test_a_baseline_that_runs_less_than_its_headline_is_refused(workers: int, messages: int) -> None:
    results = [_row("keyword -> reply, 2 worker(s)", 2, 6000, 1500.0)]
    baselines = {2: _row("batching off", workers, messages, 100.0)}
    with pytest.raises(ValueError, match="does not run what"):
        _figures(results, baselines)
