"""Each process keeps a workspace's webhook subscriptions between batches, and never a stale list."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from channels_app.models import WebhookSubscription
from channels_app.services import webhook_cache, webhooks


def _lookup_queries(workspace: Any) -> tuple[list[str], int]:
    with CaptureQueriesContext(connection) as ctx:
        found = webhooks._subscriptions(workspace.id, webhooks.MESSAGE_STATUS)
    return [s.url for s in found], sum("webhooksubscription" in q["sql"] for q in ctx.captured_queries)


def test_lookups_are_cached_until_a_subscription_changes(workspace: Any) -> None:
    assert _lookup_queries(workspace) == ([], 1)
    assert _lookup_queries(workspace) == ([], 0)  # the cached answer: no query

    sub = webhooks.create_subscription(
        workspace=workspace, url="https://hooks.example.com/a", events=[webhooks.MESSAGE_STATUS]
    )
    assert _lookup_queries(workspace) == (["https://hooks.example.com/a"], 1)
    assert _lookup_queries(workspace) == (["https://hooks.example.com/a"], 0)

    webhooks.update_subscription(subscription=sub, is_active=False)
    assert _lookup_queries(workspace) == ([], 1)

    webhooks.update_subscription(subscription=sub, is_active=True)
    sub.delete()
    assert _lookup_queries(workspace) == ([], 1)


def test_a_change_made_by_another_process_is_seen(workspace: Any) -> None:
    assert _lookup_queries(workspace) == ([], 1)
    # another process: the row without this process's signals, then its version bump
    WebhookSubscription.objects.bulk_create(
        [
            WebhookSubscription(
                workspace=workspace, url="https://h.example.com/b", events=[webhooks.MESSAGE_STATUS]
            )
        ]
    )
    assert _lookup_queries(workspace) == ([], 0)  # (no bump yet: the cached answer)
    webhook_cache._bump(workspace.id)
    assert _lookup_queries(workspace) == (["https://h.example.com/b"], 1)


def test_redis_losing_its_data_is_not_taken_for_an_unchanged_version(workspace: Any) -> None:
    from channels_app import queue

    assert _lookup_queries(workspace) == ([], 1)
    WebhookSubscription.objects.bulk_create(
        [
            WebhookSubscription(
                workspace=workspace, url="https://h.example.com/c", events=[webhooks.MESSAGE_STATUS]
            )
        ]
    )
    queue.connection().flushdb()
    assert _lookup_queries(workspace) == (["https://h.example.com/c"], 1)
