import uuid
from typing import TYPE_CHECKING, Any

from django.db import models

from channels_app.models.workspace import Workspace

if TYPE_CHECKING:
    from channels_app.types.base import ChannelType


class Channel(models.Model):
    """A configured way in and out: its behaviour comes from its type (see channels_app.types)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="channels")
    channel_type = models.CharField(max_length=8)
    name = models.CharField(max_length=128)
    address = models.CharField(max_length=128, blank=True, default="")
    country = models.CharField(max_length=2, blank=True, default="")
    config = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    created_on = models.DateTimeField(auto_now_add=True)
    modified_on = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.channel_type})"

    @property
    def type(self) -> "ChannelType":
        from channels_app.types.registry import get_type

        return get_type(self.channel_type)

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Secrets never reach the database in clear, whichever code path saves the channel.
        from channels_app.services.secret_store import seal_channel_config

        seal_channel_config(self)
        super().save(*args, **kwargs)
