"""The message log's filters as one queryset: channel, direction, status, date range, text."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from channels_app.models import Channel, Label, Msg, Workspace
from channels_app.models.msg import MsgStatus
from channels_app.services.message_words import text_has_words
from channels_app.services.search_terms import match_contacts


@dataclass(frozen=True)
class MessageFilter:
    channel: Channel | None = None
    direction: str = ""
    status: str = ""
    since: dt.date | None = None  # inclusive, in the current time zone
    until: dt.date | None = None  # inclusive
    query: str = ""
    before_id: int | None = None  # paging: only rows older than this one
    label: Label | None = None
    visibility: str = ""  # "visible" (inbox), "archived"; "" both (deleted ones never show)

    def shows_new_messages(self, *, today: dt.date | None = None) -> bool:
        """Whether a message arriving now could match (the live log adds it only then)."""
        return self.until is None or self.until >= (today or timezone.localdate())


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _text_matches(query: str) -> Q:
    """The messages whose text has the words of `query` (services.message_words). On
    PostgreSQL the words index leaves out pending messages (handling would write their words a
    second time), so the condition has one arm for each index: the words index for the others,
    `msg_inbox` for the pending ones; PostgreSQL answers it with a BitmapOr of the two. The
    bare condition would imply neither index's predicate and walk every row."""
    words = text_has_words(query)
    return (words & ~Q(status=MsgStatus.PENDING)) | (words & Q(status=MsgStatus.PENDING))


def _text_condition(workspace: Workspace, query: str) -> Q:
    """A number is the messages with that URN (exact, through the contacts' URN index); words
    match the text (full-text, services.message_words), the contact's name or one of its URNs."""
    match = match_contacts(workspace_id=workspace.id, query=query)
    if match.identities is None:
        return _text_matches(query) | Q(contact_id__in=match.contacts)
    # Messages not yet linked to a contact (inbound still pending) are matched by their own URN,
    # through `msg_inbox`: the contact index holds only messages that have a contact (0019),
    # and without the `pending` arm PostgreSQL read all 10M messages for this one (0.8 s).
    unlinked = Q(contact__isnull=True, status=MsgStatus.PENDING, urn__in=match.identities)
    if match.exact:
        return Q(contact_id__in=match.contacts, urn__in=match.identities) | unlinked
    return Q(contact_id__in=match.contacts) | unlinked  # no URN is this number: those containing it


def search_messages(*, workspace: Workspace, filters: MessageFilter) -> QuerySet[Msg]:
    """Newest first; the caller slices. A number matches the URN; words the text, the contact's
    name or URN."""
    qs = Msg.objects.filter(workspace=workspace).select_related("channel", "contact")
    if filters.channel is not None:
        qs = qs.filter(channel=filters.channel)
    if filters.direction:
        qs = qs.filter(direction=filters.direction)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.since:
        qs = qs.filter(created_on__gte=_day_start(filters.since))
    if filters.until:
        qs = qs.filter(created_on__lt=_day_start(filters.until + dt.timedelta(days=1)))
    query = filters.query.strip()
    if query:
        qs = qs.filter(_text_condition(workspace, query))
    if filters.label is not None:
        # a subquery on the label's memberships: no join, so no duplicate rows and no DISTINCT
        qs = qs.filter(id__in=Label.msgs.through.objects.filter(label_id=filters.label.id).values("msg_id"))
    # deleted messages never show; no folder chosen: the inbox and the archive
    visible = (
        qs.filter(visibility=filters.visibility) if filters.visibility else qs.exclude(visibility="deleted")
    )
    qs = visible
    if filters.before_id is not None:
        qs = qs.filter(id__lt=filters.before_id)
    return qs.order_by("-id")
