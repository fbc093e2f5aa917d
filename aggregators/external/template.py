"""`{{variable}}` templates for External API send URLs and bodies, escaped per content type."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from urllib.parse import quote_plus
from xml.sax.saxutils import escape as xml_escape

VARIABLES = ("text", "to", "to_no_plus", "from", "from_no_plus", "id", "uuid", "channel")
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")

CONTENT_TYPES = {
    "urlencoded": "application/x-www-form-urlencoded",
    "json": "application/json",
    "xml": "text/xml; charset=utf-8",
}

# The default bodies post every variable, like the documented example request.
DEFAULT_BODIES = {
    "urlencoded": "&".join(
        f"{v}={{{{{v}}}}}" for v in ("id", "text", "to", "to_no_plus", "from", "from_no_plus", "channel")
    ),
    "json": "{ "
    + ", ".join(
        f'"{v}": {{{{{v}}}}}' for v in ("id", "text", "to", "to_no_plus", "from", "from_no_plus", "channel")
    )
    + " }",
    "xml": '<?xml version="1.0" encoding="UTF-8"?><message>'
    + "".join(
        f"<{v}>{{{{{v}}}}}</{v}>"
        for v in ("id", "text", "to", "to_no_plus", "from", "from_no_plus", "channel")
    )
    + "</message>",
    "custom": "",
}


def _json_value(value: str) -> str:
    # A JSON string with its quotes, so a template reads `{"text": {{text}}}` and the text can
    # never break out of it.
    return json.dumps(value, ensure_ascii=False)


# Variables that are numbers in JSON bodies (our integer message id, as in the documented body).
JSON_NUMBERS = {"id"}


ESCAPERS: dict[str, Callable[[str], str]] = {
    "urlencoded": quote_plus,
    "json": _json_value,
    "xml": xml_escape,
    "custom": lambda value: value,
}


def unknown_variables(template: str) -> list[str]:
    return sorted({name for name in _PLACEHOLDER.findall(template) if name not in VARIABLES})


def render(template: str, values: dict[str, str], content_type: str) -> str:
    escape = ESCAPERS.get(content_type, ESCAPERS["custom"])

    def substitute(match: re.Match[str]) -> str:
        name, value = match.group(1), values.get(match.group(1), "")
        if content_type == "json" and name in JSON_NUMBERS and value.isdigit():
            return value
        return escape(value)

    return _PLACEHOLDER.sub(substitute, template)


def render_url(template: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: quote_plus(values.get(m.group(1), "")), template)
