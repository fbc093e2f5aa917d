"""Flow tests' speed: `python -m benchmarks.flow_tests [--quick] [--json PATH]` times 100
tests of a 60-node flow on the pure engine (issue 20's target: under 2 s; printed, not asserted).

The flow is shaped like a registration: 20 questions, each followed by a field update and an
acknowledgement that quotes the answer (60 nodes). Each test answers every question, checks
every reply and the results, and waits past a timeout on one of them.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from flows.engine.assets import Assets
from flows.engine.flowtests import run_tests

FLOW_UUID = "b1000000-0000-4000-8000-000000000000"
QUESTIONS = 20  # x 3 nodes = 60


def _uuid(prefix: int, i: int) -> str:
    return f"{prefix:08d}-0000-4000-8000-{i:012d}"


def registration_flow(questions: int = QUESTIONS) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = []
    for q in range(questions):
        ask, store, ack = 3 * q, 3 * q + 1, 3 * q + 2
        after = _uuid(1, ack + 1) if q + 1 < questions else None
        nodes.append(
            {
                "uuid": _uuid(1, ask),
                "actions": [
                    {"uuid": _uuid(2, ask), "type": "send_msg", "text": f"Question {q}, @contact.first_name?"}
                ],
                "router": {
                    "type": "switch",
                    "operand": "@input.text",
                    "result_name": f"Answer {q}",
                    "wait": {"type": "msg", "timeout": {"seconds": 600, "category_uuid": _uuid(5, ask)}},
                    "cases": [
                        {
                            "uuid": _uuid(6, ask),
                            "type": "has_any_word",
                            "arguments": ["yes"],
                            "category_uuid": _uuid(3, ask),
                        }
                    ],
                    "categories": [
                        {"uuid": _uuid(3, ask), "name": "Yes", "exit_uuid": _uuid(7, ask)},
                        {"uuid": _uuid(4, ask), "name": "Other", "exit_uuid": _uuid(8, ask)},
                        {"uuid": _uuid(5, ask), "name": "No Response", "exit_uuid": _uuid(9, ask)},
                    ],
                    "default_category_uuid": _uuid(4, ask),
                },
                "exits": [
                    {"uuid": _uuid(7, ask), "destination_uuid": _uuid(1, store)},
                    {"uuid": _uuid(8, ask), "destination_uuid": _uuid(1, store)},
                    {"uuid": _uuid(9, ask), "destination_uuid": _uuid(1, ack)},
                ],
            }
        )
        nodes.append(
            {
                "uuid": _uuid(1, store),
                "actions": [
                    {
                        "uuid": _uuid(2, store),
                        "type": "set_contact_field",
                        "field": {"key": f"q{q}", "name": f"Q{q}"},
                        "value": f"@results.answer_{q}.value",
                    }
                ],
                "exits": [{"uuid": _uuid(7, store), "destination_uuid": _uuid(1, ack)}],
            }
        )
        nodes.append(
            {
                "uuid": _uuid(1, ack),
                "actions": [
                    {
                        "uuid": _uuid(2, ack),
                        "type": "send_msg",
                        "text": f"Noted: @results.answer_{q}.category",
                    }
                ],
                "exits": [{"uuid": _uuid(7, ack), "destination_uuid": after}],
            }
        )
    return {
        "uuid": FLOW_UUID,
        "name": "Registration",
        "spec_version": "14.4.1",
        "language": "eng",
        "type": "messaging",
        "nodes": nodes,
    }


def registration_test(n: int, questions: int = QUESTIONS) -> dict[str, Any]:
    steps: list[dict[str, Any]] = [{"send": "join"}, {"expect": ["Question 0, Amina?"]}]
    for q in range(questions):
        nxt = [f"Question {q + 1}, Amina?"] if q + 1 < questions else []
        if q == n % questions:
            steps += [{"wait_minutes": 10}, {"expect": ["Noted: No Response", *nxt]}]
        else:
            answer = "yes" if (q + n) % 2 else "maybe"
            steps += [{"send": answer}, {"expect": [f"~{'Yes' if answer == 'yes' else 'Other'}", *nxt]}]
    steps += [
        {"expect_results": {"Answer 1": {"category": "/^(Yes|Other|No Response)$/"}}},
        {"expect_status": "completed"},
    ]
    return {
        "name": f"registration {n}",
        "contact": {"name": "Amina Uwase", "language": "eng"},
        "steps": steps,
    }


def run(tests: int = 100) -> tuple[float, dict[str, Any]]:
    assets = Assets.from_json(
        {
            "flows": [registration_flow()],
            "channels": [
                {"uuid": "c0000000-0000-4000-8000-000000000000", "name": "Bench", "schemes": ["tel"]}
            ],
        }
    )
    suite = [registration_test(i) for i in range(tests)]
    start = time.perf_counter()
    outcome = run_tests(suite, assets=assets, flow_uuid=FLOW_UUID)
    return time.perf_counter() - start, outcome


def main() -> int:
    # Imported here: the engine package itself must not depend on Django-side modules.
    from benchmarks.kit import figure, write_json

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10 tests: a smoke test, not a figure")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    count = 10 if args.quick else 100
    seconds, outcome = run(count)
    if outcome["failed"]:
        print(f"{outcome['failed']} bench tests failed: {outcome['results'][0]['diff']}")
        return 1
    print(f"{count} flow tests of a 60-node flow: {seconds:.3f} s ({seconds / count * 1000:.1f} ms per test)")
    write_json(
        args.json,
        "benchmarks.flow_tests",
        [
            figure(
                "flowtests.seconds",
                f"{count} flow tests of a 60-node flow",
                seconds,
                "s",
                higher_is_better=False,
                target=("<=", 2.0),
            )
        ],
        [f"flow tests: {count} tests, each 20 answers/timeouts through a 60-node flow, pure engine"],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
