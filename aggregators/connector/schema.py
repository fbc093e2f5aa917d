"""Which elements and attributes the language allows where.

Each node type maps to (allowed attributes, {child tag: child node type}). ``ANY_MAPPING`` as
children means any element name is accepted as a mapping leaf: call responses keep every
named element as call data (``<uui use="data.UUI"/>``).
"""

from __future__ import annotations

ANY_MAPPING = "*"

# format/timezone: how an inbound <date> is written when it is not ISO 8601 (strptime directives).
# prefix: on an inbound value, text it must start with and that is removed (Globe's "tel:").
MAPPING_ATTRS = frozenset(
    {"use", "default", "fallback", "required", "charset", "format", "timezone", "prefix"}
)

SMS_RESPONSE_KEYS = ("message_id", "message_status", "message_to", "error_message", "error_code", "error")
# `attachments`: media URLs of an MMS; `use` names a list, one field, or numbered fields with a
# trailing `*` (Twilio's MediaUrl0, MediaUrl1...). `attachment_types` pairs their content types.
RECEIVE_KEYS = ("from", "to", "text", "message_id", "date", "attachments", "attachment_types")
LIST_KEYS = ("messages", "message_responses")
TOKEN_KEYS = ("access_token", "expires_in")

# Aliases the seeds use, normalised to one name in the model.
KEY_ALIASES = {"error": "error_message", "callid": "call_id", "status": "call_status"}

SCHEMA: dict[str, tuple[frozenset[str], dict[str, str] | str]] = {
    "connector": (
        frozenset({"for", "name", "version", "description"}),
        {
            "config": "config",
            "provider": "provider",
            "message_send": "message_send",
            "message_status": "message_status",
            "message_receive": "message_receive",
            "outgoing_call": "outgoing_call",
            "incoming_call": "incoming_call",
            "callbacks": "callbacks",
            "signature": "signature",
        },
    ),
    "signature": (frozenset({"header", "key", "algorithm", "encoding", "payload", "prefix"}), {}),
    "config": (frozenset(), {"fields": "fields"}),
    "fields": (frozenset(), {"field": "field"}),
    "field": (
        frozenset({"name", "label", "type", "required", "presence", "default", "help"}),
        {"options": "options"},
    ),
    "options": (frozenset(), {"option": "option"}),
    "option": (frozenset({"value"}), {}),
    "provider": (frozenset(), {"url": "text", "auth": "auth", "token": "token"}),
    # <token>: a request made before sending whose answer holds an access token (OAuth client
    # credentials and the like), cached per channel until it expires; templates read it as @token.
    "token": (frozenset({"ttl"}), {"request": "request", "response": "token_response"}),
    "token_response": (frozenset({"format"}), {k: "mapping" for k in TOKEN_KEYS}),
    "auth": (frozenset(), {"basic": "basic", "bearer": "bearer"}),
    "basic": (frozenset({"username", "password"}), {}),
    "bearer": (frozenset({"token"}), {}),
    "text": (frozenset(), {}),
    # split="160": a longer message goes as several requests of at most 160 characters each,
    # cut at spaces (providers that do not concatenate long messages themselves).
    "message_send": (
        frozenset({"split"}),
        {
            "request": "request",
            "response": "sms_response",
            "callback": "sms_response",
            # the body answering a delivery report (Dart waits for "000"); a JSON receipt without it
            "callback_response": "send_response",
            "statuses": "statuses",
            "errors": "errors",
        },
    ),
    "message_status": (
        frozenset(),
        {"request": "request", "response": "sms_response", "statuses": "statuses", "errors": "errors"},
    ),
    "message_receive": (
        frozenset({"format"}),
        {**{k: "mapping" for k in RECEIVE_KEYS + ("messages",)}, "send_response": "send_response"},
    ),
    "request": (frozenset({"method"}), {"url": "text", "headers": "headers", "parameters": "parameters"}),
    "headers": (frozenset(), {"header": "header"}),
    "header": (frozenset({"name", "value"}), {}),
    "parameters": (frozenset(), {"parameter": "parameter"}),
    "parameter": (frozenset({"name", "value", "type", "omit_empty", "charset"}), {"parameter": "parameter"}),
    "sms_response": (frozenset({"format"}), {k: "mapping" for k in SMS_RESPONSE_KEYS + LIST_KEYS}),
    # unknown="ignore" (default: a status in no group is logged, the message is unchanged) or
    # "reject" (the callback is answered 400, as some providers' own tooling expects).
    "statuses": (frozenset({"unknown"}), {"status": "status"}),
    # Retry: the provider refused for now (throttling inside an HTTP 200): errored and retried.
    # Ignore: known statuses that change nothing (MTN's MessageWaiting), kept apart from the
    # unknown ones that unknown="reject" refuses.
    "status": (frozenset({"Processing", "Delivered", "Failed", "Retry", "Ignore"}), {}),
    # What a provider error code means: <error codes="21610" means="opted_out"/>.
    "errors": (frozenset(), {"error": "error_meaning"}),
    "error_meaning": (frozenset({"codes", "contains", "means"}), {}),
    "outgoing_call": (
        frozenset(),
        {"request": "request", "response": "call_response", "callbacks": "callbacks"},
    ),
    "callbacks": (frozenset(), {"answer_callback": "answer_callback", "status_callback": "status_callback"}),
    "answer_callback": (frozenset(), {"response": "call_response", "send_response": "send_response"}),
    "status_callback": (frozenset({"use"}), {"status": "status_branch"}),
    "status_branch": (frozenset({"for"}), {"response": "call_response"}),
    "call_response": (frozenset({"format"}), ANY_MAPPING),
    "incoming_call": (frozenset(), {"response": "call_response", "send_response": "send_response"}),
    "send_response": (
        frozenset({"format", "agentdialing", "root"}),
        {"headers": "headers", "parameters": "reply_parameters"},
    ),
    "reply_parameters": (frozenset(), {"parameter": "reply_parameter"}),
    "reply_parameter": (frozenset({"name", "value"}), {"parameter": "reply_parameter", "attrs": "attrs"}),
    "attrs": (frozenset(), {"attr": "attr"}),
    "attr": (frozenset({"name", "value"}), {}),
    "mapping": (MAPPING_ATTRS, {}),
}

SMS_ONLY = frozenset({"message_send", "message_status", "message_receive"})
# Fetched by the SMS sender (and poller) only; a phone connector's calls cannot read @token.
SMS_ONLY_PROVIDER = frozenset({"token"})
PHONE_ONLY = frozenset({"outgoing_call", "incoming_call", "callbacks"})

# Attributes whose values are templates ($config.$fields.X, @vars, |filters).
TEMPLATE_ATTRS = {
    "message_send": ("split",),
    "basic": ("username", "password"),
    "bearer": ("token",),
    "signature": ("key",),
    "header": ("value",),
    "parameter": ("value", "charset"),
    "reply_parameter": ("value",),
    "attr": ("value",),
}
TEMPLATE_TEXT = frozenset({"text"})  # <url> elements

PARAM_TYPES = ("string", "number", "boolean", "array", "object")

# Friendly hints for typos seen in the published examples.
ATTR_HINTS = {"presense": "presence"}
