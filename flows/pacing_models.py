"""Paced sending: broadcasts and flow starts spread over a window, one scheduled row per recipient.

The schedule lives in the database (never in a worker's memory): each recipient is a PacedSend
row with its due time. A release job claims due rows (SKIP LOCKED on PostgreSQL, so several
workers share the work) and, in the same transaction, creates the message or starts the flow
and marks the row released. A worker killed mid-window therefore either committed both or
neither: nothing is lost and nothing goes out twice.
"""

from __future__ import annotations

import uuid

from django.db import models

from channels_app.models import MessageTemplate, Workspace


class WorkspacePacing(models.Model):
    """A workspace's quiet hours: paced sends wait between quiet_start and quiet_end (local time);
    replies to an inbound message never do."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="pacing")
    # empty: the workspace's time zone (and it follows when the workspace changes it)
    timezone = models.CharField(max_length=64, blank=True, default="")
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)


class PaceStatus(models.TextChoices):
    SCHEDULED = "scheduled"  # waiting for send_at
    SENDING = "sending"  # inside its window
    PAUSED = "paused"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class Broadcast(models.Model):
    """One message to many contacts, in each contact's language, optionally paced."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="broadcasts")
    # language code -> text; the base language's text is used for contacts without a translation
    translations = models.JSONField(default=dict)
    base_language = models.CharField(max_length=8, default="eng")
    template = models.ForeignKey(MessageTemplate, null=True, blank=True, on_delete=models.SET_NULL)
    group_uuids = models.JSONField(default=list, blank=True)
    contact_uuids = models.JSONField(default=list, blank=True)
    urns = models.JSONField(default=list, blank=True)
    send_at = models.DateTimeField()
    spread_over_minutes = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=PaceStatus.choices, default=PaceStatus.SCHEDULED)
    total = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0, help_text="stopped or blocked contacts left out")
    paused_on = models.DateTimeField(null=True, blank=True)
    created_on = models.DateTimeField(auto_now_add=True)
    modified_on = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]


class PacedSend(models.Model):
    """One recipient of a paced broadcast or flow start, due at `due_at`."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled"
        PAUSED = "paused"
        RELEASED = "released"  # its message was queued (or its flow started)
        FAILED = "failed"  # could not be queued (no channel, invalid URN, flow error)
        CANCELLED = "cancelled"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", db_index=False)
    broadcast = models.ForeignKey(
        Broadcast, null=True, blank=True, on_delete=models.CASCADE, related_name="sends", db_index=False
    )
    flow_start = models.ForeignKey(
        "flows.FlowStart",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="paced",
        db_index=False,
    )
    contact_id = models.BigIntegerField(null=True, blank=True)
    urn = models.CharField(max_length=255, blank=True, default="")
    language = models.CharField(max_length=8, blank=True, default="")
    # the channel expected to send it when planned: its max_tps set the spacing
    channel_id = models.BigIntegerField(null=True, blank=True)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    msg_id = models.BigIntegerField(null=True, blank=True)
    error = models.CharField(max_length=255, blank=True, default="")
    released_on = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # the release job's queue: only rows still waiting
            models.Index(fields=["due_at"], condition=models.Q(status="scheduled"), name="paced_due"),
            models.Index(fields=["broadcast", "status"], name="paced_broadcast"),
            models.Index(fields=["flow_start", "status"], name="paced_flow_start"),
        ]
