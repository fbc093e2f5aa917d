"""The connector language reference, generated from the tables the validator itself uses.

``render_reference()`` returns the Markdown page published as ``reference/connector-language.md``
(``make docs`` calls it through the MkDocs hook in ``scripts/docs_hooks.py``). Elements,
attributes, enumerations, variables, filters and mapping keys are read from ``schema``,
``model`` and ``values``; defaults are read back from connectors parsed by the real parser. Only
the prose lives here, and ``missing_docs()`` names any element or attribute the schema gained
without a description, which fails the docs build and ``tests/docs``: the page cannot drift.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import model, schema, values, xmlsafe
from .mapping import _CALL_SYNONYMS, CALL_FIELDS, CALL_STATUSES
from .parser import load_connector
from .validator import Validator

# --- prose: one line per node type and per attribute ------------------------------------------

# node type -> (what it is, which connectors: "both" | "sms" | "phone")
ELEMENTS: dict[str, tuple[str, str]] = {
    "connector": ("The root element. `for` says which kind of connector this is.", "both"),
    "signature": (
        "How the provider signs the webhooks it sends to Flowgate. Checked only on channels whose "
        "inbound security is set to `signature`.",
        "both",
    ),
    "config": ("Holds the `<fields>` an admin fills in when adding a channel.", "both"),
    "fields": ("The list of configuration fields.", "both"),
    "field": (
        "One configuration field. Together the fields generate the add-channel form; templates "
        "read their values as `$config.$fields.NAME`.",
        "both",
    ),
    "options": ("The choices of a `picklist` field.", "both"),
    "option": ("One choice: its `value` attribute, or else its text.", "both"),
    "provider": ("The provider's base URL and how to authenticate to it.", "both"),
    "auth": ("Authentication added to every request unless the request sets `Authorization` itself.", "both"),
    "basic": ("HTTP basic authentication.", "both"),
    "token": (
        "A request made before sending that fetches an access token (OAuth client credentials, a "
        "login endpoint): its answer's `access_token` is the `@token` variable of the send (and poll) "
        'templates, e.g. `<bearer token="@token"/>`. The token is cached per channel until '
        "`expires_in` (or `ttl`) runs out, a minute early. A send answered 401 drops it: if the token "
        "came from the cache the message is errored and retried, and the retry fetches a new one; a "
        "token fetched for that very send and refused fails the message (wrong credentials). The provider's `<auth>` is added to this request too, unless that auth "
        "reads `@token`. A 4xx answer fails the message, 429, 5xx and an answer without a token are "
        "retried.",
        "sms",
    ),
    "token_response": (
        "How to read the token answer: `<access_token use=...>` (required) and `<expires_in use=...>` "
        "(seconds).",
        "sms",
    ),
    "bearer": ("An `Authorization: Bearer <token>` header.", "both"),
    "text": (
        "A URL template (`<url>`). Whitespace and line breaks inside it are removed, so a long URL "
        "may be wrapped. A request `<url>` is joined to the provider `<url>` with one slash; an "
        "absolute `http(s)://` URL replaces it; one starting with `?` is appended as is.",
        "both",
    ),
    "message_send": (
        "How to send one message: the request, how to read the answer, callbacks, statuses.",
        "sms",
    ),
    "message_status": (
        "How to poll the provider for the status of a sent message (`@messageid` is the provider's id). "
        "Flowgate polls sent messages that have no final status yet.",
        "sms",
    ),
    "message_receive": (
        "How to read an inbound SMS the provider posts to the channel's `receive` URL "
        "(`/c/xc/<channel-uuid>/receive`). One message, or a batch with `<messages use=...>`.",
        "sms",
    ),
    "request": (
        "An HTTP request. The `Content-Type` header decides the body: JSON (nested objects and typed "
        "values), XML, or a form (the default). GET and DELETE put the parameters in the query string.",
        "both",
    ),
    "headers": ("Request or reply headers.", "both"),
    "header": ("One header; `value` is a template.", "both"),
    "parameters": ("The request parameters (body or query string).", "both"),
    "parameter": (
        "One request parameter. Nested `<parameter>` elements make a JSON object (or an array of one "
        'object with `type="array"`); in forms they are sent as `name[child]=...`.',
        "both",
    ),
    "sms_response": (
        "How to read the provider's answer (`<response>`) or a delivery callback (`<callback>`): each "
        "child maps one of our names to a dotted path in the payload.",
        "sms",
    ),
    "statuses": (
        "Which provider status values mean Processing, Delivered or Failed. Values are compared "
        "case-insensitively; an unlisted value counts as Processing.",
        "sms",
    ),
    "status": (
        "One status group: exactly one of the attributes, with comma-separated values; a value "
        '`LOW-HIGH` of two whole numbers is a range (`Failed="21-999"`) matching numbers written '
        "without leading zeros (`001` is a code of its own). `Retry` marks "
        "a temporary refusal inside a 2xx answer (throttling): the message is errored and retried.",
        "sms",
    ),
    "errors": (
        "What provider error codes mean, wherever an `error_code` is mapped (send answer or callback).",
        "sms",
    ),
    "error_meaning": (
        'One `<error codes="21610" means="opted_out"/>` entry of `<errors>`: `opted_out` stops the '
        "contact, `retry` errors and retries the message, `failed` fails it for good.",
        "sms",
    ),
    "outgoing_call": ("How to place a call (click-to-call) and read the provider's answer.", "phone"),
    "callbacks": (
        "The provider's call webhooks. May sit inside `<outgoing_call>` (as in the published examples) "
        "or directly under `<connector>`.",
        "phone",
    ),
    "answer_callback": (
        "Called by the provider when an outgoing call is answered (`/c/xc/<channel-uuid>/answer`).",
        "phone",
    ),
    "status_callback": (
        "Called by the provider when a call changes status (`/c/xc/<channel-uuid>/status`). The value at "
        "`use` picks the `<status for=...>` branch.",
        "phone",
    ),
    "status_branch": ('A `<status for="...">` branch of `<status_callback>` with its own mapping.', "phone"),
    "call_response": (
        "How to read a call answer or callback. Any child element name is kept: named call fields "
        "(below) are recorded on the call, others are kept as call data.",
        "phone",
    ),
    "incoming_call": (
        "Called by the provider for an incoming call (`/c/xc/<channel-uuid>/incoming`).",
        "phone",
    ),
    "send_response": (
        "The body Flowgate answers a provider webhook with (TwiML-like XML, JSON or plain text). Without "
        "it the answer is a JSON receipt. As `<callback_response>` in `<message_send>` it answers a "
        "delivery report it accepted (Dart waits for `000`, Jasmin for `ACK/Jasmin`).",
        "both",
    ),
    "reply_parameters": ("The elements (XML) or keys (JSON) of the reply body.", "both"),
    "reply_parameter": (
        "One reply element or key; `value` is a template, nested elements nest, `<attrs>` set XML attributes.",
        "both",
    ),
    "attrs": ("XML attributes of a reply element.", "both"),
    "attr": ("One XML attribute; `value` is a template.", "both"),
    "mapping": (
        'A mapping leaf such as `<message_id use="data.id"/>`: `use` is a dotted path into the '
        "payload, `default` the value when the path is missing or empty.",
        "both",
    ),
}

# (node type, attribute) -> description
ATTRIBUTES: dict[tuple[str, str], str] = {
    (
        "connector",
        "for",
    ): "`SMSNotifier` (an SMS connector) or `PhoneCalls` (a phone-call connector). Required.",
    (
        "connector",
        "name",
    ): "Display name; defaults to the upload's name (or the file name for `connector check`).",
    ("connector", "version"): "Free text, for your own bookkeeping.",
    ("connector", "description"): "Free text, for your own bookkeeping.",
    (
        "signature",
        "header",
    ): "The request header carrying the signature, e.g. `X-Twilio-Signature`. Required.",
    ("signature", "key"): (
        "The HMAC key: a template that must name a config field (`$config.$fields.AuthToken`); "
        "`@variables` are refused because only the channel's fields exist when a webhook arrives. Required."
    ),
    ("signature", "algorithm"): "The HMAC hash.",
    ("signature", "encoding"): "How the digest is written in the header.",
    ("signature", "payload"): (
        "What is signed: `body` = the raw request body; `url-params` = the public URL "
        "(`FLOWGATE_BASE_URL` + path + query) followed by each form parameter name and value, sorted by "
        "name (Twilio's scheme)."
    ),
    ("signature", "prefix"): "Text before the digest in the header, e.g. `sha256=`.",
    ("field", "name"): "The field's name, used as `$config.$fields.NAME`. Required, unique.",
    ("field", "label"): "The form label (defaults to the name).",
    ("field", "type"): "`password` values are stored encrypted and shown masked everywhere.",
    (
        "field",
        "required",
    ): "`true`/`false` (also `1`/`0`, `yes`/`no`): the add-channel form refuses an empty value.",
    (
        "field",
        "presence",
    ): '`mandatory` is the same as `required="true"` (the published phone examples use it).',
    ("field", "default"): "Value used when the channel leaves the field empty.",
    ("field", "help"): "Help text for the form.",
    ("option", "value"): "The choice's value (else the element's text).",
    ("basic", "username"): "Template, required.",
    ("basic", "password"): "Template.",
    ("bearer", "token"): "Template, required.",
    ("token", "ttl"): "Seconds a token lives when the answer has no `expires_in`.",
    ("token_response", "format"): "Payload format of the token answer; the `Content-Type` wins.",
    ("message_receive", "format"): "Payload format of inbound posts; sniffed from the content type first.",
    ("request", "method"): "HTTP method.",
    ("header", "name"): "Header name. Required.",
    ("header", "value"): "Template. Required.",
    ("parameter", "name"): "Parameter name. Required.",
    ("parameter", "value"): "Template. Not allowed on a parameter with nested parameters.",
    ("parameter", "type"): (
        "JSON type of the value: `number` and `boolean` convert the text (an unconvertible value fails "
        "that message), `array` keeps a list (`@recipients`) or wraps one value, `object` needs nested "
        "parameters."
    ),
    ("parameter", "omit_empty"): (
        "`true`: the parameter is left out of the request when its value renders empty, for a "
        "parameter only some messages carry (`coding=2` for Unicode text only)."
    ),
    ("parameter", "charset"): (
        "Template naming a charset (`utf-16be`, `iso-8859-1`): in a form body or query string the "
        "value is sent as that charset's bytes, percent-encoded byte by byte (Kannel's UCS-2 text). "
        "UTF-8 or empty sends the text as usual; a literal unknown charset is an error at its "
        "attribute, one chosen by a template fails that message. Ignored in JSON and XML bodies."
    ),
    ("sms_response", "format"): (
        "Payload format. The `Content-Type` of the answer wins when it says JSON, XML or form; the "
        "declared format is used when it does not."
    ),
    ("status", "Processing"): "Comma-separated provider values meaning the message is on its way.",
    ("status", "Delivered"): "Comma-separated provider values meaning delivered.",
    ("status", "Failed"): "Comma-separated provider values meaning failed.",
    ("status_callback", "use"): "Path of the call status in the callback payload. Required.",
    (
        "status_branch",
        "for",
    ): "Comma-separated call statuses this branch handles (case-insensitive). Required.",
    ("call_response", "format"): "Payload format; sniffed from the content type first.",
    ("send_response", "format"): (
        "`xml`, `json` or `text` (the values of the top-level parameters one after the other, as "
        "`text/plain`: an answer such as `-1` or `ACK/Jasmin` that a provider waits for)."
    ),
    ("send_response", "agentdialing"): "Kept from the published language; informational only.",
    ("send_response", "root"): "Name of the XML document element.",
    ("reply_parameter", "name"): "Element or key name; must be a valid XML name. Required.",
    ("reply_parameter", "value"): "Template for the element's text or the key's value.",
    ("attr", "name"): "Attribute name; must be a valid XML name. Required.",
    ("attr", "value"): "Template.",
    ("mapping", "use"): "Dotted path into the payload (see *Paths* below).",
    ("mapping", "default"): "Value when the path is missing or empty.",
    ("mapping", "fallback"): "A second dotted path, read when the first is missing or empty.",
    ("mapping", "charset"): (
        "Path of a charset name the provider sends beside the value (`charset`). When it names another "
        "charset than UTF-8 (`ISO-8859-1`, `UTF-16BE`), the value is that charset's bytes, "
        "percent-encoded, and is decoded (Clickatell's inbound text). A number is an SMPP data coding "
        "(Jasmin's `coding`): `0` (or `gsm7`) reads the value's characters as GSM 03.38 septets, other "
        "numbers leave it as sent. An unknown charset leaves the value as sent."
    ),
    ("mapping", "required"): (
        "`true` in a send or poll `<response>`: a 2xx answer without this value is not an acceptance; "
        "the message is errored and retried (an answer without the provider's id is unreadable). In "
        "`<message_receive>`: an inbound message without this value is refused with 400."
    ),
    ("mapping", "format"): (
        "Only on `<message_receive><date>`: the provider's date format in strptime directives, for "
        "dates that are not ISO 8601 (`%Y-%m-%d%H:%M:%S`, `%a %b %d %Y %H:%M:%S GMT%z`). A date "
        "that does not match is refused with 400."
    ),
    ("mapping", "prefix"): (
        "Only in `<message_receive>`: text the value must start with, removed before use "
        '(`<from use="senderAddress" prefix="tel:"/>`); a value without it is refused with 400.'
    ),
    ("mapping", "timezone"): (
        "Only on `<message_receive><date>`: the IANA zone of a date that names none "
        "(`Asia/Kuala_Lumpur`); UTC by default."
    ),
    ("statuses", "unknown"): "`ignore` (default: a status in no group is logged and changes nothing), "
    "`reject` (the callback is answered 400), `retry` (in a send or poll answer only a listed status "
    "is an acceptance: a missing or unlisted one is an unreadable answer, errored and retried, as for "
    "providers that answer 200 with a word such as `Success`) or `fail` (the same, but the message "
    "fails for good: providers that answer `000` for success and any other code for a refusal). "
    "A callback treats `retry` as `ignore` and `fail` as `reject`.",
    ("message_send", "split"): (
        "Characters a part: a longer message is sent as several requests (cut as courier cuts: at the "
        "first space within 6 characters of the limit, else at the limit), for providers "
        "that do not join long messages themselves. A number, or a template naming a config field "
        "(`$config.$fields.max_length`, with the field's default). Every part must be accepted; the "
        "first part's id is the message's. Without it a message is one request whatever its length."
    ),
    ("status", "Retry"): "Comma-separated values meaning a temporary refusal: errored and retried.",
    ("status", "Ignore"): (
        "Comma-separated values that change nothing (`MessageWaiting`): a callback with one is answered "
        '200 and ignored, even with `unknown="reject"`; in a send or poll answer it counts as Processing.'
    ),
    ("error_meaning", "codes"): "Comma-separated provider error codes. Required unless `contains` is given.",
    ("error_meaning", "contains"): (
        "Comma-separated phrases looked for in the mapped `error_message` (case-insensitive), for "
        'providers that say the reason in a sentence: `contains="BLACKLISTED"`. A code match wins.'
    ),
    ("error_meaning", "means"): "`opted_out`, `retry` or `failed`. Required.",
}

# What Flowgate adds to the connector language published with the seeds (Vtiger's).
EXTENSION_ELEMENTS = frozenset(
    {"message_receive", "signature", "bearer", "errors", "error_meaning", "token", "token_response"}
)
EXTENSION_ATTRIBUTES = frozenset(
    {
        ("connector", "name"),
        ("connector", "version"),
        ("connector", "description"),
        ("field", "default"),
        ("field", "help"),
        ("parameter", "type"),
        ("send_response", "root"),
        ("mapping", "fallback"),
        ("mapping", "charset"),
        ("parameter", "omit_empty"),
        ("parameter", "charset"),
        ("mapping", "required"),
        ("mapping", "format"),
        ("mapping", "timezone"),
        ("mapping", "prefix"),
        ("statuses", "unknown"),
        ("status", "Retry"),
        ("status", "Ignore"),
        ("message_send", "split"),
        ("error_meaning", "contains"),
    }
)
EXTENSION_FORMATS = frozenset({"form", "text"})
EXTENSION_SMS_VARIABLES = frozenset(
    {"to", "from", "text", "messageid", "to_local", "day", "month", "year", "token", "part_id"}
)
EXTENSION_PHONE_VARIABLES = frozenset({"incoming_callback", "call_id", "user_number"})
EXTENSION_FILTERS = frozenset(values.FILTERS) - {"urlappend"}
EXTENSION_KEYS = frozenset({"error_code", "date", "from", "to", "text"})

# Checks the validator makes beyond "known element, known attribute", per ``check_<node type>``.
RULES: dict[str, str] = {
    "field": "needs `name`; a name declared twice is an error; a `picklist` needs `<options><option>`.",
    "header": "needs `name` and `value`.",
    "parameter": (
        'needs `name`; cannot have both `value` and nested parameters; `type="object"` needs nested ones; '
        "`omit_empty` is true or false; a literal `charset` must be a known charset."
    ),
    "reply_parameter": "needs a `name` that is a valid XML name.",
    "attr": "needs a `name` that is a valid XML name.",
    "basic": "needs `username`.",
    "bearer": "needs `token`.",
    "token": "needs `<request>` and `<response>` with `<access_token>`; `ttl` is 1 to 31536000 seconds; "
    "its request may not use `@token`, and `@token` anywhere needs a `<token>`; SMS connectors only.",
    "token_response": "`format` must be one of the formats below.",
    "signature": "needs `header` and `key`; at most one per connector; the header must be a valid HTTP header name; the key must name a config field and no `@variable`.",
    "request": "`method` must be one of the methods below.",
    "sms_response": "`format` must be one of the formats below.",
    "call_response": "`format` must be one of the formats below.",
    "message_receive": "`format` must be one of the formats below.",
    "send_response": "`format` must be `xml`, `json` or `text`.",
    "mapping": "needs `use` or `default`; cannot contain elements; `required` is true or false; "
    "`format` (with a %-directive) and `timezone` (an IANA name) only on `<message_receive><date>`; "
    "`prefix` only in `<message_receive>`.",
    "message_send": "`split`, when not a template, must be a number of characters from 1 to 10000.",
    "status": "needs exactly one of `Processing`, `Delivered`, `Failed`, `Retry`, `Ignore`.",
    "statuses": "a value may not be in two groups; a range `LOW-HIGH` may not be empty.",
    "errors": "an error code may not have two meanings.",
    "error_meaning": "needs `codes` or `contains`, and a `means` that is one of the known meanings.",
    "status_callback": "needs `use`; a call status may not have two branches.",
    "status_branch": "needs `for` and a `<response>`.",
}


def missing_docs() -> list[str]:
    """Elements, attributes and validator checks the schema knows but this page does not describe."""
    missing = [f"element {node}" for node in schema.SCHEMA if node not in ELEMENTS]
    missing += [
        f"attribute {node}@{attr}"
        for node, (attrs, _children) in schema.SCHEMA.items()
        for attr in sorted(attrs)
        if (node, attr) not in ATTRIBUTES
    ]
    checks = [name.removeprefix("check_") for name in dir(Validator) if name.startswith("check_")]
    missing += [
        f"validator rule check_{node}" for node in checks if node in schema.SCHEMA and node not in RULES
    ]
    return missing


# --- facts read from the code -------------------------------------------------------------------

ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("connector", "for"): tuple(model.KIND_BY_ROOT),
    ("field", "type"): model.FIELD_TYPES,
    ("field", "presence"): ("mandatory", "optional"),
    ("request", "method"): model.METHODS,
    ("sms_response", "format"): model.SMS_RESPONSE_FORMATS,
    ("call_response", "format"): model.RESPONSE_FORMATS,
    ("message_receive", "format"): model.RESPONSE_FORMATS,
    ("send_response", "format"): model.SEND_RESPONSE_FORMATS,
    ("signature", "algorithm"): model.SIGNATURE_ALGORITHMS,
    ("signature", "encoding"): model.SIGNATURE_ENCODINGS,
    ("signature", "payload"): model.SIGNATURE_PAYLOADS,
    ("parameter", "type"): schema.PARAM_TYPES,
}

_SMS_PROBE = """<connector for="SMSNotifier">
  <config><fields><field name="key"/></fields></config>
  <provider><url>https://sms.example/api</url></provider>
  <signature header="X-Sig" key="$config.$fields.key"/>
  <message_send>
    <request><parameters><parameter name="to" value="@to"/></parameters></request>
    <response><message_id use="id"/></response>
    <callback><message_id use="id"/></callback>
  </message_send>
  <message_receive><from use="from"/><send_response/></message_receive>
</connector>"""

_PHONE_PROBE = """<connector for="PhoneCalls">
  <provider><url>https://voice.example/api</url></provider>
  <outgoing_call>
    <request/><response/>
    <callbacks>
      <answer_callback><response><call_id use="id"/></response></answer_callback>
      <status_callback use="s"><status for="done"><response><call_id use="id"/></response></status></status_callback>
    </callbacks>
  </outgoing_call>
  <incoming_call><response><call_id use="id"/></response></incoming_call>
</connector>"""


def parsed_defaults() -> dict[tuple[str, str], str]:
    """Defaults as the real parser fills them in, read back from two minimal connectors."""
    sms = load_connector(_SMS_PROBE)
    phone = load_connector(_PHONE_PROBE)
    assert sms.message_send and sms.message_send.callback and sms.message_receive and sms.signature
    assert sms.message_receive.send_response
    assert phone.outgoing_call and phone.answer_callback and phone.status_callback and phone.incoming_call
    reply = sms.message_receive.send_response
    field = sms.fields[0]
    param = sms.message_send.request.params[0]
    return {
        ("request", "method"): sms.message_send.request.method.lower(),
        ("sms_response", "format"): f"{sms.message_send.response.format} (`<response>`), "
        f"{sms.message_send.callback.format} (`<callback>`)",
        ("message_receive", "format"): sms.message_receive.mapping.format,
        ("call_response", "format"): f"{phone.outgoing_call.response.format} (`<outgoing_call>`), "
        f"{phone.answer_callback.response.format} (callbacks and `<incoming_call>`)",
        ("send_response", "format"): reply.format,
        ("send_response", "root"): reply.root,
        ("field", "type"): field.type,
        ("field", "required"): str(field.required).lower(),
        ("field", "label"): "the name",
        ("parameter", "type"): f"{param.type} (`object` with nested parameters)",
        ("signature", "algorithm"): sms.signature.algorithm,
        ("signature", "encoding"): sms.signature.encoding,
        ("signature", "payload"): sms.signature.payload,
        ("signature", "prefix"): "(none)" if not sms.signature.prefix else sms.signature.prefix,
    }


# --- rendering ----------------------------------------------------------------------------------


def _where(node: str) -> list[tuple[str, str]]:
    """(parent node type, tag) pairs under which ``node`` appears."""
    found = []
    for parent, (_attrs, children) in schema.SCHEMA.items():
        if isinstance(children, dict):
            found += [(parent, tag) for tag, child in children.items() if child == node]
        elif node == "mapping":
            found.append((parent, "*"))
    return found


def _tags(node: str) -> list[str]:
    if node == "connector":
        return ["connector"]
    return sorted({tag for _p, tag in _where(node) if tag != "*"}) or [node]


def _tag(node: str) -> str:
    if node == "mapping":
        return "message_id, call_id, …"
    return " / ".join(_tags(node))


def _heading(node: str) -> str:
    """The element's tag, plus where it sits when another element shares the tag."""
    shared = any(set(_tags(node)) & set(_tags(other)) for other in schema.SCHEMA if other != node)
    if not shared:
        return f"`<{_tag(node)}>`"
    parents = " / ".join(sorted({f"<{_tag(p)}>" for p, _t in _where(node)}))
    return f"`<{_tag(node)}>` in `{parents}`"


def _anchor(node: str) -> str:
    return f"el-{node.replace('_', '-')}"


def _outline(kind: str) -> Iterator[str]:
    """An indented tree of the document, for one kind of connector."""
    skip = schema.PHONE_ONLY if kind == "sms" else schema.SMS_ONLY

    def walk(node: str, tag: str, depth: int, seen: tuple[str, ...]) -> Iterator[str]:
        attrs, children = schema.SCHEMA[node]
        shown = " ".join(f"{a}=" for a in sorted(attrs))
        mark = " ★" if node in EXTENSION_ELEMENTS else ""
        yield f"{'    ' * depth}<{tag}{(' ' + shown) if shown else ''}>{mark}"
        if node in seen:
            if children:
                yield f"{'    ' * (depth + 1)}… (nests the same way)"
            return
        if children == schema.ANY_MAPPING:
            yield f"{'    ' * (depth + 1)}<any_name use= default=>   (call fields or extra call data)"
            return
        assert isinstance(children, dict)
        for child_tag, child in children.items():
            if depth == 0 and child_tag in skip:
                continue
            if kind == "phone" and node == "provider" and child_tag in schema.SMS_ONLY_PROVIDER:
                continue
            if child == "mapping" and node in ("sms_response", "message_receive"):
                continue  # listed once below
            yield from walk(child, child_tag, depth + 1, (*seen, node))
        if node == "sms_response":
            keys = ", ".join(schema.SMS_RESPONSE_KEYS + schema.LIST_KEYS)
            yield f"{'    ' * (depth + 1)}<{{{keys}}} use= default=>"
        if node == "message_receive":
            keys = ", ".join((*schema.RECEIVE_KEYS, "messages"))
            yield f"{'    ' * (depth + 1)}<{{{keys}}} use= default=>"

    yield from walk("connector", "connector", 0, ())


def _order() -> list[str]:
    """Node types in document order (depth-first from the root), then any never reached."""
    out: list[str] = []

    def walk(node: str) -> None:
        if node in out:
            return
        out.append(node)
        children = schema.SCHEMA[node][1]
        if children == schema.ANY_MAPPING:
            walk("mapping")
        elif isinstance(children, dict):
            for child in children.values():
                walk(child)

    walk("connector")
    return out + [n for n in schema.SCHEMA if n not in out]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _element_section(node: str, defaults: dict[tuple[str, str], str]) -> Iterator[str]:
    attrs, children = schema.SCHEMA[node]
    what, kind = ELEMENTS[node]
    ext = " ★ *Flowgate extension*" if node in EXTENSION_ELEMENTS else ""
    yield f"### {_heading(node)} {{ #{_anchor(node)} }}"
    yield ""
    yield f"{what}{ext}"
    yield ""
    kinds = {
        "both": "SMS and phone connectors",
        "sms": "SMS connectors only",
        "phone": "phone connectors only",
    }
    parents = _where(node)
    if parents:
        inside = ", ".join(sorted({f"[`<{_tag(p)}>`](#{_anchor(p)})" for p, _t in parents}))
        yield f"- **Inside:** {inside}"
    yield f"- **Used in:** {kinds[kind]}"
    if children == schema.ANY_MAPPING:
        yield "- **Children:** any element name, each a [mapping](#el-mapping)"
    elif children:
        assert isinstance(children, dict)
        listed = ", ".join(f"[`<{tag}>`](#{_anchor(child)})" for tag, child in children.items())
        yield f"- **Children:** {listed}"
    if node in RULES:
        yield f"- **Checked:** {RULES[node]}"
    if node in schema.TEMPLATE_ATTRS:
        names = ", ".join(f"`{a}`" for a in schema.TEMPLATE_ATTRS[node])
        yield f"- **Templates:** {names}"
    if node in schema.TEMPLATE_TEXT:
        yield "- **Templates:** the element's text"
    yield ""
    if attrs:
        yield "| attribute | values | default | meaning |"
        yield "| --- | --- | --- | --- |"
        for attr in sorted(attrs):
            enum = ENUMS.get((node, attr))
            values_cell = ", ".join(f"`{v}`" for v in enum) if enum else ""
            if node in schema.TEMPLATE_ATTRS and attr in schema.TEMPLATE_ATTRS[node]:
                values_cell = "template"
            default = defaults.get((node, attr), "")
            mark = " ★" if (node, attr) in EXTENSION_ATTRIBUTES else ""
            yield (
                f"| `{attr}`{mark} | {_cell(values_cell)} | {_cell(f'`{default}`' if default and ' ' not in default else default)} "
                f"| {_cell(ATTRIBUTES[(node, attr)])} |"
            )
        yield ""
    else:
        yield "No attributes."
        yield ""


def _variables(title: str, table: dict[str, str], extensions: frozenset[str]) -> Iterator[str]:
    yield f"### {title}"
    yield ""
    yield "| variable | value |"
    yield "| --- | --- |"
    for name, doc in table.items():
        mark = " ★" if name in extensions else ""
        url = " Never percent-escaped inside a `<url>`." if name in values.URL_VARIABLES else ""
        yield f"| `@{name}`{mark} | {_cell(doc)}.{url} |"
    yield ""


def _filters() -> Iterator[str]:
    arg_kind = {
        "none": "none",
        "str": "text",
        "int": "whole number",
        "dict": "`{'KEY': 'template'}`",
        "template": "template",
    }
    yield "| filter | argument | what it does |"
    yield "| --- | --- | --- |"
    for name, spec in sorted(values.FILTERS.items()):
        mark = " ★" if name in EXTENSION_FILTERS else ""
        default = " (default `,`)" if name == "join" else ""
        yield f"| `{name}`{mark} | {arg_kind[spec.arg]}{default} | {_cell(spec.doc)} |"
    yield ""


def render_reference() -> str:
    problems = missing_docs()
    if problems:
        raise ValueError("the connector reference lacks descriptions for: " + ", ".join(problems))
    defaults = parsed_defaults()
    lines: list[str] = [
        "# Connector language reference",
        "",
        "<!-- Generated by aggregators/connector/reference.py from the validator's own tables; do not edit. -->",
        "",
        "A connector is an XML file that tells Flowgate how to talk to one HTTP provider: which fields an "
        "admin fills in, how to build the send request, how to read the answer, the delivery callbacks "
        "and inbound messages. This page is generated from the tables the validator uses "
        "(`aggregators/connector/schema.py`, `model.py`, `values.py`), so everything `python manage.py "
        "connector check FILE` accepts is listed here, and nothing else.",
        "",
        "★ marks Flowgate's extensions to the connector language published for Vtiger's SMS and "
        "PhoneCalls connectors; everything else follows that language. New to connectors? Start with "
        "the [tutorial](../connectors/tutorial.md).",
        "",
        "## Document outline",
        "",
        '### SMS connector (`for="SMSNotifier"`)',
        "",
        "```text",
        *_outline("sms"),
        "```",
        "",
        '### Phone-call connector (`for="PhoneCalls"`)',
        "",
        "```text",
        *_outline("phone"),
        "```",
        "",
        "### Required parts",
        "",
        "- Every connector: `<provider>` with a non-empty `<url>`.",
        "- SMS: `<message_send>` with `<request>` and `<response>`; `<message_status>`, when present, "
        "with `<request>` and `<response>`.",
        "- Phone: `<outgoing_call>` with `<request>`.",
        f"- SMS-only elements ({', '.join(f'`<{t}>`' for t in sorted(schema.SMS_ONLY))}) are refused "
        f"in a phone connector, phone-only ones ({', '.join(f'`<{t}>`' for t in sorted(schema.PHONE_ONLY))}) "
        "in an SMS connector.",
        "- Unknown elements and attributes are errors, each reported with `line:column` and the "
        "allowed names. Comments are ignored anywhere.",
        "",
        "## Elements",
        "",
    ]
    for node in _order():
        lines += list(_element_section(node, defaults))
    lines += [
        "## Templates",
        "",
        "Attribute values marked *template* (and `<url>` text) may mix literal text with:",
        "",
        "- `$config.$fields.NAME`: the channel's value for config field `NAME` (or the field's "
        "`default`). `$config.fields.NAME` is accepted too, as in the published examples. Naming a field "
        "that `<config>` does not declare is an error.",
        "- `@name`: a runtime variable (tables below). An unknown variable is an error. `@@` is a "
        "literal `@`, and `@|` a literal `|` that never starts a filter.",
        "- `|filter` or `|filter:argument` after the value: filters apply, left to right, to the whole "
        "rendered text. A `|` that does not start a known filter shape is literal text (so URLs with "
        "`|` keep working); an unknown filter name is an error. Once a literal `|` appears no filter "
        "follows, so values joined with pipes before a filter use `@|`: a signature such as "
        "`$config.$fields.username@|@to@|@message@|@day/@month/@year|md5|upper` hashes "
        "`user|250788383383|Hi|11/04/2018`.",
        "",
        "Inside a `<url>`, variable values are percent-escaped (except the callback URLs Flowgate "
        "generates). A template that is a single variable keeps a list as a list, so "
        '`<parameter name="to" type="array" value="@recipients"/>` sends a JSON array.',
        "",
        "Examples: `@recipients|no_plus|join:','`, "
        "`@answer_callback|urlappend:{'DialTo': '@to_number'}`, `$config.$fields.sender|default:'Flowgate'`.",
        "",
        *_variables("Variables of SMS connectors", values.SMS_VARIABLES, EXTENSION_SMS_VARIABLES),
        "When Flowgate sends a message, `@messageid` is the message's uuid; when it polls "
        "(`<message_status>`), the provider's id recorded from the send answer.",
        "",
        *_variables("Variables of phone connectors", values.PHONE_VARIABLES, EXTENSION_PHONE_VARIABLES),
        "In a `<send_response>` of a phone connector every value mapped from the callback "
        "(`@to_number`, `@call_id`, extra call data …) is available too.",
        "",
        "### Filters",
        "",
        *_filters(),
        "## Reading payloads",
        "",
        "### Formats",
        "",
        "| format | read as |",
        "| --- | --- |",
        "| `json` | the parsed JSON |",
        "| `xml` | nested objects: repeated children become lists, attributes `@name`, mixed text `#text`; "
        "paths start below the document element (naming the root first works too) |",
        "| `form` ★ | `application/x-www-form-urlencoded` body (or the query string of a GET); the first "
        "value of a repeated key wins; a field name not found as written is looked up ignoring case "
        "(`CreatedDatetime` for `createdDatetime`, as courier reads forms) |",
        "| `text` ★ | send and poll answers and delivery callbacks only: the body as plain text, whatever "
        "its `Content-Type`; each `use` (and `fallback`) is a regular expression searched in its first "
        "4,096 characters, the value its first group (the whole match without a group): "
        '`<message_id use=\'Success "([^"]+)"\'/>`. `use="."` is the whole body, trimmed (answers such '
        "as `000` or `Request is received`). Expressions run on RE2, in time linear in the body "
        "(no lookaround or backreferences, ASCII `\\d` and `\\w`), so no answer can hold the sender; "
        "an expression RE2 refuses is an error at its attribute |",
        "",
        "The payload's `Content-Type` wins when it names JSON, XML or a form; otherwise the body is "
        "sniffed (`{`/`[` → JSON, `<` → XML) and then the declared `format` is used.",
        "",
        "### Paths",
        "",
        '`use="data.to.0.status"`: dot-separated names; a number indexes a list; a name applied to a '
        "list looks in its first item; a form field whose value is a JSON document is looked into. With "
        "`<messages use=...>` (or `<message_responses>`) each mapping is read per item of that list, "
        "falling back to the whole payload for paths an item lacks; a list of plain values is a list of "
        'message ids. `use="."` is the whole payload (a `text` answer, or a JSON or XML scalar).',
        "",
        "A selector picks items of a list: `message[contentType=text/plain].value` reads the first part "
        "whose `contentType` is `text/plain` (case-insensitive), `message[url]` keeps the parts that have "
        "a `url`. Names after a selector read every kept item: `message[url].url` is the list of their "
        "URLs (for `<attachments>`), `message[url].contentType` the list of their types. A malformed "
        "selector is an error at its attribute.",
        "",
        "### Mapping keys of SMS connectors",
        "",
        "| key | in | meaning |",
        "| --- | --- | --- |",
        "| `message_id` | `<response>`, `<callback>`, `<message_receive>` | the provider's message id |",
        "| `message_status` | `<response>`, `<callback>` | the provider's status, looked up in `<statuses>` |",
        "| `message_to` | `<response>`, `<callback>` | the recipient, as the provider reports it |",
        "| `error_message` | `<response>`, `<callback>` | an error text: a 200 answer carrying one means failed |",
        "| `error` | `<response>`, `<callback>` | same as `error_message` |",
        "| `error_code` ★ | `<response>`, `<callback>` | an error code, added to the error text |",
        "| `messages`, `message_responses` | `<response>`, `<callback>`, `<message_receive>` | path of the "
        "list of per-recipient answers, batched callbacks or inbound messages |",
        "| `from` ★ | `<message_receive>` | the sender (required in every inbound message: else 400) |",
        "| `to` ★ | `<message_receive>` | the number the message was sent to |",
        "| `text` ★ | `<message_receive>` | the message text |",
        "| `date` ★ | `<message_receive>` | when it was received: ISO 8601 / RFC 3339, epoch seconds or milliseconds, or `YYYYMMDDhhmmss` in UTC; any other value is a 400 |",
        "| `attachments` ★ | `<message_receive>` | media URLs of an MMS: a list, one field, or numbered "
        "fields with a trailing `*` (`MediaUrl*`); `fallback` is read when `use` finds none |",
        "| `attachment_types` ★ | `<message_receive>` | the content types paired with `attachments` |",
        "",
        "How an answer becomes a status: HTTP 4xx/5xx means failed (429 and 5xx are retried); an "
        "answer that cannot be read means failed; an `error_message` in a 2xx answer means failed "
        "unless the mapped status is Processing or Delivered; a status in `Retry` or an error code "
        "meaning `retry` is errored and retried; otherwise `message_status` through `<statuses>` (Processing when absent). `<message_status>` "
        "without `<statuses>` uses those of `<message_send>`.",
        "",
        "### Mapping keys of phone connectors",
        "",
        "Named call fields: "
        + ", ".join(f"`{k}`" for k in CALL_FIELDS)
        + ". Aliases: "
        + ", ".join(f"`{a}` = `{b}`" for a, b in schema.KEY_ALIASES.items())
        + ". In `<outgoing_call><response>`, `success` says whether the provider placed the call "
        "(`false`, `0`, `no`, `error`, `failed`, `failure`, `fail` mean it did not). Every other element "
        "name is kept as call data.",
        "",
        "Call statuses are normalised to: " + ", ".join(f"`{s}`" for s in CALL_STATUSES) + ". Also "
        "understood: "
        + ", ".join(f"`{raw}` → `{ours}`" for raw, ours in sorted(_CALL_SYNONYMS.items()))
        + ".",
        "",
        "## Enumerations",
        "",
        "| where | values |",
        "| --- | --- |",
        *(
            f"| `<{_tag(node)}> {attr}` | {', '.join(f'`{v}`' for v in enum)} |"
            for (node, attr), enum in ENUMS.items()
        ),
        "",
        "## Limits",
        "",
        f"- A connector file is at most {xmlsafe.CONNECTOR_MAX_BYTES // 1024} KiB; a provider answer, "
        f"callback or inbound post read through a connector at most {xmlsafe.PAYLOAD_MAX_BYTES // 1024} KiB.",
        "- Connector files and XML payloads are parsed with a hardened parser: any DOCTYPE or ENTITY "
        "declaration is refused, no DTD or network access.",
        "",
    ]
    return "\n".join(lines)
