from smsc import bench


def test_bench_runs_and_reports_a_rate() -> None:
    rate = bench.run(messages=2000, window=100, inprocess=True)
    assert rate > 500  # a window of 100 on loopback; stop-and-wait would be far below this
