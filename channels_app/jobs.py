"""RQ jobs: they take ids, load rows and call a service. Enqueued after commit (queue.wake)."""

from __future__ import annotations

from channels_app import queue, wakes
from channels_app.services import ingest, send


def send_channel(channel_id: int) -> int:
    wakes.clear_sender(channel_id)
    return send.send_channel(channel_id=channel_id)


def handle_inbound(workspace_id: int) -> int:
    wakes.clear_handler(workspace_id)
    return ingest.handle_pending(workspace_id=workspace_id)


def sweep() -> dict[str, int]:
    if not queue.try_lock("sweep", seconds=55):
        return {}
    try:
        return send.sweep()
    finally:
        queue.release_lock("sweep")
