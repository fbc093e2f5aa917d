from __future__ import annotations

from typing import Any

import httpx

from aggregators import services
from aggregators.voice import views as voice_views
from aggregators.xc import receive, sender
from channels_app.crypto import reveal_fields
from channels_app.inbound_auth import InboundSignature
from channels_app.models import Channel
from channels_app.types.base import ChannelType, ChannelView, ConfigField, OutgoingMessage, SendResult
from channels_app.types.config import MASK
from channels_app.types.registry import register


@register
class ConnectorType(ChannelType):
    """Any HTTP SMS provider described by an XML connector (built in or uploaded)."""

    code = "XC"
    slug = "xc"
    name = "XML connector"
    description = "Any HTTP SMS provider through a declarative XML connector: Twilio, Plivo, Vonage…"
    schemes = ("tel",)
    # The real fields come from the chosen connector's <config><fields> (see clean_config_for).
    config_fields = (
        ConfigField("connector", "Connector (slug or uuid)", required=True),
        ConfigField("fields", "Connector fields", "json"),
        ConfigField("max_tps", "Max messages per second", "int", default=0),
    )

    def clean_config(
        self, config: dict[str, Any], *, existing: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        # Without a workspace only built-in connectors can be named.
        return services.clean_channel_config(workspace_id=0, config=config, existing=existing)

    def clean_config_for(
        self, config: dict[str, Any], *, workspace_id: int, existing: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return services.clean_channel_config(workspace_id=workspace_id, config=config, existing=existing)

    def secret_keys(self, channel: Channel) -> set[str]:
        try:
            resolved = services.resolve_cached(
                workspace_id=channel.workspace_id, ref=str(channel.config.get("connector") or "")
            )
        except services.ConnectorNotFound:
            return {f"fields.{name}" for name in (channel.config.get("fields") or {})}  # unknown: hide all
        return {f"fields.{f.name}" for f in resolved.parsed.fields if f.secret}

    def public_config(self, channel: Channel) -> dict[str, Any]:
        secret = {key.split(".", 1)[1] for key in self.secret_keys(channel)}
        fields = {
            name: (MASK if name in secret and value not in (None, "") else value)
            for name, value in (channel.config.get("fields") or {}).items()
        }
        from aggregators.xc.callback_fields import CALLBACK_FIELDS, with_callbacks

        declared = self._declared(channel)
        return {**channel.config, "fields": with_callbacks(channel, fields, declared & set(CALLBACK_FIELDS))}

    def _declared(self, channel: Channel) -> set[str]:
        try:
            resolved = services.resolve_cached(
                workspace_id=channel.workspace_id, ref=str(channel.config.get("connector") or "")
            )
        except services.ConnectorNotFound:
            return set()
        return {f.name for f in resolved.parsed.fields}

    def inbound_signature(self, channel: Channel) -> InboundSignature | None:
        try:
            resolved = services.resolve_cached(
                workspace_id=channel.workspace_id, ref=str(channel.config.get("connector") or "")
            )
        except services.ConnectorNotFound:
            return None
        declared = resolved.parsed.signature
        if declared is None:
            return None
        fields = resolved.parsed.effective_fields(reveal_fields(channel.config.get("fields") or {}))
        return InboundSignature(
            header=declared.header,
            key=declared.key.render_str(fields, {}),
            algorithm=declared.algorithm,
            encoding=declared.encoding,
            payload=declared.payload,
            prefix=declared.prefix,
        )

    def views(self) -> dict[str, ChannelView]:
        # Phone connectors use answer/status/incoming (aggregators.voice); each view refuses the other kind.
        return {"callback": receive.callback, "receive": receive.receive, **voice_views.VIEWS}

    def urls(self, channel: Channel) -> dict[str, str]:
        try:
            kind = services.resolve_cached(
                workspace_id=channel.workspace_id, ref=str(channel.config.get("connector") or "")
            ).kind
        except services.ConnectorNotFound:
            kind = "sms"
        keep = voice_views.ACTIONS if kind == "phone" else ("callback", "receive")
        return {action: url for action, url in super().urls(channel).items() if action in keep}

    async def send(self, channel: Channel, msg: OutgoingMessage, client: httpx.AsyncClient) -> SendResult:
        return await sender.send(channel, msg, client)
