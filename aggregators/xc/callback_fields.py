"""Phone connectors written after Vtiger's sample declare `answer_callback`, `status_callback` and
`incoming_callback` as config fields for the admin to type. Their only right values are this
channel's own webhook URLs, so Flowgate fills them: never required, never stored from input,
shown read-only, and given the real URLs wherever the connector reads them."""

from __future__ import annotations

from typing import Any

from channels_app.models import Channel

CALLBACK_FIELDS = ("answer_callback", "status_callback", "incoming_callback")
HELP = "filled by Flowgate with this channel's own callback URL"


def callback_values(channel: Channel) -> dict[str, str]:
    from aggregators.voice.services import call_urls

    urls = call_urls(channel)
    return {name: urls[name] for name in CALLBACK_FIELDS}


def with_callbacks(
    channel: Channel, fields: dict[str, Any], declared: set[str] | None = None
) -> dict[str, Any]:
    """`fields` with the callback fields (the declared ones, or those present) set to our URLs."""
    names = declared if declared is not None else set(fields)
    return {**fields, **{k: v for k, v in callback_values(channel).items() if k in names}}
