"""Campaign jobs: they take ids and call services; the periodic one takes a lock so overlaps skip
(the row locks already keep two schedulers apart; the lock saves them the work)."""

from __future__ import annotations

from campaigns.services import firing, scheduling
from channels_app import queue


def schedule_event(event_id: int) -> int:
    return scheduling.schedule_event(event_id=event_id)


def fire_campaigns() -> dict[str, int]:
    """Periodic (FLOWGATE_PERIODIC_JOBS): campaign event fires that are due."""
    if not queue.try_lock("campaigns:fire", seconds=300):
        return {}
    try:
        return {"campaign_fires": firing.fire_due()}
    finally:
        queue.release_lock("campaigns:fire")
