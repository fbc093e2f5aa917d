"""`python -m chaos [--short] [--messages N] [--only NAME ...]`: the fault suite.

Starts a private PostgreSQL and Redis, the web, worker and smsc processes, a local aggregator
and SMSC; runs each scenario; prints a table of counts and exits 1 on any loss or duplicate.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from chaos import scenarios
from chaos.aggregator import ChaosAggregator
from chaos.platform import Platform
from chaos.servers import pg_bin

COLUMNS = ("sent", "received", "delivered", "duplicates", "failed", "refused", "lost")


def print_table(results: list[scenarios.Result]) -> None:
    width = max(len(r.name) for r in results) + 2
    header = "scenario".ljust(width) + "".join(c.rjust(11) for c in COLUMNS) + "    secs  verdict"
    print(header)
    print("-" * len(header))
    for r in results:
        cells = "".join(str(getattr(r, c)).rjust(11) for c in COLUMNS)
        print(r.name.ljust(width) + cells + f"{r.seconds:8.1f}  {'PASS' if r.ok else 'FAIL'}")
    print()
    print("failed = failed or 'outcome unknown' with a recorded reason (never resent);")
    print("refused = answered 503 + Retry-After because the spool was full, stored when retried.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chaos", description=__doc__)
    parser.add_argument("--short", action="store_true", help="fewer messages (CI): about 1-2 minutes")
    parser.add_argument("--messages", type=int, default=None, help="messages per scenario")
    parser.add_argument("--only", nargs="*", choices=scenarios.SCENARIOS, help="run only these scenarios")
    parser.add_argument("--json", type=Path, help="also write the counts to this file")
    parser.add_argument("--keep-logs", action="store_true", help="keep the run directory (process logs)")
    args = parser.parse_args(argv)
    if pg_bin() is None:
        print("chaos: PostgreSQL server binaries (initdb, pg_ctl) not found", file=sys.stderr)
        return 2
    messages = args.messages or (40 if args.short else 200)
    chosen = args.only or list(scenarios.SCENARIOS)
    started = time.monotonic()
    smsc = scenarios._SmscThread() if "smpp" in chosen else None
    aggregator = ChaosAggregator()
    platform = Platform(keep_logs=args.keep_logs)
    results: list[scenarios.Result] = []
    try:
        platform.migrate()
        ids = platform.create_channels(send_url=aggregator.url, smsc_port=smsc.port if smsc else None)
        platform.start_web()
        aggregator.report_url = f"{platform.web_url}/c/ex/{ids['ex_uuid']}/delivered"
        platform.start_worker("worker")
        platform.start_worker("worker2")
        ctx = scenarios.Context(platform, aggregator, ids, messages, settle_seconds=45 if args.short else 90)
        print(f"chaos: {messages} messages per scenario; run dir {platform.root}", flush=True)
        runs = {
            "worker": lambda: scenarios.worker_killed(ctx),
            "batch_kill": lambda: scenarios.batch_killed(ctx),
            "redis": lambda: scenarios.redis_restarted(ctx),
            "postgres": lambda: scenarios.postgres_stopped(ctx),
            "aggregator": lambda: scenarios.aggregator_faults(ctx),
            "smpp": lambda: scenarios.smpp_dropped(ctx, smsc) if smsc else None,
        }
        for name in chosen:
            t0 = time.monotonic()
            try:
                result = runs[name]() or scenarios.Result(name)
            except Exception as exc:  # one broken scenario must not hide the others' counts
                result = scenarios.Result(name, problems=[f"the scenario crashed: {exc!r}"])
                platform.pg.start_if_stopped()
                if platform.redis is not None and platform.redis.proc is None:
                    platform.redis.start()
            result.seconds = time.monotonic() - t0
            results.append(result)
            print(f"  {result.name}: {'PASS' if result.ok else 'FAIL'} ({result.seconds:.1f}s)", flush=True)
            for note in result.problems + result.notes[:10]:
                print(f"    {note}")
    finally:
        platform.close()
        aggregator.close()
        if smsc is not None:
            smsc.close()
    print()
    print_table(results)
    print(f"total {time.monotonic() - started:.0f}s")
    if args.json:
        args.json.write_text(json.dumps([{**r.__dict__, "ok": r.ok} for r in results], indent=2))
    return 0 if results and all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
