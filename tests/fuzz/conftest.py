"""Fuzzing every parser that takes outside input: budget, deadline and a per-target tally.

`FLOWGATE_FUZZ_EXAMPLES` sets the examples per property (the default keeps tests/fuzz under
about 90 s on 2 cores; `make fuzz` raises it). The terminal summary lists how many inputs each
target received, so a property that silently stopped generating shows up as a small number.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from tests.security.conftest import accept_all_server, committed_rows
from tests.security.world import World, build_world

EXAMPLES = int(os.environ.get("FLOWGATE_FUZZ_EXAMPLES", "60"))
# Generous: the machine is shared, and a hang (the bug this catches) takes forever, not seconds.
DEADLINE = timedelta(seconds=float(os.environ.get("FLOWGATE_FUZZ_DEADLINE", "5")))

settings.register_profile(
    "flowgate-fuzz",
    max_examples=EXAMPLES,
    deadline=DEADLINE,
    derandomize=os.environ.get("FLOWGATE_FUZZ_RANDOM") != "1",  # reproducible in CI by default
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
    database=None,
    print_blob=True,
)
fuzz_settings = settings.get_profile("flowgate-fuzz")

TRIED: Counter[str] = Counter()


def tried(target: str) -> None:
    """Count one generated input for `target` (shown in the terminal summary)."""
    TRIED[target] += 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not TRIED:
        return
    terminalreporter.section(f"fuzz inputs per target (FLOWGATE_FUZZ_EXAMPLES={EXAMPLES})")
    for target, count in sorted(TRIED.items()):
        terminalreporter.write_line(f"{count:8d}  {target}")
    terminalreporter.write_line(f"{sum(TRIED.values()):8d}  total")


@pytest.fixture(scope="package")
def fuzz_world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """One workspace with a channel of every type, messages, calls and flows, for the whole package."""
    with accept_all_server() as url, committed_rows(django_db_blocker):
        yield build_world(name="Fuzz", marker="fuzzworld", aggregator_url=url, fresh_flow_uuids=False)
