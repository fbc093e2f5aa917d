"""Templates: text with embedded `@path` references and `@(expression)` blocks.

A bare `@` that isn't followed by a known top-level name (e.g. in an email address) stays literal,
and `@@` is an escaped `@`. Evaluation never raises: errors are collected and render as "".
"""

from __future__ import annotations

import re
from typing import Any

from .expressions import Scope, evaluate_expression
from .values import XError, to_text

_PATH_RE = re.compile(r"[A-Za-z_]\w*(?:\.\w+)*")


def _find_close(text: str, start: int) -> int:
    """Index just after the `)` closing the `(` at text[start], honouring string literals."""
    depth = 0
    i = start
    in_str = False
    while i < len(text):
        c = text[i]
        if in_str:
            if c == "\\":
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return -1


def split_template(text: str, top_levels: frozenset[str] | set[str]) -> list[tuple[bool, str]]:
    """Splits into (is_expression, chunk) parts; used for evaluation and to list expressions."""
    parts: list[tuple[bool, str]] = []
    buf: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c != "@" or i + 1 >= n:
            buf.append(c)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "@":
            buf.append("@")
            i += 2
            continue
        if nxt == "(":
            end = _find_close(text, i + 1)
            if end < 0:
                # unterminated: goflow treats the rest as an (invalid) expression
                if buf:
                    parts.append((False, "".join(buf)))
                    buf = []
                parts.append((True, text[i + 1 :]))
                return parts
            if buf:
                parts.append((False, "".join(buf)))
                buf = []
            parts.append((True, text[i + 2 : end - 1]))
            i = end
            continue
        m = _PATH_RE.match(text, i + 1)
        if m and m.group().split(".", 1)[0].lower() in top_levels:
            if buf:
                parts.append((False, "".join(buf)))
                buf = []
            parts.append((True, m.group()))
            i = m.end()
            continue
        buf.append(c)
        i += 1
    if buf:
        parts.append((False, "".join(buf)))
    return parts


_SPLIT_CACHE: dict[tuple[str, frozenset[str]], list[tuple[bool, str]]] = {}


def _cached_split(text: str, top_levels: frozenset[str]) -> list[tuple[bool, str]]:
    key = (text, top_levels)
    parts = _SPLIT_CACHE.get(key)
    if parts is None:
        parts = split_template(text, top_levels)
        if len(_SPLIT_CACHE) > 10_000:
            _SPLIT_CACHE.clear()
        _SPLIT_CACHE[key] = parts
    return parts


def evaluate_template(text: str, scope: Scope, top_levels: frozenset[str]) -> tuple[str, list[XError]]:
    """Renders a template to text, returning the errors of any failed expressions."""
    if "@" not in text:
        return text, []
    out: list[str] = []
    errors: list[XError] = []
    for is_expr, chunk in _cached_split(text, top_levels):
        if not is_expr:
            out.append(chunk)
            continue
        val = evaluate_expression(chunk, scope)
        rendered = to_text(val)
        if isinstance(rendered, XError):
            errors.append(rendered)
        else:
            out.append(rendered)
    return "".join(out), errors


def evaluate_template_value(text: str, scope: Scope, top_levels: frozenset[str]) -> Any:
    """If the whole template is one expression, return its value (not its text)."""
    parts = _cached_split(text, top_levels)
    if len(parts) == 1 and parts[0][0]:
        return evaluate_expression(parts[0][1], scope)
    rendered, errors = evaluate_template(text, scope, top_levels)
    return errors[0] if errors else rendered
