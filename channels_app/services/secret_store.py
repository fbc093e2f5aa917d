"""Which stored values are secrets, sealing them on save and re-encrypting them on rotation.

Secrets are every config value a channel type marks secret (`ChannelType.secret_keys`, dotted
for nested ones: `fields.AuthToken`), the inbound-auth secrets, webhook signing secrets and
handler apps' application tokens. They are encrypted on every save (`Channel.save`,
`WebhookSubscription.save` and `AppToken.save` call in here),
and revealed only where a sender or receiver needs them (`channels_app.crypto.reveal`).
Re-encrypting under a new key is `channels_app.services.secret_rotation`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from channels_app import crypto, inbound_auth

if TYPE_CHECKING:
    from django.db import models

    from channels_app.models import Channel

# Encrypted string columns of models outside channels_app (registered by their apps), rotated
# with the channels' secrets by channels_app.services.secret_rotation.
_sealed_fields: list[tuple[type[models.Model], str]] = []


def register_sealed_field(model: type[models.Model], field: str) -> None:
    """Rotate `model.field` (a string column holding `crypto.encrypt` output) with the rest."""
    if (model, field) not in _sealed_fields:
        _sealed_fields.append((model, field))


def sealed_fields() -> list[tuple[type[models.Model], str]]:
    return list(_sealed_fields)


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
