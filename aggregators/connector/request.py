"""Build outbound HTTP requests (send, status poll, outgoing call) from a connector.

The content-type header decides the body: JSON object (nested objects/arrays/typed values),
form, or XML; GET/DELETE put the parameters in the query string. The result is an
``httpx.Request`` so the caller can send it with any (guarded) client and the test console
can show it byte for byte.
"""

from __future__ import annotations

import base64
import codecs
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx
import phonenumbers
from lxml import etree

from .errors import BuildError
from .model import Connector, Param, Request
from .values import Value, as_text, known_charset

JSON_TYPES = ("application/json", "+json", "text/json")
XML_TYPES = ("/xml", "+xml")
FORM_TYPE = "application/x-www-form-urlencoded"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def join_url(base: str, relative: str | None) -> str:
    """Resolve a request <url> against the provider URL.

    Not RFC 3986 resolution on purpose: the Vtiger examples mean "append" (``Calls.json`` after
    ``.../Accounts/SID``, ``/@messageid`` after ``.../Message/``), so we join with one slash.
    """
    if not relative:
        return base
    if relative.startswith(("http://", "https://")):
        return relative
    if not base:
        return relative
    if relative.startswith("?"):
        return base + relative
    return base.rstrip("/") + "/" + relative.lstrip("/")


def param_value(param: Param, fields: Mapping[str, Any], ctx: Mapping[str, Any]) -> Any:
    """The typed JSON value of one parameter (recursing into nested parameters)."""
    if param.children:
        obj = _present(param.children, fields, ctx)
        return [obj] if param.type == "array" else obj
    raw: Value = param.value.render(fields, ctx) if param.value is not None else ""
    if param.type == "array":
        if isinstance(raw, list):
            return raw
        return [raw] if raw != "" else []
    text = as_text(raw)
    if param.type == "number":
        try:
            return int(text) if text.strip().lstrip("+-").isdigit() else float(text)
        except ValueError:
            raise BuildError(f"parameter '{param.name}': {text!r} is not a number") from None
    if param.type == "boolean":
        low = text.strip().lower()
        if low not in ("true", "false", "1", "0", "yes", "no", "on", "off", ""):
            raise BuildError(f"parameter '{param.name}': {text!r} is not a boolean")
        return low in ("true", "1", "yes", "on")
    return text


def _present(params: tuple[Param, ...], fields: Mapping[str, Any], ctx: Mapping[str, Any]) -> dict[str, Any]:
    """Each parameter's value, leaving out an `omit_empty` one whose value is empty."""
    out: dict[str, Any] = {}
    for param in params:
        value = param_value(param, fields, ctx)
        if param.omit_empty and value in ("", [], {}, None):
            continue
        out[param.name] = value
    return out


def _encoded(
    pairs: list[tuple[str, str]], params: tuple[Param, ...], fields: Mapping[str, Any], ctx: Mapping[str, Any]
) -> list[tuple[str, str | bytes]]:
    """Form/query pairs, a parameter with a `charset` as that charset's bytes (urlencode escapes them)."""
    charsets: dict[str, str] = {}
    for param in params:
        if param.charset is not None:
            name = param.charset.render_str(fields, ctx).strip()
            if name and not known_charset(name):
                raise BuildError(f"parameter '{param.name}': charset {name!r} is not a known charset")
            charsets[param.name] = name
    out: list[tuple[str, str | bytes]] = []
    for key, value in pairs:
        charset = charsets.get(key)
        if not charset or codecs.lookup(charset).name == "utf-8":
            out.append((key, value))
            continue
        try:
            out.append((key, value.encode(charset)))
        except UnicodeEncodeError:
            raise BuildError(f"parameter '{key}': the text cannot be written in {charset}") from None
    return out


def flatten(prefix: str, value: Any) -> list[tuple[str, str]]:
    """Form/query encoding of nested values: ``a[b]=1``; arrays repeat the key."""
    if isinstance(value, dict):
        pairs: list[tuple[str, str]] = []
        for key, sub in value.items():
            pairs += flatten(f"{prefix}[{key}]" if prefix else key, sub)
        return pairs
    if isinstance(value, list):
        return [pair for item in value for pair in flatten(prefix, item)]
    if isinstance(value, bool):
        return [(prefix, "true" if value else "false")]
    return [(prefix, "" if value is None else str(value))]


def _xml_body(values: dict[str, Any]) -> bytes:
    def build(parent: etree._Element, name: str, value: Any) -> None:
        items = value if isinstance(value, list) else [value]
        for item in items:
            el = etree.SubElement(parent, name)
            if isinstance(item, dict):
                for key, sub in item.items():
                    build(el, key, sub)
            else:
                el.text = flatten("x", item)[0][1] if item is not None else ""

    if len(values) == 1:  # a single top-level parameter is the document element
        ((name, value),) = values.items()
        holder = etree.Element("holder")
        build(holder, name, value)
        root = holder[0]
    else:
        root = etree.Element("request")
        for key, value in values.items():
            build(root, key, value)
    return XML_DECLARATION + etree.tostring(root, encoding="UTF-8", xml_declaration=False)


def auth_header(connector: Connector, fields: Mapping[str, Any], ctx: Mapping[str, Any]) -> str | None:
    auth = connector.provider.auth
    if auth is None:
        return None
    if auth.kind == "basic":
        user = auth.username.render_str(fields, ctx) if auth.username else ""
        password = auth.password.render_str(fields, ctx) if auth.password else ""
        return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    token = auth.token.render_str(fields, ctx) if auth.token else ""
    return f"Bearer {token}"


def build_request(
    connector: Connector,
    request: Request,
    fields: Mapping[str, Any],
    ctx: Mapping[str, Any],
    *,
    with_auth: bool = True,
) -> httpx.Request:
    """Build any connector request (send, poll, outgoing call)."""
    fields = connector.effective_fields(dict(fields))
    base = connector.provider.url.render_str(fields, ctx, in_url=True)
    url = join_url(base, request.url.render_str(fields, ctx, in_url=True) if request.url else None)
    headers: list[tuple[str, str]] = [(h.name, h.value.render_str(fields, ctx)) for h in request.headers]
    content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
    values = _present(request.params, fields, ctx)
    body = b""
    ct = content_type.lower()
    if request.method in ("GET", "DELETE", "HEAD"):
        if values:
            query = urlencode(_encoded(flatten("", values), request.params, fields, ctx))
            url += ("" if url.endswith(("?", "&")) else ("&" if "?" in url else "?")) + query
    elif any(t in ct for t in JSON_TYPES):
        body = json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    elif any(t in ct for t in XML_TYPES):
        body = _xml_body(values)
    else:
        if not content_type:
            headers.append(("Content-Type", FORM_TYPE))
        body = urlencode(_encoded(flatten("", values), request.params, fields, ctx)).encode("ascii")
    authorization = auth_header(connector, fields, ctx) if with_auth else None
    if authorization and not any(k.lower() == "authorization" for k, _v in headers):
        headers.append(("Authorization", authorization))
    try:
        return httpx.Request(request.method, url, headers=headers, content=body or None)
    except (httpx.InvalidURL, ValueError) as exc:
        raise BuildError(f"cannot build a request to {url!r}: {exc}") from None


def sms_context(ctx: Mapping[str, Any]) -> dict[str, Any]:
    """Fill derived SMS variables: ``@to`` is the first of ``@recipients``."""
    out = dict(ctx)
    recipients = out.get("recipients")
    if "to" not in out and recipients:
        out["to"] = recipients[0] if isinstance(recipients, list | tuple) else str(recipients).split(",")[0]
    out.setdefault("body", out.get("message", ""))  # no attachments given: the text is the body
    out.setdefault("media", [])
    out.setdefault("to_local", national_number(str(out.get("to") or "")))
    out.setdefault("part_id", out.get("messageid", ""))
    today = clock()
    out.setdefault("day", f"{today.day:02d}")
    out.setdefault("month", f"{today.month:02d}")
    out.setdefault("year", f"{today.year:04d}")
    return out


def clock() -> datetime:
    """Now in UTC; one place, so a test can pin the date a signed request depends on."""
    return datetime.now(UTC)


def national_number(number: str) -> str:
    """The national significant number of an E.164 number (`+252788383383` -> `788383383`).

    A value that is not a phone number (an alphanumeric id) is given back without its `+`.
    """
    try:
        parsed = phonenumbers.parse(number if number.startswith("+") else "+" + number)
    except phonenumbers.NumberParseException:
        return number.lstrip("+")
    return phonenumbers.national_significant_number(parsed) or number.lstrip("+")


def send_uses(connector: Connector, variable: str) -> bool:
    """Whether the send request reads ``@variable`` (in its URL, a header or a parameter)."""
    send = connector.message_send
    if send is None:
        return False
    request = send.request
    templates = [request.url] if request.url is not None else []
    templates += [h.value for h in request.headers]
    stack = list(request.params)
    while stack:
        param = stack.pop()
        stack += param.children
        if param.value is not None:
            templates.append(param.value)
    return any(name == variable for t in templates for name, _ in t.refs("var"))


def split_limit(connector: Connector, fields: Mapping[str, Any]) -> int:
    """Characters a part from `<message_send split>`; 0 when the connector does not split."""
    send = connector.message_send
    if send is None or send.split is None:
        return 0
    text = send.split.render_str(connector.effective_fields(dict(fields)), {}).strip()
    if not text.isdigit() or not 0 < int(text) <= 10_000:
        raise BuildError(f"split {text!r} is not a number of characters (1-10000)")
    return int(text)


def build_send_request(
    connector: Connector, fields: Mapping[str, Any], ctx: Mapping[str, Any]
) -> httpx.Request:
    """ctx: message, recipients (str or list), callback, messageid (our uuid), from."""
    if connector.message_send is None:
        raise BuildError("this connector cannot send messages")
    return build_request(connector, connector.message_send.request, fields, sms_context(ctx))


def auth_uses_token(connector: Connector) -> bool:
    auth = connector.provider.auth
    if auth is None:
        return False
    templates = [t for t in (auth.username, auth.password, auth.token) if t is not None]
    return any(name == "token" for t in templates for name, _ in t.refs("var"))


def build_token_request(connector: Connector, fields: Mapping[str, Any]) -> httpx.Request:
    """The `<provider><token>` request. The provider's `<auth>` applies to it too (client
    credentials as basic auth), unless that auth is the bearer token this request fetches."""
    token = connector.provider.token
    if token is None:
        raise BuildError("this connector fetches no token")
    ctx = sms_context({})
    return build_request(connector, token.request, fields, ctx, with_auth=not auth_uses_token(connector))


def build_status_request(
    connector: Connector, fields: Mapping[str, Any], ctx: Mapping[str, Any]
) -> httpx.Request | None:
    """The polling request for one message (ctx["messageid"] = the provider's id); None if unsupported."""
    if connector.message_status is None:
        return None
    return build_request(connector, connector.message_status.request, fields, sms_context(ctx))


def build_outgoing_call_request(
    connector: Connector, fields: Mapping[str, Any], ctx: Mapping[str, Any]
) -> httpx.Request:
    """ctx: to_number, from_number, extension, callerid, email, user_phone_home and our callback URLs."""
    if connector.outgoing_call is None:
        raise BuildError("this connector cannot place calls")
    return build_request(connector, connector.outgoing_call.request, fields, ctx)
