"""Each process remembers the workspaces' active webhook subscriptions between batches.

Every send, receipt and handle batch asks which subscriptions want its event, and almost always
the answer is none: a query per batch was a few per cent of a worker's CPU. The answer is kept
per process in a `VersionedCache` (see there for how it stays current).
"""

from __future__ import annotations

from collections.abc import Callable

from channels_app.models import WebhookSubscription
from channels_app.services.versioned_cache import VersionedCache

_subscriptions: VersionedCache[list[WebhookSubscription]] = VersionedCache("webhooks")
_subscriptions.watch(WebhookSubscription)


def active(workspace_id: int, load: Callable[[], list[WebhookSubscription]]) -> list[WebhookSubscription]:
    """The workspace's active subscriptions, from `load` unless the cached list is current."""
    return _subscriptions.get(workspace_id, load)


def _bump(workspace_id: int) -> None:
    """What another process's committed change does (tests stand in for it with this)."""
    _subscriptions.bump(workspace_id)
