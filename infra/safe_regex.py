"""Regular expressions that run on text someone else controls, in linear time.

Python's `re` backtracks: `^(a+)+$` against a few thousand characters can hold a process for
minutes. Two kinds of pattern meet such text here: a flow author's (`has_pattern`,
`regex_match`) on what any SMS sender writes, and a connector author's (a plain-text provider
answer read with `use="…"`) on what a provider or anyone posing as one sends back. RE2 is linear
time and has no backreferences or lookaround; it is also the engine goflow uses (Go's regexp,
ASCII `\\d` and `\\w`), so flows behave as they do there. One engine for both: a pattern is
refused when it is saved, never found slow when a message arrives.
"""

from __future__ import annotations

import functools
from typing import Any

import re2

error = re2.error


@functools.lru_cache(maxsize=512)
def compile_pattern(pattern: str, *, ignore_case: bool = False) -> Any:
    """A compiled RE2 pattern (cached: the same few patterns run on every message).

    Raises `error` for a pattern RE2 does not accept.
    """
    options = re2.Options()
    options.log_errors = False  # an author's typo is answered in words, not logged by C++
    options.case_sensitive = not ignore_case
    return re2.compile(pattern, options)


def describe(exc: BaseException) -> str:
    """RE2's reason as text (it arrives as bytes: b'invalid perl operator: (?<=')."""
    reason = exc.args[0] if exc.args else exc
    return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
