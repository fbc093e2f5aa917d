"""A small evaluator for contact queries, as used by query-based ("smart") groups.

Supports what group queries are made of: `attribute op value` conditions joined with AND / OR
(AND binds tighter) and parentheses. Attributes are contact fields by key, `name`, `language`,
`status`, `uuid`, `id`, `urn` or a URN scheme (e.g. `tel`), `tickets` (open ticket count),
`group` and `created_on`. Operators: = != > >= < <= and ~ (contains). Text matching is
case-insensitive; `attr = ""` matches when the attribute is unset/empty and `attr != ""` when set.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .context import URN_SCHEMES, parse_iso
from .urns import parse_urn

if TYPE_CHECKING:
    from .assets import Assets
    from .contact import Contact


class QueryError(ValueError):
    """A query that can't be parsed."""


Predicate = Callable[["Contact", "Assets"], bool]

_TOKEN_RE = re.compile(
    r"""\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<op>!=|>=|<=|=|>|<|~)|(?P<str>"(?:[^"\\]|\\.)*")|(?P<word>[^\s()=!<>~"]+))""",
)


def _tokenize(query: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    query = query.strip()
    while pos < len(query):
        m = _TOKEN_RE.match(query, pos)
        if not m or m.end() == pos:
            raise QueryError(f"can't parse query at {query[pos:]!r}")
        pos = m.end()
        kind = m.lastgroup or ""
        text = m.group(kind)
        if kind == "str":
            text = re.sub(r"\\(.)", r"\1", text[1:-1])
        elif kind == "word" and text.upper() in ("AND", "OR"):
            kind = text.upper()
        tokens.append((kind, text))
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> str:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else "eof"

    def take(self) -> tuple[str, str]:
        if self.i >= len(self.tokens):
            raise QueryError("unexpected end of query")
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self) -> Predicate:
        pred = self.disjunction()
        if self.peek() != "eof":
            raise QueryError(f"unexpected {self.tokens[self.i][1]!r}")
        return pred

    def disjunction(self) -> Predicate:
        parts = [self.conjunction()]
        while self.peek() == "OR":
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else (lambda c, a: any(p(c, a) for p in parts))

    def conjunction(self) -> Predicate:
        parts = [self.term()]
        while self.peek() in ("AND", "lp", "word"):  # adjacent conditions are ANDed
            if self.peek() == "AND":
                self.take()
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else (lambda c, a: all(p(c, a) for p in parts))

    def term(self) -> Predicate:
        kind, text = self.take()
        if kind == "lp":
            inner = self.disjunction()
            if self.take()[0] != "rp":
                raise QueryError("missing )")
            return inner
        if kind != "word":
            raise QueryError(f"unexpected {text!r}")
        if self.peek() != "op":
            return _condition("name", "~", text)  # a bare word searches names
        op = self.take()[1]
        vkind, value = self.take()
        if vkind not in ("word", "str"):
            raise QueryError(f"expected a value after {op}")
        return _condition(text.lower(), op, value)


@lru_cache(maxsize=1024)
def compile_query(query: str) -> Predicate:
    """Compiles a query to a predicate over (contact, assets); raises QueryError."""
    return _Parser(_tokenize(query)).parse()


def matches(query: str, contact: Contact, assets: Assets) -> bool:
    return compile_query(query)(contact, assets)


# ----------------------------------------------------------------------------------- conditions


def _number(v: Any) -> Decimal | None:
    try:
        d = Decimal(str(v).strip())
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def _values(attr: str, contact: Contact, assets: Assets) -> list[Any]:
    """The contact's values for an attribute (several for URNs and groups)."""
    if attr in ("name", "language", "status", "uuid"):
        return [getattr(contact, attr) or None]
    if attr == "id":
        return [str(contact.id) if contact.id is not None else None]
    if attr == "tickets":
        tickets = contact.extra.get("tickets") or []
        return [Decimal(sum(1 for t in tickets if (t or {}).get("status", "open") == "open"))]
    if attr == "group":
        return [g.get("name") for g in contact.groups] or [None]
    if attr == "created_on":
        return [parse_iso(contact.created_on)]
    if attr == "urn" or attr in URN_SCHEMES:
        paths = []
        for u in contact.urns:
            p = parse_urn(u)
            if p and (attr == "urn" or p.scheme == attr):
                paths.append(p.path)
        return paths or [None]
    asset = assets.fields.get(attr)
    if asset is None:
        raise QueryError(f"can't resolve '{attr}' to attribute, scheme or field")
    value = contact.fields.get(asset.key)
    if not value:
        return [None]
    if asset.type == "number":
        return [_number(value.get("number", value.get("text")))]
    if asset.type == "datetime":
        return [parse_iso(value.get("datetime"))]
    if asset.type in ("state", "district", "ward"):
        return [value.get(asset.type) or value.get("text")]
    return [value.get("text")]


def _compare(have: Any, op: str, want: str) -> bool:
    if have is None:
        return op == "=" if want == "" else op == "!="
    if op in ("=", "!=") and want == "":
        return op == "!="  # the attribute is set
    if isinstance(have, datetime) and op != "~":
        return _compare_day(have.date(), op, want)
    if isinstance(have, Decimal) or op in (">", ">=", "<", "<="):
        a = have if isinstance(have, Decimal) else _number(have)
        b = _number(want)
        if a is None or b is None:
            if op in ("=", "!="):
                return (str(have).lower() == want.lower()) == (op == "=")
            return False
        return {
            "=": a == b,
            "!=": a != b,
            ">": a > b,
            ">=": a >= b,
            "<": a < b,
            "<=": a <= b,
            "~": False,
        }[op]
    text = str(have).lower()
    w = want.lower()
    if op == "=":
        return text == w
    if op == "!=":
        return text != w
    if op == "~":
        return w in text
    return False


def _compare_day(have: date, op: str, want: str) -> bool:
    """Dates compare by day, the query's value written YYYY-MM-DD, as the database's smart-group
    query does (channels_app/services/contact_query.py): `created_on > 2024-01-31` is a day after."""
    try:
        day = date.fromisoformat(want.strip()[:10])
    except ValueError:
        return op == "!="  # not a date: no date equals it
    return {
        "=": have == day,
        "!=": have != day,
        ">": have > day,
        ">=": have >= day,
        "<": have < day,
        "<=": have <= day,
    }[op]


def _condition(attr: str, op: str, value: str) -> Predicate:
    def pred(contact: Contact, assets: Assets) -> bool:
        values = _values(attr, contact, assets)
        if op == "!=":
            return (
                all(_compare(v, op, value) for v in values)
                if value
                else any(_compare(v, op, value) for v in values)
            )
        return any(_compare(v, op, value) for v in values)

    return pred
