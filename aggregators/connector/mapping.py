"""Map provider answers and callbacks onto our message/call vocabulary.

SMS: send/poll answers -> ``SendResult``; delivery callbacks -> ``CallbackItem`` list; inbound
messages -> ``InboundMessage`` list. Phone: outgoing-call answers -> ``CallResult``; answer,
status and incoming callbacks -> ``CallEvent``. ``render_send_response`` builds reply bodies.
Bad payloads raise ``PayloadError`` (the views answer 4xx with its message).
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_to_bytes
from zoneinfo import ZoneInfo

import httpx
from lxml import etree

from .errors import PayloadError
from .model import Connector, ErrorCodes, Param, PathRef, ResponseMap, SendResponse, Statuses, Token
from .payload import MISSING, Payload, load, scalar
from .values import as_text, known_charset

XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'

# --- generic mapping -------------------------------------------------------------------------


def items_of(mapping: ResponseMap, payload: Payload) -> list[Any]:
    """The per-recipient (or per-callback) items: ``<messages use>``, a top-level list, or the whole."""
    if payload.text:
        return [MISSING]  # one plain-text answer: every path is searched in the whole of it
    if mapping.messages:
        found = payload.get(mapping.messages)
        if isinstance(found, list):
            return found or [MISSING]
        return [found]
    if isinstance(payload.data, list):
        return payload.data or [MISSING]
    return [payload.data]


def map_item(mapping: ResponseMap, payload: Payload, item: Any) -> dict[str, str | None]:
    """Read every mapped key for one item; paths missing in the item fall back to the whole payload."""
    out: dict[str, str | None] = {}
    for key, ref in mapping.fields.items():
        value: Any = MISSING
        if ref.use:
            if item is not MISSING and not isinstance(item, dict | list) and key in ("message_id", "call_id"):
                value = item  # a list of plain values is a list of ids
            elif item is not MISSING and item is not payload.data:
                value = payload.get(ref.use, item)
            if value is MISSING:
                value = payload.get(ref.use)
        text = scalar(value)
        if text in (None, "") and ref.fallback:
            found = (
                payload.get(ref.fallback, item)
                if item is not MISSING and item is not payload.data
                else MISSING
            )
            text = scalar(payload.get(ref.fallback) if found is MISSING else found)
        if text and ref.charset:
            charset = scalar(
                payload.get(ref.charset, item) if item is not MISSING else payload.get(ref.charset)
            )
            text = decode_charset(text, charset)
        out[key] = text if text not in (None, "") else ref.default
    if item is not MISSING and not isinstance(item, dict | list) and "message_id" not in mapping.fields:
        out["message_id"] = scalar(item)  # <messages use> pointing at a list of plain ids
    return out


def decode_charset(text: str, charset: str | None) -> str:
    """Text a provider sent in another charset than UTF-8, decoded.

    Clickatell posts ISO-8859-1 (`hello%21`) and UTF-16BE (`%00h%00i`) text as percent-encoded
    bytes, naming the charset beside it. Jasmin names an SMPP data coding instead: `0` is GSM
    03.38, its septets posted one a character. A charset we do not know leaves the text as sent.
    """
    name = (charset or "").strip()
    if name.isdigit() or name.lower() in ("gsm7", "gsm-7"):
        if name.isdigit() and int(name) != 0:
            return text  # other data codings arrive as text already
        from smsc.gsm import gsm7_decode

        if any(ord(ch) > 0x7F for ch in text):
            return text  # not septets: a provider that sent text after all
        return gsm7_decode(text.encode("ascii"))
    if not name or not known_charset(name) or codecs.lookup(name).name == "utf-8":
        return text
    raw = unquote_to_bytes(text.replace("+", " "))
    return raw.decode(name, errors="replace")


# --- SMS send / poll -------------------------------------------------------------------------


@dataclass
class SendResult:
    status: str  # processing | delivered | failed
    external_id: str | None = None
    external_ids: list[str] = field(default_factory=list)
    raw_status: str | None = None
    to: str | None = None
    error: str | None = None
    error_code: str | None = None
    http_status: int = 0
    retryable: bool = False  # 429/5xx, a Retry status or error code: retry rather than fail
    opted_out: bool = False  # an error code the connector says means "the recipient opted out"

    @property
    def ok(self) -> bool:
        return self.status != "failed"


def _snippet(body: bytes) -> str:
    return body[:200].decode("utf-8", errors="replace").strip()


def map_answer(
    mapping: ResponseMap,
    statuses: Statuses,
    status_code: int,
    content_type: str,
    body: bytes,
    errors: ErrorCodes | None = None,
) -> SendResult:
    """Shared by send and poll answers."""
    http_failed = status_code >= 400
    retryable = status_code == 429 or status_code >= 500
    if not http_failed and not mapping.fields and not mapping.messages:
        # A response that maps nothing: any 2xx is an acceptance, whatever its body says
        # (Play Mobile answers "Request is received" as plain text).
        return SendResult("processing", http_status=status_code)
    if not body.strip():
        if http_failed:
            return SendResult(
                "failed", error=f"HTTP {status_code}", http_status=status_code, retryable=retryable
            )
        return SendResult("processing", http_status=status_code)
    try:
        payload = load(body, content_type, mapping.format)
    except PayloadError as exc:
        reason = f"HTTP {status_code}: {_snippet(body)}" if http_failed else f"unreadable answer: {exc}"
        # An unreadable 2xx answer may still mean the provider took the message: errored and
        # retried like courier's "unparseable response", not failed for good.
        retryable = retryable or not http_failed
        return SendResult("failed", error=reason, http_status=status_code, retryable=retryable)
    items = items_of(mapping, payload)
    first = map_item(mapping, payload, items[0])
    ids = [i for i in (map_item(mapping, payload, it).get("message_id") for it in items) if i]
    raw_status = first.get("message_status")
    group = statuses.lookup(raw_status)  # None: no status, or one in no group
    error, code = first.get("error_message"), first.get("error_code")
    meaning = (errors or ErrorCodes()).meaning(code, error)
    result = SendResult(
        status="processing" if group == "retry" else statuses.normalise(raw_status),
        external_id=ids[0] if ids else None,
        external_ids=ids,
        raw_status=raw_status,
        to=first.get("message_to"),
        error=None,
        error_code=code,
        http_status=status_code,
        retryable=retryable,
    )
    missing = [key for key, ref in mapping.fields.items() if ref.required and not first.get(key)]
    if http_failed:
        result.status = "failed"
        result.error = error or f"HTTP {status_code}: {_snippet(body)}"
    elif missing and group != "failed" and meaning is None and not error:
        # Neither a status nor an error text says the provider refused it: an answer without a
        # required value is unreadable, the message may be on its way or not, so it is retried.
        ref = mapping.fields[missing[0]]
        result.status, result.retryable = "failed", True
        result.error = f"answer has no {missing[0]} at '{ref.use}': {_snippet(body)}"
    elif (
        group is None
        and statuses.unknown in ("retry", "fail")
        and "message_status" in mapping.fields
        and meaning is None
    ):
        # <statuses unknown="retry|fail">: only listed statuses are an acceptance; anything else in
        # a 2xx answer is unreadable (courier's "invalid response content", errored and retried) or
        # a refusal the provider has no list of (failed for good).
        result.status, result.retryable = "failed", statuses.unknown == "retry"
        result.error = error or f"unexpected answer: {_snippet(body)}"
    elif group == "retry" or meaning == "retry":
        # Refused for now inside an HTTP 200 (throttling): errored and retried, not failed for good.
        result.status, result.retryable = "failed", True
        result.error = error or f"provider status {raw_status}"
    elif meaning in ("opted_out", "failed"):
        result.status, result.error = "failed", error or f"provider error code {code}"
    elif error and group in (None, "failed"):
        # An error text fails the send only when no status says otherwise: providers describe
        # successes too (Infobip's status.description, Africa's Talking's "Success").
        result.status, result.error = "failed", error
    elif result.status == "failed":
        result.error = f"provider status {raw_status}"
    if meaning == "retry":
        result.retryable = True
    if meaning == "opted_out":
        result.status, result.opted_out, result.retryable = "failed", True, False
        result.error = result.error or f"the recipient opted out (code {code})"
    if result.error and code and code not in result.error:
        result.error = f"{result.error} (code {code})"
    return result


def map_send_response(connector: Connector, response: httpx.Response) -> SendResult:
    send = connector.message_send
    if send is None:
        raise ValueError("connector has no <message_send>")
    return map_answer(
        send.response,
        send.statuses,
        response.status_code,
        response.headers.get("content-type", ""),
        response.content,
        send.errors,
    )


def map_status_response(connector: Connector, response: httpx.Response) -> SendResult:
    poll = connector.message_status
    if poll is None:
        raise ValueError("connector has no <message_status>")
    return map_answer(
        poll.response,
        poll.statuses,
        response.status_code,
        response.headers.get("content-type", ""),
        response.content,
        poll.errors,
    )


@dataclass
class TokenAnswer:
    """The provider's answer to a `<token>` request: the token and how long it lives, or why not."""

    token: str | None
    expires_in: int
    error: str | None = None
    retryable: bool = False


def map_token_response(token: Token, response: httpx.Response) -> TokenAnswer:
    """Read `access_token` (and `expires_in`, else the `ttl`) from a token answer.

    A 4xx answer fails the message like a refused send; 429, 5xx and a 2xx answer without a
    token are retried (the credentials may be fine, the provider not).
    """
    status = response.status_code
    if status >= 400:
        retry = status == 429 or status >= 500
        return TokenAnswer(
            None, 0, f"token request answered HTTP {status}: {_snippet(response.content)}", retry
        )
    try:
        payload = load(response.content, response.headers.get("content-type", ""), token.response.format)
    except PayloadError as exc:
        return TokenAnswer(None, 0, f"unreadable token answer: {exc}", True)
    values = map_item(token.response, payload, payload.data)
    found = values.get("access_token")
    if not found:
        path = token.response.fields["access_token"].use
        return TokenAnswer(
            None, 0, f"token answer has no access_token at '{path}': {_snippet(response.content)}", True
        )
    lifetime = str(values.get("expires_in") or "").strip()
    return TokenAnswer(found, int(lifetime) if lifetime.isdigit() and int(lifetime) > 0 else token.ttl)


# --- SMS callbacks and inbound ---------------------------------------------------------------


@dataclass
class CallbackItem:
    message_id: str
    # processing | delivered | failed | unknown (in no group: log it, change nothing) | ignored
    # (listed as changing nothing: <status Ignore>)
    status: str
    raw_status: str | None
    error: str | None
    raw: Any
    opted_out: bool = False


def parse_callback(
    connector: Connector, *, body: bytes = b"", content_type: str = "", query: str = ""
) -> list[CallbackItem]:
    """A delivery callback (GET query, form, JSON or XML; one object or a batch)."""
    send = connector.message_send
    if send is None or send.callback is None:
        raise PayloadError("this connector has no <callback>")
    mapping = send.callback
    payload = load(body, content_type, mapping.format, query)
    out: list[CallbackItem] = []
    for item in items_of(mapping, payload):
        values = map_item(mapping, payload, item)
        message_id = values.get("message_id")
        if not message_id:
            continue
        raw_status = values.get("message_status")
        structured = item is MISSING or isinstance(item, dict | list)  # not a list of bare ids
        if raw_status is None and "message_status" in mapping.fields and structured:
            raise PayloadError(f"callback has no status at '{mapping.fields['message_status'].use}'")
        group = send.statuses.lookup(raw_status)
        if group is None and send.statuses and raw_status is not None:
            if send.statuses.unknown in ("reject", "fail"):  # "fail": the list is complete
                raise PayloadError(f"unknown status '{raw_status}'")
            status = "unknown"
        elif group == "ignore":  # listed as changing nothing: ignored without a warning
            status = "ignored"
        else:
            status = "failed" if group == "retry" else send.statuses.normalise(raw_status)
        meaning = send.errors.meaning(values.get("error_code"), values.get("error_message"))
        if meaning in ("opted_out", "failed"):
            status = "failed"
        # Providers often send an error object on success too ("No Error"): only failures carry one.
        error = values.get("error_message") if status == "failed" else None
        if error and values.get("error_code"):
            error = f"{error} (code {values['error_code']})"
        elif not error and values.get("error_code") and status == "failed":
            error = f"error code {values['error_code']}"
        out.append(
            CallbackItem(
                message_id,
                status,
                raw_status,
                error,
                None if item is MISSING else item,
                meaning == "opted_out",
            )
        )
    if not out:
        ref = mapping.fields.get("message_id")
        path = (ref.use + (f"' or '{ref.fallback}" if ref.fallback else "")) if ref else "(unmapped)"
        raise PayloadError(f"callback has no message id at '{path}'")
    return out


@dataclass
class InboundMessage:
    sender: str
    text: str
    to: str | None
    external_id: str | None
    date: str | None
    raw: Any
    attachments: list[str] = field(default_factory=list)


def _numbered(payload: Payload, item: Any, use: str) -> list[str]:
    """Values of `use`: a list, one value, or numbered fields `Name0, Name1…` for `Name*`."""
    base = item if isinstance(item, dict) else payload.data
    if use.endswith("*"):
        prefix = use[:-1]
        if not isinstance(base, dict):
            return []
        numbered = [(k[len(prefix) :], v) for k, v in base.items() if k.startswith(prefix)]
        ordered = sorted((int(n), v) for n, v in numbered if n.isdigit())
        return [str(scalar(v)) for _n, v in ordered if scalar(v)]
    found = payload.get(use, item) if item is not MISSING else MISSING
    if found is MISSING:
        found = payload.get(use)
    if isinstance(found, list):
        return [str(scalar(v)) for v in found if scalar(v)]
    text = scalar(found)
    return [text] if text else []


def _attachments(mapping: ResponseMap, payload: Payload, item: Any) -> list[str]:
    ref = mapping.fields.get("attachments")
    if ref is None or not ref.use:
        return []
    urls = _numbered(payload, item, ref.use)
    if not urls and ref.fallback:
        urls = _numbered(payload, item, ref.fallback)
    types_ref = mapping.fields.get("attachment_types")
    types = _numbered(payload, item, types_ref.use) if types_ref is not None and types_ref.use else []
    # Stored as RapidPro stores attachments: `<content type>:<url>`.
    return [f"{types[i]}:{url}" if i < len(types) and "/" in types[i] else url for i, url in enumerate(urls)]


def _formatted_date(text: str, ref: PathRef) -> str:
    """A provider date in its own format (`<date format=... timezone=...>`), as ISO 8601."""
    try:
        parsed = datetime.strptime(text.strip(), ref.format or "")
    except ValueError:
        raise PayloadError(f"invalid date {text!r}: expected the format {ref.format!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(ref.timezone) if ref.timezone else UTC)
    return parsed.isoformat()


def parse_receive(
    connector: Connector, *, body: bytes = b"", content_type: str = "", query: str = ""
) -> list[InboundMessage]:
    receive = connector.message_receive
    if receive is None:
        raise PayloadError("this connector does not receive messages")
    mapping = receive.mapping
    payload = load(body, content_type, mapping.format, query)
    if mapping.messages and (payload.get(mapping.messages) == [] or payload.data in ("", None)):
        # An empty batch (`[]`, or an XML document element with nothing inside): nothing to store,
        # the view answers it as ignored. A batch under another name stays a 400 (no sender).
        return []
    out = []
    for item in items_of(mapping, payload):
        values = map_item(mapping, payload, item)
        for key, ref in mapping.fields.items():  # prefix="tel:": required on the value, then removed
            value = values.get(key)
            if ref.prefix and value:
                if not value.lower().startswith(ref.prefix.lower()):
                    raise PayloadError(
                        f"inbound {key} {value!r} at '{ref.use}' does not start with '{ref.prefix}'"
                    )
                values[key] = value[len(ref.prefix) :]
        if not values.get("from"):
            path = mapping.fields["from"].use if "from" in mapping.fields else "(unmapped)"
            raise PayloadError(f"inbound message has no sender at '{path}'")
        for key, ref in mapping.fields.items():  # required="true": a message without it is refused
            if ref.required and not values.get(key):
                path = ref.use + (f"' or '{ref.fallback}" if ref.fallback else "")
                raise PayloadError(f"inbound message has no {key} at '{path}'")
        attachments = _attachments(mapping, payload, item)
        if "text" in mapping.fields and values.get("text") is None and not attachments:
            raise PayloadError(f"inbound message has no text at '{mapping.fields['text'].use}'")
        if values.get("date") and mapping.fields["date"].format:
            values["date"] = _formatted_date(values["date"] or "", mapping.fields["date"])
        out.append(
            InboundMessage(
                sender=values["from"] or "",
                text=values.get("text") or "",
                to=values.get("to"),
                external_id=values.get("message_id"),
                date=values.get("date"),
                raw=None if item is MISSING else item,
                attachments=attachments,
            )
        )
    return out


# --- phone -----------------------------------------------------------------------------------

CALL_STATUSES = ("ringing", "in-progress", "completed", "busy", "no-answer", "failed", "canceled")
_CALL_SYNONYMS = {
    "queued": "ringing",
    "initiated": "ringing",
    "ring": "ringing",
    "answered": "in-progress",
    "in progress": "in-progress",
    "inprogress": "in-progress",
    "hangup": "completed",
    "complete": "completed",
    "noanswer": "no-answer",
    "notanswered": "no-answer",
    "not answered": "no-answer",
    "no answer": "no-answer",
    "cancelled": "canceled",
    "error": "failed",
}
_FAILED_VALUES = ("false", "0", "no", "error", "failed", "failure", "fail")

# Named call fields; anything else a mapping names is kept in ``CallEvent.data``.
CALL_FIELDS = (
    "call_id", "call_status", "to_number", "from_number", "user_number", "direction", "duration",
    "starttime", "endtime", "recordingurl", "gateway", "billrate", "error_message",
)  # fmt: skip


def normalise_call_status(raw: str | None) -> str | None:
    """Our call lifecycle value, or None when unknown (the raw value is kept by the caller)."""
    if not raw:
        return None
    key = raw.strip().lower()
    if key in CALL_STATUSES:
        return key
    return _CALL_SYNONYMS.get(key)


@dataclass
class CallEvent:
    call_id: str
    call_status: str | None  # normalised lifecycle value
    raw_status: str | None
    values: dict[str, str | None]  # every mapped value, named fields and extra call data
    raw: Any
    branch_matched: bool = True

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    @property
    def data(self) -> dict[str, str | None]:
        """Mapped values that are not named call fields (uui, campaign_name, ...)."""
        return {k: v for k, v in self.values.items() if k not in CALL_FIELDS}

    def context(self) -> dict[str, str]:
        """Runtime variables for a send_response reply (``@to_number``, ``@call_id`` ...)."""
        return {k: v for k, v in self.values.items() if v is not None}


def _call_event(
    mapping: ResponseMap, payload: Payload, raw_status: str | None, matched: bool = True
) -> CallEvent:
    values = map_item(mapping, payload, payload.data)
    call_id = values.get("call_id")
    if not call_id:
        path = mapping.fields["call_id"].use if "call_id" in mapping.fields else "(unmapped)"
        raise PayloadError(f"call callback has no call id at '{path}'")
    raw = values.get("call_status") or raw_status
    values["call_status"] = raw
    return CallEvent(call_id, normalise_call_status(raw), raw, values, payload.data, matched)


def _phone_payload(
    connector: Connector, declared: str, body: bytes, content_type: str, query: str
) -> Payload:
    if connector.kind != "phone":
        raise PayloadError("not a phone connector")
    return load(body, content_type, declared, query)


def map_answer_callback(
    connector: Connector, *, body: bytes = b"", content_type: str = "", query: str = ""
) -> CallEvent:
    section = connector.answer_callback
    if section is None:
        raise PayloadError("this connector has no <answer_callback>")
    payload = _phone_payload(connector, section.response.format, body, content_type, query)
    return _call_event(section.response, payload, None)


def map_incoming_call(
    connector: Connector, *, body: bytes = b"", content_type: str = "", query: str = ""
) -> CallEvent:
    section = connector.incoming_call
    if section is None:
        raise PayloadError("this connector has no <incoming_call>")
    payload = _phone_payload(connector, section.response.format, body, content_type, query)
    return _call_event(section.response, payload, None)


def map_status_callback(
    connector: Connector, *, body: bytes = b"", content_type: str = "", query: str = ""
) -> CallEvent:
    """Pick the ``<status for=...>`` branch by the value at ``use`` and map with its response."""
    section = connector.status_callback
    if section is None or not section.branches:
        raise PayloadError("this connector has no <status_callback>")
    payload = _phone_payload(connector, section.branches[0].response.format, body, content_type, query)
    raw_status = scalar(payload.get(section.use))
    if raw_status is None:
        raise PayloadError(f"status callback has no status at '{section.use}'")
    branch = section.branch_for(raw_status)
    if branch is None:
        # No branch for this status: still record it, using the first branch's ids.
        return _call_event(section.branches[0].response, payload, raw_status, matched=False)
    event = _call_event(branch.response, payload, raw_status)
    return event


@dataclass
class CallResult:
    ok: bool
    call_id: str | None
    call_status: str | None
    raw_status: str | None
    error: str | None
    values: dict[str, str | None]
    http_status: int


def map_outgoing_call_response(connector: Connector, response: httpx.Response) -> CallResult:
    section = connector.outgoing_call
    if section is None:
        raise ValueError("connector has no <outgoing_call>")
    code, body = response.status_code, response.content
    values: dict[str, str | None] = {}
    error: str | None = None
    try:
        payload = (
            load(body, response.headers.get("content-type", ""), section.response.format)
            if body.strip()
            else None
        )
    except PayloadError as exc:
        payload, error = None, f"unreadable answer: {exc}"
    if payload is not None:
        values = map_item(section.response, payload, payload.data)
    success = values.get("success")
    provider_error = values.get("error_message")  # <error use> (normalised name)
    if code >= 400:
        ok = False
        error = provider_error or f"HTTP {code}: {_snippet(body)}"
    elif error:
        ok = False
    elif success is not None:
        ok = success.strip().lower() not in _FAILED_VALUES
        error = None if ok else (provider_error or f"provider answered {success}")
    else:
        error = provider_error
        ok = not error
    raw = values.get("call_status")
    return CallResult(ok, values.get("call_id"), normalise_call_status(raw), raw, error, values, code)


# --- reply bodies ----------------------------------------------------------------------------


def _json_value(param: Param, fields: Mapping[str, Any], ctx: Mapping[str, Any]) -> Any:
    """A parameter as JSON: a plain value, or an object when it has attributes or children.

    Attributes are kept as keys of that object (as XML keeps them on the element), children
    after them; a value beside attributes goes under "value". Dropping them silently would
    lose e.g. a Dial's status callback URL when the provider wants JSON.
    """
    if not param.children and not param.attrs:
        return as_text(param.value.render(fields, ctx)) if param.value is not None else ""
    body: dict[str, Any] = {a.name: a.value.render_str(fields, ctx) for a in param.attrs}
    for child in param.children:
        body[child.name] = _json_value(child, fields, ctx)
    if param.value is not None and param.attrs:
        body["value"] = as_text(param.value.render(fields, ctx))
    return body


def _xml_element(
    parent: etree._Element, param: Param, fields: Mapping[str, Any], ctx: Mapping[str, Any]
) -> None:
    el = etree.SubElement(parent, param.name)
    for attr in param.attrs:
        el.set(attr.name, attr.value.render_str(fields, ctx))
    if param.value is not None:
        el.text = param.value.render_str(fields, ctx)
    for child in param.children:
        _xml_element(el, child, fields, ctx)


def render_send_response(
    send_response: SendResponse, fields: Mapping[str, Any], ctx: Mapping[str, Any]
) -> tuple[bytes, str]:
    """The reply body and its content type, e.g. TwiML ``<Response><Dial ...>``."""
    if send_response.format == "text":  # the parameters' values, one after the other
        text = "".join(
            as_text(p.value.render(fields, ctx)) for p in send_response.params if p.value is not None
        )
        return text.encode(), send_response.content_type()
    if send_response.format == "json":
        body = {p.name: _json_value(p, fields, ctx) for p in send_response.params}
        return json.dumps(
            body, ensure_ascii=False, separators=(",", ":")
        ).encode(), send_response.content_type()
    root = etree.Element(send_response.root)
    for param in send_response.params:
        _xml_element(root, param, fields, ctx)
    return XML_DECLARATION + etree.tostring(
        root, encoding="UTF-8", xml_declaration=False
    ), send_response.content_type()
