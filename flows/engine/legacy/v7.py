"""Expressions older than export version 8: `=UPPER(contact.name)` and `@contact.name|upper_case`.

Version 8 turned both into `@(...)` expressions; the result then goes through the normal legacy
expression migration like any other legacy template.
"""

from __future__ import annotations

import re

TOP_LEVELS = ("channel", "contact", "date", "extra", "flow", "step", "parent", "child")

FILTERS = {
    "lower_case": "LOWER({0})",
    "upper_case": "UPPER({0})",
    "capitalize": "PROPER({0})",
    "title_case": "PROPER({0})",
    "first_word": "FIRST_WORD({0})",
    "remove_first_word": "REMOVE_FIRST_WORD({0})",
    "read_digits": "READ_DIGITS({0})",
    "time_delta": "{0} + {1}",
}

_FILTER_STYLE = re.compile(
    r"\B@([\w]+[\.][\w\.\|]*[\w](:([\"\']).*?\3)?|" + "|".join(t + r"[\|\w]*" for t in TOP_LEVELS) + ")",
    re.MULTILINE,
)
_EMBEDDED = re.compile(r'(")?@((' + "|".join(TOP_LEVELS) + r")[\.\w\|]*)(\1)?", re.MULTILINE)


def migrate_v7_template(text: str) -> str:
    if "=" in text:
        text = _equals_style(text)
    if "@" in text and "|" in text:
        text = _FILTER_STYLE.sub(_filter_match, text)
    return text


def _filter_match(m: re.Match[str]) -> str:
    expression = m.group(1)
    converted = convert_filters(expression)
    return "@" + (f"({converted})" if "|" in expression else converted)


def convert_filters(expression: str) -> str:
    """contact.name|upper_case|time_delta:"1" -> UPPER(contact.name) + 1"""
    if "|" not in expression:
        return expression
    item, *filters = expression.split("|")
    out = item
    for f in filters:
        name, _, param = f.partition(":")
        if param[:1] in ('"', "'"):
            param = param[1:-1]
        template = FILTERS.get(name.lower())
        if template:
            out = template.replace("{0}", out).replace("{1}", param)
    return out.replace("+ -", "- ")


def _word(c: str | None) -> bool:
    return bool(c) and (c.isalnum() or c == "_")  # type: ignore[union-attr]


def _equals_style(text: str) -> str:
    """Finds =name, =name.path, =FUNC(...) and =(...) and rewrites them as @ expressions."""
    out: list[str] = []
    state = "body"
    current: list[str] = []
    depth = 0
    n = len(text)
    for pos, ch in enumerate(text):
        nxt = text[pos + 1] if pos + 1 < n else None
        nxt2 = text[pos + 2] if pos + 2 < n else None
        done = False
        if state == "body":
            if ch == "=" and (_word(nxt) or nxt == "("):
                state = "prefix"
                current = [ch]
            else:
                out.append(ch)
        elif state == "prefix":
            if _word(ch):
                state = "identifier"
            elif ch == "(":
                state = "balanced"
                depth += 1
            current.append(ch)
        elif state == "identifier":
            if ch == "(":
                state = "balanced"
                depth += 1
            current.append(ch)
        elif state == "balanced":
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            elif ch == '"':
                state = "string"
            current.append(ch)
            done = depth == 0
        elif state == "string":
            if ch == '"':
                state = "balanced"
            current.append(ch)
        if state == "identifier" and (
            nxt is None or (not _word(nxt) and nxt not in ".(") or (nxt == "." and not _word(nxt2))
        ):
            done = True
        if done:
            out.append(_replace_equals("".join(current)))
            current = []
            state = "body"
    # an unterminated expression is left as written
    out.extend(current)
    return "".join(out)


def _replace_equals(expression: str) -> str:
    body = expression[1:]
    if not body.endswith(")") and body.split(".")[0].lower() not in TOP_LEVELS:
        return expression
    if "(" not in body:
        return "@" + body
    body = _EMBEDDED.sub(lambda m: convert_filters(m.group(2)), body)
    if not body.startswith("("):
        body = f"({body})"
    return "@" + body
