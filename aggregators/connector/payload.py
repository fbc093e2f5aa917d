"""Read provider payloads (answers, callbacks, inbound requests) into plain data + dotted paths.

JSON stays as parsed; XML becomes nested dicts (repeated children -> lists, attributes as
``@name``, mixed text as ``#text``), so one path resolver serves both. XML paths are relative
to the root element (Twilio's ``Message.Sid`` inside ``<TwilioResponse>``); a path that names
the root element first is accepted too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from lxml import etree

from channels_app import jsonlimits
from infra import safe_regex

from .errors import PayloadError
from .xmlsafe import PAYLOAD_MAX_BYTES, parse_payload

MISSING = object()


@dataclass(frozen=True)
class Payload:
    data: Any
    root_tag: str | None = None  # XML only
    text: bool = False  # a plain-text answer: paths are regular expressions
    # A form or query string: a field name missing as written is looked up ignoring case, as
    # courier reads forms (`CreatedDatetime` for `createdDatetime`), so aggregators keep working.
    form: bool = False

    def get(self, path: str, base: Any = MISSING) -> Any:
        if self.text:  # "." is the whole answer ("000"); anything else a regular expression
            return str(self.data).strip() if path == "." else _match(str(self.data), path)
        data = self.data if base is MISSING else base
        if path == ".":  # the whole payload: a plain-text answer, or a JSON/XML scalar
            return data
        found = resolve(data, path)
        if found is MISSING and self.form and isinstance(data, dict) and path and "." not in path:
            wanted = path.lower()
            found = next((v for k, v in data.items() if k.lower() == wanted), MISSING)
        if found is MISSING and self.root_tag and base is MISSING and path.startswith(self.root_tag + "."):
            found = resolve(data, path[len(self.root_tag) + 1 :])
        elif found is MISSING and self.root_tag and base is MISSING and path == self.root_tag:
            found = data  # the document element itself: `<return>Success</return>` read as "return"
        return found


# Plain-text answers are short ("Success \"id\""): only their start is searched. The pattern
# runs on RE2 (linear time), so neither a hostile body nor a careless pattern can hold the sender.
TEXT_SEARCH_CHARS = 4096


def _match(text: str, pattern: str) -> Any:
    """The first group of the pattern's first match (the whole match without groups), else MISSING."""
    try:
        found = safe_regex.compile_pattern(pattern).search(text[:TEXT_SEARCH_CHARS])
    except safe_regex.error:
        return MISSING  # refused by the validator; a stored connector never gets here
    if found is None:
        return MISSING
    return found.group(1) if found.re.groups else found.group(0)


def path_segments(path: str) -> list[str]:
    """Split a path at dots outside ``[...]`` selectors (a selected value may hold dots)."""
    segments, depth, start = [], 0, 0
    for i, ch in enumerate(path):
        depth += (ch == "[") - (ch == "]")
        if ch == "." and depth == 0:
            segments.append(path[start:i])
            start = i + 1
    segments.append(path[start:])
    return segments


SELECTOR = re.compile(r"^(?P<name>[^\[\]]*)\[(?P<key>[^=\[\]]+)(?:=(?P<value>[^\[\]]*))?\]$")


def _select(items: Any, key: str, value: str | None) -> list[Any]:
    """The items of a list (or one object) having `key`, or having `key` equal to `value`."""
    found = items if isinstance(items, list) else [items]
    out = []
    for item in found:
        if not isinstance(item, dict) or scalar(item.get(key, MISSING)) in (None, ""):
            continue
        if value is None or str(scalar(item[key])).lower() == value.lower():
            out.append(item)
    return out


def resolve(data: Any, path: str) -> Any:
    """Follow a dotted path; numbers index lists; a name applied to a list looks in its first item.

    A string holding JSON is decoded on the way (form field ``data={"Status": ...}``).

    ``name[key=value]`` keeps the items of the list at ``name`` whose ``key`` is ``value``
    (case-insensitive), ``name[key]`` those that have a ``key``; names after a selector read
    every kept item (``message[url].url`` is the list of all their URLs), as Infobip's message
    parts need.
    """
    if not path:
        return data
    cur = data
    spread = False  # after a selector: a name applies to every item
    for seg in path_segments(path):
        selector = SELECTOR.match(seg)
        if selector:
            base = resolve(cur, selector["name"]) if selector["name"] else cur
            if base is MISSING:
                return MISSING
            cur, spread = _select(base, selector["key"], selector["value"]), True
            if not cur:
                return MISSING
            continue
        if spread and isinstance(cur, list) and not seg.lstrip("-").isdigit():
            values = [resolve(item, seg) for item in cur]
            cur = [v for v in values if v is not MISSING]
            if not cur:
                return MISSING
            continue
        spread = False
        if isinstance(cur, str) and cur[:1] in ("{", "[") and len(cur) <= PAYLOAD_MAX_BYTES:
            # Some providers (Ozonetel) post a form field holding a JSON document: look inside.
            try:
                cur = json.loads(cur)
            except (ValueError, RecursionError):
                return MISSING
        if isinstance(cur, list):
            if seg.lstrip("-").isdigit():
                idx = int(seg)
                cur = cur[idx] if -len(cur) <= idx < len(cur) else MISSING
                continue
            cur = cur[0] if cur else MISSING
        if isinstance(cur, dict):
            cur = cur.get(seg, MISSING)
        else:
            return MISSING
        if cur is MISSING:
            return MISSING
    return cur


def scalar(value: Any) -> str | None:
    """A mapped value as text; dict leaves with ``#text`` give their text; missing -> None."""
    if value is MISSING or value is None:
        return None
    if isinstance(value, dict):
        value = value.get("#text", MISSING)
        return None if value is MISSING else scalar(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return scalar(value[0]) if value else None
    return str(value)


def xml_to_data(el: etree._Element) -> Any:
    children = [c for c in el if isinstance(c.tag, str)]
    text = (el.text or "").strip()
    if not children and not el.attrib:
        return text
    out: dict[str, Any] = {"@" + k: v for k, v in el.attrib.items()}
    for child in children:
        key = etree.QName(child).localname
        value = xml_to_data(child)
        if key in out:
            if not isinstance(out[key], list):
                out[key] = [out[key]]
            out[key].append(value)
        else:
            out[key] = value
    if text:
        out["#text"] = text
    return out


def detect_format(content_type: str, body: bytes, declared: str | None) -> str:
    ct = content_type.lower()
    if "json" in ct:
        return "json"
    if "xml" in ct:
        return "xml"
    if "x-www-form-urlencoded" in ct:
        return "form"
    head = body.lstrip()[:1]
    if head in (b"{", b"["):
        return "json"
    if head == b"<":
        return "xml"
    return declared or "form"


def load(body: bytes, content_type: str = "", declared: str | None = None, query: str = "") -> Payload:
    """Parse a body (or, when empty, the query string) into a ``Payload``."""
    if len(body) > PAYLOAD_MAX_BYTES:
        raise PayloadError(f"payload is {len(body)} bytes; the limit is {PAYLOAD_MAX_BYTES}")
    if not body.strip():
        return Payload(_form(query), form=True)
    if declared == "text":  # the connector reads the answer with regular expressions, whatever its type
        return Payload(body.decode("utf-8", errors="replace"), text=True)
    fmt = detect_format(content_type, body, declared)
    if fmt == "json":
        try:
            return Payload(jsonlimits.loads(body))
        except (ValueError, RecursionError) as exc:
            raise PayloadError(f"invalid JSON: {exc}") from None
    if fmt == "xml":
        root = parse_payload(body)
        return Payload(xml_to_data(root), etree.QName(root).localname)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise PayloadError(f"{fmt} body is not UTF-8") from None
    data = _form(query)
    data.update(_form(text))  # body wins over query parameters
    return Payload(data, form=True)


def _form(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        out.setdefault(key, value)  # first value wins, like most web frameworks
    return out
