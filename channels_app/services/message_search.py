"""The message log's filters as one queryset: channel, direction, status, date range, text."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from channels_app.models import Channel, Msg, Workspace


@dataclass(frozen=True)
class MessageFilter:
    channel: Channel | None = None
    direction: str = ""
    status: str = ""
    since: dt.date | None = None  # inclusive, in the current time zone
    until: dt.date | None = None  # inclusive
    query: str = ""
    before_id: int | None = None  # paging: only rows older than this one

    def shows_new_messages(self, *, today: dt.date | None = None) -> bool:
        """Whether a message arriving now could match (the live log adds it only then)."""
        return self.until is None or self.until >= (today or timezone.localdate())


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def search_messages(*, workspace: Workspace, filters: MessageFilter) -> QuerySet[Msg]:
    """Newest first; the caller slices. Text matches the message, the URN or the contact's name."""
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
        qs = qs.filter(Q(text__icontains=query) | Q(urn__icontains=query) | Q(contact__name__icontains=query))
    if filters.before_id is not None:
        qs = qs.filter(id__lt=filters.before_id)
    return qs.order_by("-id")
