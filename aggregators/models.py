"""Connectors uploaded by a workspace; built-in connectors are files, not rows."""

from __future__ import annotations

import uuid

from django.db import models

from channels_app.models import Workspace


class Connector(models.Model):
    """An uploaded connector: immutable once saved, so parsed copies can be cached by uuid."""

    class Kind(models.TextChoices):
        SMS = "sms"
        PHONE = "phone"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="connectors")
    name = models.CharField(max_length=128)
    slug = models.SlugField(max_length=64)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    xml = models.TextField()
    created_on = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "slug"], name="unique_connector_slug_per_workspace")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"


from aggregators.voice.models import AgentPhone  # noqa: E402  (registers the model with this app)

__all__ = ["AgentPhone", "Connector"]
