"""Connector XML -> ``Connector`` model, or a list of errors with line:column.

Pipeline: hardened lxml parse (``xmlsafe``) -> positions (``locator``) -> validation
(``validator``) -> model building (here). Model building assumes a valid tree, which keeps it
free of error handling.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from .errors import ConnectorError, ConnectorInvalid
from .lenient import accept_typos
from .locator import Locator
from .model import (
    KIND_BY_ROOT,
    STATUS_RANGE,
    AnswerCallback,
    Attr,
    Auth,
    Connector,
    ErrorCodes,
    Field,
    Header,
    IncomingCall,
    MessageReceive,
    MessageSend,
    MessageStatus,
    OutgoingCall,
    Param,
    PathRef,
    Pos,
    Provider,
    Request,
    ResponseMap,
    SendResponse,
    Signature,
    StatusBranch,
    StatusCallback,
    Statuses,
    Token,
)
from .schema import KEY_ALIASES, LIST_KEYS
from .validator import elements, validate_tree
from .values import compile_template
from .xmlsafe import CONNECTOR_MAX_BYTES, parse_document


@dataclass
class ParseResult:
    connector: Connector | None
    errors: list[ConnectorError] = field(default_factory=list)
    warnings: list[ConnectorError] = field(default_factory=list)  # accepted, but worth fixing

    @property
    def ok(self) -> bool:
        return self.connector is not None and not self.errors


def parse_connector(
    source: str | bytes, *, name: str = "", max_bytes: int = CONNECTOR_MAX_BYTES
) -> ParseResult:
    """Parse and validate a connector; never raises for bad input."""
    root, errors = parse_document(source, max_bytes)
    if root is None:
        return ParseResult(None, errors)
    text = source if isinstance(source, str) else _decoded(source)
    locator = Locator(text, root)
    warnings = accept_typos(root, locator)
    errors = validate_tree(root, locator)
    if errors:
        return ParseResult(None, errors, warnings)
    return ParseResult(_Builder(name).connector(root), [], warnings)


# libxml2 reads UTF-16 and UTF-32 uploads by their byte order mark; positions are counted in
# the text it read (UTF-32 first: its little-endian mark starts with UTF-16's).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _decoded(source: bytes) -> str:
    codec = next((name for bom, name in _BOMS if source.startswith(bom)), "utf-8")
    return source.decode(codec, errors="replace")


def load_connector(source: str | bytes, *, name: str = "") -> Connector:
    """Like ``parse_connector`` but raises ``ConnectorInvalid`` (for built-ins and tests)."""
    result = parse_connector(source, name=name)
    if not result.ok:
        raise ConnectorInvalid(result.errors)
    assert result.connector is not None
    return result.connector


def load_connector_file(path: str | Path) -> Connector:
    path = Path(path)
    return load_connector(path.read_bytes(), name=path.stem)


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1", "yes")


class _Builder:
    def __init__(self, name: str):
        self.name = name

    def connector(self, root: etree._Element) -> Connector:
        kind = KIND_BY_ROOT[root.get("for", "")]
        callbacks = root.find("outgoing_call/callbacks")
        if callbacks is None:
            callbacks = root.find("callbacks")
        return Connector(
            kind=kind,
            name=root.get("name") or self.name,
            fields=tuple(self.field(f) for f in root.iterfind("config/fields/field")),
            provider=self.provider(root.find("provider")),
            message_send=self.message_send(root.find("message_send")),
            message_status=self.message_status(root.find("message_status"), root.find("message_send")),
            message_receive=self.message_receive(root.find("message_receive")),
            outgoing_call=self.outgoing_call(root.find("outgoing_call")),
            answer_callback=self.answer_callback(
                None if callbacks is None else callbacks.find("answer_callback")
            ),
            status_callback=self.status_callback(
                None if callbacks is None else callbacks.find("status_callback")
            ),
            incoming_call=self.incoming_call(root.find("incoming_call")),
            signature=self.signature(root.find("signature")),
        )

    @staticmethod
    def signature(el: etree._Element | None) -> Signature | None:
        if el is None:
            return None
        return Signature(
            header=el.get("header", "").strip(),
            key=compile_template(el.get("key", "")),
            algorithm=(el.get("algorithm") or "hmac-sha256").strip().lower(),
            encoding=(el.get("encoding") or "base64").strip().lower(),
            payload=(el.get("payload") or "body").strip().lower(),
            prefix=el.get("prefix") or "",
        )

    def field(self, el: etree._Element) -> Field:
        options = tuple((o.get("value") or o.text or "").strip() for o in el.iterfind("options/option"))
        return Field(
            name=el.get("name", ""),
            label=(el.get("label") or "").strip() or el.get("name", ""),
            type=(el.get("type") or "text").lower(),
            required=_truthy(el.get("required")) or (el.get("presence") or "").lower() == "mandatory",
            default=el.get("default"),
            options=options,
        )

    def provider(self, el: etree._Element) -> Provider:
        auth_el = el.find("auth")
        auth = None
        if auth_el is not None:
            basic, bearer = auth_el.find("basic"), auth_el.find("bearer")
            if basic is not None:
                auth = Auth(
                    "basic",
                    username=compile_template(basic.get("username", "")),
                    password=compile_template(basic.get("password", "")),
                )
            elif bearer is not None:
                auth = Auth("bearer", token=compile_template(bearer.get("token", "")))
        token_el = el.find("token")
        token = None
        if token_el is not None:
            ttl = (token_el.get("ttl") or "").strip()
            token = Token(
                request=self.request(token_el.find("request")),
                response=self.mapping(token_el.find("response")),
                ttl=int(ttl) if ttl else 3600,
            )
        return Provider(url=self.url(el.find("url")) or compile_template(""), auth=auth, token=token)

    @staticmethod
    def url(el: etree._Element | None):
        if el is None or not (el.text or "").strip():
            return None
        # Whitespace (and newlines around CDATA) is not part of a URL.
        return compile_template("".join((el.text or "").split()))

    def headers(self, el: etree._Element | None) -> tuple[Header, ...]:
        if el is None:
            return ()
        return tuple(
            Header(h.get("name", ""), compile_template(h.get("value", ""))) for h in el.iterfind("header")
        )

    def param(self, el: etree._Element) -> Param:
        children = tuple(self.param(c) for c in el.iterfind("parameter"))
        kind = (el.get("type") or ("object" if children else "string")).lower()
        value = el.get("value")
        attrs = tuple(
            Attr(a.get("name", ""), compile_template(a.get("value", ""))) for a in el.iterfind("attrs/attr")
        )
        return Param(
            name=el.get("name", ""),
            value=compile_template(value) if value is not None else None,
            type=kind,
            children=children,
            attrs=attrs,
            omit_empty=(el.get("omit_empty") or "").strip().lower() in ("true", "1", "yes"),
            charset=compile_template(el.get("charset", "")) if el.get("charset") else None,
        )

    def request(self, el: etree._Element) -> Request:
        params = el.find("parameters")
        return Request(
            method=(el.get("method") or "post").upper(),
            url=self.url(el.find("url")),
            headers=self.headers(el.find("headers")),
            params=tuple(self.param(p) for p in params.iterfind("parameter")) if params is not None else (),
            pos=Pos(el.sourceline or 0, 0),
        )

    @staticmethod
    def mapping(el: etree._Element | None, default_format: str = "json") -> ResponseMap:
        if el is None:
            return ResponseMap(format=default_format)
        fields: dict[str, PathRef] = {}
        messages = None
        for child in elements(el):
            if child.tag == "send_response":
                continue  # <message_receive> holds its reply beside the mapped values: not a value
            if child.tag in LIST_KEYS:
                messages = child.get("use") or None
                continue
            key = KEY_ALIASES.get(child.tag, child.tag)
            fields[key] = PathRef(
                use=child.get("use") or "",
                default=child.get("default"),
                fallback=child.get("fallback"),
                required=(child.get("required") or "").strip().lower() in ("true", "1", "yes"),
                charset=child.get("charset") or None,
                format=child.get("format"),
                timezone=(child.get("timezone") or "").strip() or None,
                prefix=child.get("prefix") or None,
            )
        return ResponseMap(
            format=(el.get("format") or default_format).lower(), fields=fields, messages=messages
        )

    @staticmethod
    def statuses(el: etree._Element | None) -> Statuses:
        groups: dict[str, str] = {}
        ranges: list[tuple[int, int, str]] = []
        if el is not None:
            for status in el.iterfind("status"):
                for attr, group in (
                    ("Processing", "processing"),
                    ("Delivered", "delivered"),
                    ("Failed", "failed"),
                    ("Retry", "retry"),
                    ("Ignore", "ignore"),
                ):
                    for value in (status.get(attr) or "").split(","):
                        bounds = STATUS_RANGE.match(value.strip())
                        if bounds:
                            ranges.append((int(bounds["low"]), int(bounds["high"]), group))
                        elif value.strip():
                            groups.setdefault(value.strip().lower(), group)
        unknown = (el.get("unknown") or "ignore").strip().lower() if el is not None else "ignore"
        return Statuses(groups, unknown, tuple(ranges))

    @staticmethod
    def errors(el: etree._Element | None) -> ErrorCodes:
        meanings: dict[str, str] = {}
        phrases: dict[str, str] = {}
        if el is not None:
            for error in el.iterfind("error"):
                means = (error.get("means") or "").strip().lower()
                for code in (error.get("codes") or "").split(","):
                    if code.strip():
                        meanings.setdefault(code.strip().lower(), means)
                for phrase in (error.get("contains") or "").split(","):
                    if phrase.strip():
                        phrases.setdefault(phrase.strip().lower(), means)
        return ErrorCodes(meanings, phrases)

    def message_send(self, el: etree._Element | None) -> MessageSend | None:
        if el is None:
            return None
        callback = el.find("callback")
        return MessageSend(
            request=self.request(el.find("request")),
            response=self.mapping(el.find("response")),
            statuses=self.statuses(el.find("statuses")),
            errors=self.errors(el.find("errors")),
            # Callbacks without a format are sniffed from the content type; "form" is the common case.
            callback=self.mapping(callback, "form") if callback is not None else None,
            split=compile_template(el.get("split", "")) if el.get("split") else None,
            callback_response=self.send_response(el.find("callback_response")),
        )

    def message_status(self, el: etree._Element | None, send: etree._Element | None) -> MessageStatus | None:
        if el is None:
            return None
        statuses, errors = el.find("statuses"), el.find("errors")
        if statuses is None and send is not None:
            statuses = send.find("statuses")  # the send statuses are the natural fallback
        if errors is None and send is not None:
            errors = send.find("errors")
        return MessageStatus(
            request=self.request(el.find("request")),
            response=self.mapping(el.find("response")),
            statuses=self.statuses(statuses),
            errors=self.errors(errors),
        )

    def send_response(self, el: etree._Element | None) -> SendResponse | None:
        if el is None:
            return None
        params = el.find("parameters")
        return SendResponse(
            format=(el.get("format") or "xml").lower(),
            root=el.get("root") or "Response",
            headers=self.headers(el.find("headers")),
            params=tuple(self.param(p) for p in params.iterfind("parameter")) if params is not None else (),
            agentdialing=el.get("agentdialing"),
        )

    def message_receive(self, el: etree._Element | None) -> MessageReceive | None:
        if el is None:
            return None
        return MessageReceive(
            mapping=self.mapping(el, "form"), send_response=self.send_response(el.find("send_response"))
        )

    def outgoing_call(self, el: etree._Element | None) -> OutgoingCall | None:
        if el is None:
            return None
        return OutgoingCall(
            request=self.request(el.find("request")), response=self.mapping(el.find("response"))
        )

    def answer_callback(self, el: etree._Element | None) -> AnswerCallback | None:
        if el is None:
            return None
        return AnswerCallback(
            response=self.mapping(el.find("response"), "form"),
            send_response=self.send_response(el.find("send_response")),
        )

    def status_callback(self, el: etree._Element | None) -> StatusCallback | None:
        if el is None:
            return None
        branches = tuple(
            StatusBranch(
                values=tuple(v.strip().lower() for v in (b.get("for") or "").split(",") if v.strip()),
                response=self.mapping(b.find("response"), "form"),
            )
            for b in el.iterfind("status")
        )
        return StatusCallback(use=el.get("use", ""), branches=branches)

    def incoming_call(self, el: etree._Element | None) -> IncomingCall | None:
        if el is None:
            return None
        return IncomingCall(
            response=self.mapping(el.find("response"), "form"),
            send_response=self.send_response(el.find("send_response")),
        )
