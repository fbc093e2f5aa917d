"""Flows, their revisions, contacts' sessions and runs, triggers and flow starts.

A flow's uuid is kept from the export it came from (so exports round-trip and triggers/subflows
keep pointing at it); it is unique per workspace, not globally, since two workspaces may import
the same export.
"""

from __future__ import annotations

import uuid

from django.db import models

from channels_app.models import Channel, Contact, ContactGroup, Workspace
from channels_app.models.fields import DocumentJSONField


class Flow(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="flows")
    name = models.CharField(max_length=128)
    flow_type = models.CharField(max_length=16, default="messaging")
    definition = models.JSONField(default=dict)
    spec_version = models.CharField(max_length=16, default="14.4.1")
    revision = models.PositiveIntegerField(default=1)
    archived = models.BooleanField(default=False)
    # flow tests (flows/engine/flowtests.py): scripts kept with the flow and travelling in exports;
    # tests_failing is how many failed when they last ran (on save), for the flows list's mark
    tests = models.JSONField(default=list, blank=True)
    tests_failing = models.PositiveIntegerField(default=0)
    created_on = models.DateTimeField(auto_now_add=True)
    modified_on = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "uuid"], name="unique_flow_uuid")]
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class FlowRevision(models.Model):
    """Every saved definition, so an editor mistake can be reverted."""

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="revisions")
    revision = models.PositiveIntegerField()
    definition = models.JSONField()
    spec_version = models.CharField(max_length=16, default="14.4.1")
    comment = models.CharField(max_length=255, blank=True, default="")
    created_on = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["flow", "revision"], name="unique_flow_revision")]
        ordering = ["-revision"]


class SessionStatus(models.TextChoices):
    WAITING = "waiting"
    COMPLETED = "completed"
    EXPIRED = "expired"
    INTERRUPTED = "interrupted"
    FAILED = "failed"


class FlowSession(models.Model):
    """The engine's session JSON for one contact; at most one is waiting per contact."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="flow_sessions")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="flow_sessions")
    status = models.CharField(max_length=12, choices=SessionStatus.choices)
    current_flow = models.ForeignKey(Flow, on_delete=models.SET_NULL, null=True, blank=True)
    output = DocumentJSONField(default=dict, help_text="the engine's session JSON")
    timeout_on = models.DateTimeField(null=True, blank=True)
    expires_on = models.DateTimeField(null=True, blank=True)
    created_on = models.DateTimeField(auto_now_add=True)
    modified_on = models.DateTimeField(auto_now=True)
    ended_on = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contact"], condition=models.Q(status="waiting"), name="one_waiting_session"
            )
        ]
        indexes = [
            models.Index(fields=["timeout_on"], condition=models.Q(status="waiting"), name="session_timeout"),
            models.Index(fields=["expires_on"], condition=models.Q(status="waiting"), name="session_expires"),
        ]


class FlowRun(models.Model):
    """One contact's pass through one flow; `results` mirrors the engine run's results."""

    uuid = models.UUIDField(unique=True)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="flow_runs")
    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="runs")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="flow_runs")
    session = models.ForeignKey(FlowSession, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=12)
    results = DocumentJSONField(default=dict)
    responded = models.BooleanField(default=False)
    created_on = models.DateTimeField()
    modified_on = models.DateTimeField()
    exited_on = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["flow", "created_on"], name="run_flow_created"),
            models.Index(fields=["contact", "flow"], name="run_contact_flow"),
        ]


class Trigger(models.Model):
    class Type(models.TextChoices):
        KEYWORD = "keyword"
        CATCH_ALL = "catch_all"
        NEW_CONVERSATION = "new_conversation"
        MISSED_CALL = "missed_call"
        INCOMING_CALL = "incoming_call"
        SCHEDULE = "schedule"
        OPT_IN = "opt_in"
        OPT_OUT = "opt_out"

    class Match(models.TextChoices):
        STARTS = "starts"  # the first word of the message is the keyword
        ONLY = "only"  # the message is only the keyword

    class Repeat(models.TextChoices):
        NEVER = "never"
        DAILY = "daily"
        WEEKLY = "weekly"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="triggers")
    trigger_type = models.CharField(max_length=20, choices=Type.choices)
    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="triggers")
    keywords = models.JSONField(default=list, blank=True)
    match_type = models.CharField(max_length=8, choices=Match.choices, default=Match.STARTS)
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, null=True, blank=True)
    groups = models.ManyToManyField(ContactGroup, related_name="triggers", blank=True)
    exclude_groups = models.ManyToManyField(ContactGroup, related_name="excluding_triggers", blank=True)
    repeat = models.CharField(max_length=8, choices=Repeat.choices, default=Repeat.NEVER)
    weekdays = models.CharField(max_length=7, blank=True, default="", help_text="0-6, Monday is 0")
    next_fire = models.DateTimeField(null=True, blank=True, db_index=True)
    archived = models.BooleanField(default=False)
    created_on = models.DateTimeField(auto_now_add=True)


class FlowStart(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        STARTING = "starting"
        COMPLETED = "completed"
        FAILED = "failed"
        PAUSED = "paused"  # a paced start (flows/services/pacing.py)
        CANCELLED = "cancelled"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="flow_starts")
    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="starts")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    contact_uuids = models.JSONField(default=list, blank=True)
    group_uuids = models.JSONField(default=list, blank=True)
    urns = models.JSONField(default=list, blank=True)
    exclude_in_flow = models.BooleanField(default=False)
    exclude_started_recently = models.BooleanField(default=False)
    params = models.JSONField(default=dict, blank=True, help_text="extra data for @trigger.params")
    # The caller's key for this start: a retried request or a double click with the same key
    # gets this start back instead of messaging everybody a second time.
    idempotency_key = models.CharField(max_length=64, blank=True, default="")
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    started = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    # paced starts: contacts are started evenly from send_at over the window (flows/services/pacing.py)
    send_at = models.DateTimeField(null=True, blank=True)
    spread_over_minutes = models.PositiveIntegerField(default=0)
    paused_on = models.DateTimeField(null=True, blank=True)
    created_on = models.DateTimeField(auto_now_add=True)
    modified_on = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="unique_flow_start_idempotency_key",
            )
        ]


class FlowStartBatch(models.Model):
    """A slice of a start's contacts: workers claim batches, so a big start runs in parallel."""

    start = models.ForeignKey(FlowStart, on_delete=models.CASCADE, related_name="batches")
    contact_ids = models.JSONField()
    done = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["start", "done"], name="start_batch_done")]


class ResultsExport(models.Model):
    """A flow's results written to a file by a background job; `processed` drives the progress bar."""

    class Format(models.TextChoices):
        CSV = "csv"
        XLSX = "xlsx"

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="results_exports")
    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="results_exports")
    format = models.CharField(max_length=4, choices=Format.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    path = models.CharField(max_length=512, blank=True, default="", help_text="relative to the var dir")
    error = models.TextField(blank=True, default="")
    created_on = models.DateTimeField(auto_now_add=True)
    modified_on = models.DateTimeField(auto_now=True)
    completed_on = models.DateTimeField(null=True, blank=True)

    @property
    def progress(self) -> int:
        if self.status == self.Status.COMPLETED:
            return 100
        if not self.total:
            return 0
        # 99 at most until the file is closed: an XLSX is only readable once saved
        return min(99, self.processed * 100 // self.total)


# the service actions' models live in their own module; imported here so Django registers them
# paced sending (broadcasts, paced flow starts) lives in its own module too
from flows.pacing_models import Broadcast, PacedSend, PaceStatus, WorkspacePacing  # noqa: E402,F401
from flows.service_models import (  # noqa: E402,F401
    AirtimeService,
    LLMService,
    ResthookSubscriber,
    Ticket,
    TicketStatus,
    Topic,
)
