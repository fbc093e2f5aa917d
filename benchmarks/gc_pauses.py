"""Collector pauses and CPU of a web process with the start-up GC policy on and off.

    python -m benchmarks.gc_pauses [--requests 4000] [--quick] [--json PATH]

Each mode runs in a fresh interpreter that imports the ASGI app (which applies
infra.gc_policy unless FLOWGATE_GC_TUNING=0) and then serves `--requests` requests straight into the
ASGI app, as the server hands them over: the health check and the login page (a template render). It records
every collection with gc.callbacks: count, total and longest pause per generation, and the
process CPU per 1,000 requests. The longest pause is what one unlucky request waits on top of
its own work, so it is the figure behind the receive path's p99.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.kit import figure, write_json

ROOT = Path(__file__).resolve().parent.parent

PROBE = r"""
import asyncio, gc, json, os, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "web.settings")
from web.asgi import application

requests = int(sys.argv[1])
pauses = {0: [], 1: [], 2: []}
started = {}

def timed(phase, info):
    if phase == "start":
        started["at"] = time.perf_counter()
    else:
        pauses[info["generation"]].append(time.perf_counter() - started["at"])

async def get(path):
    # One HTTP request straight into the ASGI app, as uvicorn hands it over.
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    sent = []
    body_given = []

    async def receive():
        if body_given:  # then nothing more until the app stops listening (no disconnect)
            await asyncio.Event().wait()
        body_given.append(True)
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    await application(scope, receive, send)
    assert sent[0]["status"] == 200, sent[0]

async def main():
    await get("/login/")  # templates compiled and cached before the measured part
    gc.callbacks.append(timed)
    cpu = time.process_time()
    for i in range(requests):
        await get("/healthz" if i % 2 else "/login/")
    cpu = time.process_time() - cpu
    gc.callbacks.remove(timed)
    return cpu

cpu = asyncio.run(main())
print(json.dumps({
    "cpu_ms_per_1000": cpu * 1e6 / requests,
    "frozen": gc.get_freeze_count(),
    "long_lived_after": len(gc.get_objects(2)),
    "pauses": {g: [len(p), sum(p) * 1000, max(p, default=0) * 1000] for g, p in pauses.items()},
}))
"""


def probe(requests: int, tuned: bool) -> dict[str, Any]:
    env = {**os.environ, "FLOWGATE_GC_TUNING": "1" if tuned else "0", "ALLOWED_HOSTS": "127.0.0.1"}
    for name in ("DATABASE_URL", "REDIS_URL"):  # the embedded default: no server needed
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(requests)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"the probe failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--quick", action="store_true", help="500 requests: a smoke test, not a figure")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    requests = 500 if args.quick else args.requests

    results = {"defaults": probe(requests, tuned=False), "tuned": probe(requests, tuned=True)}
    print(
        f"{'mode':<9} {'frozen':>8} {'old gen.':>8} {'CPU ms/1000 req':>16}  collections (count, total ms, longest ms)"
    )
    for mode, r in results.items():
        gens = "  ".join(
            f"gen{g}: {n}, {total:.0f}, {longest:.1f}" for g, (n, total, longest) in r["pauses"].items()
        )
        print(
            f"{mode:<9} {r['frozen']:>8,} {r['long_lived_after']:>8,} {r['cpu_ms_per_1000']:>16,.0f}  {gens}"
        )

    def longest(r: dict[str, Any]) -> float:
        return max(p[2] for p in r["pauses"].values())

    def total(r: dict[str, Any]) -> float:
        return sum(p[1] for p in r["pauses"].values())

    tuned, base = results["tuned"], results["defaults"]
    figures = [
        figure(
            "gc_longest_pause_ms",
            "longest collector pause, web process",
            longest(tuned),
            "ms",
            higher_is_better=False,
            baseline=("CPython defaults", longest(base)),
        ),
        figure(
            "gc_total_ms_per_1000",
            "collector time per 1,000 requests",
            total(tuned) * 1000 / requests,
            "ms",
            higher_is_better=False,
            baseline=("CPython defaults", total(base) * 1000 / requests),
        ),
        figure(
            "gc_cpu_ms_per_1000",
            "web process CPU per 1,000 requests",
            tuned["cpu_ms_per_1000"],
            "ms",
            higher_is_better=False,
            baseline=("CPython defaults", base["cpu_ms_per_1000"]),
        ),
    ]
    write_json(
        args.json, "gc_pauses", figures, [f"{requests} requests per mode (health check and login page)"]
    )


if __name__ == "__main__":
    main()
