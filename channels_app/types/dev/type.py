from __future__ import annotations

from typing import Any

import httpx

from channels_app.models import Channel
from channels_app.types.base import ChannelType, ConfigField, OutgoingMessage, SendResult
from channels_app.types.registry import register


@register
class DevChannelType(ChannelType):
    """A mock channel for trying flows with no provider: sending only records the message,
    and `channels_app.types.dev.jobs.deliver_due` marks it delivered after `delivery_delay`."""

    code = "DV"
    slug = "dv"
    name = "Development (mock)"
    description = "Sends nothing: records each message and marks it delivered after a delay."
    schemes = ("tel", "ext")
    config_fields = (
        ConfigField(
            "delivery_delay", "Delivery delay (seconds)", "int", default=2, help="0 delivers at once"
        ),
        ConfigField("fail_prefix", "Fail numbers starting with", help="e.g. +999: those messages fail"),
    )

    async def send(self, channel: Channel, msg: OutgoingMessage, client: httpx.AsyncClient) -> SendResult:
        recorded: dict[str, Any] = {"recorded": True, "to": msg.urn, "text": msg.text}
        prefix = str(channel.config.get("fail_prefix") or "")
        if prefix and msg.urn.split(":", 1)[-1].startswith(prefix):
            return SendResult(ok=False, error=f"mock failure for numbers starting {prefix}", log=[recorded])
        return SendResult(ok=True, external_id=f"dev-{msg.uuid}", log=[recorded])
