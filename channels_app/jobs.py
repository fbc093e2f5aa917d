"""RQ jobs: they take ids, load rows and call a service. Enqueued after commit (queue.wake)."""

from __future__ import annotations

import math

from django.conf import settings

from channels_app import queue, wakes
from channels_app.services import ingest, send


def send_channel(channel_id: int) -> int:
    # The wake marker stays set while the sender runs; send.send_channel clears it (see there).
    return send.send_channel(channel_id=channel_id)


def handle_inbound(workspace_id: int) -> int:
    wakes.clear_handler(workspace_id)
    with wakes.sender_wakes_collected() as channel_ids:
        handled = ingest.handle_pending(workspace_id=workspace_id)
    # The replies go out now, from this job (see sender_wakes_collected); each sender keeps its
    # own lock, marker and re-wake rules, as in a send job of its own.
    for index, channel_id in enumerate(channel_ids):
        if send.stopping.is_set():  # a worker that is stopping starts no sends: another will
            wakes.enqueue_senders(channel_ids[index:])
            break
        try:
            send.send_channel(channel_id=channel_id)
        except BaseException:
            wakes.enqueue_senders(channel_ids[index + 1 :])
            raise
    return handled


def sweep_lock_seconds() -> int:
    """How long a sweep's lock outlives a holder that died mid-sweep (SIGKILL, OOM).

    The sweep is what heals lost wake-ups, expired leases and due retries, and one run takes
    milliseconds: its lock only keeps two schedulers from overlapping. A fixed 55 s stopped all
    healing for a minute after a worker was killed mid-sweep; two scheduler intervals suffice.
    """
    return max(5, math.ceil(2 * float(settings.FLOWGATE_SWEEP_INTERVAL_SECONDS)))


def sweep() -> dict[str, int]:
    if not queue.try_lock("sweep", seconds=sweep_lock_seconds()):
        return {}
    try:
        return send.sweep()
    finally:
        queue.release_lock("sweep")
