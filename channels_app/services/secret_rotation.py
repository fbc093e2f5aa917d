"""Re-encrypting every stored secret under the first configured key (`manage.py rotate_secrets`).

Channel configs, webhook and app-token secrets are known here; apps above (flows' airtime and
LLM services) register their own encrypted-at-rest columns with
`secret_store.register_sealed_field`, so this module never imports them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from channels_app import crypto
from channels_app.inbound import resolver
from channels_app.models import AppToken, Channel, WebhookSubscription, Workspace
from channels_app.services import versioned_cache
from channels_app.services.secret_store import _transform, channel_secret_keys, sealed_fields


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
        counts.service_secrets = _rotate_registered_fields()
        # cached channels, subscriptions and engine services hold the old ciphertexts
        versioned_cache.changed_everywhere(list(Workspace.objects.values_list("id", flat=True)))
    resolver.forget_all()
    return counts


def _rotate_registered_fields() -> int:
    rotated = 0
    for model, field in sealed_fields():
        for row_id, value in (
            model._default_manager.select_for_update().exclude(**{field: ""}).values_list("id", field)
        ):
            model._default_manager.filter(id=row_id).update(**{field: crypto.rotate(value)})
            rotated += 1
    return rotated
