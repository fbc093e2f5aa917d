import uuid

from django.db import models

from channels_app.models.channel import Channel
from channels_app.models.contact import Contact, ContactURN
from channels_app.models.workspace import Workspace


class Direction(models.TextChoices):
    IN = "in"
    OUT = "out"


class MsgStatus(models.TextChoices):
    PENDING = "pending"  # inbound: stored, not yet handled
    HANDLED = "handled"  # inbound: contact resolved, flows run
    QUEUED = "queued"  # outbound: waiting for a send job
    WIRED = "wired"  # outbound: written to the provider, outcome not confirmed yet
    SENT = "sent"  # outbound: the provider accepted it
    DELIVERED = "delivered"
    ERRORED = "errored"  # outbound: a retryable failure, will be retried
    FAILED = "failed"


# Statuses a message can no longer leave through a normal update (a late "sent" callback must
# not undo "delivered").
FINAL_STATUSES = {MsgStatus.DELIVERED, MsgStatus.FAILED}
STATUS_ORDER = {
    MsgStatus.PENDING: 0,
    MsgStatus.QUEUED: 1,
    MsgStatus.ERRORED: 2,
    MsgStatus.WIRED: 3,
    MsgStatus.SENT: 4,
    MsgStatus.DELIVERED: 5,
    MsgStatus.FAILED: 5,
}


class Msg(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="msgs")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="msgs")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="msgs")
    contact_urn = models.ForeignKey(ContactURN, on_delete=models.SET_NULL, null=True, blank=True)
    urn = models.CharField(max_length=255, help_text="the URN identity at the time of the message")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    status = models.CharField(max_length=10, choices=MsgStatus.choices)
    text = models.TextField(blank=True, default="")
    attachments = models.JSONField(default=list, blank=True)
    external_id = models.CharField(max_length=255, null=True, blank=True)
    error = models.TextField(blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    parts = models.PositiveIntegerField(default=1)
    response_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)
    metadata = models.JSONField(default=dict, blank=True)

    created_on = models.DateTimeField(db_index=True)
    sent_on = models.DateTimeField(null=True, blank=True)
    delivered_on = models.DateTimeField(null=True, blank=True)
    modified_on = models.DateTimeField(auto_now=True)
    next_attempt_on = models.DateTimeField(null=True, blank=True)
    # A sender's claim on a queued message it has not started yet: another sender skips it until
    # the lease runs out, so a killed worker's unsent messages go out again instead of being lost
    # or flagged "outcome unknown". Cleared when the message is wired or released.
    # (nullable: the inbound fast path and the spool insert rows with their own column lists)
    claimed_by = models.CharField(max_length=32, null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["channel", "status"], name="msg_channel_status"),
            models.Index(fields=["workspace", "direction", "-created_on"], name="msg_ws_direction_created"),
            models.Index(fields=["channel", "external_id"], name="msg_channel_external_id"),
        ]
        constraints = [
            # The same provider id on the same channel is one inbound message, however often
            # the aggregator retries its POST.
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=models.Q(direction="in", external_id__isnull=False),
                name="unique_inbound_external_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.urn}: {self.text[:30]}"


class MsgEvent(models.Model):
    """An append-only log of what happened to a message (status changes, attempts, callbacks)."""

    msg = models.ForeignKey(Msg, on_delete=models.CASCADE, related_name="events")
    event_type = models.CharField(max_length=32)
    status = models.CharField(max_length=10, blank=True, default="")
    description = models.TextField(blank=True, default="")
    data = models.JSONField(default=dict, blank=True)
    created_on = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
