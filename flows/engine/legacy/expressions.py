"""Migrating legacy (RapidPro "excellent 1") templates to current goflow templates.

`Hi @contact.tel, =(...)` style text is split by a scanner that knows the legacy top levels; each
`@path` is mapped to its current context path and each `@(...)` expression is parsed with the
legacy grammar (Excel-like: `<>`, `&`, `""` string escaping, case-insensitive functions) and
re-rendered with current names. An expression that can't be parsed is left as written, and
reported, so the caller can warn that the flow was not migrated exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# the identifiers legacy templates recognise after a bare @ (others, e.g. emails, stay literal)
LEGACY_TOP_LEVELS = ("channel", "child", "contact", "date", "extra", "flow", "parent", "step")

# the current run context's top levels: a migrated path starting with one needs no @(...) wrapper
RUN_TOP_LEVELS = (
    "child",
    "contact",
    "fields",
    "globals",
    "input",
    "legacy_extra",
    "node",
    "parent",
    "locals",
    "results",
    "resume",
    "run",
    "ticket",
    "trigger",
    "urns",
    "webhook",
)

MAX_NESTING = 100

# URN schemes goflow knows (contact.<scheme> in legacy templates is a URN, not a field)
_URN_SCHEMES = (
    "discord", "ext", "facebook", "fcm", "freshchat", "instagram", "jiochat", "line", "mailto",
    "rocketchat", "slack", "tel", "telegram", "twitter", "twitterid", "viber", "vk", "webchat",
    "wechat", "whatsapp",
)  # fmt: skip


@dataclass(frozen=True)
class Options:
    default_to_self: bool = False  # an expression that errors renders as its own legacy source
    url_encode: bool = False  # wrap each expression in url_encode(...) (webhook URLs)
    raw_dates: bool = False  # don't wrap date values in format_date (date test arguments)


DEFAULT = Options()


class MigrationError(ValueError):
    pass


def migrate_template(template: str, options: Options = DEFAULT) -> tuple[str, list[str]]:
    """Returns the migrated template and the legacy expressions that could not be migrated."""
    out: list[str] = []
    problems: list[str] = []
    for kind, token in scan(template):
        if kind == "body":
            out.append(token)
        elif kind == "identifier":
            value = migrate_path(token, raw_dates=options.raw_dates)
            out.append(_wrap(value, "@" + token if options.default_to_self else "", options.url_encode))
        else:
            if token == '""':  # @("") was an editor workaround for "empty", it's just nothing now
                continue
            try:
                value = migrate_expression(token, options)
            except MigrationError as e:
                problems.append(f"@({token}): {e}")
                out.append("@(" + token + ")")
                continue
            out.append(
                _wrap(value, "@(" + token + ")" if options.default_to_self else "", options.url_encode)
            )
    return "".join(out), problems


def migrate(template: str, options: Options = DEFAULT) -> str:
    return migrate_template(template, options)[0]


# ----------------------------------------------------------------------------------- scanning


def _is_name_char(c: str) -> bool:
    return c.isalnum() or c == "_"


def scan(text: str) -> list[tuple[str, str]]:
    """Splits a template into ("body" | "identifier" | "expression", text) tokens.

    Escaped `@@` stays `@@` in body tokens (the migrated template is still a template).
    """
    tokens: list[tuple[str, str]] = []
    body: list[str] = []
    i, n = 0, len(text)

    def flush() -> None:
        if body:
            tokens.append(("body", "".join(body)))
            body.clear()

    while i < n:
        c = text[i]
        if c != "@":
            body.append(c)
            i += 1
            continue
        nxt = text[i + 1] if i + 1 < n else ""
        if nxt == "@":
            body.append("@@")
            i += 2
        elif nxt == "(":
            expr, end = _scan_expression(text, i + 2)
            if end < 0:  # unbalanced: the rest is body
                body.append(text[i:])
                i = n
            else:
                flush()
                tokens.append(("expression", expr))
                i = end
        elif nxt and _is_name_char(nxt):
            ident, end = _scan_identifier(text, i + 1)
            top = ident.split(".", 1)[0].lower()
            if top in LEGACY_TOP_LEVELS:
                flush()
                tokens.append(("identifier", ident))
            else:
                body.append("@" + ident)
            i = end
        else:
            body.append("@" + nxt)
            i += 2 if nxt else 1
    flush()
    return tokens


def _scan_expression(text: str, i: int) -> tuple[str, int]:
    depth = 1
    start = i
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            escaped = False
            while i < n:
                ch = text[i]
                i += 1
                if ch == '"' and not escaped:
                    break
                escaped = ch == "\\"
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return text[start:i], i + 1
        i += 1
    return "", -1


def _scan_identifier(text: str, i: int) -> tuple[str, int]:
    start, n = i, len(text)
    while i < n:
        c = text[i]
        if c == "." and i + 1 < n and _is_name_char(text[i + 1]):
            i += 2
        elif _is_name_char(c):
            i += 1
        else:
            break
    return text[start:i], i


# ----------------------------------------------------------------------------------- context paths

_SCHEMES = "|".join(sorted(_URN_SCHEMES, key=len, reverse=True))
_CONTACT = r"^(?:(?:flow|step)\.)?((?:parent|child)\.)?contact"


def _results(prefix: str, target: str) -> list[tuple[str, str, bool]]:
    return [
        (rf"^{prefix}$", target, False),
        (rf"^{prefix}\.(\w+)$", rf"{target}.\1", False),
        (rf"^{prefix}\.(\w+)\.value$", rf"{target}.\1.value", False),
        (rf"^{prefix}\.(\w+)\.category$", rf"{target}.\1.category_localized", False),
        (rf"^{prefix}\.(\w+)\.text$", rf"{target}.\1.input", False),
        (rf"^{prefix}\.(\w+)\.time$", rf"{target}.\1.created_on", False),
    ]


# (pattern, replacement, is a date that gets format_date unless raw dates are wanted); first match wins
_PATHS: list[tuple[re.Pattern[str], str, bool]] = [
    (re.compile(p), r, d)
    for p, r, d in [
        (_CONTACT + r"$", r"\1contact", False),
        *[(_CONTACT + rf"\.{k}$", rf"\1contact.{k}", False) for k in ("uuid", "id", "name", "first_name")],
        (_CONTACT + r"\.created_on$", r"\1contact.created_on", False),
        (_CONTACT + r"\.language$", r"\1contact.language", False),
        (_CONTACT + r"\.groups$", r'join(\1contact.groups, ",")', False),
        (_CONTACT + r"\.tel_e164$", r'default(urn_parts(\1urns.tel).path, "")', False),
        (_CONTACT + r"\.tel$", r"format_urn(\1urns.tel)", False),
        (_CONTACT + rf"\.({_SCHEMES})$", r'default(urn_parts(\1urns.\2).path, "")', False),
        (_CONTACT + rf"\.({_SCHEMES})\.display$", r"format_urn(\1urns.\2)", False),
        (_CONTACT + rf"\.({_SCHEMES})\.path$", r"urn_parts(\1urns.\2).path", False),
        (_CONTACT + rf"\.({_SCHEMES})\.scheme$", r"urn_parts(\1urns.\2).scheme", False),
        (_CONTACT + rf"\.({_SCHEMES})\.urn$", r"\1urns.\2", False),
        (_CONTACT + r"\.(\w+)$", r"\1fields.\2", False),
        *_results("flow", "results"),
        *_results("child", "child.results"),
        *_results("(?:parent|extra\\.flow)", "parent.results"),
        (r"^step(\.value)?$", "input", False),
        (r"^step\.text$", "input.text", False),
        (r"^step\.time$", "input.created_on", False),
        (
            r"^step\.attachments$",
            'foreach(foreach(input.attachments, attachment_parts), extract, "url")',
            False,
        ),
        (r"^step\.attachments\.(\d+)$", r"attachment_parts(input.attachments[\1]).url", False),
        (r"^channel$", "contact.channel.address", False),
        (r"^channel\.(address|tel|tel_e164)$", "contact.channel.address", False),
        (r"^channel\.name$", "contact.channel.name", False),
        (r"^date(\.now)?$", "now()", False),
        (r"^date\.today$", "today()", True),
        (r"^date\.tomorrow$", 'datetime_add(now(), 1, "D")', True),
        (r"^date\.yesterday$", 'datetime_add(now(), -1, "D")', True),
        (r"^extra$", "legacy_extra", False),
        (r"^extra\.([\w.]+)$", r"legacy_extra.\1", False),
    ]
]

_NUMERIC_LOOKUP = re.compile(r"\.\d+\w*")


def migrate_path(path: str, *, raw_dates: bool = False) -> str:
    """`contact.tel` -> `format_urn(urns.tel)`, `flow.age.category` -> `results.age.category_localized`..."""
    path = path.lower()
    for pattern, replacement, is_date in _PATHS:
        if pattern.match(path):
            migrated = pattern.sub(replacement, path, count=1)
            if is_date and not raw_dates:
                migrated = f"format_date({migrated})"
            # numeric property names need index syntax: results.1abc -> results["1abc"]
            return _NUMERIC_LOOKUP.sub(lambda m: '["' + m.group()[1:] + '"]', migrated)
    return path


_IDENT_RE = re.compile(r"^[^\W\d_]+[\w.]*$")


def _is_identifier(expression: str) -> bool:
    if not _IDENT_RE.match(expression):
        return False
    return any(expression == t or expression.startswith(t + ".") for t in RUN_TOP_LEVELS)


def _go_quote(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _wrap(expression: str, error_as: str, url_encode: bool) -> str:
    """A raw migrated expression as template text: now() -> @(now()), results.x -> @results.x."""
    if error_as:
        expression = f"if(is_error({expression}), {_go_quote(error_as)}, {expression})"
    if url_encode:
        expression = f"url_encode({expression})"
    if not _is_identifier(expression):
        expression = "(" + expression + ")"
    return "@" + expression


# ----------------------------------------------------------------------------------- expressions

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>[ \t\n\r]+)
  | (?P<decimal>[0-9]+(?:\.[0-9]+)?)
  | (?P<string>"(?:[^"]|"")*")
  | (?P<name>[^\W\d_]+[\w.]*)
  | (?P<op><>|<=|>=|[-,()+*/^=<>&])
  | (?P<error>.)
    """,
    re.VERBOSE | re.DOTALL,
)

# binary operators by binding strength (higher binds tighter), all left-associative
_BINARY = {"^": 6, "*": 5, "/": 5, "+": 4, "-": 4, "<=": 3, "<": 3, ">=": 3, ">": 3, "=": 2, "<>": 2, "&": 1}


def _tokenize(expression: str) -> list[tuple[str, str]]:
    tokens = []
    for m in _TOKEN_RE.finditer(expression):
        kind = m.lastgroup or "error"
        if kind == "ws":
            continue
        text = m.group()
        if kind == "name" and text.lower() in ("true", "false"):
            kind = text.lower()
        if kind == "error":
            raise MigrationError(f"unexpected character {text!r}")
        tokens.append((kind, text))
    return tokens


class _Parser:
    def __init__(self, expression: str, options: Options) -> None:
        self.tokens = _tokenize(expression)
        self.pos = 0
        self.options = options

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("eof", "")

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        self.pos += 1
        return tok

    def expect(self, text: str) -> None:
        kind, got = self.take()
        if got != text or kind != "op":
            raise MigrationError(f"expected {text!r} but found {got or 'end of expression'!r}")

    def parse(self) -> str:
        value = self.binary(0)
        if self.peek()[0] != "eof":
            raise MigrationError(f"unexpected {self.peek()[1]!r}")
        return value

    def binary(self, min_strength: int) -> str:
        left = self.unary()
        while True:
            kind, op = self.peek()
            strength = _BINARY.get(op) if kind == "op" else None
            if strength is None or strength < min_strength:
                return left
            self.take()
            right = self.binary(strength + 1)
            left = self.render(op, left, right)

    def unary(self) -> str:
        kind, text = self.peek()
        if kind == "op" and text == "-":
            self.take()
            # negation binds tighter than every binary operator
            return "-" + self.unary()
        return self.primary()

    def primary(self) -> str:
        kind, text = self.take()
        nxt = self.peek()
        if kind in ("name", "true", "false") and nxt == ("op", "("):
            self.take()
            params: list[str] = []
            if self.peek() != ("op", ")"):
                params.append(self.binary(0))
                while self.peek() == ("op", ","):
                    self.take()
                    params.append(self.binary(0))
            self.expect(")")
            return migrate_call(text.lower(), params)
        if kind == "string":
            return migrate_string_literal(text)
        if kind == "decimal":
            return text
        if kind == "true":
            return "true"
        if kind == "false":
            return "false"
        if kind == "name":
            return migrate_path(text, raw_dates=self.options.raw_dates)
        if kind == "op" and text == "(":
            inner = self.binary(0)
            self.expect(")")
            return f"({inner})"
        raise MigrationError(f"unexpected {text or 'end of expression'!r}")

    def render(self, op: str, a: str, b: str) -> str:
        if op == "<>":
            return f"{a} != {b}"
        if op in ("+", "-"):
            return self.add_sub(op, a, b)
        return f"{a} {op} {b}"

    def add_sub(self, op: str, a: str, b: str) -> str:
        """Legacy + and - also did date arithmetic; the types are guessed from the operands."""
        ta, tb = _infer_type(a), _infer_type(b)
        neg = "-" if op == "-" else ""
        if ta == "number" and tb == "number":
            return f"{a} {op} {b}"
        if ta == "datetime" and tb == "number":
            return f'datetime_add({a}, {neg}{b}, "D")'
        if ta == "date" and tb == "number":
            added = f'datetime_add({a}, {neg}{b}, "D")'
            return added if self.options.raw_dates else f"format_date({added})"
        if ta == "datetime" and tb == "time":
            minutes = f'format_time({b}, "tt") * 60 + format_time({b}, "m")'
            if op == "-":
                return f'datetime_add({a}, -({minutes}), "m")'
            return f'datetime_add({a}, {minutes}, "m")'
        if tb == "time" and op == "+":
            return f"replace_time({a}, {b})"
        return f"legacy_add({a}, {neg}{b})"


def migrate_expression(expression: str, options: Options = DEFAULT) -> str:
    depth = 0
    for ch in expression:
        if ch in "([{":
            depth += 1
            if depth > MAX_NESTING:
                raise MigrationError("expression nesting too deep")
        elif ch in ")]}" and depth:
            depth -= 1
    return _Parser(expression, options).parse()


def migrate_string_literal(s: str) -> str:
    """Excel-style "" escaping becomes a backslash escape."""
    return '"' + s[1:-1].replace('""', '\\"') + '"'


_RETURN_TYPES = {
    **dict.fromkeys(
        ["abs", "max", "mean", "min", "mod", "sum", "rand", "round", "round_down", "round_up"], "number"
    ),
    **dict.fromkeys(["datetime_add", "datetime_from_parts", "datetime", "now"], "datetime"),
    **dict.fromkeys(["date", "format_date", "today"], "date"),
    **dict.fromkeys(["time", "time_from_parts"], "time"),
}
_CALL_RE = re.compile(r"^(\w+)\(")
_INT_RE = re.compile(r"^[+-]?\d+$")


def _infer_type(operand: str) -> str:
    if _INT_RE.match(operand):
        return "number"
    m = _CALL_RE.match(operand)
    return _RETURN_TYPES.get(m.group(1), "") if m else ""


# ----------------------------------------------------------------------------------- functions

Migrator = Callable[[str, list[str]], str]


def _call(name: str, params: list[str]) -> str:
    return f"{name}({', '.join(params)})"


def _as_is() -> Migrator:
    return _call


def _rename(new: str) -> Migrator:
    return lambda _name, params: _call(new, params)


_FMT_RE = re.compile(r"%(?:\[(\d+)\])?s")


def _template(template: str) -> Migrator:
    """Go-printf-like: %s takes the next param, %[n]s the n-th; missing ones render Go's markers."""
    sequential = len(re.findall(r"%s|%v", template))

    def migrate(name: str, params: list[str]) -> str:
        if sequential > len(params):
            raise MigrationError(
                f"expecting {sequential} params whilst migrating call to {name} but got {len(params)}"
            )
        nxt = 0
        indexed = False

        def sub(m: re.Match[str]) -> str:
            nonlocal nxt, indexed
            if m.group(1):
                indexed = True
                i = int(m.group(1)) - 1
                nxt = i + 1
                return params[i] if i < len(params) else "%!s(BADINDEX)"
            i = nxt
            nxt += 1
            return params[i] if i < len(params) else "%!s(MISSING)"

        out = _FMT_RE.sub(sub, template)
        if not indexed and nxt < len(params):
            out += "%!(EXTRA " + ", ".join("string=" + p for p in params[nxt:]) + ")"
        return out

    return migrate


def _join(delimiter: str) -> Migrator:
    return lambda _name, params: delimiter.join(params)


ParamMigrator = Callable[[str], str]


def _p_as_is(p: str) -> str:
    return p


def _p_decremented(p: str) -> str:
    if _INT_RE.match(p):
        return str(int(p) - 1)
    return f"{p} - 1"


def _p_by_spaces(p: str) -> str:
    return '" \\t"' if p.strip().lower() == "true" else "NULL"


def _params(new: str, *migrators: ParamMigrator, defaults: list[str] | None = None) -> Migrator:
    def migrate(name: str, params: list[str]) -> str:
        if len(params) > len(migrators):
            raise MigrationError(f"don't know how to migrate call to {name} with {len(params)} parameters")
        count = max(len(params), len(defaults or []))
        out = [migrators[i](params[i] if i < len(params) else (defaults or [])[i]) for i in range(count)]
        return _call(new, out)

    return migrate


_FUNCTIONS: dict[str, Migrator] = {
    **{
        f: _as_is()
        for f in ("abs", "and", "char", "clean", "code", "epoch", "format_location", "if", "lower")
    },
    **{
        f: _as_is()
        for f in ("max", "min", "mod", "now", "or", "percent", "rand", "remove_first_word", "round")
    },
    **{f: _as_is() for f in ("today", "upper")},
    "average": _rename("mean"),
    "concatenate": _join(" & "),
    "date": _rename("date_from_parts"),
    "datedif": _rename("datetime_diff"),
    "datevalue": _rename("date"),
    "day": _template('format_date(%s, "D")'),
    "days": _template('datetime_diff(%[2]s, %[1]s, "D")'),
    "edate": _template('datetime_add(%s, %s, "M")'),
    "exp": _template("2.718281828459045 ^ %s"),
    "false": _template("false"),
    "field": _params("field", _p_as_is, _p_decremented, _p_as_is),
    "first_word": _template("word(%s, 0)"),
    "fixed": _params("format_number", _p_as_is, _p_as_is, _p_as_is, defaults=["", "2"]),
    "format_date": _rename("format_datetime"),
    "hour": _template('format_datetime(%s, "tt")'),
    "int": _rename("round_down"),
    "left": _template("text_slice(%[1]s, 0, %[2]s)"),
    "len": _rename("text_length"),
    "minute": _template('format_datetime(%s, "m")'),
    "month": _template('format_date(%s, "M")'),
    "power": _template("%s ^ %s"),
    "proper": _rename("title"),
    "randbetween": _rename("rand_between"),
    "read_digits": _rename("read_chars"),
    "regex_group": _rename("regex_match"),
    "rept": _rename("repeat"),
    "right": _template("text_slice(%[1]s, -%[2]s)"),
    "rounddown": _rename("round_down"),
    "roundup": _rename("round_up"),
    "second": _template('format_datetime(%s, "s")'),
    "substitute": _rename("replace"),
    "sum": _join(" + "),
    "time": _template("time_from_parts(%s, %s, %s)"),
    "timevalue": _template("time(%s)"),
    "true": _template("true"),
    "trunc": _rename("round_down"),
    "unichar": _rename("char"),
    "unicode": _rename("code"),
    "weekday": _template("weekday(%s) + 1"),
    "word_count": _params("word_count", _p_as_is, _p_by_spaces),
    "word_slice": _params("word_slice", _p_as_is, _p_decremented, _p_decremented, _p_by_spaces),
    "word": _params("word", _p_as_is, _p_decremented, _p_by_spaces),
    "year": _template('format_date(%s, "YYYY")'),
}


def migrate_call(name: str, params: list[str]) -> str:
    """A legacy function call with already-migrated params; a call that can't be migrated becomes
    empty, as goflow does (the surrounding expression then fails when evaluated)."""
    migrator = _FUNCTIONS.get(name)
    if migrator is None:
        return _call(name, params)
    try:
        return migrator(name, params)
    except MigrationError:
        return ""
