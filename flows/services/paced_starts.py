"""Flow starts with `send_at` / `spread_over_minutes`: each contact is started at its own time.

The recipients are resolved once (starts.recipients) into PacedSend rows; the release job starts
the flow for each row when it falls due, in the transaction that marks the row released.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from channels_app.models import Contact
from channels_app.services.routing import ChannelPool
from flows.models import FlowStart
from flows.services import pacing


def is_paced(start: FlowStart) -> bool:
    return bool(start.spread_over_minutes or start.send_at)


def prepare(*, start: FlowStart, now: dt.datetime | None = None) -> int:
    """Plan the start's contacts (the caller holds the start's row lock); returns the total."""
    from flows.services.compose import wake_pacer
    from flows.services.starts import recipients

    now = now or timezone.now()
    pool = ChannelPool(start.workspace_id)
    planned: list[pacing.Recipient] = []
    ids = list(recipients(start))
    for chunk_at in range(0, len(ids), 2000):
        chunk = ids[chunk_at : chunk_at + 2000]
        contacts = Contact.objects.filter(id__in=chunk).prefetch_related("urns").order_by("id")
        for contact in contacts:
            urn = next(iter(contact.urns.all()), None)
            identity = urn.identity if urn is not None else ""
            channel_id = pacing.channel_for(pool, identity, urn) if urn is not None else None
            planned.append(pacing.Recipient(contact.id, identity, contact.language or "", channel_id))
    send_at = max(start.send_at or now, now)
    due = pacing.plan(
        recipients=planned,
        send_at=send_at,
        spread_over_minutes=start.spread_over_minutes,
        pool=pool,
        quiet=pacing.quiet_hours(start.workspace_id),
    )
    pacing.store_plan(workspace_id=start.workspace_id, recipients=planned, due=due, flow_start=start)
    start.total = len(planned)
    start.status = FlowStart.Status.STARTING if planned else FlowStart.Status.COMPLETED
    start.save(update_fields=["total", "status", "modified_on"])
    if planned:
        wake_pacer()
    return start.total


def progress(start: FlowStart) -> dict[str, object]:
    return pacing.progress(owner=start)
