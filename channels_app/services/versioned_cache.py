"""Per-process values kept per workspace between batches, and never a stale one.

Workers ask the same questions of every batch (which webhook subscriptions want this event,
which flows, triggers and fields does this workspace have) and the answer almost never changes.
A `VersionedCache` keeps each workspace's answer in this process, checked against a version key
in Redis (one GET, far cheaper than the queries it saves) that every committed change replaces
with a random value (until the commit, other transactions read the old rows anyway). A random
value, not a counter: a Redis that lost its data cannot hand out an old version again.

A transaction that changed a workspace and has not committed neither uses nor stores a cached
answer for it (it must see its own change; a rollback would leave an answer naming rows that do
not exist): the change registers an on-commit callback, and while that callback is pending on
the connection the workspace is not cached there. A rollback discards the callback, so it needs
no bookkeeping of its own.

Redis down: every call loads from the database, as it would without a cache. `max_age` bounds
how long an answer is reused even when no change was announced: a write path that bypasses
model signals (a queryset `update()` added later) then costs at most that much staleness.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db import connection, models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from redis.exceptions import RedisError

from channels_app import queue

logger = logging.getLogger(__name__)

T = TypeVar("T")

# every cache of the process, for changes that concern them all (a secret rotation)
_all: list[VersionedCache[Any]] = []


def changed_everywhere(workspace_ids: list[int]) -> None:
    """Count a change of these workspaces in every cache (rows were rewritten in bulk)."""
    for cache in _all:
        for workspace_id in workspace_ids:
            cache.changed(workspace_id)


class VersionedCache(Generic[T]):
    """`max_entries`: how many workspaces' values one process keeps, the least recently used
    dropped first (a worker of a deployment with thousands of workspaces must not keep them all)."""

    def __init__(self, name: str, *, max_age: float | None = None, max_entries: int | None = None) -> None:
        self.name = name
        self.max_age = max_age
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._values: OrderedDict[int, tuple[bytes, float, T]] = OrderedDict()
        _all.append(self)

    def key(self, workspace_id: int) -> str:
        return f"flowgate:{self.name}:version:{workspace_id}"

    def _version(self, workspace_id: int) -> bytes | None:
        redis = queue.connection()
        version = redis.get(self.key(workspace_id))
        if version is None:
            # never cached under "no version": after Redis lost its data an old value would match
            fresh = uuid.uuid4().hex
            version = (
                fresh
                if redis.set(self.key(workspace_id), fresh, nx=True)
                else redis.get(self.key(workspace_id))
            )
        if version is None:
            return None
        return version if isinstance(version, bytes) else str(version).encode()

    def get(self, workspace_id: int, load: Callable[[], T]) -> T:
        """The workspace's value, from `load` unless the cached one is current."""
        try:
            token = self._version(workspace_id)
        except RedisError:
            return load()
        if token is None:
            return load()
        now = time.monotonic()
        with self._lock:
            cached = self._values.get(workspace_id)
            if (
                cached is not None
                and cached[0] == token
                and (self.max_age is None or now - cached[1] < self.max_age)
                and not self._changed_here(workspace_id)
            ):
                self._values.move_to_end(workspace_id)
                return cached[2]
        value = load()
        if not self._changed_here(workspace_id):
            with self._lock:
                self._values[workspace_id] = (token, now, value)
                self._values.move_to_end(workspace_id)
                while self.max_entries is not None and len(self._values) > self.max_entries:
                    self._values.popitem(last=False)
        return value

    def _changed_here(self, workspace_id: int) -> bool:
        """Whether the current transaction changed the workspace (its commit callback waits)."""
        marker = (self.name, workspace_id)
        return any(
            getattr(pending[1], "versioned_cache_change", None) == marker
            for pending in connection.run_on_commit
        )

    def bump(self, workspace_id: int) -> None:
        """Announce a change to every process (the next `get` anywhere loads again)."""
        try:
            queue.connection().set(self.key(workspace_id), uuid.uuid4().hex)
        except RedisError:
            logger.warning("could not bump the %s version (Redis down)", self.name, exc_info=True)

    def changed(self, workspace_id: int) -> None:
        """Something the workspace's value is made of was written in the current transaction."""
        if self._changed_here(workspace_id):
            return  # this transaction's commit already announces the workspace

        def committed() -> None:
            with self._lock:
                self._values.pop(workspace_id, None)
            self.bump(workspace_id)

        committed.versioned_cache_change = (self.name, workspace_id)  # type: ignore[attr-defined]
        transaction.on_commit(committed)

    def watch(
        self, model: type[models.Model], *, workspace_of: Callable[[Any], int | None] | None = None
    ) -> None:
        """Count every save and delete of `model`'s rows as a change of their workspace."""
        of = workspace_of or (lambda instance: instance.workspace_id)

        def on_change(sender: type, instance: Any, **kwargs: object) -> None:
            workspace_id = of(instance)
            if workspace_id is not None:
                self.changed(workspace_id)

        uid = f"{self.name}:{model._meta.label}"
        # strong references: the handlers are closures that would otherwise be collected
        post_save.connect(on_change, sender=model, weak=False, dispatch_uid=f"{uid}:save")
        post_delete.connect(on_change, sender=model, weak=False, dispatch_uid=f"{uid}:delete")

    def watch_m2m(self, through: type[models.Model], *, workspace_of: Callable[[Any], int | None]) -> None:
        """Count additions and removals in a many-to-many relation as changes."""

        def on_change(sender: type, instance: Any, action: str, **kwargs: object) -> None:
            if action.startswith("post_"):
                workspace_id = workspace_of(instance)
                if workspace_id is not None:
                    self.changed(workspace_id)

        m2m_changed.connect(
            on_change, sender=through, weak=False, dispatch_uid=f"{self.name}:{through._meta.label}:m2m"
        )
