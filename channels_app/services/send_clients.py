"""The event loop and HTTP clients that outlive one send batch.

A batch used to run in `asyncio.run` with fresh clients: every batch paid a new loop and new
connections (a TCP handshake, a resolver thread hop and TLS where there is one) for each of its
shards. A worker now keeps one loop per thread and, per channel, the shard clients of its last
batches, so consecutive batches reuse kept-alive connections. The connection pool under each
client (aiohttp's, see aiohttp_transport.py, or httpcore's) drops connections the provider closed
or that sat idle past their keep-alive expiry; clients of channels not sent on lately are closed
once more than MAX_CHANNELS are kept.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import httpx

T = TypeVar("T")
MAX_CHANNELS = 32


class _ThreadState(threading.local):
    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.clients: OrderedDict[int, list[httpx.AsyncClient]] = OrderedDict()


_state = _ThreadState()
_closing: set[asyncio.Task[None]] = set()


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on this thread's long-lived loop (the send jobs' `asyncio.run`)."""
    return loop().run_until_complete(coro)


def loop() -> asyncio.AbstractEventLoop:
    """This thread's long-lived loop (callers that drive it step by step between DB writes)."""
    if _state.loop is None or _state.loop.is_closed():
        _state.loop = asyncio.new_event_loop()
    return _state.loop


async def close(clients: list[httpx.AsyncClient]) -> None:
    await _close(clients)


def shard_clients(
    channel_id: int, count: int, make: Callable[[], httpx.AsyncClient]
) -> list[httpx.AsyncClient]:
    """`count` clients for the channel, reused from its earlier batches; call inside `run`."""
    clients = _state.clients.pop(channel_id, [])
    while len(clients) < count:
        clients.append(make())
    _state.clients[channel_id] = clients
    while len(_state.clients) > MAX_CHANNELS:
        _, stale = _state.clients.popitem(last=False)
        closing = asyncio.get_running_loop().create_task(_close(stale))
        _closing.add(closing)  # a reference, so the task is not collected before it runs
        closing.add_done_callback(_closing.discard)
    return clients[:count]


def close_all() -> None:
    """Close this thread's clients and loop (tests, and a worker shutting down)."""
    loop, clients = _state.loop, [c for group in _state.clients.values() for c in group]
    _state.clients.clear()
    if loop is None or loop.is_closed():
        return
    if clients:
        loop.run_until_complete(_close(clients))
    loop.close()
    _state.loop = None


async def _close(clients: list[httpx.AsyncClient]) -> None:
    await asyncio.gather(*(c.aclose() for c in clients), return_exceptions=True)


# A process that ends without close_all (a test run, the embedded server) closes the main
# thread's clients on its way out: aiohttp reports a session collected unclosed as an error.
atexit.register(close_all)
