"""The connector language as typed dataclasses.

The parser builds these from a *validated* XML tree, so consumers can rely on the shapes
(e.g. a ``Request`` always has a method, every ``Template`` compiled). Positions are kept on
the nodes that are useful to point at later (test console, runtime errors).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .values import Template

KIND_BY_ROOT = {"SMSNotifier": "sms", "PhoneCalls": "phone"}
FIELD_TYPES = ("text", "password", "url", "picklist")
METHODS = ("get", "post", "put", "patch", "delete")
RESPONSE_FORMATS = ("json", "xml", "form")
# Send/poll answers and delivery callbacks may also be plain text read with regular expressions
# ("Success \"id\"", "0: Accepted for delivery"): gateways older than JSON answer that way.
SMS_RESPONSE_FORMATS = RESPONSE_FORMATS + ("text",)
SEND_RESPONSE_FORMATS = ("xml", "json", "text")
STATUS_GROUPS = ("processing", "delivered", "failed")
SIGNATURE_ALGORITHMS = ("hmac-sha1", "hmac-sha256", "hmac-sha512")
SIGNATURE_ENCODINGS = ("base64", "hex")
# What is signed: "url-params" = the full public URL + form params sorted by name, each name
# followed by its value (Twilio's scheme); "body" = the raw request body.
SIGNATURE_PAYLOADS = ("url-params", "body")


@dataclass(frozen=True)
class Pos:
    line: int
    column: int


@dataclass(frozen=True)
class Field:
    """A config field; together they generate the add-channel form."""

    name: str
    label: str
    type: str = "text"
    required: bool = False
    default: str | None = None
    options: tuple[str, ...] = ()

    @property
    def secret(self) -> bool:
        # Masked everywhere after saving.
        return self.type == "password"

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "label": self.label or self.name,
            "type": self.type,
            "required": self.required,
            "default": self.default,
            "options": list(self.options),
            "secret": self.secret,
        }


@dataclass(frozen=True)
class Auth:
    kind: str  # "basic" | "bearer"
    username: Template | None = None
    password: Template | None = None
    token: Template | None = None


@dataclass(frozen=True)
class Signature:
    """How the provider signs the webhooks it sends us (``<signature>``), checked when a channel
    turns on signature checking: HMAC of ``payload`` keyed by ``key`` (a config field), encoded,
    optionally prefixed (e.g. ``sha256=``), in ``header``."""

    header: str
    key: Template
    algorithm: str = "hmac-sha256"
    encoding: str = "base64"
    payload: str = "body"
    prefix: str = ""


@dataclass(frozen=True)
class Provider:
    url: Template
    auth: Auth | None = None
    token: Token | None = None


@dataclass(frozen=True)
class Header:
    name: str
    value: Template


@dataclass(frozen=True)
class Attr:
    name: str
    value: Template


@dataclass(frozen=True)
class Param:
    """A request parameter or a send_response element.

    ``children`` make a JSON object (or a nested XML element); ``type`` is one of
    string|number|boolean|array|object; ``attrs`` are only used by XML send_response bodies.
    """

    name: str
    value: Template | None = None
    type: str = "string"
    children: tuple[Param, ...] = ()
    attrs: tuple[Attr, ...] = ()
    # omit_empty="true": left out of the request when the value renders empty (a parameter only
    # some messages carry, e.g. a coding flag for Unicode text).
    omit_empty: bool = False
    # charset="utf-16be" (a template): the form/query value is sent as bytes of that charset,
    # percent-encoded byte by byte (gateways such as Kannel take UCS-2 text that way).
    charset: Template | None = None


@dataclass(frozen=True)
class Request:
    method: str
    url: Template | None
    headers: tuple[Header, ...] = ()
    params: tuple[Param, ...] = ()
    pos: Pos = Pos(0, 0)

    def content_type(self) -> str:
        for h in self.headers:
            if h.name.lower() == "content-type":
                return h.value.source.strip()
        return ""


@dataclass(frozen=True)
class Token:
    """``<provider><token>``: the request fetching an access token before sending (``@token``).

    ``response`` maps ``access_token`` (required) and ``expires_in`` (seconds); ``ttl`` is the
    lifetime when the answer gives none.
    """

    request: Request
    response: ResponseMap
    ttl: int = 3600


@dataclass(frozen=True)
class PathRef:
    """``<message_id use="a.b.0.c" default="x"/>``: where to read one value."""

    use: str
    default: str | None = None
    # Read when `use` finds nothing: e.g. Plivo reports parts under ParentMessageUUID, single
    # messages under MessageUUID only.
    fallback: str | None = None
    # required="true" on a send/poll answer: a 2xx answer without the value is not an acceptance
    # (courier's "unreadable answer"): errored and retried, since the provider may have sent it.
    required: bool = False
    # charset="charset": the path of a charset name sent beside the value; when it names another
    # charset than UTF-8, the value is that charset's bytes percent-encoded (Clickatell) and is decoded.
    charset: str | None = None
    # <message_receive><date format="%Y-%m-%d%H:%M:%S" timezone="Asia/Kuala_Lumpur">: a date that
    # is not ISO 8601, read with strptime directives, in that zone when it names none.
    format: str | None = None
    timezone: str | None = None
    # <message_receive><from prefix="tel:">: the value must start with it; it is removed.
    prefix: str | None = None


@dataclass(frozen=True)
class ResponseMap:
    """A mapping from our names (message_id, call_status, ...) to paths in a payload.

    ``messages`` is the ``<messages use>``/``<message_responses use>`` path to a list of
    per-recipient (or per-callback) items.
    """

    format: str = "json"
    fields: dict[str, PathRef] = field(default_factory=dict)
    messages: str | None = None


# A numeric range in a status group: Failed="21-999" (Dart reports every code above 20 as failed).
STATUS_RANGE = re.compile(r"^(?P<low>\d+)-(?P<high>\d+)$")


@dataclass(frozen=True)
class Statuses:
    """Provider status value (lower-cased) -> processing|delivered|failed."""

    groups: dict[str, str] = field(default_factory=dict)
    # a status in no group: "ignore" (log it), "reject" (answer 400), in send/poll answers
    # "retry" (errored) or "fail" (failed); a callback treats "retry" as "ignore", "fail" as "reject".
    unknown: str = "ignore"
    ranges: tuple[tuple[int, int, str], ...] = ()

    def normalise(self, raw: str | None) -> str:
        # an Ignore status in a send or poll answer: the provider has the message, nothing more
        found = self.lookup(raw)
        return "processing" if found in (None, "ignore") else found

    def lookup(self, raw: str | None) -> str | None:
        """The group of a provider status (processing|delivered|failed|retry|ignore), None if in none."""
        if raw is None:
            return None
        key = str(raw).strip().lower()
        found = self.groups.get(key)
        if found is None and key.isdigit() and key == str(int(key)):  # "001" is a code, not 1
            found = next((group for low, high, group in self.ranges if low <= int(key) <= high), None)
        return found

    def __bool__(self) -> bool:
        return bool(self.groups or self.ranges)


@dataclass(frozen=True)
class SendResponse:
    """A reply body generated for a provider's webhook (TwiML-like XML, or JSON)."""

    format: str = "xml"
    root: str = "Response"
    headers: tuple[Header, ...] = ()
    params: tuple[Param, ...] = ()
    agentdialing: str | None = None  # kept from the Vtiger language; informational

    def content_type(self) -> str:
        for h in self.headers:
            if h.name.lower() == "content-type":
                return h.value.source.strip()
        return {"json": "application/json", "text": "text/plain"}.get(self.format, "text/xml")


ERROR_MEANINGS = ("opted_out", "retry", "failed")


@dataclass
class ErrorCodes:
    """Provider error code -> what it means for us: opted_out | retry | failed."""

    meanings: dict[str, str] = field(default_factory=dict)
    # <error contains="BLACKLISTED">: a phrase inside the error text, for providers that put the
    # reason in a sentence (Yo!'s "256794224665:BLACKLISTED") rather than a code of its own.
    phrases: dict[str, str] = field(default_factory=dict)

    def meaning(self, code: str | None, text: str | None = None) -> str | None:
        found = self.meanings.get(str(code).strip().lower()) if code is not None else None
        if found is None and text and self.phrases:
            low = text.lower()
            found = next((means for phrase, means in self.phrases.items() if phrase in low), None)
        return found


@dataclass(frozen=True)
class MessageSend:
    request: Request
    response: ResponseMap
    statuses: Statuses
    callback: ResponseMap | None = None
    errors: ErrorCodes = field(default_factory=ErrorCodes)
    # Characters a part (a template: a number or a config field); None: one request per message.
    split: Template | None = None
    # <callback_response>: what an accepted delivery report is answered with (else our JSON receipt).
    callback_response: SendResponse | None = None


@dataclass(frozen=True)
class MessageStatus:
    request: Request
    response: ResponseMap
    statuses: Statuses
    errors: ErrorCodes = field(default_factory=ErrorCodes)


@dataclass(frozen=True)
class MessageReceive:
    mapping: ResponseMap
    send_response: SendResponse | None = None


@dataclass(frozen=True)
class StatusBranch:
    values: tuple[str, ...]  # lower-cased
    response: ResponseMap


@dataclass(frozen=True)
class StatusCallback:
    use: str
    branches: tuple[StatusBranch, ...]

    def branch_for(self, raw: str | None) -> StatusBranch | None:
        key = (raw or "").strip().lower()
        for branch in self.branches:
            if key in branch.values:
                return branch
        return None


@dataclass(frozen=True)
class AnswerCallback:
    response: ResponseMap
    send_response: SendResponse | None = None


@dataclass(frozen=True)
class OutgoingCall:
    request: Request
    response: ResponseMap


@dataclass(frozen=True)
class IncomingCall:
    response: ResponseMap
    send_response: SendResponse | None = None


@dataclass(frozen=True)
class Connector:
    kind: str  # "sms" | "phone"
    fields: tuple[Field, ...]
    provider: Provider
    name: str = ""
    message_send: MessageSend | None = None
    message_status: MessageStatus | None = None
    message_receive: MessageReceive | None = None
    outgoing_call: OutgoingCall | None = None
    answer_callback: AnswerCallback | None = None
    status_callback: StatusCallback | None = None
    incoming_call: IncomingCall | None = None
    signature: Signature | None = None

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def signature_summary(self) -> dict[str, str] | None:
        s = self.signature
        if s is None:
            return None
        return {"header": s.header, "algorithm": s.algorithm, "encoding": s.encoding, "payload": s.payload}

    def form_fields(self) -> list[dict[str, object]]:
        return [f.as_dict() for f in self.fields]

    def effective_fields(self, values: dict[str, object]) -> dict[str, object]:
        """Config values with declared defaults filled in (what templates see)."""
        merged: dict[str, object] = {f.name: f.default for f in self.fields if f.default is not None}
        merged.update({k: v for k, v in values.items() if v not in (None, "")})
        return merged

    def missing_fields(self, values: dict[str, object]) -> list[str]:
        """Required fields with no value: the add-channel form rejects these."""
        eff = self.effective_fields(values)
        return [f.name for f in self.fields if f.required and eff.get(f.name) in (None, "")]
