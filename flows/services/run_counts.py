"""Run figures for the flows list: how many runs are active, completed, interrupted or expired,
and how many started on each of the last days (the row's sparkline).

Two grouped queries for the whole page, whatever the number of flows; the per-day one reads
only the last days through the (flow, created_on) index.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from flows.models import FlowRun

# a run waiting for the contact is as "active" as one being executed
ACTIVE = {"active", "waiting"}
KINDS = {"active", "completed", "interrupted", "expired", "failed"}


@dataclass
class RunFigures:
    active: int = 0
    completed: int = 0
    interrupted: int = 0
    expired: int = 0
    failed: int = 0
    per_day: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.active + self.completed + self.interrupted + self.expired + self.failed

    @property
    def completion(self) -> int | None:
        """Completed runs as a percentage of the finished ones (None before any finished)."""
        done = self.completed + self.interrupted + self.expired + self.failed
        return round(100 * self.completed / done) if done else None

    @property
    def sparkline(self) -> str:
        """SVG polyline points (70×18 box) of the runs started per day, oldest first."""
        if not self.per_day:
            return ""
        top = max(self.per_day) or 1
        step = 70 / max(len(self.per_day) - 1, 1)
        return " ".join(f"{i * step:.1f},{17 - 16 * n / top:.1f}" for i, n in enumerate(self.per_day))


def run_figures(*, flow_ids: Iterable[int], days: int = 7) -> dict[int, RunFigures]:
    ids = list(flow_ids)
    out = {i: RunFigures(per_day=[0] * days) for i in ids}
    if not ids:
        return out
    rows = FlowRun.objects.filter(flow_id__in=ids).values_list("flow_id", "status").annotate(n=Count("id"))
    for flow_id, status, n in rows:
        figures = out[flow_id]
        name = "active" if status in ACTIVE else status
        if name in KINDS:
            setattr(figures, name, getattr(figures, name) + n)
    today = timezone.localdate()
    first = today - dt.timedelta(days=days - 1)
    since = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    per_day = (
        FlowRun.objects.filter(flow_id__in=ids, created_on__gte=since)
        .annotate(day=TruncDate("created_on"))
        .values_list("flow_id", "day")
        .annotate(n=Count("id"))
    )
    for flow_id, day, n in per_day:
        index = (day - first).days
        if 0 <= index < days:
            out[flow_id].per_day[index] += n
    return out
