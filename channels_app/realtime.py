"""Push message and channel events to the workspace's open browsers over websockets.

Workers run in other threads (embedded default) or processes (Redis): publishing never blocks
or fails the work that triggered it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from channels_app.services import send_clients

logger = logging.getLogger(__name__)

# The event loop of the ASGI server in this process, registered by the first websocket
# consumer. The in-memory channel layer is bound to that loop: threads must post onto it.
_server_loop: asyncio.AbstractEventLoop | None = None


def register_server_loop(loop: asyncio.AbstractEventLoop) -> None:
    global _server_loop
    _server_loop = loop


# Set by the worker command: publish on each thread's long-lived loop (send_clients).
_thread_loops = False


def publish_on_thread_loops() -> None:
    """For a worker process: events go out on the thread's long-lived loop (see _publish_now)."""
    global _thread_loops
    _thread_loops = True


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def group_name(workspace_id: int) -> str:
    return f"workspace.{workspace_id}"


def publish(workspace_id: int, event: dict[str, Any]) -> None:
    """Send `event` to every websocket of the workspace once the transaction commits."""
    transaction.on_commit(lambda: _publish_now(workspace_id, event))


def publish_many(workspace_id: int, events: list[dict[str, Any]]) -> None:
    """Like `publish` for a batch: one channel-layer message instead of one per event, which
    matters when a send or receipt batch changes hundreds of messages at once."""
    if events:
        transaction.on_commit(lambda: _publish_now(workspace_id, {"kind": "batch", "events": events}))


def _publish_now(workspace_id: int, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "flowgate.event", "event": event}
    try:
        loop = _server_loop
        if loop is not None and loop.is_running():
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is loop:
                loop.create_task(layer.group_send(group_name(workspace_id), message))
            else:
                asyncio.run_coroutine_threadsafe(layer.group_send(group_name(workspace_id), message), loop)
            return
        if _thread_loops and not _loop_running():
            # async_to_sync would start a new loop in another thread per event, and the Redis
            # channel layer a new connection per loop: a worker reuses its thread's loop.
            send_clients.run(layer.group_send(group_name(workspace_id), message))
            return
        async_to_sync(layer.group_send)(group_name(workspace_id), message)
    except Exception:
        logger.warning("could not publish a realtime event", exc_info=True)


def msg_event(msg: Any) -> dict[str, Any]:
    return {
        "kind": "msg",
        "uuid": str(msg.uuid),
        "direction": msg.direction,
        "status": msg.status,
        "text": msg.text,
        "urn": msg.urn,
        "channel": str(msg.channel.uuid) if msg.channel_id else None,
        "channel_name": msg.channel.name if msg.channel_id else "",
        "error": msg.error,
        "created_on": msg.created_on.isoformat() if msg.created_on else None,
    }
