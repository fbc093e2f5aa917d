"""Regular expressions from flow authors, run on text any SMS sender controls.

Python's `re` backtracks: `^(a+)+$` against a few dozen characters can hold a process for
minutes. goflow uses Go's regexp, which is RE2: linear time, no backreferences or lookaround,
ASCII `\\d` and `\\w`. google-re2 gives the same engine and syntax, so a pattern goflow refuses is
refused here too and none can stall the process.
"""

from __future__ import annotations

import functools
from typing import Any

import re2

error = re2.error


@functools.lru_cache(maxsize=512)
def compile_pattern(pattern: str, *, ignore_case: bool = False) -> Any:
    """A compiled RE2 pattern (cached: a flow runs the same few patterns on every message).

    Raises `error` for a pattern RE2 does not accept.
    """
    options = re2.Options()
    options.log_errors = False  # an author's typo is answered as an XError, not logged by C++
    options.case_sensitive = not ignore_case
    return re2.compile(pattern, options)
