import uuid
from typing import Any

from django.db import models

from channels_app.models.fields import DocumentJSONField
from channels_app.models.workspace import Workspace


class WebhookSubscription(models.Model):
    """A workspace's URL that receives signed POSTs for the events it names."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=1024)
    events = models.JSONField(default=list)
    # Stored encrypted (channels_app.crypto); `plain_secret` is the signing key.
    secret = models.CharField(max_length=255)
    is_active = models.BooleanField(default=True)
    created_on = models.DateTimeField(auto_now_add=True)
    modified_on = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.url

    def save(self, *args: Any, **kwargs: Any) -> None:
        from channels_app.services.secret_store import seal

        self.secret = seal(self.secret)
        super().save(*args, **kwargs)

    @property
    def plain_secret(self) -> str:
        from channels_app.crypto import decrypt

        return decrypt(self.secret)


class WebhookDelivery(models.Model):
    """One event for one subscription. The row is written in the transaction that caused the
    event, so a crashed worker or a lost queue job only delays it."""

    class Status(models.TextChoices):
        PENDING = "pending"  # waiting for its first or next attempt
        SENDING = "sending"  # claimed by a worker until `next_attempt_on` (a lease)
        DELIVERED = "delivered"
        FAILED = "failed"  # out of attempts; can be replayed

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="webhook_deliveries")
    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=32)
    payload = DocumentJSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_on = models.DateTimeField(db_index=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    created_on = models.DateTimeField(auto_now_add=True)
    delivered_on = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_on"], name="webhook_delivery_due")]


class WebhookAttempt(models.Model):
    """The log of one POST: what the receiver answered (or why it could not be reached)."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    response_body = models.TextField(blank=True, default="")
    elapsed_ms = models.FloatField(default=0)
    created_on = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
