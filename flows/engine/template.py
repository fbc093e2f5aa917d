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


def _split(text: str, top_levels: frozenset[str] | set[str]) -> list[tuple[bool, str, str]]:
    parts: list[tuple[bool, str, str]] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            literal = "".join(buf)
            parts.append((False, literal, literal))
            buf.clear()

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
            flush()
            if end < 0:
                # unterminated: goflow treats the rest as an (invalid) expression
                parts.append((True, text[i + 1 :], text[i:]))
                return parts
            parts.append((True, text[i + 2 : end - 1], text[i:end]))
            i = end
            continue
        m = _PATH_RE.match(text, i + 1)
        if m and m.group().split(".", 1)[0].lower() in top_levels:
            flush()
            parts.append((True, m.group(), "@" + m.group()))
            i = m.end()
            continue
        buf.append(c)
        i += 1
    flush()
    return parts


_SPLIT_CACHE: dict[tuple[str, frozenset[str]], list[tuple[bool, str, str]]] = {}


def _sourced_split(text: str, top_levels: frozenset[str]) -> list[tuple[bool, str, str]]:
    """Cached split into (is_expression, chunk, source as written: `@(...)` or `@path`)."""
    key = (text, top_levels)
    parts = _SPLIT_CACHE.get(key)
    if parts is None:
        parts = _split(text, top_levels)
        if len(_SPLIT_CACHE) > 10_000:
            _SPLIT_CACHE.clear()
        _SPLIT_CACHE[key] = parts
    return parts


def evaluate_template_sourced(
    text: str, scope: Scope, top_levels: frozenset[str]
) -> tuple[str, list[tuple[str, XError]]]:
    """Like evaluate_template, but each error comes with the expression it came from."""
    if "@" not in text:
        return text, []
    out: list[str] = []
    errors: list[tuple[str, XError]] = []
    for is_expr, chunk, source in _sourced_split(text, top_levels):
        if not is_expr:
            out.append(chunk)
            continue
        rendered = to_text(evaluate_expression(chunk, scope))
        if isinstance(rendered, XError):
            errors.append((source, rendered))
        else:
            out.append(rendered)
    return "".join(out), errors


def evaluate_template(text: str, scope: Scope, top_levels: frozenset[str]) -> tuple[str, list[XError]]:
    """Renders a template to text, returning the errors of any failed expressions."""
    rendered, errors = evaluate_template_sourced(text, scope, top_levels)
    return rendered, [e for _, e in errors]


def template_expressions(text: str, top_levels: frozenset[str]) -> list[tuple[str, str]]:
    """(expression, source as written) of each expression in a template."""
    return [(chunk, source) for is_expr, chunk, source in _sourced_split(text, top_levels) if is_expr]


def evaluate_template_value(text: str, scope: Scope, top_levels: frozenset[str]) -> Any:
    """If the whole template is one expression, return its value (not its text)."""
    parts = _sourced_split(text, top_levels)
    if len(parts) == 1 and parts[0][0]:
        return evaluate_expression(parts[0][1], scope)
    rendered, errors = evaluate_template_sourced(text, scope, top_levels)
    return errors[0][1] if errors else rendered
