"""Dashboard figures: daily message volume and per-channel delivery rates.

Both come from the daily counts (MsgDailyCount: one row per day x channel), so the dashboard
reads at most 30 x channels rows however many messages the month had. A periodic job
(`refresh_daily_counts`) recounts the last two days from the messages (statuses still change
there: sends, delivery reports); older days are final. `rebuild_daily_counts` recounts any span.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from channels_app import queue
from channels_app.models import Channel, Direction, Msg, MsgDailyCount, MsgStatus, Workspace

# Outbound messages still on their way: they count towards volume but not yet towards a rate.
IN_FLIGHT = (MsgStatus.QUEUED, MsgStatus.WIRED, MsgStatus.ERRORED, MsgStatus.PENDING)
COUNTED = ("incoming", "outgoing", "sent", "delivered", "failed", "in_flight")
# Days recounted by the periodic job: today and yesterday (late sends and delivery reports).
REFRESH_DAYS = 2
REFRESH_EVERY_SECONDS = 60


@dataclass(frozen=True)
class DayVolume:
    day: dt.date
    incoming: int
    outgoing: int
    failed: int


@dataclass(frozen=True)
class ChannelRates:
    channel_id: int
    uuid: str
    name: str
    incoming: int
    outgoing: int
    sent: int
    delivered: int
    failed: int
    in_flight: int

    @property
    def finished(self) -> int:
        return self.outgoing - self.in_flight

    def _pct(self, part: int) -> float | None:
        return round(100.0 * part / self.finished, 1) if self.finished else None

    @property
    def delivered_pct(self) -> float | None:
        """Share of finished outbound messages the handset confirmed."""
        return self._pct(self.delivered)

    @property
    def accepted_pct(self) -> float | None:
        """Share the provider accepted (sent or delivered): many providers never confirm delivery."""
        return self._pct(self.delivered + self.sent)

    @property
    def failed_pct(self) -> float | None:
        return self._pct(self.failed)


@dataclass(frozen=True)
class DashboardStats:
    days: list[DayVolume]
    channels: list[ChannelRates]
    since: dt.date
    until: dt.date

    @property
    def totals(self) -> DayVolume:
        return DayVolume(
            day=self.until,
            incoming=sum(d.incoming for d in self.days),
            outgoing=sum(d.outgoing for d in self.days),
            failed=sum(d.failed for d in self.days),
        )

    @property
    def peak(self) -> int:
        return max((max(d.incoming, d.outgoing) for d in self.days), default=0)


def dashboard_stats(
    *,
    workspace: Workspace,
    days: int = 30,
    channel: Channel | None = None,
    now: dt.datetime | None = None,
) -> DashboardStats:
    """Volume per day for the last `days` days (today included) and rates per channel.

    `channel` narrows the daily volume only; the rates table always lists every channel so the
    selected one can be compared with the rest. Days are in the current time zone.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    today = timezone.localdate(now or timezone.now())
    since = today - dt.timedelta(days=days - 1)
    rows = MsgDailyCount.objects.filter(workspace=workspace, day__gte=since).values(
        "day", "channel_id", *COUNTED
    )
    per_day: dict[dt.date, list[int]] = {since + dt.timedelta(days=i): [0, 0, 0] for i in range(days)}
    per_channel: dict[int, list[int]] = {}
    for row in rows:
        if channel is None or row["channel_id"] == channel.id:
            bucket = per_day.get(row["day"])
            if bucket is not None:  # a message dated in the future (clock skew) stays out of the plot
                bucket[0] += row["incoming"]
                bucket[1] += row["outgoing"]
                bucket[2] += row["failed"]
        counts = (
            row["incoming"],
            row["outgoing"],
            row["sent"],
            row["delivered"],
            row["failed"],
            row["in_flight"],
        )
        sums = per_channel.setdefault(row["channel_id"], [0] * 6)
        for i, value in enumerate(counts):
            sums[i] += value
    names = {
        c.id: c
        for c in Channel.objects.filter(workspace=workspace).filter(
            Q(is_active=True) | Q(id__in=list(per_channel))
        )
    }
    rates = [
        ChannelRates(c.id, str(c.uuid), c.name, *per_channel.get(c.id, [0] * 6))
        for c in sorted(names.values(), key=lambda c: (c.name.lower(), c.id))
    ]
    return DashboardStats(
        days=[DayVolume(day, *counts) for day, counts in per_day.items()],
        channels=rates,
        since=since,
        until=today,
    )


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def rebuild_daily_counts(
    *,
    days: int | None = REFRESH_DAYS,
    now: dt.datetime | None = None,
    msg_model: Any = Msg,
    count_model: Any = MsgDailyCount,
) -> int:
    """Recount the last `days` days (all days when None) of every workspace; returns rows kept.

    One grouped query over the span (through the created_on index), then the span's rows are
    replaced in one transaction, so a reader sees either the old or the new counts.
    """
    messages = msg_model.objects.all()
    counts = count_model.objects.all()
    if days is not None:
        since = timezone.localdate(now or timezone.now()) - dt.timedelta(days=days - 1)
        messages = messages.filter(created_on__gte=_day_start(since))
        counts = counts.filter(day__gte=since)
    out, inbound = Q(direction=Direction.OUT), Q(direction=Direction.IN)
    grouped = (
        messages.annotate(day=TruncDate("created_on"))
        .values("workspace_id", "channel_id", "day")
        .annotate(
            incoming=Count("id", filter=inbound),
            outgoing=Count("id", filter=out),
            sent=Count("id", filter=out & Q(status=MsgStatus.SENT)),
            delivered=Count("id", filter=out & Q(status=MsgStatus.DELIVERED)),
            failed=Count("id", filter=out & Q(status=MsgStatus.FAILED)),
            in_flight=Count("id", filter=out & Q(status__in=IN_FLIGHT)),
        )
        .order_by()
    )
    rows = [count_model(**row) for row in grouped]
    with transaction.atomic():
        counts.delete()
        count_model.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def refresh_daily_counts() -> dict[str, int]:
    """Periodic (FLOWGATE_PERIODIC_JOBS): recount today and yesterday, at most once a minute.

    The lock is left to expire instead of released: it is what spaces the runs."""
    if not queue.try_lock("daily-counts", seconds=REFRESH_EVERY_SECONDS):
        return {}
    return {"daily_count_rows": rebuild_daily_counts(days=REFRESH_DAYS)}
