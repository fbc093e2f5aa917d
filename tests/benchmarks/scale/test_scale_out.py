"""Scale-out on real processes: two web processes and two workers against one PostgreSQL + Redis.

Every message sent through the API reaches the aggregator exactly once, both workers do work,
and 2 web + 2 workers move the same load faster than 1 + 1. The load is I/O bound by design
(per-channel provider rate caps, a slow aggregator; see benchmarks/scale.py), so the
throughput comparison holds on a busy 2-core machine: it is expected near 2x, asserted at 1.3x.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from benchmarks.scale import Aggregator, Cluster, run_scale

DATABASE_URL = os.environ.get("SCALE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/flowgate_scale")
REDIS_URL = os.environ.get("SCALE_REDIS_URL", "redis://127.0.0.1:6379/7")
MESSAGES = 120
CHANNELS = 4


def _reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), timeout=1
        ).close()
    except OSError:
        return False
    return True


pytestmark = [
    pytest.mark.skipif(
        not _reachable(DATABASE_URL, 5432), reason=f"PostgreSQL not reachable ({DATABASE_URL})"
    ),
    pytest.mark.skipif(not _reachable(REDIS_URL, 6379), reason=f"Redis not reachable ({REDIS_URL})"),
]


def test_two_webs_and_two_workers_send_every_message_once_and_faster(tmp_path: Path) -> None:
    cluster = Cluster(DATABASE_URL, REDIS_URL, log_dir=tmp_path)
    cluster.prepare()
    aggregator = Aggregator(latency=0.04)
    try:
        single = run_scale(cluster, aggregator, webs=1, workers=1, messages=MESSAGES, channels=CHANNELS)
        double = run_scale(cluster, aggregator, webs=2, workers=2, messages=MESSAGES, channels=CHANNELS)
    finally:
        aggregator.close()
    print(f"\n{single.summary()}\n{double.summary()}\nspeed-up {double.rate / single.rate:.2f}x")

    for run in (single, double):
        assert (run.received, run.missing, run.unexpected, run.duplicates) == (MESSAGES, 0, 0, 0), (
            run.summary()
        )
        assert run.sent_in_db == MESSAGES, run.summary()
        assert run.unattributed == 0, run.summary()  # every send came from one of our worker processes
    assert sum(single.by_worker.values()) == MESSAGES
    # Competing workers: both sent (the per-channel lock lets one worker at a time drain a channel).
    assert len(double.by_worker) == 2 and min(double.by_worker.values()) > 0, double.summary()
    assert sum(double.by_worker.values()) == MESSAGES
    assert double.rate > 1.3 * single.rate, f"{single.summary()}\n{double.summary()}"
