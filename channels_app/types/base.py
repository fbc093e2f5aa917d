"""The contract every channel type implements.

A channel type is a folder with a `type.py` holding a `ChannelType` subclass: class attributes
describe it (code, name, config fields, URLs) and a few hooks do the type-specific work. Core
services (ingest, send, status) call only these hooks, so adding a provider never touches them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import httpx
    from django.http import HttpRequest, HttpResponse

    from channels_app.inbound.request import InboundFields, InboundRequest
    from channels_app.inbound_auth import InboundSignature
    from channels_app.models import Channel
    from channels_app.services.ingest import Received


class ConfigError(ValueError):
    """A channel config that cannot work; `errors` maps field name to message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class ConfigField:
    """One setting of a channel type; the add-channel form and API validation come from these."""

    name: str
    label: str
    kind: str = "text"  # text | password | url | choice | int | bool | json | textarea
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    help: str = ""
    # Shown in forms only while another setting has one of these values, e.g.
    # ("content_type", ("xml",)): the form hides what does not apply (validation is unchanged).
    show_when: tuple[str, tuple[str, ...]] | None = None

    @property
    def secret(self) -> bool:
        return self.kind == "password"


@dataclass
class OutgoingMessage:
    """What a type needs to send one message, detached from the ORM so sending can run async."""

    id: int
    uuid: str
    text: str
    urn: str
    attachments: list[str] = field(default_factory=list)
    # Texts of the message's quick replies (flows' `send_msg`, the messages API); channels that
    # cannot show buttons ignore them, the External API sends them as `{{quick_replies}}`.
    quick_replies: list[str] = field(default_factory=list)
    attempt: int = 1
    # Parts already accepted by the provider in earlier attempts: a retry resumes after them
    # instead of sending part one again.
    parts_sent: int = 0
    contact_id: int | None = None  # whom it goes to (handler apps get it as the CRM binding)


@dataclass
class SendResult:
    """The outcome of one send attempt.

    `retryable` failures (transport errors, 5xx, 429) are tried again with backoff; others are
    final. `log` keeps the request and response for the message's event log (secrets masked).
    """

    ok: bool
    external_id: str | None = None
    error: str = ""
    retryable: bool = False
    parts: int = 1
    parts_sent: int = 0
    log: list[dict[str, Any]] = field(default_factory=list)
    # The provider said the recipient opted out (e.g. Twilio 21610): the contact is stopped.
    opted_out: bool = False


ChannelView = Callable[["HttpRequest", "Channel"], "HttpResponse"]


class ChannelType:
    code: ClassVar[str]
    slug: ClassVar[str]  # the URL segment: /c/<slug>/<uuid>/<action>
    name: ClassVar[str]
    description: ClassVar[str] = ""
    schemes: ClassVar[tuple[str, ...]] = ("tel",)
    config_fields: ClassVar[tuple[ConfigField, ...]] = ()
    # False for types whose own long-running process sends (an SMPP link holds the socket): the
    # rq send job then leaves their queued messages to that process (send.claim_batch/record_results).
    sent_by_worker: ClassVar[bool] = True
    # Types created only by another system (e.g. a handler app registering itself) set False.
    user_creatable: ClassVar[bool] = True

    # --- configuration ------------------------------------------------------------------
    def clean_config(
        self, config: dict[str, Any], *, existing: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Validate and normalise a config; masked secrets keep their stored value."""
        from channels_app.types.config import clean_config

        return clean_config(self.config_fields, config, existing=existing)

    def clean_config_for(
        self, config: dict[str, Any], *, workspace_id: int, existing: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """`clean_config` with the workspace known: for configs naming workspace rows (connectors)."""
        return self.clean_config(config, existing=existing)

    def public_config(self, channel: Channel) -> dict[str, Any]:
        """The config as shown in the UI and API: secrets masked (types with nested secrets override)."""
        from channels_app.types.config import masked_config

        return masked_config(channel.config, self.secret_keys(channel))

    def default_scheme(self, channel: Channel) -> str:
        """The URN scheme of a bare sender/recipient (`+2507…` → `tel:+2507…`)."""
        return self.schemes[0]

    def secret_keys(self, channel: Channel) -> set[str]:
        return {f.name for f in self.config_fields if f.secret}

    # --- inbound ------------------------------------------------------------------------
    def views(self) -> dict[str, ChannelView]:
        """Handlers for /c/<slug>/<uuid>/<action>, keyed by action."""
        return {}

    def parse_inbound(self, channel: Channel, request: InboundRequest) -> InboundFields | None:
        """Parse a `/receive` post without Django, for the ASGI fast path (channels_app.fastpath).

        Return None when this type (or this particular request) needs its full Django view;
        raise channels_app.inbound.request.BadRequest for input to refuse with a 400.
        """
        return None

    def inbound_signature(self, channel: Channel) -> InboundSignature | None:
        """The provider's webhook signature scheme and key, for channels that check it (or None)."""
        return None

    def inbound_response(
        self, channel: Channel, received: Received, fields: InboundFields
    ) -> tuple[int, str, bytes]:
        """(status, content type, body) answering an accepted fast-path post."""
        return (
            200,
            "application/json",
            b'{"message": "Message Accepted", "uuid": "%s"}' % received.uuid.encode(),
        )

    # --- outbound -----------------------------------------------------------------------
    def max_tps(self, channel: Channel) -> float:
        """Messages per second this channel may send (0 = unlimited)."""
        try:
            return float(channel.config.get("max_tps") or 0)
        except (TypeError, ValueError):
            return 0.0

    async def send(self, channel: Channel, msg: OutgoingMessage, client: httpx.AsyncClient) -> SendResult:
        raise NotImplementedError(f"channel type {self.code} cannot send")

    # --- monitoring -----------------------------------------------------------------------
    def live_status(self, channel: Channel) -> dict[str, Any] | None:
        """Runtime state of a long-lived connection (e.g. an SMPP link) for the UI/API; None if none."""
        return None

    def urls(self, channel: Channel) -> dict[str, str]:
        from django.conf import settings

        base = settings.FLOWGATE_BASE_URL.rstrip("/")
        return {action: f"{base}/c/{self.slug}/{channel.uuid}/{action}" for action in self.views()}
