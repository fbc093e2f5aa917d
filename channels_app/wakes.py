"""The named wake-ups of the core's jobs: each job's queue, dotted path and collapse key, once.

`queue.wake` collapses wake-ups by key (a burst of 1,000 inbound messages enqueues one job), so
a key spelled differently in two places would quietly enqueue twice or never. Services call
these helpers; the jobs clear their key (`clear_*`) before they claim work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterator
from typing import Any

from django.db import transaction

from channels_app import queue

logger = logging.getLogger(__name__)

# Dotted paths the worker imports; tests/channels_app/test_wakes.py checks each one resolves.
HANDLE_INBOUND = "channels_app.jobs.handle_inbound"
SEND_CHANNEL = "channels_app.jobs.send_channel"
SWEEP = "channels_app.jobs.sweep"
DELIVER_WEBHOOKS = "channels_app.services.webhooks.deliver_job"

WEBHOOKS_KEY = "webhooks"


def handler_key(workspace_id: int) -> str:
    return f"handle:{workspace_id}"


def sender_key(channel_id: int) -> str:
    return f"send:{channel_id}"


# --- inbound handling (one job per workspace) ------------------------------------------------


def wake_handler(workspace_id: int) -> None:
    """After the current transaction commits: handle the workspace's pending inbound messages."""
    queue.wake("handle", HANDLE_INBOUND, workspace_id, key=handler_key(workspace_id))


def wake_handler_now(workspace_id: int) -> None:
    """`wake_handler` outside a transaction (e.g. the group-commit writer has committed already)."""
    queue.wake_now("handle", HANDLE_INBOUND, workspace_id, key=handler_key(workspace_id))


async def awake_handler_now(workspace_id: int, redis: Any) -> None:
    """`wake_handler_now` on an event loop with its asyncio Redis client: the marker check (a
    set marker is the common case under load) costs no thread hop; only a real enqueue does."""
    key = handler_key(workspace_id)
    try:
        if not await redis.set(queue.wake_marker(key), 1, nx=True, ex=queue.WAKE_MARKER_SECONDS):
            return
    except Exception:  # Redis down or slow: the sweeper re-wakes handlers for anything pending
        logger.warning("could not wake the inbound handler", exc_info=True)
        return
    await asyncio.to_thread(queue.enqueue_woken, "handle", HANDLE_INBOUND, workspace_id, key=key)


def clear_handler(workspace_id: int) -> None:
    queue.clear_wake(handler_key(workspace_id))


def rewake_handler(workspace_id: int, *, now: bool = True) -> None:
    """A handler yielding its worker (or the sweeper) asks for a fresh run."""
    clear_handler(workspace_id)
    if now:
        wake_handler_now(workspace_id)
    else:
        wake_handler(workspace_id)


# --- sending (one job per channel) ------------------------------------------------------------


def wake_sender(channel_id: int) -> None:
    """After the current transaction commits: send the channel's due messages."""
    transaction.on_commit(lambda: _sender_woken(channel_id))


def _sender_woken(channel_id: int) -> None:
    collected: list[int] | None = getattr(_collecting, "channel_ids", None)
    key = sender_key(channel_id)
    if collected is None:
        queue.wake_now("send", SEND_CHANNEL, channel_id, key=key)
        return
    if channel_id in collected:
        return
    try:
        won = queue.connection().set(queue.wake_marker(key), 1, nx=True, ex=queue.WAKE_MARKER_SECONDS)
    except Exception:  # as wake_now: the sweeper re-wakes senders that have due messages
        logger.exception("could not wake the sender of channel %s", channel_id)
        return
    if won:
        collected.append(channel_id)


_collecting = threading.local()


@contextlib.contextmanager
def sender_wakes_collected() -> Iterator[list[int]]:
    """Within the block (this thread), a committed wake_sender that wins the channel's marker
    is collected instead of enqueuing a send job; the caller then runs those senders itself
    (jobs.handle_inbound). A handle job sends its replies at once this way: no second job and no
    wait for a worker to pick it up (an rq job costs about 3 ms of worker CPU and a dozen Redis
    round trips, as much as a small batch's own work). The marker is set as for a job, so
    other wake-ups of the channel collapse onto it. If the block raises, the collected
    channels get their jobs after all."""
    collected: list[int] = []
    _collecting.channel_ids = collected
    try:
        yield collected
    except BaseException:
        enqueue_senders(collected)
        raise
    finally:
        _collecting.channel_ids = None


def enqueue_senders(channel_ids: list[int]) -> None:
    """Send jobs for channels whose marker the caller holds (collected, not run)."""
    for channel_id in channel_ids:
        queue.enqueue_woken("send", SEND_CHANNEL, channel_id, key=sender_key(channel_id))


def clear_sender(channel_id: int) -> None:
    queue.clear_wake(sender_key(channel_id))


def rewake_sender(channel_id: int, *, now: bool = True) -> None:
    """A sender leaving due work behind (or the sweeper) asks for a fresh run."""
    clear_sender(channel_id)
    if now:
        queue.wake_now("send", SEND_CHANNEL, channel_id, key=sender_key(channel_id))
    else:
        wake_sender(channel_id)


# --- webhook deliveries (one job for the process) ---------------------------------------------


def wake_webhooks() -> None:
    queue.wake("default", DELIVER_WEBHOOKS, key=WEBHOOKS_KEY)


def clear_webhooks() -> None:
    queue.clear_wake(WEBHOOKS_KEY)
