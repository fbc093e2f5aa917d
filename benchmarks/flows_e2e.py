"""End to end on real processes: inbound POST -> keyword flow -> reply received by the aggregator.

    python -m benchmarks.flows_e2e [--messages 6000] [--contacts 1500] [--workers 1,2] [--json PATH] [--quick]

What runs: PostgreSQL (a scratch database, dropped and recreated), Redis (its own db number),
`manage.py serve` (the fast ingest path), N `manage.py worker` processes, a local aggregator
(an asyncio HTTP server in a child process that records when each reply arrives) and a raw
asyncio keep-alive load generator posting "join <n>" from many distinct contacts. The flow is a
keyword trigger "join" whose flow replies "Welcome! You said: @input.text", so every reply says
which inbound message it answers.

Figures: messages/s from the first inbound POST to the last reply at the aggregator; latency
p50/p95/p99 from an inbound POST's start to its reply's arrival; every inbound must produce
exactly one reply, and each contact's replies must be created in the order of its messages.
A burst measures capacity, and its latency is mostly queueing; a second run paced at half the
best rate shows the latency of the path itself.
Baseline in the same run: the same pipeline with batching off (FLOWGATE_BATCH_SIZE=1, a batch
of one message per handle/send step), which is how a one-job-per-message design behaves; it runs
with the same worker count and the same number of messages as each headline case it is
compared with, so the two sides differ in batching only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import secrets
import statistics
import subprocess
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from benchmarks.kit import (
    busy_cores,
    cpu_seconds,
    figure,
    free_port,
    machine_cpu,
    peak_rss_mb,
    post_form,
    postgres_cpu,
    postgres_cpu_used,
    process_tree,
    stop,
    wait_for_port,
    write_json,
)

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")

BENCH_DB_URL = os.environ.get(
    "BENCH_E2E_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/flowgate_e2ebench"
)
REDIS_URL = os.environ.get("BENCH_E2E_REDIS_URL", "redis://127.0.0.1:6379/8")
LOCK = "flowgate:bench-e2e:running"
# One key for every process of this run (web and workers must share it).
RUN_SECRET_KEY = os.environ.get("SECRET_KEY") or secrets.token_urlsafe(40)
KEYWORD = "join"
REPLY = "Welcome! You said: @input.text"


def _env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": BENCH_DB_URL,
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": RUN_SECRET_KEY,  # a REDIS_URL run refuses to start without one
        "FLOWGATE_ALLOW_PRIVATE_URLS": "1",
        "FLOWGATE_DB_POOL_SIZE": "20",
        "LOG_LEVEL": "WARNING",
    }
    env.update(extra)
    return env


# ------------------------------------------------------------------------------------ aggregator
class _Aggregator(asyncio.Protocol):
    """A minimal HTTP/1.1 keep-alive server: answers 200 and records (to, text, arrival time)."""

    def __init__(self, arrivals: list[tuple[str, str, float]]) -> None:
        self.arrivals = arrivals
        self.buf = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: Any = transport

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            length = 0
            for line in bytes(self.buf[:end]).split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(self.buf) < end + 4 + length:
                return
            body = bytes(self.buf[end + 4 : end + 4 + length])
            del self.buf[: end + 4 + length]
            form = parse_qs(body.decode())
            self.arrivals.append((form.get("to", [""])[0], form.get("text", [""])[0], time.time()))
            self.transport.write(
                b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}'
            )


def aggregator_process(conn: Connection) -> None:
    """Serves until the parent asks for the arrivals ("dump") and then for it to stop ("stop")."""

    async def main() -> None:
        arrivals: list[tuple[str, str, float]] = []
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _Aggregator(arrivals), "127.0.0.1", 0)
        conn.send(server.sockets[0].getsockname()[1])
        while True:
            command = await loop.run_in_executor(None, conn.recv)
            if command == "count":
                conn.send(len(arrivals))
            elif command == "cpu":  # the harness's own cost, so a CPU budget can be drawn up
                conn.send(time.process_time())
            elif command == "dump":
                conn.send(arrivals[:])
                arrivals.clear()
            else:
                server.close()
                return

    asyncio.run(main())


# ------------------------------------------------------------------------------------ setup
def _reset_database() -> None:
    import psycopg

    name = BENCH_DB_URL.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _django() -> None:
    os.environ.update(_env())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "web.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _setup(aggregator_port: int) -> str:
    """A workspace, an EX channel sending to the local aggregator, a keyword flow; channel uuid."""
    from channels_app.services.channels import create_channel
    from channels_app.workspaces import create_workspace

    workspace, _ = create_workspace(name="e2e bench")
    channel = create_channel(
        workspace=workspace,
        type_code="EX",
        name="bench aggregator",
        address="+250788000000",
        country="RW",
        config={"send_url": f"http://127.0.0.1:{aggregator_port}/send"},
    )
    keyword_reply_flow(workspace, KEYWORD)
    return str(channel.uuid)


def keyword_reply_flow(workspace: Any, keyword: str) -> Any:
    """The bench's flow: keyword `keyword` starts it, it replies REPLY (naming the input) and ends.
    The batched-handling tests use the same flow."""
    from flows.services.definitions import create_flow, save_definition
    from flows.services.triggers import create_trigger

    flow = create_flow(workspace=workspace, name="Join")
    definition = dict(flow.definition)
    definition["nodes"] = [
        {
            "uuid": "6a0e1c2d-0000-4000-8000-000000000001",
            "actions": [{"uuid": "6a0e1c2d-0000-4000-8000-000000000002", "type": "send_msg", "text": REPLY}],
            "exits": [{"uuid": "6a0e1c2d-0000-4000-8000-000000000003", "destination_uuid": None}],
        }
    ]
    save_definition(flow=flow, definition=definition)
    create_trigger(workspace=workspace, trigger_type="keyword", flow=flow, keywords=[keyword])
    return flow


# ------------------------------------------------------------------------------------ load
def _sender(prefix: int, contact: int) -> str:
    return f"+2507{prefix:02d}{contact:06d}"


async def _client(
    port: int,
    path: str,
    plan: list[tuple[str, int]],
    cursor: list[int],
    started: dict[int, float],
    failures: list[int],
    pace: tuple[float, float] | None = None,
) -> None:
    """Posts the plan's messages in turn with its sibling clients; `pace` = (start, rate) spaces
    them at `rate` per second instead of as fast as the server answers."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while cursor[0] < len(plan):
            sender, seq = plan[cursor[0]]
            cursor[0] += 1
            if pace is not None:
                await asyncio.sleep(max(0.0, pace[0] + seq / pace[1] - time.time()))
            body = f"from=%2B{sender[1:]}&text={KEYWORD}+{seq}".encode()
            started[seq] = time.time()
            status = await post_form(reader, writer, path, body)
            if status != 200:
                failures.append(status)
    finally:
        writer.close()


def _percentile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, max(0, int(round(q * len(values))) - 1))]


def _order_violations(channel_uuid: str, prefix: int) -> int:
    """Contacts whose replies were created (outbound id order) out of their messages' order."""
    import psycopg

    with psycopg.connect(BENCH_DB_URL) as conn:
        rows = conn.execute(
            "SELECT m.urn, m.text FROM channels_app_msg m JOIN channels_app_channel c ON c.id = m.channel_id "
            "WHERE c.uuid = %s AND m.direction = 'out' AND m.urn LIKE %s ORDER BY m.id",
            [channel_uuid, f"tel:+2507{prefix:02d}%"],
        ).fetchall()
    last: dict[str, int] = {}
    bad: set[str] = set()
    for urn, text in rows:
        seq = int(text.rsplit(" ", 1)[1])
        if seq < last.get(urn, -1):
            bad.add(urn)
        last[urn] = seq
    return len(bad)


def _harness_cpu(agg: Connection) -> float:
    """CPU seconds used so far by this process (the load generator) and the aggregator."""
    agg.send("cpu")
    return time.process_time() + float(agg.recv())


def run_case(
    label: str, args: argparse.Namespace, channel_uuid: str, agg: Connection, prefix: int, workers: int,
    messages: int, rate: float = 0.0, **env: str,
) -> dict[str, Any]:  # fmt: skip
    port = free_port()
    logs = open(ROOT / "var" / f"bench-e2e-{prefix}.log", "w")  # noqa: SIM115 — closed below
    procs = [
        subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--port", str(port), "--workers", str(args.web)],
            cwd=ROOT,
            env=_env(**env),
            stdout=subprocess.DEVNULL,
            stderr=logs,
        )  # fmt: skip
    ]
    worker_procs = [
        subprocess.Popen(
            [sys.executable, "manage.py", "worker", *([] if i == 0 else ["--no-scheduler"])],
            cwd=ROOT,
            env=_env(**env),
            stdout=subprocess.DEVNULL,
            stderr=logs,
        )  # fmt: skip
        for i in range(workers)
    ]
    procs += worker_procs
    try:
        wait_for_port(port, seconds=120, process=procs[0])  # a loaded machine starts slowly
        time.sleep(1.0)  # let the workers connect to Redis
        # CPU used from here on: process start-up (imports, Django setup) is not the pipeline's
        web_cpu0 = sum(cpu_seconds(pid) for pid in process_tree(procs[0].pid))
        worker_cpu0 = sum(cpu_seconds(p.pid) for p in worker_procs)
        harness_cpu0, machine0, db_cpu0 = _harness_cpu(agg), machine_cpu(), postgres_cpu(BENCH_DB_URL)
        path = f"/c/ex/{channel_uuid}/receive"
        plan = [(_sender(prefix, n % args.contacts), n) for n in range(messages)]
        started: dict[int, float] = {}
        failures: list[int] = []
        cursor = [0]

        async def load() -> None:
            await asyncio.gather(
                *(_client(port, path, plan, cursor, started, failures, pace) for _ in range(args.connections))
            )

        t0 = time.time()
        pace = (t0, rate) if rate else None
        asyncio.run(load())
        posted = time.time() - t0
        deadline, last_count, last_change = time.monotonic() + args.timeout, -1, time.monotonic()
        while time.monotonic() < deadline:
            agg.send("count")
            count = agg.recv()
            if count >= messages:
                break
            if count != last_count:
                last_count, last_change = count, time.monotonic()
            elif time.monotonic() - last_change > args.stall:
                break  # no progress for a while: report what arrived
            time.sleep(0.05)
        time.sleep(0.5)  # a duplicate reply would arrive now
        rss = [peak_rss_mb(p.pid) for p in worker_procs]
        web_cpu = sum(cpu_seconds(pid) for pid in process_tree(procs[0].pid)) - web_cpu0
        worker_cpu = sum(cpu_seconds(p.pid) for p in worker_procs) - worker_cpu0
        harness_cpu, machine_busy = _harness_cpu(agg) - harness_cpu0, busy_cores(machine0, machine_cpu())
        db_cpu = postgres_cpu_used(db_cpu0, postgres_cpu(BENCH_DB_URL))
        agg.send("dump")
        arrivals: list[tuple[str, str, float]] = agg.recv()
    finally:
        for p in procs:
            stop(p)
        logs.close()
    replies: dict[int, float] = {}
    duplicates = 0
    for _to, text, arrived in arrivals:
        seq = int(text.rsplit(" ", 1)[1])
        if seq in replies:
            duplicates += 1
        replies[seq] = arrived
    latencies = sorted(replies[s] - started[s] for s in replies if s in started)
    last = max(replies.values()) if replies else time.time()
    elapsed = last - t0
    return {
        "case": label,
        "workers": workers,
        "messages": messages,
        "replies": len(replies),
        "duplicates": duplicates,
        "missing": messages - len(replies),
        "post_failures": len(failures),
        "order_violations": _order_violations(channel_uuid, prefix),
        "seconds": round(elapsed, 2),
        "per_second": round(len(replies) / elapsed, 1) if elapsed > 0 else 0.0,
        "inbound_per_second": round(messages / posted, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p95_ms": round(_percentile(latencies, 0.95) * 1000, 1) if latencies else None,
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 1) if latencies else None,
        "worker_rss_peak_mb": round(max(rss), 1) if rss else None,
        # CPU per message shows where the time goes on a machine shared with other work
        "web_cpu_ms_per_msg": round(web_cpu / messages * 1000, 2),
        "worker_cpu_ms_per_msg": round(worker_cpu / messages * 1000, 2),
        # the load generator (this process) and the aggregator share the same cores
        "harness_cpu_ms_per_msg": round(harness_cpu / messages * 1000, 2),
        "db_cpu_ms_per_msg": round(db_cpu / messages * 1000, 2),  # this database's backends
        "machine_busy_cores": round(machine_busy, 2),
    }


def _figures(results: list[dict[str, Any]], baselines: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    figures: list[dict[str, Any]] = []
    for r in results:
        w = r["workers"]
        if r["case"].startswith("paced"):
            figures += [
                figure("e2e.keyword_reply.paced.p95", f"End-to-end latency p95, {r['case']}", r["p95_ms"] or 0,
                       "ms", higher_is_better=False),
                figure("e2e.keyword_reply.paced.p50", f"End-to-end latency p50, {r['case']}", r["p50_ms"] or 0,
                       "ms", higher_is_better=False),
            ]  # fmt: skip
            continue
        baseline = baselines.get(w)
        if baseline and (baseline["workers"], baseline["messages"]) != (w, r["messages"]):
            # A baseline on fewer workers or messages flatters or shames the headline: refuse it.
            raise ValueError(f"baseline {baseline['case']!r} does not run what {r['case']!r} runs")
        base = (baseline["case"], baseline["per_second"]) if baseline else None
        figures += [
            figure(f"e2e.keyword_reply.w{w}.rate", f"Inbound -> keyword flow -> reply delivered, {w} worker(s)",
                   r["per_second"], "msg/s", baseline=base, target=(">=", 500)),
            figure(f"e2e.keyword_reply.w{w}.p95", f"End-to-end latency p95, {w} worker(s)", r["p95_ms"] or 0,
                   "ms", higher_is_better=False),
            figure(f"e2e.keyword_reply.w{w}.worker_rss", f"Worker RSS peak, {w} worker(s)",
                   r["worker_rss_peak_mb"] or 0, "MB", higher_is_better=False),
            figure(f"e2e.keyword_reply.w{w}.worker_cpu", f"Worker CPU per message, {w} worker(s)",
                   r["worker_cpu_ms_per_msg"], "ms", higher_is_better=False,
                   baseline=("batching off", baseline["worker_cpu_ms_per_msg"]) if baseline else None),
        ]  # fmt: skip
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=6000)
    parser.add_argument(
        "--contacts", type=int, default=1500, help="distinct senders (messages cycle over them)"
    )
    parser.add_argument("--connections", type=int, default=32, help="load generator keep-alive connections")
    parser.add_argument("--workers", default="1,2", help="worker process counts to measure, e.g. 1,2")
    parser.add_argument("--web", type=int, default=1, help="web (ASGI) processes")
    parser.add_argument(
        "--no-baseline", dest="baseline", action="store_false",
        help="skip the batching-off baseline (same workers and messages as each headline case)",
    )  # fmt: skip
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--stall", type=float, default=30.0, help="give up after this long without a reply")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--no-paced", dest="paced", action="store_false", help="skip the paced latency run")
    parser.add_argument("--quick", action="store_true", help="a smoke run: small counts, one worker count")
    args = parser.parse_args()
    if args.quick:
        args.messages, args.contacts, args.workers = 600, 200, "2"

    (ROOT / "var").mkdir(exist_ok=True)
    import redis

    queues = redis.Redis.from_url(REDIS_URL)
    if queues.exists(LOCK):
        # a second run would drop the first one's database and share its queues
        sys.exit(
            f"another benchmarks.flows_e2e run is using {BENCH_DB_URL} and {REDIS_URL}; wait for it to finish"
        )
    queues.flushdb()  # the bench's own db number only
    queues.set(LOCK, os.getpid(), ex=3600)
    try:
        _run(args)
    finally:
        queues.delete(LOCK)


def _run(args: argparse.Namespace) -> None:
    _reset_database()
    _django()
    parent, child = multiprocessing.Pipe()
    agg_proc = multiprocessing.get_context("spawn").Process(
        target=aggregator_process, args=(child,), daemon=True
    )
    agg_proc.start()
    try:
        channel_uuid = _setup(parent.recv())
        worker_counts = [int(x) for x in args.workers.split(",")]
        results = [
            run_case(f"keyword -> reply, {w} worker(s)", args, channel_uuid, parent, prefix, w, args.messages)
            for prefix, w in enumerate(worker_counts, start=10)
        ]
        if args.paced:
            # Latency below capacity: a burst measures queueing, a steady half load measures the path.
            best = max(results, key=lambda r: r["per_second"])
            rate = max(10.0, round(best["per_second"] / 2))
            results.append(
                run_case(f"paced at {rate:.0f}/s (half the best), {best['workers']} worker(s)", args, channel_uuid,
                         parent, 20, best["workers"], min(args.messages, int(rate * 20)), rate=rate)
            )  # fmt: skip
        # The baseline runs exactly what its headline case runs (workers, messages), batching off.
        baselines: dict[int, dict[str, Any]] = {}
        if args.baseline:
            for prefix, w in enumerate(worker_counts, start=30):
                baselines[w] = run_case(f"batching off (batch size 1), {w} worker(s)", args, channel_uuid,
                                        parent, prefix, w, args.messages, FLOWGATE_BATCH_SIZE="1")  # fmt: skip
    finally:
        parent.send("stop")
        agg_proc.join(5)
        if agg_proc.is_alive():
            agg_proc.terminate()
    rows = results + list(baselines.values())
    print(
        f"\nEnd to end on PostgreSQL + Redis: inbound POST -> keyword flow -> reply at a local aggregator; "
        f"{args.contacts} contacts, {args.connections} connections, {args.web} web process(es); everything "
        "(load generator and aggregator included) on this machine"
    )
    print(f"{'case':40} {'msgs':>6} {'msg/s':>7} {'in/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'missing':>7} {'dupes':>5} {'order':>5} {'RSS MB':>7} {'web CPU':>8} {'wrk CPU':>8}")  # fmt: skip
    for r in rows:
        print(
            f"{r['case']:40} {r['messages']:>6} {r['per_second']:>7} {r['inbound_per_second']:>7} "
            f"{r['p50_ms']!s:>8} {r['p95_ms']!s:>8} {r['p99_ms']!s:>8} {r['missing']:>7} {r['duplicates']:>5} "
            f"{r['order_violations']:>5} {r['worker_rss_peak_mb']!s:>7} {r['web_cpu_ms_per_msg']:>8} "
            f"{r['worker_cpu_ms_per_msg']:>8}"
        )
    print("web CPU / wrk CPU: CPU milliseconds per message used by the web process / all workers")
    notes = [f"load average after the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"]
    write_json(
        args.json, "benchmarks.flows_e2e", _figures(results, baselines), notes + [json.dumps(r) for r in rows]
    )
    if any(r["missing"] or r["duplicates"] or r["order_violations"] for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
