from __future__ import annotations

from typing import Any

import httpx

from aggregators.external import receive, secrets, sender
from aggregators.external.template import CONTENT_TYPES, body_format, body_problem, unknown_variables
from channels_app.inbound.request import InboundFields, InboundRequest
from channels_app.models import Channel
from channels_app.services.ingest import Received
from channels_app.types.base import (
    ChannelType,
    ChannelView,
    ConfigError,
    ConfigField,
    OutgoingMessage,
    SendResult,
)
from channels_app.types.registry import register
from channels_app.urlguard import config_url_refusal

# Courier's one-letter encodings, as RapidPro stores them.
COURIER_ENCODINGS = {"D": "default", "S": "smart", "U": "unicode"}


def _courier_content_type(config: dict[str, Any]) -> dict[str, Any]:
    """Courier and RapidPro spellings: a MIME type as `content_type` (kept as "custom"), `encoding` "S"."""
    if config.get("encoding") in COURIER_ENCODINGS:
        config = {**config, "encoding": COURIER_ENCODINGS[config["encoding"]]}
    content_type = config.get("content_type")
    if isinstance(content_type, str) and "/" in content_type:
        known = {mime: key for key, mime in CONTENT_TYPES.items()}
        if content_type in known:
            return {**config, "content_type": known[content_type]}
        return {**config, "content_type": "custom", "custom_content_type": content_type}
    return config


@register
class ExternalAPIType(ChannelType):
    """Any aggregator that can POST us inbound messages and take an HTTP request to send."""

    code = "EX"
    slug = "ex"
    name = "External API"
    description = "Connect any HTTP aggregator: it posts inbound messages to us, we call its URL to send."
    schemes = ("tel", "ext")
    config_fields = (
        ConfigField(
            "send_url",
            "Send URL",
            "url",
            required=True,
            help="Called for each outgoing message; may contain {{to}}, {{text}}… variables",
        ),
        ConfigField(
            "method",
            "HTTP method",
            "choice",
            default="POST",
            choices=("GET", "POST", "PUT"),
            help="How the send URL is called",
        ),
        ConfigField(
            "content_type",
            "Content type",
            "choice",
            default="urlencoded",
            choices=("urlencoded", "json", "xml", "custom"),
        ),
        ConfigField(
            "custom_content_type",
            "Custom content type",
            help="The Content-Type header to send, e.g. application/vnd.api+json",
            show_when=("content_type", ("custom",)),
        ),
        ConfigField(
            "body",
            "Request body",
            "textarea",
            help="Template with {{text}} {{to}} {{to_no_plus}} {{to_national}} {{from}} {{from_no_plus}} "
            "{{id}} {{uuid}} {{channel}} {{quick_replies}}; empty for the default body of the content type. "
            'In JSON, {{text}} and "{{text}}" both render a valid string',
        ),
        ConfigField("headers", "Extra headers", "json", help='JSON object, e.g. {"X-Api-Key": "…"}'),
        ConfigField(
            "send_authorization",
            "Authorization header",
            "password",
            help="Sent as the Authorization header of each send request, e.g. Bearer …",
        ),
        ConfigField("max_length", "Maximum length", "int", default=160, help="Longer messages are split"),
        ConfigField(
            "use_national",
            "Send national numbers",
            "bool",
            default=False,
            help="{{to}} and {{to_no_plus}} without the country code (courier's use_national)",
        ),
        ConfigField(
            "encoding",
            "Encoding",
            "choice",
            default="default",
            choices=("default", "smart", "unicode"),
            help="smart replaces characters GSM cannot carry; unicode sends UCS-2 (70 characters a part)",
        ),
        ConfigField("mt_response_check", "Response check", help="Text the provider's answer must contain"),
        ConfigField("max_tps", "Max messages per second", "int", default=0, help="0 means no limit"),
        ConfigField(
            "scheme",
            "URN scheme",
            "choice",
            default="tel",
            choices=("tel", "ext"),
            help="tel for phone numbers; ext for any other id the provider uses",
        ),
        ConfigField(
            "mo_from_field",
            "Inbound sender field",
            default="from",
            help="Name of the form or JSON field holding the sender's number in inbound requests",
            show_when=("content_type", ("urlencoded", "json", "custom")),
        ),
        ConfigField(
            "mo_text_field",
            "Inbound text field",
            default="text",
            help="Name of the field holding the message text",
            show_when=("content_type", ("urlencoded", "json", "custom")),
        ),
        ConfigField(
            "mo_date_field",
            "Inbound date field",
            default="date",
            help="Name of the field holding when the provider received it (optional in requests)",
            show_when=("content_type", ("urlencoded", "json", "custom")),
        ),
        ConfigField(
            "mo_id_field",
            "Inbound message id field",
            default="id",
            help="Name of the field holding the provider's message id",
            show_when=("content_type", ("urlencoded", "json", "custom")),
        ),
        ConfigField(
            "mo_from_xpath",
            "Inbound XML: XPath of the sender",
            help="Where the sender is in an inbound XML body, e.g. //from",
            show_when=("content_type", ("xml",)),
        ),
        ConfigField(
            "mo_text_xpath",
            "Inbound XML: XPath of the text",
            help="Where the text is in an inbound XML body, e.g. //text",
            show_when=("content_type", ("xml",)),
        ),
        ConfigField(
            "mo_date_xpath",
            "Inbound XML: XPath of the date",
            help="Where the date is in an inbound XML body, e.g. //date",
            show_when=("content_type", ("xml",)),
        ),
        ConfigField(
            "mo_id_xpath",
            "Inbound XML: XPath of the message id",
            help="Where the message id is in an inbound XML body, e.g. //id",
            show_when=("content_type", ("xml",)),
        ),
        ConfigField(
            "mo_response",
            "Fixed response body",
            "textarea",
            help="What we answer the provider's inbound request with",
        ),
        ConfigField(
            "mo_response_content_type",
            "Fixed response content type",
            help="e.g. text/plain; only with a fixed body",
        ),
    )

    def clean_config(
        self, config: dict[str, Any], *, existing: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        cleaned = super().clean_config(
            _courier_content_type(secrets.restore_masked(config, existing)), existing=existing
        )
        errors: dict[str, str] = {}
        for key in ("send_url", "body"):
            unknown = unknown_variables(cleaned.get(key) or "")
            if unknown:
                errors[key] = f"unknown variables: {', '.join(unknown)}"
        refusal = config_url_refusal(str(cleaned.get("send_url") or ""))
        if refusal and "send_url" not in errors:
            errors["send_url"] = refusal
        if cleaned.get("content_type") == "custom" and not cleaned.get("body"):
            errors["body"] = "a custom content type needs a body template"
        if "body" not in errors:
            fmt = body_format(
                cleaned.get("content_type") or "urlencoded", cleaned.get("custom_content_type") or ""
            )
            problem = body_problem(cleaned.get("body") or "", fmt)
            if problem:
                errors["body"] = problem
        if errors:
            raise ConfigError(errors)
        return cleaned

    def secret_keys(self, channel: Channel) -> set[str]:
        return secrets.secret_keys(channel.config)

    def public_config(self, channel: Channel) -> dict[str, Any]:
        return secrets.public_config(channel.config)

    def default_scheme(self, channel: Channel) -> str:
        return str(channel.config.get("scheme") or "tel")

    def views(self) -> dict[str, ChannelView]:
        return {
            "receive": receive.receive,
            "sent": receive.handle_sent,
            "delivered": receive.handle_delivered,
            "failed": receive.handle_failed,
            "stopped": receive.stopped,
        }

    def parse_inbound(self, channel: Channel, request: InboundRequest) -> InboundFields | None:
        return receive.parse_inbound(channel, request)

    def inbound_response(
        self, channel: Channel, received: Received, fields: InboundFields
    ) -> tuple[int, str, bytes]:
        return receive.inbound_response(channel, received, fields)

    async def send(self, channel: Channel, msg: OutgoingMessage, client: httpx.AsyncClient) -> SendResult:
        return await sender.send(channel, msg, client)
