"""Job queues: real Redis when REDIS_URL is set, otherwise an in-process fakeredis server.

Jobs are wake-ups, not one job per message: the database is the queue of record, so a lost
job (or a Redis restart) only delays work until the sweeper re-enqueues it.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable
from typing import Any

import django_rq
from django.conf import settings
from django.db import transaction
from redis import Redis
from rq import Queue

logger = logging.getLogger(__name__)

QUEUE_NAMES = ("send", "handle", "default")


@functools.cache
def connection() -> Redis:
    if settings.REDIS_URL:
        return Redis.from_url(settings.REDIS_URL)
    import fakeredis

    return fakeredis.FakeRedis(server=_fake_server())


def async_connection() -> Any:
    """An asyncio Redis client (one per event loop: its connections belong to that loop).

    Short timeouts: callers on the receive path treat a slow Redis like a down one (the dedupe
    window is skipped, the sweeper re-wakes) rather than hold a provider's request."""
    if settings.REDIS_URL:
        from redis.asyncio import Redis as AsyncRedis

        return AsyncRedis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    import fakeredis

    return fakeredis.FakeAsyncRedis(server=_fake_server())


@functools.cache
def _fake_server() -> Any:
    import fakeredis

    return fakeredis.FakeServer()


def get_queue(name: str) -> Queue:
    return django_rq.get_queue(name, connection=connection())


Job = str | Callable[..., Any]


def job_path(func: Job) -> str:
    """The dotted path a worker imports: a job function itself, so the path is never misspelled."""
    return func if isinstance(func, str) else f"{func.__module__}.{func.__qualname__}"


def wake(queue_name: str, func: Job, *args: Any, key: str) -> None:
    """Enqueue `func(*args)` once per `key` until a worker picks it up (after commit).

    Collapsing wake-ups keeps a burst of 1,000 inbound messages from enqueuing 1,000 jobs:
    the first enqueues, the rest see the marker; the job clears the marker before it claims.
    """
    transaction.on_commit(lambda: wake_now(queue_name, func, *args, key=key))


# A wake marker outlives a lost job by this long at most (the sweeper re-wakes after it).
WAKE_MARKER_SECONDS = 300


def wake_marker(key: str) -> str:
    return f"flowgate:wake:{key}"


def wake_now(queue_name: str, func: Job, *args: Any, key: str) -> None:
    try:
        if not connection().set(wake_marker(key), 1, nx=True, ex=WAKE_MARKER_SECONDS):
            return
    except Exception:
        logger.exception("could not enqueue %s", job_path(func))
        return
    enqueue_woken(queue_name, func, *args, key=key)


def enqueue_woken(queue_name: str, func: Job, *args: Any, key: str) -> None:
    """The second half of `wake_now`, for a caller that set the marker itself (e.g. on asyncio)."""
    path = job_path(func)
    try:
        get_queue(queue_name).enqueue(path, *args, job_timeout=600, result_ttl=0, failure_ttl=86400)
    except Exception:
        # Redis being down must not fail the request that stored the message: the sweeper
        # re-enqueues whatever is still waiting once Redis is back.
        logger.exception("could not enqueue %s", path)
        with contextlib.suppress(Exception):
            connection().delete(wake_marker(key))


def enqueue(queue_name: str, func: Job, *args: Any) -> None:
    """Enqueue a one-off job after the current transaction commits."""
    path = job_path(func)
    transaction.on_commit(
        lambda: get_queue(queue_name).enqueue(path, *args, job_timeout=600, result_ttl=0, failure_ttl=86400)
    )


def clear_wake(key: str) -> None:
    connection().delete(wake_marker(key))


def try_lock(name: str, seconds: int) -> bool:
    """A best-effort mutex so overlapping scheduled runs or per-channel senders skip."""
    return bool(connection().set(f"flowgate:lock:{name}", 1, nx=True, ex=seconds))


def refresh_lock(name: str, seconds: int) -> None:
    """Extend a held lock: long work keeps it while a crashed holder's lock expires soon."""
    connection().expire(f"flowgate:lock:{name}", seconds)


def release_lock(name: str) -> None:
    connection().delete(f"flowgate:lock:{name}")
