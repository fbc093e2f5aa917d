"""PostgreSQL really stops (a private server) while inbound webhooks arrive at `manage.py serve`.

The shared PostgreSQL is never touched: chaos.platform starts its own server and Redis.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import psycopg
import pytest

from chaos import scenarios
from chaos.aggregator import ChaosAggregator
from chaos.platform import Platform, wait_for
from chaos.servers import pg_bin

pytestmark = pytest.mark.skipif(pg_bin() is None, reason="PostgreSQL server binaries (initdb) not installed")


@pytest.fixture(scope="module")
def platform() -> Iterator[tuple[Platform, ChaosAggregator, dict]]:
    aggregator = ChaosAggregator()
    platform = Platform()
    try:
        platform.migrate()
        ids = platform.create_channels(send_url=aggregator.url)
        platform.start_web()
        platform.start_worker()
        yield platform, aggregator, ids
    finally:
        platform.close()
        aggregator.close()


def test_outage_spools_then_replays_with_the_answered_uuids(platform) -> None:
    p, aggregator, ids = platform
    result = scenarios.postgres_stopped(scenarios.Context(p, aggregator, ids, messages=16, settle_seconds=60))
    # Every message accepted during the outage went to disk (the refused ones were not accepted).
    assert result.problems == [] and result.notes[0].startswith(f"{26 - result.refused} messages spooled")
    assert result.ok, (result, p.tail("web"))
    assert result.sent == 16 + 10 and result.delivered == result.sent and result.duplicates == 0
    assert result.refused >= 1  # the tiny spool filled up: 503 + Retry-After, stored on retry


def test_spooled_messages_survive_a_web_crash(platform) -> None:
    p, _, ids = platform
    url = f"{p.web_url}/c/ex/{ids['ex_uuid']}/receive"
    with httpx.Client(timeout=20) as client:
        client.post(url, data={"from": "+250788123123", "text": "warm-up after"}).raise_for_status()
        p.pg.stop()
        try:
            answers = [
                client.post(url, data={"from": "+250788123123", "text": f"crash {i}"}) for i in range(5)
            ]
            assert [a.status_code for a in answers] == [200] * 5
            p.kill("web")  # SIGKILL: the spooled messages exist only on disk now
        finally:
            p.pg.start()
    p.start_web()  # the new process replays what the dead one spooled

    uuids = [a.json()["uuid"] for a in answers]

    def stored() -> int:
        with psycopg.connect(p.pg.url.replace("postgres://", "postgresql://")) as conn:
            row = conn.execute(
                "SELECT count(*) FROM channels_app_msg WHERE uuid::text = ANY(%s) AND status = 'handled'",
                [uuids],
            ).fetchone()
        return int(row[0]) if row else 0

    assert wait_for(lambda: stored() == 5, 30), p.tail("web")
    assert not list((p.root / "var" / "spool").glob("seg-*"))


def test_worker_outlives_a_redis_restart_and_the_sweeper_rewakes_queued_messages(platform) -> None:
    p, aggregator, ids = platform
    aggregator.set_mode("ok")
    p.redis.stop()  # a crash: jobs and wake-up markers are gone
    scenarios.queue_outbound(
        scenarios.Context(p, aggregator, ids, messages=3), ids["ex_id"], ["while redis was down"]
    )
    wait_for(lambda: False, 3)  # the worker's rq loop hits the dead Redis meanwhile
    p.redis.start()
    assert wait_for(lambda: aggregator.count("while redis was down") == 1, 30), p.tail("worker", 40)
    assert p.alive("worker")
