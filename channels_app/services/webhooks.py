"""Event webhooks: a workspace subscribes URLs to events; each delivery is signed and retried.

Events are written as delivery rows in the same transaction as the change they report, so
nothing is lost if the worker dies or a queue job vanishes: the periodic `deliver_due_job`
picks up whatever is due. Receivers verify `X-Flowgate-Signature`, which is
`sha256=` + HMAC-SHA256(secret, `<X-Flowgate-Timestamp>.<raw body>`), and should reject old
timestamps; a retried delivery keeps its `X-Flowgate-Delivery` id so receivers can dedupe.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import httpx
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from channels_app import queue, wakes
from channels_app.models import Msg, WebhookAttempt, WebhookDelivery, WebhookSubscription, Workspace
from channels_app.services import webhook_cache
from channels_app.urlguard import URLNotAllowed, check_url_sync, config_url_refusal, outbound_client

logger = logging.getLogger(__name__)

MESSAGE_RECEIVED = "message.received"
MESSAGE_STATUS = "message.status_changed"
CALL_EVENT = "call.event"
FLOW_COMPLETED = "flow.completed"
EVENTS = (MESSAGE_RECEIVED, MESSAGE_STATUS, CALL_EVENT, FLOW_COMPLETED)

RESPONSE_LOG_LIMIT = 1000
DELIVERY_BATCH = 100


class WebhookError(ValueError):
    pass


def _max_attempts() -> int:
    return int(settings.FLOWGATE_WEBHOOK_MAX_ATTEMPTS)


def _backoff_seconds() -> float:
    return float(settings.FLOWGATE_WEBHOOK_BACKOFF_SECONDS)


def _timeout_seconds() -> float:
    return float(settings.FLOWGATE_WEBHOOK_TIMEOUT_SECONDS)


def retry_delay(attempts: int) -> timedelta:
    """10 s, 20 s, 40 s… capped at an hour: a receiver down for a while still gets everything."""
    return timedelta(seconds=min(_backoff_seconds() * (2 ** max(attempts - 1, 0)), 3600))


# --- subscriptions ------------------------------------------------------------------------
def _clean(url: Any, events: Any) -> tuple[str, list[str]]:
    if not isinstance(url, str) or not url.strip().startswith(("http://", "https://")):
        raise WebhookError("url must be an http:// or https:// URL")
    if len(url) > 1024:
        raise WebhookError("url is too long")
    refusal = config_url_refusal(url.strip())
    if refusal:
        raise WebhookError(f"url is not allowed: {refusal}")
    if not isinstance(events, list) or not events:
        raise WebhookError(f"events must be a non-empty list of: {', '.join(EVENTS)}")
    unknown = [e for e in events if e not in EVENTS]
    if unknown:
        raise WebhookError(f"unknown events {unknown}: use {', '.join(EVENTS)}")
    return url.strip(), sorted(set(events))


def create_subscription(*, workspace: Workspace, url: str, events: list[str]) -> WebhookSubscription:
    url, events = _clean(url, events)
    return WebhookSubscription.objects.create(
        workspace=workspace, url=url, events=events, secret=secrets.token_hex(24)
    )


def update_subscription(
    *,
    subscription: WebhookSubscription,
    url: str | None = None,
    events: list[str] | None = None,
    is_active: bool | None = None,
) -> WebhookSubscription:
    clean_url, clean_events = _clean(
        subscription.url if url is None else url, subscription.events if events is None else events
    )
    subscription.url, subscription.events = clean_url, clean_events
    if is_active is not None:
        subscription.is_active = is_active
    subscription.save()
    return subscription


def subscription_payload(subscription: WebhookSubscription, *, with_secret: bool = False) -> dict[str, Any]:
    return {
        "uuid": str(subscription.uuid),
        "url": subscription.url,
        "events": subscription.events,
        "secret": subscription.plain_secret if with_secret else subscription.plain_secret[:4] + "*" * 12,
        "is_active": subscription.is_active,
        "created_on": subscription.created_on,
    }


def delivery_payload(delivery: WebhookDelivery, *, with_attempts: bool = False) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "uuid": str(delivery.uuid),
        "subscription": str(delivery.subscription.uuid),
        "event": delivery.event,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_status_code": delivery.last_status_code,
        "next_attempt_on": delivery.next_attempt_on,
        "created_on": delivery.created_on,
        "delivered_on": delivery.delivered_on,
        "payload": delivery.payload,
    }
    if with_attempts:
        payload["attempt_log"] = [
            {
                "status_code": a.status_code,
                "error": a.error,
                "response_body": a.response_body,
                "elapsed_ms": a.elapsed_ms,
                "created_on": a.created_on,
            }
            for a in delivery.attempt_log.all()
        ]
    return payload


# --- emitting -----------------------------------------------------------------------------
def emit(*, workspace_id: int, event: str, data: dict[str, Any]) -> int:
    """Record `event` for every active subscription that wants it; sent after commit.

    Call it inside the transaction making the change, so the event exists iff the change does.
    """
    return emit_many(workspace_id=workspace_id, event=event, items=[data])


def emit_many(*, workspace_id: int, event: str, items: Iterable[dict[str, Any]]) -> int:
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    subscriptions = _subscriptions(workspace_id, event)
    if not subscriptions:
        return 0
    return _create(workspace_id, event, subscriptions, list(items))


def _subscriptions(workspace_id: int, event: str) -> list[WebhookSubscription]:
    def load() -> list[WebhookSubscription]:
        return list(WebhookSubscription.objects.filter(workspace_id=workspace_id, is_active=True))

    return [s for s in webhook_cache.active(workspace_id, load) if event in s.events]


def _create(
    workspace_id: int, event: str, subscriptions: list[WebhookSubscription], items: list[dict[str, Any]]
) -> int:
    now = timezone.now()
    rows = [
        WebhookDelivery(
            workspace_id=workspace_id,
            subscription=s,
            event=event,
            payload=json.loads(json.dumps(data, cls=DjangoJSONEncoder)),
            next_attempt_on=now,
        )
        for data in items
        for s in subscriptions
    ]
    WebhookDelivery.objects.bulk_create(rows)
    wakes.wake_webhooks()
    return len(rows)


def msg_data(msg: Msg) -> dict[str, Any]:
    return {
        "uuid": str(msg.uuid),
        "direction": msg.direction,
        "status": msg.status,
        "text": msg.text,
        "urn": msg.urn,
        "channel": str(msg.channel.uuid),
        "contact": str(msg.contact.uuid) if msg.contact else None,
        "external_id": msg.external_id,
        "error": msg.error,
        "response_to": str(msg.response_to.uuid) if msg.response_to else None,
        "created_on": msg.created_on,
        "sent_on": msg.sent_on,
        "delivered_on": msg.delivered_on,
    }


def _emit_msgs(event: str, msgs: Iterable[Msg]) -> None:
    msgs = list(msgs)
    if not msgs:
        return
    subscriptions = _subscriptions(msgs[0].workspace_id, event)
    if not subscriptions:  # the common case costs one small query
        return
    # Reloaded in one query: callers hold rows without their relations, and this is the
    # state as committed with the event.
    loaded = Msg.objects.filter(id__in=[m.id for m in msgs]).select_related(
        "channel", "contact", "response_to"
    )
    _create(msgs[0].workspace_id, event, subscriptions, [msg_data(m) for m in loaded.order_by("id")])


def emit_msg_received(msgs: Iterable[Msg]) -> None:
    """Inbound messages of one workspace, once handled (contact known)."""
    _emit_msgs(MESSAGE_RECEIVED, msgs)


def emit_msg_status(msgs: Iterable[Msg]) -> None:
    """Status changes of one workspace's messages (a send batch, or one update)."""
    _emit_msgs(MESSAGE_STATUS, msgs)


# --- delivering ---------------------------------------------------------------------------
def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def _claim(now: datetime, limit: int) -> list[WebhookDelivery]:
    """Lease due deliveries; a worker that dies mid-POST leaves a lease that simply expires."""
    lease = now + timedelta(seconds=_timeout_seconds() * 3 + 30)
    with transaction.atomic():
        ids = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(
                status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.SENDING],
                next_attempt_on__lte=now,
            )
            .order_by("next_attempt_on", "id")
            .values_list("id", flat=True)[:limit]
        )
        WebhookDelivery.objects.filter(id__in=ids).update(
            status=WebhookDelivery.Status.SENDING, next_attempt_on=lease
        )
    return list(WebhookDelivery.objects.filter(id__in=ids).select_related("subscription").order_by("id"))


def _attempt(delivery: WebhookDelivery, client: httpx.Client) -> None:
    subscription = delivery.subscription
    body = json.dumps(
        {
            "event": delivery.event,
            "delivery": str(delivery.uuid),
            "created_on": delivery.created_on.isoformat(),
            "data": delivery.payload,
        },
        separators=(",", ":"),
    ).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Flowgate-Webhooks/1",
        "X-Flowgate-Event": delivery.event,
        "X-Flowgate-Delivery": str(delivery.uuid),
        "X-Flowgate-Timestamp": timestamp,
        "X-Flowgate-Signature": sign(subscription.plain_secret, timestamp, body),
    }
    started = time.monotonic()
    status_code: int | None = None
    error = response_body = ""
    try:
        check_url_sync(subscription.url)
        response = client.post(subscription.url, content=body, headers=headers)
        status_code, response_body = response.status_code, response.text[:RESPONSE_LOG_LIMIT]
        if not 200 <= status_code < 300:
            error = f"receiver answered HTTP {status_code}"
    except URLNotAllowed as exc:
        error = str(exc)
    except httpx.HTTPError as exc:
        error = f"transport error: {exc!r}"
    _record(delivery, status_code, error, response_body, time.monotonic() - started)


def _record(
    delivery: WebhookDelivery, status_code: int | None, error: str, response_body: str, elapsed: float
) -> None:
    now = timezone.now()
    attempts = delivery.attempts + 1
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            status_code=status_code,
            error=error,
            response_body=response_body,
            elapsed_ms=round(elapsed * 1000, 1),
        )
        update: dict[str, Any] = {"attempts": attempts, "last_status_code": status_code}
        if not error:
            update.update(status=WebhookDelivery.Status.DELIVERED, delivered_on=now, next_attempt_on=now)
        elif attempts >= _max_attempts():
            update.update(status=WebhookDelivery.Status.FAILED, next_attempt_on=now)
        else:
            update.update(status=WebhookDelivery.Status.PENDING, next_attempt_on=now + retry_delay(attempts))
        WebhookDelivery.objects.filter(id=delivery.id).update(**update)


def deliver_due(*, now: datetime | None = None, transport: httpx.BaseTransport | None = None) -> int:
    """POST every due delivery once; failures are rescheduled with backoff."""
    done = 0
    batch = _claim(now or timezone.now(), DELIVERY_BATCH)
    if not batch:
        return 0  # the common tick: no client (a CA bundle load) for nothing to send
    with outbound_client(transport=transport, timeout=_timeout_seconds()) as client:
        while batch:
            for delivery in batch:
                try:
                    _attempt(delivery, client)
                except Exception:  # one bad row must not stall the rest; its lease expires
                    logger.exception("webhook delivery %s failed unexpectedly", delivery.uuid)
                done += 1
            batch = _claim(now or timezone.now(), DELIVERY_BATCH)
    return done


@transaction.atomic
def replay(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send an event again (failed, or delivered and wanted once more) as a new delivery."""
    copy = WebhookDelivery.objects.create(
        workspace_id=delivery.workspace_id,
        subscription=delivery.subscription,
        event=delivery.event,
        payload=delivery.payload,
        next_attempt_on=timezone.now(),
    )
    wakes.wake_webhooks()
    return copy


# --- jobs (thin: the periodic tick and the after-commit wake-up) ----------------------------
def deliver_job() -> int:
    wakes.clear_webhooks()
    return deliver_due()


def deliver_due_job() -> int:
    if not queue.try_lock("webhooks-periodic", seconds=55):
        return 0
    try:
        return deliver_due()
    finally:
        queue.release_lock("webhooks-periodic")
