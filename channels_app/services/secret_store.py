"""Which stored values are secrets, sealing them on save and re-encrypting them on rotation.

Secrets are every config value a channel type marks secret (`ChannelType.secret_keys`, dotted
for nested ones: `fields.AuthToken`), the inbound-auth secrets, webhook signing secrets and
handler apps' application tokens. They are encrypted on every save (`Channel.save`,
`WebhookSubscription.save` and `AppToken.save` call in here),
and revealed only where a sender or receiver needs them (`channels_app.crypto.reveal`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from channels_app import crypto, inbound_auth

if TYPE_CHECKING:
    from channels_app.models import Channel


def channel_secret_keys(channel: Channel) -> set[str]:
    from channels_app.types.registry import UnknownChannelType

    try:
        keys = set(channel.type.secret_keys(channel))
    except UnknownChannelType:
        keys = set()
    return keys | set(inbound_auth.SECRET_KEYS)


def _transform(
    config: dict[str, Any], keys: set[str], fn: Callable[[str], str]
) -> tuple[dict[str, Any], int]:
    """A copy of config with fn applied to the string at each (dotted) key; and how many changed."""
    result = dict(config)
    changed = 0
    for key in sorted(keys):
        head, _, rest = key.partition(".")
        if rest:
            inner = result.get(head)
            if isinstance(inner, dict):
                result[head], count = _transform(inner, {rest}, fn)
                changed += count
            continue
        value = result.get(head)
        if isinstance(value, str) and value:
            new = fn(value)
            if new != value:
                result[head] = new
                changed += 1
    return result, changed


def seal_channel_config(channel: Channel) -> int:
    """Encrypt the channel's plaintext secrets in place (before a save); returns how many."""
    if not channel.config:
        return 0
    channel.config, changed = _transform(channel.config, channel_secret_keys(channel), crypto.encrypt)
    return changed


def seal(value: str) -> str:
    return crypto.encrypt(value) if value else value


@dataclass
class RotationCounts:
    channels: int = 0
    channel_secrets: int = 0
    webhooks: int = 0
    app_tokens: int = 0
    service_secrets: int = 0  # flows' airtime service authorizations and LLM API keys

    def as_dict(self) -> dict[str, int]:
        return {
            "channels": self.channels,
            "channel_secrets": self.channel_secrets,
            "webhooks": self.webhooks,
            "app_tokens": self.app_tokens,
            "service_secrets": self.service_secrets,
        }


def rotate_all() -> RotationCounts:
    """Re-encrypt every stored secret with the first key (plaintext ones get encrypted).

    Rows are updated with `.update()` so `modified_on` and save hooks stay out of it.
    Raises crypto.SecretDecryptionError if a value opens with none of the configured keys.
    """
    from django.db import transaction

    from channels_app.models import AppToken, Channel, WebhookSubscription

    counts = RotationCounts()
    with transaction.atomic():
        for channel in Channel.objects.select_for_update().order_by("id").iterator(chunk_size=500):
            config, changed = _transform(channel.config or {}, channel_secret_keys(channel), crypto.rotate)
            if changed:
                Channel.objects.filter(id=channel.id).update(config=config)
                counts.channels += 1
                counts.channel_secrets += changed
        for hook in WebhookSubscription.objects.select_for_update().order_by("id").iterator(chunk_size=500):
            if hook.secret:
                WebhookSubscription.objects.filter(id=hook.id).update(secret=crypto.rotate(hook.secret))
                counts.webhooks += 1
        for app in AppToken.objects.select_for_update().order_by("id").iterator(chunk_size=500):
            if app.application_token:
                AppToken.objects.filter(id=app.id).update(
                    application_token=crypto.rotate(app.application_token)
                )
                counts.app_tokens += 1
        counts.service_secrets = _rotate_flow_service_secrets()
    _forget_cached_channels()
    return counts


def _rotate_flow_service_secrets() -> int:
    from flows.service_models import AirtimeService, LLMService

    rotated = 0
    for model, field in ((AirtimeService, "authorization"), (LLMService, "api_key")):
        for row_id, value in (
            model.objects.select_for_update().exclude(**{field: ""}).values_list("id", field)
        ):
            model.objects.filter(id=row_id).update(**{field: crypto.rotate(value)})
            rotated += 1
    return rotated


def _forget_cached_channels() -> None:
    from channels_app import fastpath, views

    views._channel_cache.clear()
    fastpath._channel_cache.clear()
