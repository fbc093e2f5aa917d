"""Inbound receive throughput: real server processes on PostgreSQL, two load generators.

    python -m benchmarks.receive [--requests 20000] [--connections 32] [--workers 2] [--quick]
                                 [--wrk-seconds 8] [--wrk-rounds 3] [--only-wrk] [--json PATH]

Prints messages accepted *and committed* per second and p50/p99 latency for the fast ASGI path
and, as a baseline measured in the same run, the plain Django view path (FLOWGATE_FAST_INGEST=0),
and the peak RSS of the busiest server process after the load (VmHWM from /proc).

Then the same path under `wrk` (a standard load generator, installed by scripts/ensure_wrk.sh when
missing) beside its ceiling, measured in the same run under the same wrk load: a raw ASGI app with
a psycopg pool and group commit (benchmarks/raw_receive.py) inserting the same rows. The ratio
Flowgate / raw is the figure (target >= 0.5, p99 < 30 ms); a second set of rounds offers both the same
load at half Flowgate's rate (wrk paced by receive_wrk_paced.lua) for the latency without saturation
queueing. After each wrk run the rows are counted:
every request answered 200 must be in the database.
It creates a scratch database `flowgate_bench` (dropped and recreated each run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.kit import figure, free_port, peak_rss_mb, post_form, stop, wait_for_port, write_json

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
BENCH_DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/flowgate_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
# One key for every process of this run (REDIS_URL runs refuse to start without one).
RUN_SECRET_KEY = os.environ.get("SECRET_KEY") or secrets.token_urlsafe(40)


def _env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": BENCH_DB_URL,
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": RUN_SECRET_KEY,
        "FLOWGATE_ALLOW_PRIVATE_URLS": "1",
        "FLOWGATE_DB_POOL_SIZE": "30",
        "LOG_LEVEL": "WARNING",
    }
    env.update(extra)
    return env


def _manage(*args: str, **env: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=_env(**env),
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _reset_database() -> None:
    import psycopg

    name = BENCH_DB_URL.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    _manage("migrate", "--verbosity", "0")


def _setup_channel() -> str:
    out = json.loads(_manage("createworkspace", "Bench"))
    code = (
        "from channels_app.models import Workspace; from channels_app.services.channels import create_channel;"
        f"w = Workspace.objects.get(uuid='{out['workspace']}');"
        "c = create_channel(workspace=w, type_code='EX', name='bench', country='RW',"
        " config={'send_url': 'http://127.0.0.1:9/send'}); print(c.uuid)"
    )
    return _manage("shell", "--no-imports", "-c", code).strip().splitlines()[-1]


async def _client(
    port: int, path: str, counter: list[int], total: int, latencies: list[float], failures: list[int]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while counter[0] < total:
            counter[0] += 1
            n = counter[0]
            body = f"from=%2B2507881{n % 100000:05d}&text=bench+message+{n}".encode()
            started = time.perf_counter()
            status = await post_form(reader, writer, path, body)
            latencies.append(time.perf_counter() - started)
            if status != 200:
                failures.append(status)
    finally:
        writer.close()


async def _load(port: int, path: str, total: int, connections: int) -> dict[str, float]:
    latencies: list[float] = []
    failures: list[int] = []
    counter = [0]
    started = time.perf_counter()
    await asyncio.gather(
        *(_client(port, path, counter, total, latencies, failures) for _ in range(connections))
    )
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "failures": len(failures),
        "seconds": round(elapsed, 2),
        "per_second": round(len(latencies) / elapsed),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
    }


def _committed(channel_uuid: str) -> int:
    import psycopg

    with psycopg.connect(BENCH_DB_URL) as conn:
        row = conn.execute(
            "SELECT count(*) FROM channels_app_msg m JOIN channels_app_channel c ON c.id = m.channel_id "
            "WHERE c.uuid = %s AND m.direction = 'in'",
            [channel_uuid],
        ).fetchone()
    return int(row[0]) if row else 0


def run_case(label: str, channel_uuid: str, args: argparse.Namespace, **env: str) -> dict[str, float | str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port), "--workers", str(args.workers)],
        cwd=ROOT,
        env=_env(FLOWGATE_INBOUND_DEDUPE_SECONDS="0", **env),
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process=server)
        path = f"/c/ex/{channel_uuid}/receive"
        before = _committed(channel_uuid)
        asyncio.run(_load(port, path, min(500, args.requests), args.connections))  # warm-up
        before = _committed(channel_uuid)
        result: dict[str, float | str] = {
            "case": label,
            **asyncio.run(_load(port, path, args.requests, args.connections)),
        }
        result["committed"] = _committed(channel_uuid) - before
        result["peak_rss_mb"] = round(peak_rss_mb(server.pid), 1)
        return result
    finally:
        stop(server)


WRK_SCRIPT = ROOT / "benchmarks" / "receive_wrk.lua"
WRK_PACED_SCRIPT = ROOT / "benchmarks" / "receive_wrk_paced.lua"
RATIO_TARGET = 0.5
P99_TARGET_MS = 30.0


def _wrk_binary() -> str | None:
    """wrk's path, installing the Debian package when missing; None (with the reason printed) if not."""
    if shutil.which("wrk") is None:
        done = subprocess.run(
            ["bash", str(ROOT / "scripts" / "ensure_wrk.sh")], capture_output=True, text=True
        )
        if done.returncode != 0:
            print(f"wrk figures skipped: wrk is not installed and could not be: {done.stderr.strip()[-300:]}")
            return None
    return shutil.which("wrk")


def _wrk(
    wrk: str, port: int, path: str, seconds: int, args: argparse.Namespace, tag: str, *, rate: int = 0
) -> dict[str, float]:
    """One wrk run: saturating (each connection sends as soon as it has its answer) or, with
    `rate`, at about that many requests a second (each connection paced, WRK_PACED_SCRIPT)."""
    script, extra = (
        (WRK_SCRIPT, []) if not rate else (WRK_PACED_SCRIPT, [f"{args.connections * 1000 / rate:.3f}"])
    )
    out = subprocess.run(
        [wrk, f"-t{args.wrk_threads}", f"-c{args.connections}", f"-d{seconds}s", "--timeout", "5s",
         "-s", str(script), f"http://127.0.0.1:{port}{path}", "--", tag, *extra],
        capture_output=True, text=True, check=True, cwd=ROOT,
    ).stdout  # fmt: skip
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    raw = json.loads(line.removeprefix("WRKJSON "))
    errors = raw["connect_errors"] + raw["read_errors"] + raw["write_errors"] + raw["timeouts"]
    accepted = raw["requests"] - raw["status_errors"]
    return {
        "requests": raw["requests"],
        "accepted": accepted,
        "failures": raw["status_errors"] + errors,
        "seconds": round(raw["duration_us"] / 1e6, 2),
        "per_second": round(accepted / (raw["duration_us"] / 1e6)),
        "p50_ms": round(raw["p50_us"] / 1000, 1),
        "p95_ms": round(raw["p95_us"] / 1000, 1),
        "p99_ms": round(raw["p99_us"] / 1000, 1),
    }


def _committed_tagged(tag: str) -> int:
    import psycopg

    with psycopg.connect(BENCH_DB_URL) as conn:
        row = conn.execute(
            "SELECT count(*) FROM channels_app_msg WHERE direction = 'in' AND text LIKE %s", [f"wrk {tag} %"]
        ).fetchone()
    return int(row[0]) if row else 0


def _start_server(
    command: list[str], channel_uuid: str, args: argparse.Namespace
) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    server = subprocess.Popen(
        [*command, "--port", str(port), "--workers", str(args.workers)],
        cwd=ROOT,
        env=_env(FLOWGATE_INBOUND_DEDUPE_SECONDS=os.environ.get("FLOWGATE_INBOUND_DEDUPE_SECONDS", "5"),
                 RAW_DATABASE_URL=BENCH_DB_URL, RAW_CHANNEL_UUID=channel_uuid),
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    wait_for_port(port, process=server)
    return server, port


def _wrk_round(
    wrk: str, port: int, path: str, args: argparse.Namespace, *, rate: int = 0
) -> dict[str, float]:
    """One measured wrk run, then every request it saw answered 200 looked up in the database."""
    tag = secrets.token_hex(6)
    result = _wrk(wrk, port, path, args.wrk_seconds, args, tag, rate=rate)
    # Requests still in flight when wrk stops may commit without being counted: never fewer.
    result["committed"] = _committed_tagged(tag)
    result["lost"] = max(0, int(result["accepted"]) - int(result["committed"]))
    return result


def _median_round(label: str, rounds: list[dict[str, float]]) -> dict[str, float | str]:
    """The round of median rate (its own p99), with losses and errors summed over every round."""
    middle = sorted(rounds, key=lambda r: r["per_second"])[len(rounds) // 2]
    summed = {k: sum(r[k] for r in rounds) for k in ("accepted", "committed", "lost", "failures")}
    return {"case": label, **middle, **summed, "rates": " ".join(str(int(r["per_second"])) for r in rounds)}


def wrk_cases(channel_uuid: str, args: argparse.Namespace) -> list[dict[str, float | str]]:
    """The raw ceiling and Flowgate, both serving at once (the idle one costs nothing), measured in
    alternating wrk runs so a neighbour's burst on this shared machine hits both alike."""
    wrk = _wrk_binary()
    if wrk is None:
        return []
    serve = [sys.executable, "manage.py", "serve"]
    raw = [sys.executable, "-m", "uvicorn", "benchmarks.raw_receive:app", "--log-level", "warning",
           "--no-access-log"]  # fmt: skip
    path = f"/c/ex/{channel_uuid}/receive"
    servers = []
    try:
        servers = [_start_server(raw, channel_uuid, args), _start_server(serve, channel_uuid, args)]
        for _, port in servers:
            _wrk(wrk, port, path, 2, args, f"warm{secrets.token_hex(4)}")
        rounds: list[list[dict[str, float]]] = [[], []]
        for _ in range(args.wrk_rounds):
            for case, (_, port) in enumerate(servers):
                rounds[case].append(_wrk_round(wrk, port, path, args))
        # The same offered load on both, half of Flowgate's saturating rate: latency without the
        # queueing that dominates a saturating run's p99 on two cores shared with wrk itself.
        paced_rate = int(float(_median_round("", rounds[1])["per_second"]) / 2)
        paced: list[list[dict[str, float]]] = [[], []]
        for _ in range(args.wrk_rounds):
            for case, (_, port) in enumerate(servers):
                paced[case].append(_wrk_round(wrk, port, path, args, rate=paced_rate))
    finally:
        for server, _ in servers:
            stop(server)
    results = [
        _median_round("wrk: raw ASGI + group commit (ceiling)", rounds[0]),
        _median_round("wrk: Flowgate fast path, serve", rounds[1]),
        _median_round(f"wrk paced ~{paced_rate}/s: raw ceiling", paced[0]),
        _median_round(f"wrk paced ~{paced_rate}/s: Flowgate", paced[1]),
    ]
    raw_r, fast, _, fast_paced = results
    ratio = float(fast["per_second"]) / max(1.0, float(raw_r["per_second"]))
    rate_ok = ratio >= RATIO_TARGET and not fast["lost"]
    p99_ok = float(fast["p99_ms"]) < P99_TARGET_MS
    print(
        f"\nUnder wrk -t{args.wrk_threads} -c{args.connections} -d{args.wrk_seconds}s, "
        f"{args.workers} server processes each, same machine, {args.wrk_rounds} alternating rounds "
        "(median round shown; 200s, rows and losses summed over all rounds)"
    )
    print(
        f"{'case':42} {'msgs/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'200s':>8} {'in DB':>8} {'lost':>5} {'errors':>7}"
    )
    for r in results:
        print(
            f"{r['case']:42} {r['per_second']:>8} {r['p50_ms']:>8} {r['p99_ms']:>8} {r['accepted']:>8} "
            f"{r['committed']:>8} {r['lost']:>5} {r['failures']:>7}   rounds: {r['rates']}"
        )
    print(
        f"Flowgate / raw group commit: {ratio:.2f} (target >= {RATIO_TARGET}), lost {fast['lost']}: "
        f"{'PASS' if rate_ok else 'MISS'}; p99 {fast['p99_ms']} ms (target < {P99_TARGET_MS:.0f}; "
        f"the raw ceiling's own p99 in this run: {raw_r['p99_ms']} ms): {'PASS' if p99_ok else 'MISS'}; "
        f"paced at half that rate: p99 {fast_paced['p99_ms']} ms, lost {fast_paced['lost']}"
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke test, not a figure")
    parser.add_argument("--wrk-seconds", type=int, default=8, help="length of each measured wrk run")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--wrk-rounds", type=int, default=3, help="alternating raw/Flowgate wrk runs")
    parser.add_argument("--only-wrk", action="store_true", help="skip the cases of the built-in generator")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    if args.quick:
        args.requests, args.connections = min(args.requests, 1500), min(args.connections, 16)
        args.wrk_seconds, args.wrk_rounds = min(args.wrk_seconds, 3), 1
    _reset_database()
    channel_uuid = _setup_channel()
    wrk_results = wrk_cases(channel_uuid, args)
    if args.only_wrk:
        write_json(args.json, "benchmarks.receive", _wrk_figures(wrk_results), _wrk_notes(wrk_results))
        return
    results = [
        run_case("receive, fast ASGI path (group commit)", channel_uuid, args),
        run_case("receive, Django view (baseline)", channel_uuid, args, FLOWGATE_FAST_INGEST="0"),
    ]
    print(
        f"\nInbound receive on PostgreSQL: {args.requests} requests, {args.connections} connections, "
        f"{args.workers} server processes, load generator on the same machine"
    )
    print(f"{'case':42} {'msgs/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'committed':>10} {'errors':>7}")
    for r in results:
        print(
            f"{r['case']:42} {r['per_second']:>8} {r['p50_ms']:>8} {r['p99_ms']:>8} {r['committed']:>10} "
            f"{r['failures']:>7}"
        )
    print(f"peak RSS of a server process after the fast-path load: {results[0]['peak_rss_mb']} MB")
    write_json(
        args.json,
        "benchmarks.receive",
        _figures(*results) + _wrk_figures(wrk_results),
        _notes(args, results) + _wrk_notes(wrk_results),
    )


def _wrk_figures(results: list[dict[str, float | str]]) -> list[dict[str, object]]:
    if not results:
        return []
    raw, fast, raw_paced, fast_paced = results
    ceiling = ("raw ASGI + group commit, same wrk load", float(raw["per_second"]))
    return [
        figure("receive.wrk.rate", "Inbound receive under wrk, fast path", float(fast["per_second"]), "msg/s",
               baseline=ceiling),
        figure("receive.wrk.ratio", "Inbound receive under wrk / raw group-commit ceiling",
               float(fast["per_second"]) / max(1.0, float(raw["per_second"])), "x", target=(">=", RATIO_TARGET)),
        figure("receive.wrk.p99", "Inbound receive p99 under wrk, fast path", float(fast["p99_ms"]), "ms",
               higher_is_better=False, baseline=("raw ASGI + group commit", float(raw["p99_ms"])),
               target=("<=", P99_TARGET_MS)),
        figure("receive.wrk.paced.p99", f"Inbound receive p99 under wrk paced at half the rate ({fast_paced['case']})",
               float(fast_paced["p99_ms"]), "ms", higher_is_better=False,
               baseline=("raw ASGI + group commit, same paced load", float(raw_paced["p99_ms"])),
               target=("<=", P99_TARGET_MS)),
        figure("receive.wrk.lost", "Accepted (200) under wrk but not in the database",
               float(fast["lost"]) + float(fast_paced["lost"]), "msgs", higher_is_better=False, target=("<=", 0)),
    ]  # fmt: skip


def _wrk_notes(results: list[dict[str, float | str]]) -> list[str]:
    if not results:
        return ["wrk figures skipped: wrk is not installed and could not be installed"]
    return [
        f"{r['case']}: {r['accepted']} answered 200, {r['committed']} in the database, "
        f"{r['failures']} errors, p50 {r['p50_ms']} ms"
        for r in results
    ]


def _figures(fast: dict[str, float | str], django: dict[str, float | str]) -> list[dict[str, object]]:
    return [
        figure(
            "receive.fast.rate",
            "Inbound receive, fast path",
            float(fast["per_second"]),
            "msg/s",
            baseline=("plain Django view", float(django["per_second"])),
            target=(">=", 1500),
        ),
        figure(
            "receive.fast.p99",
            "Inbound receive p99, fast path",
            float(fast["p99_ms"]),
            "ms",
            higher_is_better=False,
            baseline=("plain Django view", float(django["p99_ms"])),
        ),
        figure(
            "rss.web.receive",
            "Peak RSS, web process (after receive load)",
            float(fast["peak_rss_mb"]),
            "MB",
            higher_is_better=False,
            baseline=("same, Django view path", float(django["peak_rss_mb"])),
        ),
    ]


def _notes(args: argparse.Namespace, results: list[dict[str, float | str]]) -> list[str]:
    notes = [
        f"receive: {args.requests} requests over {args.connections} connections, "
        f"{args.workers} server processes, load generator on the same machine"
    ]
    for r in results:
        notes.append(f"{r['case']}: {r['committed']} committed, {r['failures']} errors, p50 {r['p50_ms']} ms")
        if r["committed"] != r["requests"] or r["failures"]:
            notes.append(f"WARNING: {r['case']}: accepted and committed counts differ")
    return notes


if __name__ == "__main__":
    main()
