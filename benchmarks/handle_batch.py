"""`python -m benchmarks.handle_batch [N] [--quick] [--json PATH]`: what one small handle batch
costs a worker, with the workspace snapshot kept between batches and without it, and what one
small send batch costs.

At a paced rate a worker handles many small batches, and each one's fixed cost (loading the
workspace's flows, triggers, fields and settings, parsing the flow) is most of its CPU. This
receives one "join <n>" message at a time and handles it (a keyword flow that replies), N times,
and prints the worker-side CPU and the queries per batch. Baseline in the same run: the same
batches with the snapshot reloaded every time (its max age set to 0), which is what every batch
cost before workers kept it. Then the send side: one queued message claimed, wired, sent to an
in-process provider (httpx.MockTransport) and recorded, N times: its CPU and statements.
Database: DATABASE_URL (a throwaway workspace, deleted afterwards).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path
from typing import Any

from benchmarks.kit import figure, write_json


def _batches(channel: Any, n: int, prefix: int) -> tuple[float, float, float]:
    """(CPU ms, wall ms, queries) per one-message batch, medians over n batches."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from channels_app.services import ingest

    cpu, wall, queries = [], [], []
    for i in range(n):
        ingest.receive(channel=channel, sender=f"+2507{prefix:02d}{i:06d}", text=f"join {i}")
        with CaptureQueriesContext(connection) as captured:
            c0, w0 = time.process_time(), time.perf_counter()
            ingest.handle_pending(workspace_id=channel.workspace_id)
            cpu.append((time.process_time() - c0) * 1000)
            wall.append((time.perf_counter() - w0) * 1000)
        queries.append(len(captured.captured_queries))
        connection.queries_log.clear()
    return statistics.median(cpu), statistics.median(wall), statistics.median(queries)


def _send_batches(channel: Any, n: int) -> tuple[float, float, float]:
    """(CPU ms, wall ms, queries) per one-message send batch (queued → claimed → wired → sent,
    the provider an in-process httpx.MockTransport), medians over n batches."""
    import httpx
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from channels_app.services import send

    provider = httpx.MockTransport(lambda request: httpx.Response(200, json={"id": "p1"}))
    cpu, wall, queries = [], [], []
    for i in range(n):
        send.queue_message(channel=channel, to=f"+2507885{i:05d}", text=f"reply {i}")
        with CaptureQueriesContext(connection) as captured:
            c0, w0 = time.process_time(), time.perf_counter()
            assert send.send_channel(channel_id=channel.id, transport=provider) == 1
            cpu.append((time.process_time() - c0) * 1000)
            wall.append((time.perf_counter() - w0) * 1000)
        queries.append(sum(1 for q in captured.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")))
        connection.queries_log.clear()
    return statistics.median(cpu), statistics.median(wall), statistics.median(queries)


def _profiled(run: Any, top: int) -> Any:
    """`run()` under cProfile; prints its `top` entries by own time (what to cut next)."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    result = profiler.runcall(run)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)
    return result


def main(n: int, json_path: Path | None = None, profile: int = 0) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "web.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from benchmarks.flows_e2e import keyword_reply_flow
    from channels_app import realtime
    from channels_app.models import Channel, Msg, Workspace
    from flows.services import workspace_snapshot

    call_command("migrate", verbosity=0)
    realtime.publish_on_thread_loops()  # as `manage.py worker` does
    settings.FLOWGATE_INBOUND_DEDUPE_SECONDS = 0
    workspace = Workspace.objects.create(name="bench handle batch")
    try:
        channel = Channel.objects.create(
            workspace=workspace, channel_type="DV", name="Bench", address="+250788000000", country="RW"
        )
        keyword_reply_flow(workspace, "join")
        _batches(channel, 10, 10)  # warm-up: imports, connections, the first snapshot
        kept = _profiled(lambda: _batches(channel, n, 20), profile) if profile else _batches(channel, n, 20)
        cache = workspace_snapshot._snapshots
        max_age, cache.max_age = cache.max_age, 0.0
        try:
            reloaded = (
                _profiled(lambda: _batches(channel, n, 30), profile) if profile else _batches(channel, n, 30)
            )
        finally:
            cache.max_age = max_age
        outbox = Channel.objects.create(
            workspace=workspace,
            channel_type="EX",
            name="Bench send",
            address="+250788000001",
            country="RW",
            config={"send_url": "https://provider.example/send", "content_type": "urlencoded"},
        )
        _send_batches(outbox, 10)  # warm-up
        sent = _send_batches(outbox, n)
        print(f"one-message handle batch ({connection.vendor}, median of {n}):")
        print(
            f"  snapshot kept:          CPU {kept[0]:6.2f} ms, wall {kept[1]:6.2f} ms, {kept[2]:.0f} queries"
        )
        print(
            f"  reloaded every batch:   CPU {reloaded[0]:6.2f} ms, wall {reloaded[1]:6.2f} ms, {reloaded[2]:.0f} queries"
        )
        print(f"one-message send batch ({connection.vendor}, median of {n}; statements, not BEGIN/COMMIT):")
        print(
            f"  claim, wire, send, record: CPU {sent[0]:6.2f} ms, wall {sent[1]:6.2f} ms, {sent[2]:.0f} queries"
        )
        write_json(
            json_path,
            "benchmarks.handle_batch",
            [
                figure(
                    "handle.batch1.cpu_ms",
                    "One-message handle batch, worker CPU",
                    kept[0],
                    "ms",
                    higher_is_better=False,
                    baseline=("reloaded every batch", reloaded[0]),
                ),
                figure(
                    "handle.batch1.queries",
                    "One-message handle batch, queries",
                    kept[2],
                    "queries",
                    higher_is_better=False,
                    baseline=("reloaded every batch", reloaded[2]),
                ),
                figure(
                    "send.batch1.cpu_ms",
                    "One-message send batch, worker CPU",
                    sent[0],
                    "ms",
                    higher_is_better=False,
                ),
                figure(
                    "send.batch1.queries",
                    "One-message send batch, statements",
                    sent[2],
                    "queries",
                    higher_is_better=False,
                ),
            ],
            [f"handle batch: median of {n} one-message batches ({connection.vendor})"],
        )
    finally:
        Msg.objects.filter(workspace=workspace).delete()  # (channels protect their messages)
        workspace.delete()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("n", type=int, nargs="?", default=300, help="batches per case")
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke test, not a figure")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="TOP", help="print each case's top functions"
    )
    args = parser.parse_args()
    main(min(args.n, 30) if args.quick else args.n, args.json, args.profile)
