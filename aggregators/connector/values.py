"""Value templates: ``$config.$fields.NAME``, ``@variables`` and ``|filters``.

One implementation for SMS and phone connectors. A template is text with embedded tokens,
optionally followed by a filter pipeline applied to the whole rendered text::

    https://api.example.com/$config.$fields.account/messages     (text + field)
    @answer_callback|urlappend:{'DialTo': '@to_number'}          (variable + filter)
    @recipients|no_plus|join:','

Tokens:
  ``$config.$fields.NAME``  a config field of the channel (``$config.fields.NAME`` accepted too:
                            the published Vtiger examples use that typo);
  ``@name``                 a runtime variable (see ``SMS_VARIABLES`` / ``PHONE_VARIABLES``);
  ``@@``                    a literal ``@``;
  ``@|``                    a literal ``|`` that never starts a filter (values joined with pipes
                            before a hash filter: ``@to@|@message|md5``).

Templates are compiled once when the connector is loaded (``compile_template`` is cached), so
rendering a message is a loop over a handful of parts.
"""

from __future__ import annotations

import ast
import codecs
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

Value = str | list[str]

SMS_VARIABLES: dict[str, str] = {
    "message": "the text of the message",
    "recipients": "the recipient number(s); a list in an array parameter, comma-joined elsewhere",
    "to": "the first recipient number",
    "callback": "our delivery-status callback URL for this channel",
    "messageid": "the provider's message id (status polling) or our message uuid (sending)",
    "from": "the channel's address (sender number or id)",
    "body": "the text alone, without attachment URLs (for providers that take media separately)",
    "media": "the attachment URLs (a list: an array parameter repeats it; only on the first part)",
    "text": "inbound text (message_receive send_response only)",
    "part_id": "an id for each part of a split message: our message uuid, then `<uuid>.2`, `<uuid>.3`… "
    "(for providers that refuse a repeated id)",
    "to_local": "the first recipient as dialled inside its country: the national number, no trunk 0 "
    "(`0@to_local` for providers that want it)",
    "day": "today's day of the month in UTC, two digits (with `@month` and `@year`, for providers that "
    "sign the date)",
    "month": "the current month in UTC, two digits",
    "year": "the current year in UTC, four digits",
    "token": "the access token fetched with the provider's `<token>` request (cached until it expires)",
}

PHONE_VARIABLES: dict[str, str] = {
    "to_number": "the number being called (the contact)",
    "from_number": "the caller's number",
    "extension": "the agent's phone or extension",
    "callerid": "the caller id to present",
    "email": "the agent's email",
    "user_phone_home": "the agent's home phone / campaign from their profile",
    "answer_callback": "our answer callback URL",
    "status_callback": "our call-status callback URL",
    "answer_status_callback": "our status callback URL for answered calls",
    "incoming_callback": "our incoming-call URL",
    "call_id": "the provider's call id (in send_response replies)",
    "user_number": "the agent's number (in send_response replies)",
}

# URLs we generate ourselves: never percent-escaped when they appear inside a <url>.
URL_VARIABLES = frozenset(
    {"callback", "answer_callback", "status_callback", "answer_status_callback", "incoming_callback"}
)

_TOKEN_RE = re.compile(r"@@|@\||@([A-Za-z_][A-Za-z0-9_]*)|\$config\b[A-Za-z0-9_.$-]*")
_FIELD_RE = re.compile(r"\$config\.\$?fields\.([A-Za-z_][A-Za-z0-9_-]*)$")
_FILTER_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?::(.*))?\Z", re.DOTALL)  # no space after the pipe


class TemplateError(ValueError):
    """A syntax problem at ``offset`` characters into the template source."""

    def __init__(self, offset: int, message: str):
        self.offset = offset
        super().__init__(message)


@dataclass(frozen=True)
class Part:
    kind: str  # "text" | "field" | "var"
    value: str
    offset: int


@dataclass(frozen=True)
class FilterCall:
    name: str
    arg: Any
    offset: int


@dataclass(frozen=True)
class Template:
    source: str
    parts: tuple[Part, ...]
    filters: tuple[FilterCall, ...] = ()
    # Templates nested in filter arguments (urlappend values), for validation.
    nested: tuple[tuple[int, Template], ...] = field(default=())

    def refs(self, kind: str) -> list[tuple[str, int]]:
        """(name, offset) of every field or variable reference, including in filter args."""
        found = [(p.value, p.offset) for p in self.parts if p.kind == kind]
        for base, sub in self.nested:
            found += [(name, base + off) for name, off in sub.refs(kind)]
        return found

    def render(self, fields: Mapping[str, Any], ctx: Mapping[str, Any], *, in_url: bool = False) -> Value:
        value = self._render_parts(fields, ctx, in_url)
        for call in self.filters:
            value = FILTERS[call.name].apply(value, call.arg, fields, ctx)
        return value

    def render_str(self, fields: Mapping[str, Any], ctx: Mapping[str, Any], *, in_url: bool = False) -> str:
        return as_text(self.render(fields, ctx, in_url=in_url))

    def _render_parts(self, fields: Mapping[str, Any], ctx: Mapping[str, Any], in_url: bool) -> Value:
        if len(self.parts) == 1 and self.parts[0].kind == "var":
            # A lone variable keeps its list-ness, so ``type="array"`` can use it as is.
            raw = ctx.get(self.parts[0].value)
            if isinstance(raw, list | tuple):
                return [_scalar(v) for v in raw]
        out: list[str] = []
        for part in self.parts:
            if part.kind == "text":
                out.append(part.value)
            elif part.kind == "field":
                out.append(_scalar(fields.get(part.value)))
            else:
                text = as_text(ctx.get(part.value))
                if in_url and part.value not in URL_VARIABLES:
                    text = quote(text, safe="+@:,")
                out.append(text)
        return "".join(out)


def as_text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ",".join(_scalar(v) for v in value)
    return _scalar(value)


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- filters -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filter:
    doc: str
    arg: str  # "none" | "str" | "int" | "dict" | "template"
    fn: Callable[..., Value]

    def apply(self, value: Value, arg: Any, fields: Mapping[str, Any], ctx: Mapping[str, Any]) -> Value:
        return self.fn(value, arg, fields, ctx)


def _each(fn: Callable[[str, Any], str]) -> Callable[..., Value]:
    """Lift a str->str filter so it also maps over list values (several recipients)."""

    def apply(value: Value, arg: Any, _fields: Mapping[str, Any], _ctx: Mapping[str, Any]) -> Value:
        return [fn(v, arg) for v in value] if isinstance(value, list) else fn(value, arg)

    return apply


def _urlappend(
    value: Value, arg: dict[str, Template], fields: Mapping[str, Any], ctx: Mapping[str, Any]
) -> str:
    url = as_text(value)
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(key, tpl.render_str(fields, ctx)) for key, tpl in arg.items()]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _default(value: Value, arg: Template, fields: Mapping[str, Any], ctx: Mapping[str, Any]) -> Value:
    return value if value else arg.render(fields, ctx)


def _join(value: Value, arg: str, _f: Mapping[str, Any], _c: Mapping[str, Any]) -> str:
    return (arg if arg is not None else ",").join(value) if isinstance(value, list) else value


def _first(value: Value, _arg: Any, _f: Mapping[str, Any], _c: Mapping[str, Any]) -> str:
    if isinstance(value, list):
        return value[0] if value else ""
    return value.split(",")[0]


def _if_empty(
    value: Value, arg: dict[str, Template], fields: Mapping[str, Any], ctx: Mapping[str, Any]
) -> str:
    """One of two templates, by whether the value is empty (no attachments: the SMS endpoint)."""
    empty = not [v for v in value if v] if isinstance(value, list) else not value
    return (arg["then"] if empty else arg["else"]).render_str(fields, ctx)


def _if_gsm7(
    value: Value, arg: dict[str, Template], fields: Mapping[str, Any], ctx: Mapping[str, Any]
) -> str:
    """One of two templates, by whether the value fits the GSM 03.38 alphabet.

    Providers bill UCS-2 at 70 characters a part against GSM-7's 160: a connector says which
    type to ask for (Vonage's `type=text|unicode`) instead of always paying for Unicode.
    """
    from smsc.gsm import is_gsm7

    chosen = arg["then"] if is_gsm7(as_text(value)) else arg["else"]
    return chosen.render_str(fields, ctx)


def _national(value: str, _arg: Any) -> str:
    """The national significant number of an international number (`+12065551212` -> `2065551212`).

    The country comes from the number itself; a value that is not an international number (a
    short code, an alphanumeric sender) is kept as it is.
    """
    import phonenumbers

    text = value.strip()
    if not text.startswith("+"):
        return value
    try:
        return str(phonenumbers.parse(text, None).national_number)
    except phonenumbers.NumberParseException:
        return value


def known_charset(name: str) -> bool:
    """Whether Python can encode and decode text in the named charset (`utf-16be`, `iso-8859-1`)."""
    if not name.strip():
        return False
    try:
        codecs.lookup(name.strip())
    except LookupError:
        return False
    return True


def _hex(value: str, charset: str) -> str:
    """Hex digits of the text's bytes in a charset: Jasmin's `hex-content` is UTF-16BE this way."""
    return value.encode(charset, errors="replace").hex()


# Look-alikes phones type but GSM 03.38 lacks: folding them keeps a message at 160 characters
# a part instead of UCS-2's 70 (courier folds the same characters for several providers).
GSM7_FOLDS = str.maketrans(
    {"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2018": "'", "\u2019": "'", "\u201a": "'",
     "\u2013": "-", "\u2014": "-", "\u2026": "...", "\u00a0": " ", "\u02bc": "'"}
)  # fmt: skip


def _digest(algorithm: str) -> Callable[..., Value]:
    """Hex digest of the UTF-8 text, for providers that sign a request with a hash of its values."""
    return _each(lambda v, _a: hashlib.new(algorithm, v.encode("utf-8")).hexdigest())


FILTERS: dict[str, Filter] = {
    "md5": Filter("the MD5 hex digest (lower-case; add |upper for upper-case)", "none", _digest("md5")),
    "sha1": Filter("the SHA-1 hex digest (lower-case)", "none", _digest("sha1")),
    "sha256": Filter("the SHA-256 hex digest (lower-case)", "none", _digest("sha256")),
    "if_gsm7": Filter(
        "by the value's alphabet: if_gsm7:{'then': 'text', 'else': 'unicode'} (GSM-7 or not)",
        "dict",
        _if_gsm7,
    ),
    "if_empty": Filter(
        "by whether the value is empty: @media|if_empty:{'then': 'messages', 'else': 'mms'}",
        "dict",
        _if_empty,
    ),
    "urlappend": Filter(
        "append query parameters, e.g. urlappend:{'DialTo': '@to_number'}", "dict", _urlappend
    ),
    "no_plus": Filter("drop a leading '+' (E.164 without plus)", "none", _each(lambda v, _a: v.lstrip("+"))),
    "default": Filter(
        "use the argument (a template) when the value is empty: default:'x'", "template", _default
    ),
    "urlencode": Filter(
        "percent-encode the value (RFC 3986, nothing kept)", "none", _each(lambda v, _a: quote(v, safe=""))
    ),
    "upper": Filter("upper-case", "none", _each(lambda v, _a: v.upper())),
    "lower": Filter("lower-case", "none", _each(lambda v, _a: v.lower())),
    "trim": Filter("strip surrounding whitespace", "none", _each(lambda v, _a: v.strip())),
    "digits": Filter("keep digits only", "none", _each(lambda v, _a: re.sub(r"\D", "", v))),
    "prefix": Filter("prepend the argument: prefix:'tel:'", "str", _each(lambda v, a: a + v if v else v)),
    "suffix": Filter(
        "append the argument: suffix:'&status=%s' (text a provider fills in itself)",
        "str",
        _each(lambda v, a: v + a if v else v),
    ),
    "national": Filter(
        "the national number of an international one: +12065551212 -> 2065551212 (others kept)",
        "none",
        _each(_national),
    ),
    "gsm7_fold": Filter(
        "replace typographic quotes, dashes and ellipses by their GSM-7 look-alikes",
        "none",
        _each(lambda v, _a: v.translate(GSM7_FOLDS)),
    ),
    "hex": Filter(
        "the hex digits of the value's bytes in the charset named by the argument: hex:'utf-16be'",
        "str",
        _each(_hex),
    ),
    "truncate": Filter("cut to N characters: truncate:160", "int", _each(lambda v, a: v[:a])),
    "join": Filter("join a list (recipients) with the argument: join:';'", "str", _join),
    "first": Filter("the first of several values (first recipient)", "none", _first),
}


# --- compiling -----------------------------------------------------------------------------


def _split_pipes(source: str) -> list[tuple[int, str]]:
    """Split at '|' outside quotes/braces; keep each segment's offset."""
    segments: list[tuple[int, str]] = []
    depth, quote_char, start = 0, "", 0
    for i, ch in enumerate(source):
        if quote_char:
            if ch == quote_char:
                quote_char = ""
        elif ch in "'\"":
            quote_char = ch
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth = max(0, depth - 1)
        elif ch == "|" and depth == 0 and not _escaped_pipe(source, i):
            segments.append((start, source[start:i]))
            start = i + 1
    segments.append((start, source[start:]))
    return segments


def _escaped_pipe(source: str, i: int) -> bool:
    """`@|` is a literal '|' (an odd run of '@' before it: `@@|` is a literal '@' then a pipe)."""
    run = len(source[:i]) - len(source[:i].rstrip("@"))
    return run % 2 == 1


def _parse_parts(text: str, base: int) -> tuple[Part, ...]:
    parts: list[Part] = []
    pos = 0
    for m in _TOKEN_RE.finditer(text):
        if m.start() > pos:
            parts.append(Part("text", text[pos : m.start()], base + pos))
        token = m.group(0)
        if token == "@@":
            parts.append(Part("text", "@", base + m.start()))
        elif token == "@|":
            parts.append(Part("text", "|", base + m.start()))
        elif token.startswith("@"):
            parts.append(Part("var", m.group(1), base + m.start()))
        else:
            fm = _FIELD_RE.match(token.rstrip("."))
            if not fm:
                raise TemplateError(
                    base + m.start(), f"malformed config reference '{token}' (use $config.$fields.NAME)"
                )
            parts.append(Part("field", fm.group(1), base + m.start()))
            trailing = token[len(token.rstrip(".")) :]
            if trailing:
                parts.append(Part("text", trailing, base + m.start() + len(token.rstrip("."))))
        pos = m.end()
    if pos < len(text):
        parts.append(Part("text", text[pos:], base + pos))
    # Merge adjacent text parts (from '@@') to keep rendering a tight loop.
    merged: list[Part] = []
    for p in parts:
        if merged and p.kind == "text" and merged[-1].kind == "text":
            merged[-1] = Part("text", merged[-1].value + p.value, merged[-1].offset)
        else:
            merged.append(p)
    return tuple(merged)


def _parse_arg(
    name: str, spec: str, raw: str | None, offset: int
) -> tuple[Any, tuple[tuple[int, Template], ...]]:
    if spec == "none":
        if raw is not None and raw.strip():
            raise TemplateError(offset, f"filter '{name}' takes no argument")
        return None, ()
    if raw is None or not raw.strip():
        if name == "join":
            return ",", ()
        raise TemplateError(offset, f"filter '{name}' needs an argument")
    text = raw.strip()
    if text[0] in "{['\"":
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            raise TemplateError(offset, f"filter '{name}': cannot read argument {text!r}") from None
    else:
        value = text
    if spec == "dict":
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise TemplateError(offset, f"filter '{name}' needs a {{'KEY': 'VALUE'}} argument")
        if name in ("if_gsm7", "if_empty") and set(value) != {"then", "else"}:
            raise TemplateError(offset, f"filter '{name}' needs {{'then': ..., 'else': ...}}")
        # Approximate offset of each nested value, for error positions.
        nested = tuple((offset + max(raw.find(v), 0), compile_template(v)) for v in value.values())
        return {k: tpl for k, (_o, tpl) in zip(value, nested, strict=True)}, nested
    if spec == "template":
        if not isinstance(value, str):
            raise TemplateError(offset, f"filter '{name}' needs a string argument")
        tpl = compile_template(value)
        return tpl, ((offset + max(raw.find(value), 0), tpl),)
    if spec == "int":
        try:
            return int(str(value)), ()
        except ValueError:
            raise TemplateError(offset, f"filter '{name}' needs a whole number") from None
    if not isinstance(value, str):
        raise TemplateError(offset, f"filter '{name}' needs a string argument")
    if name == "hex" and not known_charset(value):
        raise TemplateError(offset, f"filter 'hex': '{value}' is not a known charset")
    return value, ()


@lru_cache(maxsize=4096)
def compile_template(source: str) -> Template:
    """Compile a template; raise ``TemplateError`` for syntax problems or unknown filters.

    Unknown *names* (fields, variables) are not errors here: which names exist depends on
    the connector, so the validator checks ``Template.refs()``.
    """
    segments = _split_pipes(source)
    head_end = 1
    # A '|' not followed by something shaped like a filter is literal text (e.g. in a URL).
    while head_end < len(segments) and not _FILTER_RE.match(segments[head_end][1]):
        head_end += 1
    if head_end > 1 and head_end < len(segments):
        head_end = len(segments)  # literal pipes after filters: treat everything as text
    head = "|".join(seg for _o, seg in segments[:head_end])
    parts = _parse_parts(head, 0)
    filters: list[FilterCall] = []
    nested: list[tuple[int, Template]] = []
    for offset, seg in segments[head_end:]:
        m = _FILTER_RE.match(seg)
        if m is None:  # e.g. "@to|no_plus|x@@": after a filter every '|' must start one (found by fuzzing)
            raise TemplateError(offset, f"'|{seg}' after a filter is not a filter call")
        name = m.group(1)
        if name not in FILTERS:
            raise TemplateError(offset, f"unknown filter '{name}' (known: {', '.join(sorted(FILTERS))})")
        arg_offset = offset + (m.start(2) if m.group(2) is not None else len(seg))
        arg, sub = _parse_arg(name, FILTERS[name].arg, m.group(2), arg_offset)
        filters.append(FilterCall(name, arg, offset))
        nested.extend(sub)
    return Template(source, parts, tuple(filters), tuple(nested))


def variables_for(kind: str) -> dict[str, str]:
    return PHONE_VARIABLES if kind == "phone" else SMS_VARIABLES
