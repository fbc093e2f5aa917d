"""Each process remembers the workspaces' active webhook subscriptions between batches.

Every send, receipt and handle batch asks which subscriptions want its event, and almost always
the answer is none: a query per batch was a few per cent of a worker's CPU. The answer is kept
per process, checked against a version key in Redis (one GET, far cheaper than the ORM query)
that every change of a subscription replaces with a random value: when the subscription is
saved or deleted (so this process, inside that transaction, sees its own change) and again
after the commit (so other processes that read the old rows meanwhile load them again). A
random value, not a counter: a Redis that lost its data cannot hand out an old version again.

A process that changed subscriptions in a transaction that has not committed does not cache
that workspace (a rollback would leave a list naming rows that do not exist). Redis down:
every call reads the database, as before.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from redis.exceptions import RedisError

from channels_app import queue
from channels_app.models import WebhookSubscription

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_cache: dict[int, tuple[bytes, list[WebhookSubscription]]] = {}
# workspaces whose subscriptions this process changed in a transaction not yet committed
_uncommitted: set[int] = set()


def _key(workspace_id: int) -> str:
    return f"flowgate:webhooks:version:{workspace_id}"


def active(workspace_id: int, load: Callable[[], list[WebhookSubscription]]) -> list[WebhookSubscription]:
    """The workspace's active subscriptions, from `load` unless the cached list is current."""
    try:
        redis = queue.connection()
        version = redis.get(_key(workspace_id))
        if version is None:
            # never cached under "no version": after Redis lost its data an old list would match
            fresh = uuid.uuid4().hex
            version = (
                fresh if redis.set(_key(workspace_id), fresh, nx=True) else redis.get(_key(workspace_id))
            )
    except RedisError:
        return load()
    if version is None:
        return load()
    token = version if isinstance(version, bytes) else str(version).encode()
    with _lock:
        cached = _cache.get(workspace_id)
        if cached is not None and cached[0] == token and workspace_id not in _uncommitted:
            return cached[1]
    rows = load()
    with _lock:
        if workspace_id not in _uncommitted:
            _cache[workspace_id] = (token, rows)
    return rows


def _bump(workspace_id: int) -> None:
    try:
        queue.connection().set(_key(workspace_id), uuid.uuid4().hex)
    except RedisError:
        logger.warning("could not bump the webhook subscriptions version (Redis down)", exc_info=True)


def changed(workspace_id: int) -> None:
    """A subscription of the workspace was saved or deleted in the current transaction."""
    with _lock:
        _cache.pop(workspace_id, None)
        _uncommitted.add(workspace_id)
    _bump(workspace_id)

    def committed() -> None:
        with _lock:
            _uncommitted.discard(workspace_id)
            _cache.pop(workspace_id, None)
        _bump(workspace_id)

    transaction.on_commit(committed)


def _on_change(sender: type, instance: WebhookSubscription, **kwargs: object) -> None:
    changed(instance.workspace_id)


post_save.connect(_on_change, sender=WebhookSubscription, dispatch_uid="webhook_cache_save")
post_delete.connect(_on_change, sender=WebhookSubscription, dispatch_uid="webhook_cache_delete")
