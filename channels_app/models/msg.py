from django.db import models

from channels_app.ids import uuid7
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
    uuid = models.UUIDField(default=uuid7, unique=True, editable=False)
    # The foreign keys' own indexes are left out where a composite index below starts with the
    # same column: one index fewer to write on every insert and every status change.
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="msgs", db_index=False)
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="msgs", db_index=False)
    # No database-level constraint on the contact and URN links: PostgreSQL checks a foreign key
    # by locking the referenced row (FOR KEY SHARE), so every insert and status change of a
    # message wrote a WAL record, with a full-page image after each checkpoint, on a random
    # page of the contacts and of the URNs table (~10 KB per stored message at 1M contacts).
    # Django still cascades contact deletion; URNs are only ever deleted with their workspace,
    # whose messages go too, so the URN link needs neither a constraint nor an index.
    contact = models.ForeignKey(
        Contact,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="msgs",
        db_index=False,
        db_constraint=False,
    )
    contact_urn = models.ForeignKey(
        ContactURN, on_delete=models.DO_NOTHING, null=True, blank=True, db_index=False, db_constraint=False
    )
    urn = models.CharField(max_length=255, help_text="the URN identity at the time of the message")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    status = models.CharField(max_length=10, choices=MsgStatus.choices)
    text = models.TextField(blank=True, default="")
    attachments = models.JSONField(default=list, blank=True)
    external_id = models.CharField(max_length=255, null=True, blank=True)
    error = models.TextField(blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    parts = models.PositiveIntegerField(default=1)
    response_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, db_index=False)
    metadata = models.JSONField(default=dict, blank=True)
    # Inbox state of inbound messages (RapidPro's): archived ones leave the inbox, deleted ones
    # every list. A database default, since the fast path and the spool insert their own columns.
    visibility = models.CharField(max_length=8, default="visible", db_default="visible")

    # Indexed for the daily counts job (a day's range over all workspaces); time-ordered, so
    # inserts append to the right edge.
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
        # Every index is written on each insert and on each update that is not HOT (status
        # changes are not: status is in the work-queue predicates). So: few indexes, ordered by
        # id or a time-ordered uuid where possible (inserts append to the right edge), and the
        # work queues as small partial indexes that rows leave once handled.
        indexes = [
            # Message log, API list, dashboards: a workspace's messages newest first.
            models.Index(fields=["workspace", "-id"], name="msg_ws_id"),
            # Contact page history and the contacts list's last message. Every lookup names a
            # contact, so messages without one (inbound ones until handled) need no entry. The
            # contact alone, not (contact, id): equal keys share one posting list (B-tree
            # deduplication), a third of the size, so a third of the random leaves that each
            # handled message dirties (0021); a contact's messages are sorted after the lookup.
            models.Index(
                fields=["contact"],
                condition=models.Q(contact__isnull=False),
                name="msg_contact_known",
            ),
            # Status callbacks find an outbound message by provider id. Inbound ids are found
            # through `unique_inbound_external_id`, so inbound messages and outbound ones not yet
            # sent (no id) write no entry here: one index entry fewer at receive and at handle.
            models.Index(
                fields=["channel", "external_id"],
                condition=models.Q(direction="out", external_id__isnull=False),
                name="msg_out_external_id",
            ),
            # Replies are few: index only them (deleting a message nulls its replies' link).
            models.Index(
                fields=["response_to"], condition=models.Q(response_to__isnull=False), name="msg_response_to"
            ),
            # Outbound work queue (sender claim, sweep, SMSC recovery): only unfinished messages.
            models.Index(
                fields=["channel", "id"],
                condition=models.Q(status__in=["queued", "errored", "wired"]),
                name="msg_outbox",
            ),
            # Inbound work queue: messages stored but not handled yet.
            models.Index(fields=["workspace", "id"], condition=models.Q(status="pending"), name="msg_inbox"),
            # Status polling of connector channels (aggregators.xc.polling): only sent outbound
            # messages with a provider id still being polled, so the periodic tick reads a few
            # index entries per channel instead of scanning every message.
            models.Index(
                fields=["channel", "sent_on"],
                condition=models.Q(direction="out", status="sent", external_id__isnull=False)
                & ~models.Q(metadata__has_key="xc_poll_done"),
                name="msg_xc_poll",
            ),
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
