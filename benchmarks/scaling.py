"""Scaling: end to end with 1, 2 and 3 workers, receive with 1 and 2 web processes, one table.

    python -m benchmarks.scaling [--messages 1500] [--workers 1,2,3] [--webs 1,2] [--wrk-seconds 5]
                                 [--json PATH] [--quick]

Runs the existing benches' cases, not copies of them: `benchmarks.flows_e2e.run_case` (inbound
POST -> keyword flow -> reply at a local aggregator, burst load, 1 web process) once per worker
count, then `manage.py serve --workers N` under `wrk` through `benchmarks.receive` once per web
process count. Databases: BENCH_E2E_DATABASE_URL / BENCH_E2E_REDIS_URL for the e2e cases and
BENCH_DATABASE_URL / BENCH_REDIS_URL for receive (both recreated, as those benches do).

For each configuration it prints the rate, p95, CPU milliseconds per message of the web
process(es), the workers and the harness (load generator + aggregator, or wrk), and how many of
the machine's cores were busy during the run (from /proc/stat, other tenants included). Then,
per series, where the curve bends: the first step whose gain is under half of the ideal one
(2 -> 3 workers ideally gives 1.5x), and why: a machine whose cores were all busy is CPU bound,
and its ceiling is cores x 1000 / (CPU ms per message of everything that runs per message);
a machine with idle cores is waiting on something else (PostgreSQL commits, Redis, locks).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks import flows_e2e, receive
from benchmarks.kit import (
    busy_cores,
    cpu_seconds,
    figure,
    machine_cpu,
    postgres_cpu,
    postgres_cpu_used,
    process_tree,
    stop,
    write_json,
)

ROOT = Path(__file__).resolve().parent.parent
# A step is the bend when it gives less than this share of the ideal gain (1 -> 2 ideal: +100%).
BEND_EFFICIENCY = 0.5
# Busier than this share of the cores counts as a CPU-bound machine.
SATURATED = 0.85


# ------------------------------------------------------------------------------------ table
def cpu_ms(row: dict[str, Any]) -> float:
    """CPU ms per message of everything the run needs on this machine (Flowgate and the harness)."""
    keys = ("web_cpu_ms_per_msg", "worker_cpu_ms_per_msg", "db_cpu_ms_per_msg", "harness_cpu_ms_per_msg")
    return sum(row.get(k) or 0.0 for k in keys)


def ceiling(row: dict[str, Any], cores: int) -> float:
    """The rate at which the CPU demand (ms per message x rate) fills every core."""
    ms = cpu_ms(row)
    return cores * 1000 / ms if ms > 0 else 0.0


def run_cores(row: dict[str, Any]) -> float:
    """Cores this run kept busy: its CPU ms per message x its rate."""
    return cpu_ms(row) * row["per_second"] / 1000


def others(row: dict[str, Any]) -> float:
    """Cores other tenants kept busy meanwhile (the machine is shared): machine busy - this run."""
    return max(0.0, row["machine_busy_cores"] - run_cores(row))


def bend(series: Sequence[dict[str, Any]], cores: int) -> str:
    """One sentence: where this series (ordered by process count) bends and why."""
    if len(series) < 2:
        return f"{series[0]['series'] if series else 'series'}: one configuration, no curve"
    name = series[0]["series"]
    for prev, row in zip(series, series[1:], strict=False):
        gain = row["per_second"] / prev["per_second"] if prev["per_second"] else 0.0
        ideal = row["processes"] / prev["processes"]
        if (gain - 1) / (ideal - 1) >= BEND_EFFICIENCY:
            continue
        head = (
            f"{name}: the curve bends from {prev['config']} to {row['config']} "
            f"({gain:.2f}x for an ideal {ideal:.1f}x)"
        )
        busy = max(prev["machine_busy_cores"], row["machine_busy_cores"])
        if busy >= SATURATED * cores:
            left = max(0.0, cores - others(row))
            return (
                f"{head}: CPU bound. The machine had {prev['machine_busy_cores']:.1f} then "
                f"{row['machine_busy_cores']:.1f} of {cores} cores busy ({run_cores(row):.1f} of them this run: "
                f"{cpu_ms(row):.2f} CPU ms per message x {row['per_second']:,.0f} msg/s; {others(row):.1f} other "
                f"tenants), so another process only shares the same cores. CPU ceiling ~{ceiling(row, cores):,.0f} "
                f"msg/s on all {cores} cores, ~{left * 1000 / cpu_ms(row):,.0f} on the {left:.1f} the others left"
            )
        return (
            f"{head} with {cores - busy:.1f} of {cores} cores idle: not CPU; the processes wait "
            f"(PostgreSQL commits, Redis, per-contact order), CPU ceiling ~{ceiling(row, cores):,.0f} msg/s"
        )
    last = series[-1]
    return (
        f"{name}: no bend from {series[0]['config']} to {last['config']} (each step gave at least "
        f"{BEND_EFFICIENCY:.0%} of the ideal gain); {last['machine_busy_cores']:.1f} of {cores} cores busy at "
        f"{last['config']}, CPU ceiling ~{ceiling(last, cores):,.0f} msg/s"
    )


def render(rows: Sequence[dict[str, Any]], cores: int) -> str:
    """The scaling table, then one bend line per series."""

    def num(value: float | None, digits: int = 1) -> str:
        return "-" if value is None else f"{value:,.{digits}f}"

    header = ("configuration", "msg/s", "vs 1", "p95 ms", "web ms", "workers ms", "PG ms", "harness ms",
              "run cores", "others", "machine busy", "CPU ceiling")  # fmt: skip
    table = [header]
    firsts: dict[str, float] = {}
    for r in rows:
        first = firsts.setdefault(r["series"], r["per_second"])
        table.append((
            r["config"], f"{r['per_second']:,.0f}", f"{r['per_second'] / first:.2f}x" if first else "-",
            num(r["p95_ms"]), num(r["web_cpu_ms_per_msg"], 2), num(r["worker_cpu_ms_per_msg"], 2),
            num(r.get("db_cpu_ms_per_msg"), 2), num(r["harness_cpu_ms_per_msg"], 2),
            f"{run_cores(r):.2f}", f"{others(r):.2f}",
            f"{r['machine_busy_cores']:.2f}/{cores} ({r['machine_busy_cores'] / cores:.0%})",
            f"{ceiling(r, cores):,.0f}",
        ))  # fmt: skip
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    lines = []
    for n, line in enumerate(table):
        lines.append(
            "  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(line))
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append(
        "ms = CPU milliseconds per message: web, workers, PostgreSQL backends of the bench database, harness "
        "(load generator + aggregator, or wrk); run cores = all of them x rate; machine busy from /proc/stat, "
        "other tenants included (others = machine busy - run cores); CPU ceiling = cores x 1000 / (all ms per message)"
    )
    for name in dict.fromkeys(r["series"] for r in rows):
        lines.append(bend([r for r in rows if r["series"] == name], cores))
    return "\n".join(lines)


def figures(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    firsts: dict[str, dict[str, Any]] = {}
    for r in rows:
        first = firsts.setdefault(r["series"], r)
        key = f"scaling.{r['series']}.{r['processes']}"
        base = (first["config"], first["per_second"]) if first is not r else None
        out += [
            figure(f"{key}.rate", f"Scaling: {r['config']}", r["per_second"], "msg/s", baseline=base),
            figure(f"{key}.p95", f"Scaling: p95, {r['config']}", r["p95_ms"] or 0, "ms",
                   higher_is_better=False),
            figure(f"{key}.busy", f"Scaling: machine cores busy, {r['config']}",
                   r["machine_busy_cores"], "cores", higher_is_better=False),
        ]  # fmt: skip
    return out


# ------------------------------------------------------------------------------------ runs
def e2e_rows(args: argparse.Namespace) -> list[dict[str, Any]]:
    """flows_e2e's own cases, one per worker count (its database, aggregator and run_case)."""
    import multiprocessing

    flows_e2e._reset_database()
    flows_e2e._django()
    parent, child = multiprocessing.Pipe()
    agg = multiprocessing.get_context("spawn").Process(
        target=flows_e2e.aggregator_process, args=(child,), daemon=True
    )
    agg.start()
    e2e_args = argparse.Namespace(
        web=1, contacts=args.contacts, connections=args.connections, timeout=args.timeout, stall=args.stall
    )
    rows = []
    try:
        channel_uuid = flows_e2e._setup(parent.recv())
        for prefix, w in enumerate(args.workers, start=40):
            r = flows_e2e.run_case(
                f"e2e, {w} worker(s)", e2e_args, channel_uuid, parent, prefix, w, args.messages
            )
            bad = r["missing"] + r["duplicates"] + r["order_violations"] + r["post_failures"]
            rows.append(
                {**r, "series": "e2e", "config": f"e2e, 1 web + {w} worker(s)", "processes": w, "bad": bad}
            )
    finally:
        parent.send("stop")
        agg.join(5)
        if agg.is_alive():
            agg.terminate()
    return rows


def receive_rows(args: argparse.Namespace) -> list[dict[str, Any]]:
    """`serve --workers N` under wrk, through benchmarks.receive's server start and wrk round."""
    wrk = receive._wrk_binary()
    if wrk is None:
        return []
    receive._reset_database()
    channel_uuid = receive._setup_channel()
    path = f"/c/ex/{channel_uuid}/receive"
    rows = []
    for webs in args.webs:
        ns = argparse.Namespace(workers=webs, wrk_threads=args.wrk_threads, connections=args.connections,
                                wrk_seconds=args.wrk_seconds)  # fmt: skip
        server, port = receive._start_server([sys.executable, "manage.py", "serve"], channel_uuid, ns)
        try:
            receive._wrk(wrk, port, path, 2, ns, f"warm{secrets.token_hex(4)}")
            pids = process_tree(server.pid)
            web0, machine0 = sum(cpu_seconds(p) for p in pids), machine_cpu()
            db0 = postgres_cpu(receive.BENCH_DB_URL)
            wrk0 = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk is the only child that ends meanwhile
            r = receive._wrk_round(wrk, port, path, ns)
            wrk1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            machine_busy = busy_cores(machine0, machine_cpu())
            web = sum(cpu_seconds(p) for p in pids) - web0
            db = postgres_cpu_used(db0, postgres_cpu(receive.BENCH_DB_URL))
        finally:
            stop(server)
        accepted = max(1, int(r["accepted"]))
        harness = (wrk1.ru_utime + wrk1.ru_stime) - (wrk0.ru_utime + wrk0.ru_stime)
        rows.append({
            **r, "series": "receive", "config": f"receive, {webs} web process(es)", "processes": webs,
            "web_cpu_ms_per_msg": round(web / accepted * 1000, 2), "worker_cpu_ms_per_msg": None,
            "db_cpu_ms_per_msg": round(db / accepted * 1000, 2),
            "harness_cpu_ms_per_msg": round(harness / accepted * 1000, 2),
            "machine_busy_cores": round(machine_busy, 2), "bad": int(r["lost"]),
        })  # fmt: skip
    return rows


def _counts(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=1500, help="e2e messages per worker count")
    parser.add_argument("--contacts", type=int, default=500)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=_counts, default=[1, 2, 3], help="e2e worker counts, e.g. 1,2,3")
    parser.add_argument("--webs", type=_counts, default=[1, 2], help="receive web process counts, e.g. 1,2")
    parser.add_argument("--wrk-seconds", type=int, default=5)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--stall", type=float, default=30.0)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--quick", action="store_true", help="a smoke run: small counts")
    args = parser.parse_args()
    if args.quick:
        args.messages, args.contacts, args.wrk_seconds = min(args.messages, 300), 100, 2
    (ROOT / "var").mkdir(exist_ok=True)
    import redis

    queues = redis.Redis.from_url(flows_e2e.REDIS_URL)
    if queues.exists(flows_e2e.LOCK):  # the e2e cases drop and recreate the e2e bench database
        sys.exit(f"a flows_e2e run is using {flows_e2e.BENCH_DB_URL}; wait for it to finish")
    queues.flushdb()  # the e2e bench's own db number only
    queues.set(flows_e2e.LOCK, os.getpid(), ex=3600)
    try:
        rows = e2e_rows(args)
    finally:
        queues.delete(flows_e2e.LOCK)
    rows += receive_rows(args)
    cores = os.cpu_count() or 1
    print(
        f"\nScaling on {cores} cores: e2e burst of {args.messages} messages ({args.contacts} contacts, "
        f"{args.connections} connections); receive under wrk -t{args.wrk_threads} -c{args.connections} "
        f"-d{args.wrk_seconds}s; load average now {os.getloadavg()[0]:.2f}\n"
    )
    print(render(rows, cores))
    bends = [
        bend([r for r in rows if r["series"] == s], cores) for s in dict.fromkeys(r["series"] for r in rows)
    ]
    notes = [*bends, f"load average after the run: {os.getloadavg()[0]:.1f} on {cores} cores"]
    if not any(r["series"] == "receive" for r in rows):
        notes.append("receive rows skipped: wrk is not installed and could not be installed")
    write_json(args.json, "benchmarks.scaling", figures(rows), notes + [json.dumps(r) for r in rows])
    if any(r["bad"] for r in rows):
        print("FAILED: a reply was missing, doubled or out of order, or an accepted message was lost")
        sys.exit(1)


if __name__ == "__main__":
    main()
