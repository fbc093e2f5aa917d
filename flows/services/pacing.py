"""Paced sending: plan a window of sends as database rows, release them when due.

Planning: each recipient gets a PacedSend row. Per channel the recipients are spaced evenly over
the window, and never closer than 1/max_tps seconds, so a window too short for the channel's
rate is stretched rather than exceeded. Quiet hours are cut out of the timeline: the window's
"open" seconds are laid over the hours when sending is allowed.

Release: `release_due(now=...)` claims due rows (`FOR UPDATE SKIP LOCKED`, several workers at
once), queues their messages (or starts their flow) and marks them released in one transaction.
The clock is always passed in (`now`), so tests drive a 10-minute window in milliseconds.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Max, Min, Q
from django.utils import timezone

from channels_app.models import Contact, ContactURN, Msg, MsgStatus
from channels_app.services.routing import ChannelPool, NoChannel
from channels_app.services.send import SendError, build_message, queue_messages
from flows.models import FlowSession, FlowStart, SessionStatus
from flows.pacing_models import Broadcast, PacedSend, PaceStatus, WorkspacePacing

logger = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
RELEASE_LIMIT = 500
_FAR = dt.datetime.max.replace(tzinfo=dt.UTC) - dt.timedelta(days=2)


# ------------------------------------------------------------------------------------ quiet hours


@dataclass(frozen=True)
class Quiet:
    tz: dt.tzinfo
    start: dt.time
    end: dt.time

    def contains(self, at: dt.datetime) -> bool:
        local = at.astimezone(self.tz).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # across midnight, e.g. 21:00-07:00

    def _next_local(self, after: dt.datetime, clock_time: dt.time) -> dt.datetime:
        """The first instant after `after` when the local clock reads `clock_time`."""
        local_day = after.astimezone(self.tz).date()
        for days in range(3):
            candidate = dt.datetime.combine(local_day + dt.timedelta(days=days), clock_time, self.tz)
            if candidate > after:
                return candidate.astimezone(dt.UTC)
        raise AssertionError("unreachable")

    def open_segments(self, start: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """Intervals when sending is allowed, from `start` on (endless)."""
        cursor = start
        while True:
            if self.contains(cursor):
                cursor = self._next_local(cursor, self.end)
            closes = self._next_local(cursor, self.start)
            yield cursor, closes
            cursor = closes


def quiet_hours(workspace_id: int) -> Quiet | None:
    config = WorkspacePacing.objects.filter(workspace_id=workspace_id).select_related("workspace").first()
    return _quiet_of(config)


def quiet_zone_name(config: WorkspacePacing) -> str:
    """The zone quiet hours are read in: their own when one was set, else the workspace's."""
    return config.timezone or config.workspace.timezone or "UTC"


def _quiet_of(config: WorkspacePacing | None) -> Quiet | None:
    if config is None or config.quiet_start is None or config.quiet_end is None:
        return None
    if config.quiet_start == config.quiet_end:
        return None
    try:
        tz: dt.tzinfo = zoneinfo.ZoneInfo(quiet_zone_name(config))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = dt.UTC
    return Quiet(tz=tz, start=config.quiet_start, end=config.quiet_end)


def set_quiet_hours(
    *, workspace_id: int, timezone_name: str, start: dt.time | None, end: dt.time | None
) -> WorkspacePacing:
    """`timezone_name` "" makes the quiet hours follow the workspace's time zone."""
    if timezone_name:
        try:
            zoneinfo.ZoneInfo(timezone_name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {timezone_name!r}") from None
    if (start is None) != (end is None):
        raise ValueError("give both the start and the end of the quiet hours, or neither")
    config, _ = WorkspacePacing.objects.update_or_create(
        workspace_id=workspace_id,
        defaults={"timezone": timezone_name, "quiet_start": start, "quiet_end": end},
    )
    return config


def quiet_workspaces(now: dt.datetime) -> list[int]:
    """Workspaces inside their quiet hours at `now`: their paced rows wait."""
    configs = WorkspacePacing.objects.filter(
        quiet_start__isnull=False, quiet_end__isnull=False
    ).select_related("workspace")
    return [c.workspace_id for c in configs if (q := _quiet_of(c)) is not None and q.contains(now)]


def lay_out(offsets: list[float], *, start: dt.datetime, quiet: Quiet | None) -> list[dt.datetime]:
    """Wall-clock times for sorted offsets (seconds of open time after `start`)."""
    segments: Iterator[tuple[dt.datetime, dt.datetime]] = (
        quiet.open_segments(start) if quiet is not None else iter([(start, _FAR)])
    )
    seg_start, seg_end = next(segments)
    consumed = 0.0  # open seconds before seg_start
    out = []
    for offset in offsets:
        while offset >= consumed + (seg_end - seg_start).total_seconds():
            consumed += (seg_end - seg_start).total_seconds()
            seg_start, seg_end = next(segments)
        out.append(seg_start + dt.timedelta(seconds=offset - consumed))
    return out


# --------------------------------------------------------------------------------------- planning


@dataclass
class Recipient:
    contact_id: int | None
    urn: str
    language: str
    channel_id: int | None


def plan(
    *,
    recipients: list[Recipient],
    send_at: dt.datetime,
    spread_over_minutes: int,
    pool: ChannelPool,
    quiet: Quiet | None,
) -> list[dt.datetime]:
    """Due times, one per recipient (same order): per channel evenly over the window, never
    closer than the channel's 1/max_tps."""
    window = max(0, spread_over_minutes) * 60.0
    by_channel: dict[int | None, list[int]] = {}
    for index, recipient in enumerate(recipients):
        by_channel.setdefault(recipient.channel_id, []).append(index)
    offsets = [0.0] * len(recipients)
    for channel_id, indexes in by_channel.items():
        interval = window / len(indexes)
        channel = pool.by_id.get(channel_id) if channel_id is not None else None
        tps = channel.type.max_tps(channel) if channel is not None else 0.0
        if tps > 0:
            interval = max(interval, 1.0 / tps)
        for position, index in enumerate(indexes):
            offsets[index] = position * interval
    order = sorted(range(len(recipients)), key=offsets.__getitem__)
    times = lay_out([offsets[i] for i in order], start=send_at, quiet=quiet)
    due = [send_at] * len(recipients)
    for i, when in zip(order, times, strict=True):
        due[i] = when
    return due


def channel_for(pool: ChannelPool, identity: str, urn: ContactURN | None) -> int | None:
    try:
        return pool.select(identity=identity, urn=urn).channel.id
    except NoChannel:
        return None


def store_plan(
    *,
    workspace_id: int,
    recipients: list[Recipient],
    due: list[dt.datetime],
    broadcast: Broadcast | None = None,
    flow_start: FlowStart | None = None,
) -> None:
    rows = [
        PacedSend(
            workspace_id=workspace_id,
            broadcast=broadcast,
            flow_start=flow_start,
            contact_id=r.contact_id,
            urn=r.urn,
            language=r.language,
            channel_id=r.channel_id,
            due_at=when,
        )
        for r, when in zip(recipients, due, strict=True)
    ]
    PacedSend.objects.bulk_create(rows, batch_size=2000)


# ---------------------------------------------------------------------------------------- release


def release_due(*, now: dt.datetime | None = None, limit: int = RELEASE_LIMIT) -> int:
    """Release the rows due at `now` (up to `limit`); returns how many were handled.

    Rows of workspaces inside their quiet hours are left for later. Several workers may run this
    at once: each claims different rows (SKIP LOCKED), and a row is released in the transaction
    that queues its message, so a worker killed here leaves it scheduled, not lost or doubled.
    """
    now = now or timezone.now()
    quiet = quiet_workspaces(now)
    with transaction.atomic():
        rows = list(
            PacedSend.objects.select_for_update(skip_locked=True)
            .filter(status=PacedSend.Status.SCHEDULED, due_at__lte=now)
            .exclude(workspace_id__in=quiet)
            .order_by("due_at", "id")[:limit]
        )
        if not rows:
            return 0
        broadcast_rows = [r for r in rows if r.broadcast_id is not None]
        start_rows = [r for r in rows if r.flow_start_id is not None]
        if broadcast_rows:
            _release_broadcast_rows(broadcast_rows, now)
        if start_rows:
            _release_start_rows(start_rows, now)
        PacedSend.objects.bulk_update(rows, ["status", "msg_id", "error", "released_on"])
        _complete_finished(
            {r.broadcast_id for r in broadcast_rows}, {r.flow_start_id for r in start_rows}, now
        )
    return len(rows)


def _release_broadcast_rows(rows: list[PacedSend], now: dt.datetime) -> None:
    broadcasts = {b.id: b for b in Broadcast.objects.filter(id__in={r.broadcast_id for r in rows})}
    pools: dict[int, ChannelPool] = {}
    urns = {
        u.identity: u
        for u in ContactURN.objects.filter(
            identity__in=[r.urn for r in rows], workspace_id__in={r.workspace_id for r in rows}
        ).select_related("contact")
    }
    msgs: list[Msg] = []
    msg_rows: list[PacedSend] = []
    for row in rows:
        broadcast = broadcasts[row.broadcast_id]  # type: ignore[index]
        pool = pools.setdefault(row.workspace_id, ChannelPool(row.workspace_id))
        row.released_on = now
        try:
            msg = build_message(
                workspace_id=row.workspace_id,
                pool=pool,
                to=row.urn,
                text=broadcast_text(broadcast, row.language),
                metadata={"source": "broadcast", "broadcast": str(broadcast.uuid)},
                contact_urn=urns.get(row.urn),
            )
        except SendError as exc:
            row.status, row.error = PacedSend.Status.FAILED, str(exc)[:255]
            continue
        msgs.append(msg)
        msg_rows.append(row)
    queue_messages(msgs)
    for row, msg in zip(msg_rows, msgs, strict=True):
        row.status, row.msg_id = PacedSend.Status.RELEASED, msg.id
        if msg.status == MsgStatus.FAILED:  # e.g. the contact stopped since planning
            row.error = msg.error[:255]


def broadcast_text(broadcast: Broadcast, language: str) -> str:
    translations = broadcast.translations or {}
    return (
        translations.get(language)
        or translations.get(broadcast.base_language)
        or next(iter(translations.values()), "")
    )


def _release_start_rows(rows: list[PacedSend], now: dt.datetime) -> None:
    from flows.services.sessions import FlowRunner

    starts = {
        s.id: s
        for s in FlowStart.objects.filter(id__in={r.flow_start_id for r in rows}).select_related(
            "flow", "workspace"
        )
    }
    contacts = {
        c.id: c
        for c in Contact.objects.filter(id__in=[r.contact_id for r in rows]).prefetch_related(
            "urns", "groups"
        )
    }
    waiting = set(
        FlowSession.objects.filter(contact_id__in=list(contacts), status=SessionStatus.WAITING).values_list(
            "contact_id", flat=True
        )
    )
    runners: dict[int, FlowRunner] = {}
    started: dict[int, int] = {}
    for row in rows:
        start = starts[row.flow_start_id]  # type: ignore[index]
        row.released_on = now
        contact = contacts.get(row.contact_id or 0)
        if contact is None or contact.status != Contact.Status.ACTIVE:
            row.status, row.error = PacedSend.Status.FAILED, "the contact is gone or no longer active"
            continue
        runner = runners.get(start.workspace_id)
        if runner is None:  # (not setdefault: that would build a runner for every row)
            runner = runners[start.workspace_id] = FlowRunner.for_workspace(start.workspace_id)
        trigger: dict[str, Any] = {"type": "manual"}
        if start.params:
            trigger["params"] = start.params
        try:
            with transaction.atomic():
                runner.start(
                    contact=contact, flow=start.flow, trigger=trigger, may_be_waiting=contact.id in waiting
                )
        except Exception as exc:
            # one contact's failure must not hold back the rest of the window
            logger.exception("paced start %s failed for contact %s", start.uuid, contact.id)
            row.status, row.error = PacedSend.Status.FAILED, f"the flow failed: {exc}"[:255]
            continue
        row.status = PacedSend.Status.RELEASED
        started[start.id] = started.get(start.id, 0) + 1
    for start_id in {r.flow_start_id for r in rows if r.flow_start_id is not None}:
        handled = sum(1 for r in rows if r.flow_start_id == start_id)
        FlowStart.objects.filter(id=start_id).update(
            processed=F("processed") + handled,
            started=F("started") + started.get(start_id, 0),
            modified_on=now,
        )


def _complete_finished(broadcast_ids: set[int | None], start_ids: set[int | None], now: dt.datetime) -> None:
    waiting = [PacedSend.Status.SCHEDULED, PacedSend.Status.PAUSED]
    for broadcast_id in {b for b in broadcast_ids if b is not None}:
        if not PacedSend.objects.filter(broadcast_id=broadcast_id, status__in=waiting).exists():
            Broadcast.objects.filter(
                id=broadcast_id, status__in=[PaceStatus.SCHEDULED, PaceStatus.SENDING]
            ).update(status=PaceStatus.COMPLETED, modified_on=now)
        else:
            Broadcast.objects.filter(id=broadcast_id, status=PaceStatus.SCHEDULED).update(
                status=PaceStatus.SENDING, modified_on=now
            )
    for start_id in {s for s in start_ids if s is not None}:
        if not PacedSend.objects.filter(flow_start_id=start_id, status__in=waiting).exists():
            FlowStart.objects.filter(id=start_id, status=FlowStart.Status.STARTING).update(
                status=FlowStart.Status.COMPLETED, modified_on=now
            )


def next_due(*, now: dt.datetime) -> dt.datetime | None:
    """When the next scheduled row falls due (quiet hours aside)."""
    return PacedSend.objects.filter(status=PacedSend.Status.SCHEDULED).aggregate(m=Min("due_at"))["m"]


# --------------------------------------------------------------------------- pause, resume, cancel


class PaceError(ValueError):
    pass


def _owner_filter(owner: Broadcast | FlowStart) -> Q:
    return Q(broadcast=owner) if isinstance(owner, Broadcast) else Q(flow_start=owner)


def _active_statuses(owner: Broadcast | FlowStart) -> list[str]:
    if isinstance(owner, Broadcast):
        return [PaceStatus.SCHEDULED, PaceStatus.SENDING]
    return [FlowStart.Status.PENDING, FlowStart.Status.STARTING]


def pause(*, owner: Broadcast | FlowStart, now: dt.datetime | None = None) -> None:
    """Rows not yet released wait; their remaining spacing is kept for resume."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = type(owner).objects.select_for_update().get(id=owner.id)
        if locked.status not in _active_statuses(locked):
            raise PaceError(f"a {locked.status} send cannot be paused")
        PacedSend.objects.filter(_owner_filter(owner), status=PacedSend.Status.SCHEDULED).update(
            status=PacedSend.Status.PAUSED
        )
        type(owner).objects.filter(id=owner.id).update(status="paused", paused_on=now, modified_on=now)
    owner.refresh_from_db()


def resume(*, owner: Broadcast | FlowStart, now: dt.datetime | None = None) -> None:
    """Waiting rows move later by the time spent paused, so the rest keeps its even spacing."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = type(owner).objects.select_for_update().get(id=owner.id)
        if locked.status != "paused":
            raise PaceError(f"a {locked.status} send cannot be resumed")
        shift = max(now - (locked.paused_on or now), dt.timedelta(0))
        PacedSend.objects.filter(_owner_filter(owner), status=PacedSend.Status.PAUSED).update(
            status=PacedSend.Status.SCHEDULED, due_at=F("due_at") + shift
        )
        status = PaceStatus.SENDING if isinstance(owner, Broadcast) else FlowStart.Status.STARTING
        type(owner).objects.filter(id=owner.id).update(status=status, paused_on=None, modified_on=now)
    owner.refresh_from_db()


def cancel(*, owner: Broadcast | FlowStart, now: dt.datetime | None = None) -> int:
    """Rows not yet released are dropped; returns how many. Messages already queued still go."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = type(owner).objects.select_for_update().get(id=owner.id)
        if locked.status not in [*_active_statuses(locked), "paused"]:
            raise PaceError(f"a {locked.status} send cannot be cancelled")
        dropped = PacedSend.objects.filter(
            _owner_filter(owner), status__in=[PacedSend.Status.SCHEDULED, PacedSend.Status.PAUSED]
        ).update(status=PacedSend.Status.CANCELLED)
        type(owner).objects.filter(id=owner.id).update(status="cancelled", modified_on=now)
    owner.refresh_from_db()
    return dropped


# --------------------------------------------------------------------------------------- progress


def progress(*, owner: Broadcast | FlowStart, now: dt.datetime | None = None) -> dict[str, Any]:
    """Counts for the progress view: sent / queued / scheduled / failed / cancelled, and an ETA."""
    now = now or timezone.now()
    rows = PacedSend.objects.filter(_owner_filter(owner))
    by_status = dict(rows.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    scheduled = by_status.get(PacedSend.Status.SCHEDULED, 0) + by_status.get(PacedSend.Status.PAUSED, 0)
    failed = by_status.get(PacedSend.Status.FAILED, 0)
    released = by_status.get(PacedSend.Status.RELEASED, 0)
    sent, queued = released, 0
    if isinstance(owner, Broadcast):
        msg_status = dict(
            Msg.objects.filter(id__in=rows.filter(msg_id__isnull=False).values("msg_id"))
            .values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
        sent = sum(msg_status.get(s, 0) for s in (MsgStatus.SENT, MsgStatus.DELIVERED, MsgStatus.WIRED))
        failed += msg_status.get(MsgStatus.FAILED, 0)
        queued = msg_status.get(MsgStatus.QUEUED, 0) + msg_status.get(MsgStatus.ERRORED, 0)
    last = rows.filter(status=PacedSend.Status.SCHEDULED).aggregate(m=Max("due_at"))["m"]
    paused = owner.status == "paused"
    eta = None
    if not paused and owner.status != "cancelled":
        eta = max(last, now) if last is not None else (now if queued else None)
    total = sum(by_status.values())
    return {
        "total": total,
        "sent": sent,
        "queued": queued,
        "scheduled": scheduled,
        "failed": failed,
        "cancelled": by_status.get(PacedSend.Status.CANCELLED, 0),
        "percent": round(100.0 * (total - scheduled - queued) / total, 1) if total else 100.0,
        "eta": eta.isoformat() if eta is not None else None,
        "eta_seconds": int((eta - now).total_seconds()) if eta is not None else None,
    }
