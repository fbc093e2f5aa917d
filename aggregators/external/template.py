"""`{{variable}}` templates for External API send URLs and bodies, escaped per content type.

Bodies come in the shapes RapidPro users wrote for courier: `{"text": {{text}}}` (the value
renders as a whole JSON string) and `{"text": "{{text}}"}` (the placeholder sits inside quotes:
only the string's escaped content goes in), so both stay valid JSON whatever the text holds.
At save time every JSON/XML body is rendered with a sample message and refused, with the line
and column in the template, when the result is not well-formed.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote_plus

from aggregators.xmlsafe import UnsafeXML, parse_xml

VARIABLES = (
    "text",
    "to",
    "to_no_plus",
    "to_national",
    "from",
    "from_no_plus",
    "id",
    "uuid",
    "channel",
    "quick_replies",
)
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")

CONTENT_TYPES = {
    "urlencoded": "application/x-www-form-urlencoded",
    "json": "application/json",
    "xml": "text/xml; charset=utf-8",
}

# The default bodies post every variable, like the documented example request.
_DEFAULT_VARIABLES = ("id", "text", "to", "to_no_plus", "from", "from_no_plus", "channel")
DEFAULT_BODIES = {
    "urlencoded": "&".join(f"{v}={{{{{v}}}}}" for v in _DEFAULT_VARIABLES),
    "json": "{ " + ", ".join(f'"{v}": {{{{{v}}}}}' for v in _DEFAULT_VARIABLES) + " }",
    "xml": '<?xml version="1.0" encoding="UTF-8"?><message>'
    + "".join(f"<{v}>{{{{{v}}}}}</{v}>" for v in _DEFAULT_VARIABLES)
    + "</message>",
    "custom": "",
}

# Variables that are numbers in JSON bodies (our integer message id, as in the documented body).
JSON_NUMBERS = {"id"}

# Escaped like Go's xml.EscapeText (what courier sends), so line breaks survive as `&#xA;`
# instead of being folded by a provider's XML parser.
_XML_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&#34;",
        "'": "&#39;",
        "\t": "&#x9;",
        "\n": "&#xA;",
        "\r": "&#xD;",
    }
)


def xml_escape(value: str) -> str:
    return value.translate(_XML_ESCAPES)


def _json_value(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


ESCAPERS: dict[str, Callable[[str], str]] = {
    "urlencoded": quote_plus,
    "json": _json_value,
    "xml": xml_escape,
    "custom": lambda value: value,
}


def body_format(content_type: str, custom_content_type: str = "") -> str:
    """How values are escaped in a body: urlencoded, json, xml, or custom (as given)."""
    if content_type != "custom":
        return content_type if content_type in ESCAPERS else "custom"
    mime = custom_content_type.split(";")[0].strip().lower()
    if mime == "application/x-www-form-urlencoded":
        return "urlencoded"
    if mime == "application/json" or mime.endswith("+json"):
        return "json"
    if mime in ("text/xml", "application/xml") or mime.endswith("+xml"):
        return "xml"
    return "custom"


def quick_replies_value(replies: list[str], fmt: str) -> str:
    """`{{quick_replies}}` as courier renders it: a JSON array, XML items, or form fields."""
    if fmt == "json":
        return json.dumps(replies, ensure_ascii=False, separators=(",", ":"))
    if fmt == "xml":
        return "".join(f"<item>{xml_escape(r)}</item>" for r in replies)
    return "".join(f"&quick_reply={quote_plus(r)}" for r in replies)


def unknown_variables(template: str) -> list[str]:
    return sorted({name for name in _PLACEHOLDER.findall(template) if name not in VARIABLES})


@dataclass
class Rendered:
    """A rendered template and where each output piece came from (for error positions)."""

    text: str = ""
    # (output offset, template offset, is a substitution) at the start of each piece
    pieces: list[tuple[int, int, bool]] = field(default_factory=list)

    def template_offset(self, output_offset: int) -> int:
        starts = [p[0] for p in self.pieces]
        k = max(bisect_right(starts, output_offset) - 1, 0)
        out_start, tpl_start, substituted = self.pieces[k] if self.pieces else (0, 0, False)
        return tpl_start if substituted else tpl_start + (output_offset - out_start)


def _render(template: str, value_of: Callable[[re.Match[str]], str]) -> Rendered:
    rendered, out, last = Rendered(), [], 0
    length = 0
    for match in _PLACEHOLDER.finditer(template):
        literal = template[last : match.start()]
        rendered.pieces.append((length, last, False))
        out.append(literal)
        length += len(literal)
        value = value_of(match)
        rendered.pieces.append((length, match.start(), True))
        out.append(value)
        length += len(value)
        last = match.end()
    rendered.pieces.append((length, last, False))
    out.append(template[last:])
    rendered.text = "".join(out)
    return rendered


def render_detailed(
    template: str, values: dict[str, str], fmt: str, quick_replies: list[str] | None = None
) -> Rendered:
    escape = ESCAPERS.get(fmt, ESCAPERS["custom"])
    replies = quick_replies or []

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        quoted = (
            fmt == "json"
            and match.start() > 0
            and template[match.start() - 1] == '"'
            and template[match.end() : match.end() + 1] == '"'
        )
        if name == "quick_replies":
            value = quick_replies_value(replies, fmt)
            return _json_value(value)[1:-1] if quoted else value
        value = values.get(name, "")
        if fmt == "json":
            if quoted:  # `"{{text}}"`: the template gives the quotes, we give the escaped content
                return _json_value(value)[1:-1]
            if name in JSON_NUMBERS and value.isdigit():
                return value
        return escape(value)

    return _render(template, substitute)


def render(template: str, values: dict[str, str], fmt: str, quick_replies: list[str] | None = None) -> str:
    return render_detailed(template, values, fmt, quick_replies).text


def render_url(template: str, values: dict[str, str], quick_replies: list[str] | None = None) -> str:
    def substitute(match: re.Match[str]) -> str:
        if match.group(1) == "quick_replies":
            return quick_replies_value(quick_replies or [], "urlencoded")
        return quote_plus(values.get(match.group(1), ""))

    return _render(template, substitute).text


# A message with everything that breaks naive templates: quotes, markup, a line break, non-ASCII.
SAMPLE_VALUES = {
    "text": 'Sample "quoted" <b>text</b> & more\nsecond line ☺',
    "to": "+250788123123",
    "to_no_plus": "250788123123",
    "to_national": "788123123",
    "from": "+250788000000",
    "from_no_plus": "250788000000",
    "id": "123",
    "uuid": "0199a5e0-0000-7000-8000-000000000000",
    "channel": "0199a5e0-0000-7000-8000-000000000001",
}
SAMPLE_QUICK_REPLIES = ["Yes", 'No "thanks"']


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def body_problem(template: str, fmt: str) -> str | None:
    """None when the body renders well-formed JSON/XML for a sample message, else what and where."""
    if fmt not in ("json", "xml") or not template.strip():
        return None
    rendered = render_detailed(template, SAMPLE_VALUES, fmt, SAMPLE_QUICK_REPLIES)
    if fmt == "json":
        try:
            json.loads(rendered.text)
        except json.JSONDecodeError as exc:
            line, column = _line_column(template, rendered.template_offset(exc.pos))
            return f"line {line}, column {column}: the body does not render valid JSON ({exc.msg})"
        return None
    try:
        parse_xml(rendered.text)  # the one hardened parser
    except UnsafeXML as exc:
        found = _XML_POSITION.match(str(exc))
        err_line, err_column, reason = (int(found[1]), int(found[2]), found[3]) if found else (1, 1, str(exc))
        lines = rendered.text.split("\n")
        offset = sum(len(x) + 1 for x in lines[: max(err_line - 1, 0)]) + max(err_column - 1, 0)
        line, column = _line_column(template, rendered.template_offset(min(offset, len(rendered.text))))
        return f"line {line}, column {column}: the body does not render well-formed XML ({reason})"
    return None


_XML_POSITION = re.compile(r"invalid XML at (\d+):(\d+): (.*)", re.DOTALL)
