"""Print the courier case counts at the end of any run that includes them (`make test` too)."""

from __future__ import annotations

from typing import Any

# (suite, passed, total) appended by the courier case tests.
COUNTS: list[tuple[str, int, int]] = []


def record(suite: str, passed: int, total: int) -> None:
    COUNTS.append((suite, passed, total))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not COUNTS:
        return
    terminalreporter.section("courier cases (nyaruka/courier handler tests, replayed over HTTP)")
    for suite, passed, total in COUNTS:
        terminalreporter.write_line(f"{suite}: {passed}/{total} pass")
