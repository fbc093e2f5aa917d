"""The one channel lookup of the inbound edge, with the one cache both adapters share.

A receive burst asks for the same channel thousands of times a second, so the answer (including
"no such channel") is kept for a few seconds. A change to a channel calls `forget()` so this
process stops answering from the old row at once; other processes expire theirs within
`CACHE_SECONDS`. While the database is down the answer comes from the channels this process has
seen (`spool.recall_channel`), or `spool.UnknownDuringOutage` (a 503) for one it never saw.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable

from django.db import DatabaseError

from channels_app import spool
from channels_app.models import Channel

CACHE_SECONDS = 10.0
MAX_ENTRIES = 10_000

# (type code, lower-case uuid) -> (expiry on the monotonic clock, channel or None)
_cache: dict[tuple[str, str], tuple[float, Channel | None]] = {}

AsyncFetch = Callable[[str, uuid.UUID], Awaitable[Channel | None]]


def _cached(key: tuple[str, str]) -> tuple[bool, Channel | None]:
    entry = _cache.get(key)
    if entry and entry[0] > time.monotonic():
        return True, entry[1]
    return False, None


def _store(key: tuple[str, str], channel: Channel | None) -> Channel | None:
    if channel is not None:
        spool.remember_channel(channel)
    if len(_cache) > MAX_ENTRIES:
        _cache.clear()
    _cache[key] = (time.monotonic() + CACHE_SECONDS, channel)
    return channel


def _key(code: str, channel_uuid: uuid.UUID | str) -> tuple[str, str]:
    return (code, str(channel_uuid).lower())


def resolve(code: str, channel_uuid: uuid.UUID | str) -> Channel | None:
    """The active channel of this type and uuid (with its workspace), or None."""
    key = _key(code, channel_uuid)
    hit, channel = _cached(key)
    if hit:
        return channel
    try:
        parsed = uuid.UUID(str(channel_uuid))
    except ValueError:
        return None
    if spool.db_recently_down():
        return spool.recall_channel(code, key[1])
    try:
        channel = (
            Channel.objects.filter(uuid=parsed, channel_type=code, is_active=True)
            .select_related("workspace")
            .first()
        )
    except DatabaseError as exc:
        if not spool.is_outage(exc):
            raise
        spool.mark_db_down()  # answer from the channels this process has seen (or 503)
        return spool.recall_channel(code, key[1])
    return _store(key, channel)


async def aresolve(code: str, channel_uuid: str, fetch: AsyncFetch) -> Channel | None:
    """`resolve` for the event loop: `fetch(code, uuid)` reads the row without blocking."""
    key = _key(code, channel_uuid)
    hit, channel = _cached(key)
    if hit:
        return channel
    try:
        parsed = uuid.UUID(channel_uuid)
    except ValueError:
        return None
    if spool.db_recently_down():
        return spool.recall_channel(code, key[1])
    try:
        channel = await fetch(code, parsed)
    except Exception as exc:
        if not spool.is_outage(exc):
            raise
        spool.mark_db_down()
        return spool.recall_channel(code, key[1])
    return _store(key, channel)


def forget(channel_uuid: uuid.UUID | str) -> None:
    """Evict a changed channel from this process's caches (others expire within seconds)."""
    wanted = str(channel_uuid).lower()
    for key in [k for k in _cache if k[1] == wanted]:
        _cache.pop(key, None)
    spool.forget_channel(wanted)


def forget_all() -> None:
    """Evict every cached channel (e.g. after secrets were re-sealed under a new key)."""
    _cache.clear()
