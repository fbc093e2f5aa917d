"""Jobs of XC channels: a periodic tick that wakes one poll job per channel with due messages."""

from __future__ import annotations

from channels_app import queue

from . import polling


def poll_statuses() -> dict[str, int]:
    """Periodic (FLOWGATE_PERIODIC_JOBS): expire old polls, wake pollers for due channels."""
    if not queue.try_lock("xc-poll-tick", seconds=55):
        return {}
    try:
        # The connector channels first: a workspace without any never touches the messages table.
        connectors = polling.connector_channel_ids()
        if not connectors:
            return {"poll_wakeups": 0, "poll_expired": 0}
        expired = polling.expire(channel_ids=connectors)
        channel_ids = polling.due_channels(channel_ids=connectors)
        for channel_id in channel_ids:
            queue.wake("default", poll_channel, channel_id, key=_poll_key(channel_id))
        return {"poll_wakeups": len(channel_ids), "poll_expired": expired}
    finally:
        queue.release_lock("xc-poll-tick")


def _poll_key(channel_id: int) -> str:
    return f"xc-poll:{channel_id}"


def poll_channel(channel_id: int) -> int:
    queue.clear_wake(_poll_key(channel_id))
    lock = _poll_key(channel_id)
    if not queue.try_lock(lock, seconds=600):
        return 0
    try:
        return polling.poll_channel(channel_id=channel_id)
    finally:
        queue.release_lock(lock)
