"""In-process throughput: `python -m benchmarks.engine [SECONDS] [--quick] [--json PATH]` prints
node visits per second.

Uses a synthetic flow shaped like real ones (a message, a router on the input, a result) so that
expression evaluation, routing and event creation are all on the measured path. No baseline:
there is no simpler engine to compare with in this process (the figure stands alone).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path
from typing import Any

from flows.engine.assets import Assets
from flows.engine.environment import SequentialClock
from flows.engine.runner import Engine

CHAIN = 40  # nodes per session start


def bench_flow(n: int = CHAIN) -> dict[str, Any]:
    nodes = []
    for i in range(n):
        nxt = f"00000000-0000-4000-8000-{i + 1:012d}" if i + 1 < n else None
        nodes.append(
            {
                "uuid": f"00000000-0000-4000-8000-{i:012d}",
                "actions": [
                    {
                        "uuid": f"10000000-0000-4000-8000-{i:012d}",
                        "type": "send_msg",
                        "text": "Hi @contact.name, step " + str(i),
                    }
                ],
                "router": {
                    "type": "switch",
                    "operand": "@(upper(input.text))",
                    "result_name": f"Step {i % 5}",
                    "categories": [
                        {
                            "uuid": f"20000000-0000-4000-8000-{i:012d}",
                            "name": "Yes",
                            "exit_uuid": f"30000000-0000-4000-8000-{i:012d}",
                        },
                        {
                            "uuid": f"21000000-0000-4000-8000-{i:012d}",
                            "name": "Other",
                            "exit_uuid": f"31000000-0000-4000-8000-{i:012d}",
                        },
                    ],
                    "default_category_uuid": f"21000000-0000-4000-8000-{i:012d}",
                    "cases": [
                        {
                            "uuid": f"40000000-0000-4000-8000-{i:012d}",
                            "type": "has_any_word",
                            "arguments": ["yes"],
                            "category_uuid": f"20000000-0000-4000-8000-{i:012d}",
                        }
                    ],
                },
                "exits": [
                    {"uuid": f"30000000-0000-4000-8000-{i:012d}", "destination_uuid": nxt},
                    {"uuid": f"31000000-0000-4000-8000-{i:012d}", "destination_uuid": nxt},
                ],
            }
        )
    return {
        "uuid": "b0000000-0000-4000-8000-000000000000",
        "name": "Bench",
        "spec_version": "14.4.1",
        "language": "eng",
        "type": "messaging",
        "nodes": nodes,
    }


def run(seconds: float = 2.0) -> float:
    assets = Assets.from_json(
        {
            "flows": [bench_flow()],
            "channels": [
                {"uuid": "c0000000-0000-4000-8000-000000000000", "name": "Bench", "schemes": ["tel"]}
            ],
        }
    )
    counter = iter(range(10**12))
    engine = Engine(
        assets,
        clock=SequentialClock(dt.datetime(2025, 1, 1, tzinfo=dt.UTC)),
        new_uuid=lambda: f"u-{next(counter)}",
        max_steps=CHAIN + 10,
    )
    contact = {"uuid": "c1", "name": "Bench Contact", "urns": ["tel:+250788000001"]}
    trigger = {
        "type": "msg",
        "flow": {"uuid": "b0000000-0000-4000-8000-000000000000"},
        "event": {"msg": {"text": "yes please", "urn": "tel:+250788000001"}},
    }
    visits = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        sprint = engine.start(contact, trigger)
        visits += len(sprint.session.runs[0].path)
    return visits / (time.perf_counter() - start)


def main() -> int:
    # Imported here: the engine package itself must not depend on Django-side modules.
    from benchmarks.kit import figure, write_json

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("seconds", type=float, nargs="?", default=2.0, help="how long to run")
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke test, not a figure")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    seconds = min(args.seconds, 0.5) if args.quick else args.seconds
    rate = run(seconds)
    print(f"{rate:,.0f} node visits/s (each: send_msg + switch router + result)")
    write_json(
        args.json,
        "benchmarks.engine",
        [figure("engine.visits.rate", "Flow engine node visits (one core)", rate, "visits/s")],
        [
            f"engine: {CHAIN}-node chain per session start, each node send_msg + switch router + result, {seconds}s"
        ],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
