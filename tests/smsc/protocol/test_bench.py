import math

from benchmarks import smpp as bench


def test_bench_runs_pipelines_and_reports_a_rate() -> None:
    """No timing target here (those live in `make bench`): the bench must deliver every submit,
    report a real rate, and the windowed link must pipeline — several submit_sm reach the sink
    before it answers one — while the stop-and-wait baseline never has two in flight."""
    windowed = bench.SinkStats()
    rate = bench.run(messages=2000, window=100, inprocess=True, stats=windowed)
    assert windowed.submits == 2000
    assert windowed.most_per_read > 1, windowed
    assert math.isfinite(rate) and rate > 0

    stop_and_wait = bench.SinkStats()
    naive = bench.run(messages=50, window=1, inprocess=True, stats=stop_and_wait)
    assert stop_and_wait.submits == 50
    assert stop_and_wait.most_per_read == 1, stop_and_wait
    assert math.isfinite(naive) and naive > 0
