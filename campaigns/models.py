"""Campaigns: a group of contacts and events relative to one of their date fields.

Each event's upcoming sends are rows (EventFire), one per contact per event, so the scheduler
finds what is due with one indexed query and a worker restart loses nothing: a fire is done
only when the transaction that sent it also marked it fired.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from channels_app.models import Contact, ContactField, ContactGroup, Workspace


class Campaign(models.Model):
    # unique per workspace, like flows: an export imported into two workspaces keeps its uuids
    uuid = models.UUIDField(default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(max_length=128)
    group = models.ForeignKey(ContactGroup, on_delete=models.PROTECT, related_name="campaigns")
    is_archived = models.BooleanField(default=False)
    created_on = models.DateTimeField(auto_now_add=True)
    modified_on = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "uuid"], name="unique_campaign_uuid")]
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class CampaignEvent(models.Model):
    class Unit(models.TextChoices):
        MINUTES = "minutes"
        HOURS = "hours"
        DAYS = "days"
        WEEKS = "weeks"

    class Kind(models.TextChoices):
        MESSAGE = "message"
        FLOW = "flow"

    class StartMode(models.TextChoices):
        INTERRUPT = "interrupt"  # end the contact's current flow and start this one
        SKIP = "skip"  # contacts in a flow are left alone (the fire is recorded as skipped)
        PASSIVE = "passive"  # start without ending the current flow (for flows that don't wait)

    uuid = models.UUIDField(default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="campaign_events")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="events")
    relative_to = models.ForeignKey(ContactField, on_delete=models.PROTECT, related_name="campaign_events")
    offset = models.IntegerField(default=0)
    unit = models.CharField(max_length=8, choices=Unit.choices, default=Unit.DAYS)
    delivery_hour = models.SmallIntegerField(default=-1)  # -1: at the offset's own time of day
    kind = models.CharField(max_length=8, choices=Kind.choices)
    message = models.JSONField(default=dict, blank=True)  # language code -> text
    base_language = models.CharField(max_length=3, blank=True, default="")
    flow = models.ForeignKey(
        "flows.Flow", null=True, blank=True, on_delete=models.PROTECT, related_name="campaign_events"
    )
    start_mode = models.CharField(max_length=9, choices=StartMode.choices, default=StartMode.INTERRUPT)
    is_active = models.BooleanField(default=True)  # an edit replaces the event; the old one stays for history
    created_on = models.DateTimeField(auto_now_add=True)
    modified_on = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="unique_campaign_event_uuid")
        ]
        ordering = ["campaign_id", "offset", "id"]


class EventFire(models.Model):
    """One scheduled (fired_on null) or past send of an event to a contact."""

    class Result(models.TextChoices):
        SENT = "sent"  # the message was queued
        STARTED = "started"  # the flow was started
        SKIPPED = "skipped"  # start mode skip and the contact was in a flow
        FAILED = "failed"  # e.g. no channel can reach the contact

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="event_fires")
    event = models.ForeignKey(CampaignEvent, on_delete=models.CASCADE, related_name="fires")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="event_fires")
    scheduled = models.DateTimeField()
    fired_on = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=8, choices=Result.choices, blank=True, default="")
    detail = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        constraints = [
            # at most one upcoming fire per contact per event: rescheduling replaces it
            models.UniqueConstraint(
                fields=["event", "contact"], condition=Q(fired_on__isnull=True), name="unique_pending_fire"
            )
        ]
        indexes = [
            models.Index(fields=["scheduled"], condition=Q(fired_on__isnull=True), name="fire_due"),
            models.Index(fields=["event", "-fired_on"], name="fire_event_fired"),
        ]
