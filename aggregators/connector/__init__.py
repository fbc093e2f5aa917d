"""The declarative XML connector language for HTTP SMS and phone-call providers.

Pure Python (lxml + httpx), no Django: the ``XC`` channel type, views, models and API are
built on this public API.
"""

from infra.urlguard import (
    AsyncGuardedTransport,
    GuardedTransport,
    allow_private_from_env,
    async_pinned_transport,
    is_url_allowed,
    pinned_transport,
    url_refusal,
)

from .builtin import builtin_connectors, builtin_paths
from .cli import check_file
from .errors import BuildError, ConnectorError, ConnectorInvalid, PayloadError
from .mapping import (
    CallbackItem,
    CallEvent,
    CallResult,
    InboundMessage,
    SendResult,
    map_answer_callback,
    map_incoming_call,
    map_outgoing_call_response,
    map_send_response,
    map_status_callback,
    map_status_response,
    map_token_response,
    normalise_call_status,
    parse_callback,
    parse_receive,
    render_send_response,
)
from .model import Connector, Field
from .parser import ParseResult, load_connector, load_connector_file, parse_connector
from .request import (
    build_outgoing_call_request,
    build_request,
    build_send_request,
    build_status_request,
    build_token_request,
    send_uses,
    split_limit,
)
from .values import FILTERS, PHONE_VARIABLES, SMS_VARIABLES

__all__ = [
    "FILTERS",
    "PHONE_VARIABLES",
    "SMS_VARIABLES",
    "AsyncGuardedTransport",
    "BuildError",
    "CallEvent",
    "CallResult",
    "CallbackItem",
    "Connector",
    "ConnectorError",
    "ConnectorInvalid",
    "Field",
    "GuardedTransport",
    "async_pinned_transport",
    "pinned_transport",
    "InboundMessage",
    "ParseResult",
    "PayloadError",
    "SendResult",
    "allow_private_from_env",
    "build_outgoing_call_request",
    "build_request",
    "build_send_request",
    "build_token_request",
    "send_uses",
    "split_limit",
    "build_status_request",
    "builtin_connectors",
    "builtin_paths",
    "check_file",
    "is_url_allowed",
    "load_connector",
    "load_connector_file",
    "map_answer_callback",
    "map_incoming_call",
    "map_outgoing_call_response",
    "map_send_response",
    "map_token_response",
    "map_status_callback",
    "map_status_response",
    "normalise_call_status",
    "parse_callback",
    "parse_connector",
    "parse_receive",
    "render_send_response",
    "url_refusal",
]
