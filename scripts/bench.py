#!/usr/bin/env python3
"""`make bench`: every bench module in its own process, one table and one JSON report.

    .venv/bin/python scripts/bench.py [--quick] [--only receive,scale,...] [--list]

Each module runs as `python -m <module> --json var/bench/<module>.json` (figures in the shared
shape, see benchmarks/kit.py). A bench that fails or writes no figures shows as FAILED
and the others still run. The report (`var/bench-report.json`) carries the machine's cores and
load average before/after, the git commit and the time, since figures from a shared 2-core
machine only make sense beside them; each figure's baseline was measured in the same run.

Databases: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/flowgate_bench, dropped
and recreated by some benches: never point it at real data) and BENCH_REDIS_URL (default db 5,
emptied before each bench: never share it).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import json
import os
import platform
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# (short name, module, what it measures); modules that do not exist yet are skipped.
BENCHES = [
    ("receive", "benchmarks.receive", "inbound receive on real server processes"),
    ("e2e", "benchmarks.flows_e2e", "inbound -> keyword flow -> reply delivered"),
    ("connector", "benchmarks.connector", "connector request build + answer mapping"),
    ("xc", "benchmarks.xc", "connector sends through the worker"),
    ("smpp", "benchmarks.smpp", "SMPP submit_sm, one link"),
    ("smpp_e2e", "benchmarks.smpp_e2e", "SMPP end to end with receipts"),
    ("ucp_cimd", "benchmarks.ucp_cimd", "UCP/EMI and CIMD2 submits, one link"),
    ("ucp_cimd_e2e", "benchmarks.ucp_cimd_e2e", "UCP/EMI and CIMD2 end to end with receipts"),
    ("engine", "benchmarks.engine", "flow engine steps"),
    ("flow_tests", "benchmarks.flow_tests", "100 flow tests of a 60-node flow"),
    ("handle_batch", "benchmarks.handle_batch", "one small handle batch: snapshot kept vs reloaded"),
    ("text_index_wal", "benchmarks.text_index_wal", "WAL of the message text index: words against trigrams"),
    ("flow_start", "benchmarks.flow_start", "queueing a large flow start"),
    ("contact_import", "benchmarks.contact_import", "100,000-row contact import: seconds, peak RSS"),
    ("scale", "benchmarks.scale", "2 web + 2 workers against 1 + 1, RSS"),
    ("scaling", "benchmarks.scaling", "e2e on 1-3 workers, receive on 1-2 web processes: where it bends"),
    ("gc_pauses", "benchmarks.gc_pauses", "collector pauses of a web process, GC policy on and off"),
]
TIMEOUT_SECONDS = 1200
QUICK_TIMEOUT_SECONDS = 300
# One key for every process a bench starts (REDIS_URL runs refuse to start without one).
RUN_SECRET_KEY = os.environ.get("SECRET_KEY") or secrets.token_urlsafe(40)


def _env() -> dict[str, str]:
    db = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/flowgate_bench")
    redis = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
    return {
        **os.environ,
        "BENCH_DATABASE_URL": db,
        "BENCH_REDIS_URL": redis,
        # Benches that use "the configured database" must use the bench one, never the dev data.
        "DATABASE_URL": db,
        "REDIS_URL": redis,
        "SECRET_KEY": RUN_SECRET_KEY,  # a REDIS_URL run refuses to start without one
        "FLOWGATE_ALLOW_PRIVATE_URLS": "1",
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
        "PYTHONUNBUFFERED": "1",
    }


def _ensure_database(url: str) -> str | None:
    """Create the bench database when missing; returns why it could not, if it could not."""
    try:
        import psycopg

        server, name = url.rsplit("/", 1)
        with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=3) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        return f"bench database {url} unavailable: {exc}"
    return None


def _flush_queue(url: str) -> None:
    """Each bench starts with an empty bench Redis db: a send lock or wake-up marker left by the
    previous bench (same database ids) would otherwise stall this one until it expires."""
    try:
        from redis import Redis

        Redis.from_url(url, socket_connect_timeout=3).flushdb()  # the bench's own db number only
    except Exception as exc:
        print(f"!! could not empty the bench Redis db {url}: {exc}", flush=True)


def _accepts_quick(module: str) -> bool:
    """Modules written by others may not take --quick yet: look before passing it."""
    spec = importlib.util.find_spec(module)
    origin = spec.origin if spec else None
    return bool(origin) and "--quick" in Path(str(origin)).read_text()


def run_bench(name: str, module: str, *, quick: bool, out_dir: Path) -> dict[str, Any]:
    result: dict[str, Any] = {"name": name, "module": module, "status": "ok", "error": None}
    result.update(figures=[], notes=[])
    json_path = out_dir / f"{module}.json"
    json_path.unlink(missing_ok=True)  # a stale file must not pass for this run's figures
    command = [sys.executable, "-m", module, "--json", str(json_path)]
    if quick and _accepts_quick(module):
        command.append("--quick")
    print(f"\n== {name}: {module} ({' '.join(command[3:])})", flush=True)
    _flush_queue(_env()["BENCH_REDIS_URL"])
    started = time.monotonic()
    try:
        completed = subprocess.run(
            command, cwd=ROOT, env=_env(), timeout=QUICK_TIMEOUT_SECONDS if quick else TIMEOUT_SECONDS
        )
        if completed.returncode != 0:
            result.update(status="failed", error=f"exit code {completed.returncode}")
    except subprocess.TimeoutExpired as exc:
        result.update(status="failed", error=f"timed out after {exc.timeout:.0f}s")
    result["seconds"] = round(time.monotonic() - started, 1)
    try:
        data = json.loads(json_path.read_text())
        result["figures"], result["notes"] = list(data["figures"]), list(data.get("notes", []))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        if result["status"] == "ok":
            result.update(status="failed", error=f"no figures in {json_path.name}: {exc}")
    if result["status"] == "ok" and not result["figures"]:
        result.update(status="failed", error="the bench wrote no figures")
    return result


def ratio(fig: dict[str, Any]) -> float | None:
    """How many times as good as its baseline (>1 better), whichever way the unit points."""
    base = (fig.get("baseline") or {}).get("value")
    value = fig.get("value")
    if not base or not value:
        return None
    return value / base if fig.get("higher_is_better", True) else base / value


def verdict(fig: dict[str, Any]) -> str:
    target = fig.get("target")
    if not target:
        return ""
    value, goal = fig["value"], target["value"]
    ok = value >= goal if target["op"] == ">=" else value <= goal
    return "PASS" if ok else "MISS"


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"


def render_table(benches: list[dict[str, Any]]) -> str:
    rows = [("figure", "value", "unit", "baseline (same run)", "vs base", "target", "")]
    for bench in benches:
        if bench["status"] != "ok":
            rows.append((f"{bench['name']}: FAILED", "", "", bench.get("error") or "", "", "", "FAILED"))
        for fig in bench["figures"]:
            base = fig.get("baseline")
            r = ratio(fig)
            target = fig.get("target")
            rows.append(
                (
                    fig["label"],
                    _number(fig["value"]),
                    fig["unit"],
                    f"{base['label']}: {_number(base['value'])}" if base else "",
                    f"{r:.2f}x" if r is not None else "",
                    f"{target['op']} {_number(target['value'])}" if target else "",
                    verdict(fig),
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    right = {1, 4}
    lines = []
    for n, row in enumerate(rows):
        cells = [c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine() -> dict[str, Any]:
    mem_total = ""
    with contextlib.suppress(OSError, StopIteration):
        mem_total = next(
            x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")
        )
    return {
        "cores": os.cpu_count(),
        "memory": mem_total.split(":", 1)[-1].strip(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
    }


def select(only: str | None) -> list[tuple[str, str, str]]:
    available = [b for b in BENCHES if importlib.util.find_spec(b[1]) is not None]
    if not only:
        return available
    wanted = {w.strip() for w in only.split(",") if w.strip()}
    unknown = wanted - {b[0] for b in BENCHES} - {b[1] for b in BENCHES}
    if unknown:
        raise SystemExit(f"unknown bench(es): {', '.join(sorted(unknown))}; see --list")
    return [b for b in available if b[0] in wanted or b[1] in wanted]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke test of every bench")
    parser.add_argument("--only", help="comma-separated short names or modules (see --list)")
    parser.add_argument("--list", action="store_true", help="list the benches and exit")
    parser.add_argument("--out", type=Path, default=ROOT / "var", help="report folder (default var/)")
    args = parser.parse_args(argv)
    if args.list:
        for name, module, what in BENCHES:
            present = "" if importlib.util.find_spec(module) else "  (module not present)"
            print(f"{name:11} {module:30} {what}{present}")
        return 0
    chosen = select(args.only)
    out_dir = args.out / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    started_at = dt.datetime.now(dt.UTC)
    started = time.monotonic()
    load_before = os.getloadavg()
    problem = _ensure_database(_env()["BENCH_DATABASE_URL"])
    if problem:
        print(f"!! {problem}: the PostgreSQL benches will fail", flush=True)
    benches = [run_bench(name, module, quick=args.quick, out_dir=out_dir) for name, module, _ in chosen]
    total = time.monotonic() - started
    report = {
        "started": started_at.isoformat(timespec="seconds"),
        "seconds": round(total, 1),
        "quick": args.quick,
        "machine": {
            **machine(),
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()],
        },
        "benches": benches,
    }
    report_path = args.out / "bench-report.json"
    report_path.write_text(json.dumps(report, indent=2) + "\n")
    m = report["machine"]
    print(
        f"\n== Flowgate bench report{' (quick: smoke counts, not figures)' if args.quick else ''}: "
        f"{m['cores']} cores, load {load_before[0]:.2f} -> {m['load_after'][0]:.2f}, "
        f"commit {m['git_commit'][:10]}{'+changes' if m['git_dirty'] else ''}\n"
    )
    print(render_table(benches))
    notes = [n for b in benches for n in b["notes"]]
    if notes:
        print("\n" + "\n".join(f"  - {n}" for n in notes))
    failed = [b["name"] for b in benches if b["status"] != "ok"]
    print(f"\n{len(benches) - len(failed)}/{len(benches)} benches ran; report in {report_path}")
    print(f"total bench time {total:.0f}s ({total / 60:.1f} min)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
