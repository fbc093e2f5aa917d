import uuid

from django.conf import settings
from django.db import models

from channels_app.models.channel import Channel
from channels_app.models.contact import Contact
from channels_app.models.workspace import Workspace


class Call(models.Model):
    """A phone call placed or received through a voice channel (e.g. a phone-call connector)."""

    class Direction(models.TextChoices):
        IN = "in"
        OUT = "out"

    class Status(models.TextChoices):
        QUEUED = "queued"  # click-to-call requested, provider not answered yet
        RINGING = "ringing"
        IN_PROGRESS = "in-progress"
        COMPLETED = "completed"
        BUSY = "busy"
        NO_ANSWER = "no-answer"
        FAILED = "failed"
        CANCELED = "canceled"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="calls")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="calls")
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    from_number = models.CharField(max_length=64, blank=True, default="")
    to_number = models.CharField(max_length=64, blank=True, default="")
    external_id = models.CharField(max_length=255, null=True, blank=True, db_index=True)
    duration = models.PositiveIntegerField(null=True, blank=True, help_text="seconds")
    started_on = models.DateTimeField(null=True, blank=True)
    ended_on = models.DateTimeField(null=True, blank=True)
    recording_url = models.URLField(max_length=1024, blank=True, default="")
    error = models.TextField(blank=True, default="")
    data = models.JSONField(default=dict, blank=True, help_text="other values the provider reported")
    created_on = models.DateTimeField(auto_now_add=True)
    modified_on = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "-created_on"], name="call_ws_created")]
        constraints = [
            # A provider retrying (or racing) its incoming-call post is one call.
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=models.Q(direction="in", external_id__isnull=False),
                name="unique_incoming_call_id",
            )
        ]


class CallEvent(models.Model):
    """Every raw callback or request about a call, kept for the call log."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="events")
    event_type = models.CharField(max_length=32)
    status = models.CharField(max_length=12, blank=True, default="")
    data = models.JSONField(default=dict, blank=True)
    created_on = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
