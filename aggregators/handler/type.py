from __future__ import annotations

from typing import Any

import httpx

from aggregators.handler import sender
from aggregators.handler.senders import clean_channel_config
from channels_app.models import Channel
from channels_app.types.base import ChannelType, ConfigField, OutgoingMessage, SendResult
from channels_app.types.registry import register


@register
class HandlerAppType(ChannelType):
    """An external handler app that registered itself through /rest/messageservice.sender.add.

    We post each outgoing message to the app's HANDLER as a form; the app delivers it its own
    way and reports back with messageservice.message.status.update.
    """

    code = "HX"
    slug = "hx"
    name = "Handler app"
    description = "An app that registered a message sender through the message-service REST API."
    schemes = ("tel",)
    user_creatable = False
    config_fields = (
        ConfigField("code", "Sender code", required=True),
        ConfigField("handler", "Handler URL", "url", required=True),
        ConfigField("sender_type", "Type", "choice", default="SMS", choices=("SMS",)),
        ConfigField("name", "Name"),
        ConfigField("description", "Description"),
        ConfigField("app", "Registered by app"),
        ConfigField("app_id", "App id"),
        ConfigField("application_token", "Application token", "password"),
        ConfigField("member_id", "Member id"),
    )

    def clean_config(
        self, config: dict[str, Any], *, existing: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return clean_channel_config(config, existing)

    async def send(self, channel: Channel, msg: OutgoingMessage, client: httpx.AsyncClient) -> SendResult:
        return await sender.send(channel, msg, client)
