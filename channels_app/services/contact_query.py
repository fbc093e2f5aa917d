"""RapidPro's contact query language, parsed here and translated to Django `Q` objects.

    name ~ "ami" AND age > 18        district = "Kigali" OR (tel ~ 0788 AND has group)
    edd >= 2026-03-01                group = "Mothers"        NOT status = blocked       ada

Conditions are `attribute operator value` (`=` `!=` `~` `>` `>=` `<` `<=`), `has <attribute>`
(the contact has a value / a URN of that scheme / any group); a bare word or quoted text matches
the name or a URN. Conditions join with AND (also implied by a space), OR and parentheses; AND
binds tighter than OR. Attributes: name, uuid, language, status, created_on, urn, a URN scheme
(tel, whatsapp, ...), group, and the workspace's fields by key, compared by the field's type
(text: case-insensitive; number: numerically; datetime: by date, ISO `YYYY-MM-DD`).

The grammar is small and hand-written so errors can name the position and what was expected;
the translation keeps to subqueries on indexed columns (URN identity, group membership) so no
query needs DISTINCT, and text matching is `icontains`, which the trigram indexes answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Case, CharField, DecimalField, Q, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Substr

from channels_app import urns
from channels_app.models import Contact, ContactField, ContactGroup, ContactURN, Workspace

MAX_QUERY_LENGTH = 1000
# Parentheses and NOTs nest at most this deep: the parser and the translation recurse per level,
# and a thousand-character query of "(((((" must be a clear 400, not a RecursionError.
MAX_NESTING = 30
OPERATORS = ("!=", ">=", "<=", "=", "~", ">", "<")
CONTACT_ATTRIBUTES = {"name", "uuid", "language", "status", "created_on", "urn", "group", "id"}
_NUMBER_TEXT = r"^-?[0-9]+(\.[0-9]+)?$"
_DATE_TEXT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<lparen>\() | (?P<rparen>\)) |
        (?P<op>!=|>=|<=|=|~|>|<) |
        (?P<string>"(?:[^"\\]|\\.)*"?) |
        (?P<word>[^\s()=!~<>"]+)
    )""",
    re.VERBOSE,
)


class QueryError(ValueError):
    """A query that can't be run; the message says where and why, for the user to fix it."""


@dataclass(frozen=True)
class Condition:
    attribute: str  # lower case; "" for a bare text term
    operator: str  # one of OPERATORS, "has", or "" for a bare term
    value: str


@dataclass(frozen=True)
class Bool:
    op: str  # "and" | "or"
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


Node = Condition | Bool | Not


@dataclass(frozen=True)
class _Tok:
    kind: str  # lparen rparen op string word end
    text: str
    pos: int


def _tokens(text: str) -> list[_Tok]:
    found: list[_Tok] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise QueryError(f"unexpected {text[pos:].strip()[:1]!r} at character {pos + 1}")
        kind = m.lastgroup or "word"
        value = m.group(kind)
        start = m.start(kind)
        if kind == "string":
            if not re.fullmatch(r'"(?:[^"\\]|\\.)*"', value):
                raise QueryError(f"the quoted text at character {start + 1} is never closed")
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        found.append(_Tok(kind, value, start))
        pos = m.end()
    found.append(_Tok("end", "", len(text)))
    return found


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0
        self.depth = 0

    def _deeper(self, tok: _Tok) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise QueryError(f"the query nests deeper than {MAX_NESTING} levels at character {tok.pos + 1}")

    def peek(self, ahead: int = 0) -> _Tok:
        return self.toks[min(self.i + ahead, len(self.toks) - 1)]

    def take(self) -> _Tok:
        tok = self.peek()
        self.i += 1
        return tok

    def _keyword(self, tok: _Tok, word: str) -> bool:
        return tok.kind == "word" and tok.text.lower() == word

    def parse(self) -> Node:
        node = self.or_expr()
        tok = self.peek()
        if tok.kind != "end":
            raise QueryError(f"unexpected {tok.text!r} at character {tok.pos + 1}")
        return node

    def or_expr(self) -> Node:
        parts = [self.and_expr()]
        while self._keyword(self.peek(), "or"):
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else Bool("or", tuple(parts))

    def and_expr(self) -> Node:
        parts = [self.unary()]
        while True:
            tok = self.peek()
            if self._keyword(tok, "and"):
                self.take()
            elif tok.kind in ("end", "rparen") or self._keyword(tok, "or"):
                break
            parts.append(self.unary())  # a space between conditions means AND
        return parts[0] if len(parts) == 1 else Bool("and", tuple(parts))

    def unary(self) -> Node:
        if self._keyword(self.peek(), "not") and self.peek(1).kind != "op":
            self._deeper(self.take())
            node = Not(self.unary())
            self.depth -= 1
            return node
        return self.atom()

    def atom(self) -> Node:
        tok = self.take()
        if tok.kind == "lparen":
            self._deeper(tok)
            node = self.or_expr()
            close = self.take()
            if close.kind != "rparen":
                raise QueryError(f"missing ')' for the '(' at character {tok.pos + 1}")
            self.depth -= 1
            return node
        if tok.kind == "end":
            raise QueryError("the query ends where a condition was expected")
        if tok.kind in ("rparen", "op"):
            raise QueryError(f"unexpected {tok.text!r} at character {tok.pos + 1}")
        has_attribute = self.peek().kind == "word" and self.peek(1).kind != "op"
        if tok.kind == "word" and tok.text.lower() == "has" and has_attribute:
            return Condition(self.take().text.lower(), "has", "")
        if tok.kind == "word" and self.peek().kind == "op":
            op = self.take()
            value = self.take()
            if value.kind not in ("word", "string"):
                raise QueryError(f"{tok.text} {op.text} needs a value at character {value.pos + 1}")
            return Condition(tok.text.lower(), op.text, value.text)
        if tok.kind == "word" and tok.text.lower() in ("and", "or"):
            raise QueryError(f"unexpected {tok.text.upper()} at character {tok.pos + 1}")
        return Condition("", "", tok.text)


_QUERY_LIKE = re.compile(r"[=~<>()\"]|\b(has|and|or|not)\b", re.IGNORECASE)


def looks_like_query(text: str) -> bool:
    """Whether a search box entry uses the query language (else it is a plain name/number search,
    answered by the faster search_terms path)."""
    return bool(_QUERY_LIKE.search(text))


def parse(text: str) -> Node:
    """The query's syntax tree; QueryError when it is not a valid query."""
    if not isinstance(text, str) or not text.strip():
        raise QueryError("the query is empty")
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(f"a query has at most {MAX_QUERY_LENGTH} characters")
    return _Parser(text).parse()


@dataclass
class _Ctx:
    workspace: Workspace
    field_types: dict[str, str]
    schemes: set[str]
    country: str


def workspace_country(workspace_id: int) -> str:
    from channels_app.models import Channel

    return (
        Channel.objects.filter(workspace_id=workspace_id)
        .exclude(country="")
        .order_by("id")
        .values_list("country", flat=True)
        .first()
        or ""
    )


def to_q(*, workspace: Workspace, query: str) -> Q:
    """The contacts of `workspace` the query selects, as a Q on Contact (workspace not included)."""
    node = parse(query)
    types = dict(ContactField.objects.filter(workspace=workspace).values_list("key", "value_type"))
    schemes = set(
        ContactURN.objects.filter(workspace=workspace).values_list("scheme", flat=True).distinct()
    ) | {"tel", "whatsapp", "telegram", "facebook", "ext", "mailto", "twitter", "viber", "line"}
    ctx = _Ctx(workspace, types, schemes, workspace_country(workspace.id))
    return _translate(node, ctx)


def _translate(node: Node, ctx: _Ctx) -> Q:
    if isinstance(node, Not):
        return ~_translate(node.child, ctx)
    if isinstance(node, Bool):
        result = _translate(node.children[0], ctx)
        for child in node.children[1:]:
            result = (
                (result & _translate(child, ctx)) if node.op == "and" else (result | _translate(child, ctx))
            )
        return result
    return _condition(node, ctx)


def _urn_q(ctx: _Ctx, scheme: str | None, op: str, value: str) -> Q:
    rows = ContactURN.objects.filter(workspace=ctx.workspace, contact__isnull=False)
    if scheme:
        rows = rows.filter(scheme=scheme)
    if op == "has":
        return Q(id__in=rows.values("contact_id"))
    if op in ("=", "!="):
        try:
            identity = urns.normalize(value if not scheme else f"{scheme}:{value}", ctx.country)
        except urns.InvalidURN as exc:
            raise QueryError(str(exc)) from None
        matched = Q(id__in=rows.filter(identity=identity).values("contact_id"))
        return matched if op == "=" else ~matched
    if op == "~":
        text = value.strip()
        if len(text) < 3:
            raise QueryError("a URN search (~) needs at least 3 characters")
        condition = Q(path__icontains=text)
        if scheme == "tel" and text.startswith("0") and text[1:].isdigit():
            # a national number's trunk 0 is not in the stored E.164 form (+250788...)
            condition |= Q(path__icontains=text[1:])
        return Q(id__in=rows.filter(condition).values("contact_id"))
    raise QueryError(f"URNs can be compared with =, != or ~, not {op}")


def _group_q(ctx: _Ctx, op: str, value: str) -> Q:
    through = ContactGroup.contacts.through.objects
    if op == "has":
        return Q(id__in=through.filter(contactgroup__workspace=ctx.workspace).values("contact_id"))
    if op not in ("=", "!="):
        raise QueryError(f"groups can be compared with = or !=, not {op}")
    group = ContactGroup.objects.filter(workspace=ctx.workspace, name__iexact=value.strip()).first()
    if group is None:
        raise QueryError(f"there is no group named {value!r}")
    matched = Q(id__in=through.filter(contactgroup_id=group.id).values("contact_id"))
    return matched if op == "=" else ~matched


def _text_q(column: str, op: str, value: str) -> Q:
    if op == "=":
        return Q(**{f"{column}__iexact": value})
    if op == "!=":
        return ~Q(**{f"{column}__iexact": value})
    if op == "~":
        return Q(**{f"{column}__icontains": value})
    raise QueryError(f"{column} is text: compare it with =, != or ~, not {op}")


def _parse_number(attribute: str, value: str) -> Decimal:
    try:
        number = Decimal(value)
        if not number.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        raise QueryError(f"{attribute} is a number field: {value!r} is not a number") from None
    return number


def _parse_date(attribute: str, value: str) -> str:
    try:
        return date.fromisoformat(value.strip()[:10]).isoformat()
    except ValueError:
        raise QueryError(
            f"{attribute} is a date field: write the date as YYYY-MM-DD, not {value!r}"
        ) from None


_COMPARE = {"=": "exact", ">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}


def _field_q(ctx: _Ctx, key: str, op: str, value: str) -> Q:
    value_type = ctx.field_types[key]
    has = Q(fields__has_key=key)
    if op == "has":
        return has
    if value == "" and op in ("=", "!="):
        return ~has if op == "=" else has  # `district = ""`: no value
    raw = KeyTextTransform(key, "fields")
    if value_type == "number":
        if op == "~":
            raise QueryError(f"{key} is a number field: compare it with = != > >= < <=, not ~")
        number = _parse_number(key, value)
        # only texts that are numbers are cast (a flow may have stored anything)
        as_number = Case(
            When(
                **{f"fields__{key}__regex": _NUMBER_TEXT},
                then=Cast(raw, DecimalField(max_digits=36, decimal_places=10)),
            ),
            default=None,
            output_field=DecimalField(max_digits=36, decimal_places=10),
        )
        alias = f"_q_num_{key}"
        if op == "!=":
            return ~Q(**{f"{alias}__exact": number}) & has, {alias: as_number}  # type: ignore[return-value]
        return Q(**{f"{alias}__{_COMPARE[op]}": number}), {alias: as_number}  # type: ignore[return-value]
    if value_type == "datetime":
        if op == "~":
            raise QueryError(f"{key} is a date field: compare it with = != > >= < <=, not ~")
        day = _parse_date(key, value)
        as_day = Case(
            When(**{f"fields__{key}__regex": _DATE_TEXT}, then=Substr(Cast(raw, CharField()), 1, 10)),
            default=None,
            output_field=CharField(),
        )
        alias = f"_q_day_{key}"
        if op == "!=":
            return ~Q(**{f"{alias}__exact": day}) & has, {alias: as_day}  # type: ignore[return-value]
        return Q(**{f"{alias}__{_COMPARE[op]}": day}), {alias: as_day}  # type: ignore[return-value]
    column = f"fields__{key}"
    if op == "=":
        return Q(**{f"{column}__iexact": value})
    if op == "!=":
        return ~Q(**{f"{column}__iexact": value}) | ~has
    if op == "~":
        return Q(**{f"{column}__icontains": value})
    raise QueryError(f"{key} is a text field: compare it with =, != or ~, not {op}")


def _condition(cond: Condition, ctx: _Ctx) -> Q:
    attribute, op, value = cond.attribute, cond.operator, cond.value
    if not attribute:
        return _bare_q(ctx, value)
    if attribute == "group" or attribute == "groups":
        return _group_q(ctx, op, value)
    if attribute == "urn":
        return _urn_q(ctx, None, op, value)
    if attribute in ctx.field_types:
        return _resolve(ctx, _field_q(ctx, attribute, op, value))
    if attribute in ctx.schemes:
        return _urn_q(ctx, attribute, op, value)
    if attribute in ("name", "language", "status"):
        if op == "has":
            return ~Q(**{attribute: ""})
        if attribute == "status" and op in ("=", "!=") and value.lower() not in Contact.Status.values:
            raise QueryError(f"status is one of {', '.join(Contact.Status.values)}")
        return _text_q(attribute, op, value)
    if attribute == "uuid":
        if op not in ("=", "!="):
            raise QueryError("uuid can be compared with = or != only")
        matched = Q(uuid=value) if re.fullmatch(r"[0-9a-fA-F-]{32,36}", value) else Q(pk__in=[])
        return matched if op == "=" else ~matched
    if attribute == "id":
        if op not in _COMPARE:
            raise QueryError(f"id is a number: compare it with = > >= < <=, not {op}")
        if not value.isdigit():
            raise QueryError(f"id is a number, not {value!r}")
        return Q(**{f"id__{_COMPARE[op]}": int(value)})
    if attribute == "created_on":
        if op not in _COMPARE:
            raise QueryError(f"created_on is a date: compare it with = > >= < <=, not {op}")
        day = date.fromisoformat(_parse_date("created_on", value))
        return Q(**{f"created_on__date__{_COMPARE[op]}": day})
    raise QueryError(f"{attribute!r} is not a contact attribute, URN scheme or field of this workspace")


def _resolve(ctx: _Ctx, result: Any) -> Q:
    """Field conditions on typed values need an annotation; it is carried inside a subquery on
    the same table, so the Q can be combined with others and used anywhere a Q on Contact fits."""
    if isinstance(result, Q):
        return result
    condition, annotations = result
    rows = Contact.objects.filter(workspace=ctx.workspace).annotate(**annotations).filter(condition)
    return Q(id__in=rows.values("id"))


def _bare_q(ctx: _Ctx, text: str) -> Q:
    """A bare term: part of the name, or of a URN (a number-looking term: the tel URNs)."""
    cleaned = re.sub(r"[\s\-().]", "", text)
    if re.fullmatch(r"\+?[0-9]{3,15}", cleaned):
        return _urn_q(ctx, None, "~", cleaned)
    urn_rows = ContactURN.objects.filter(
        workspace=ctx.workspace, contact__isnull=False, identity__icontains=text
    )
    return Q(name__icontains=text) | Q(id__in=urn_rows.values("contact_id"))
