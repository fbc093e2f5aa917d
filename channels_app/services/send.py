"""One send path for every channel type.

Rule that makes "never sent twice" hold: a message is marked `wired` (attempts + 1) and that is
committed *before* its request goes out. Only `queued` and due `errored` messages are claimed,
so a job retried after a worker died mid-send never sends a `wired` message again; the sweeper
flags such messages as "outcome unknown" instead (a late delivery callback still completes them).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
import time
from datetime import timedelta
from typing import Any

import httpx
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from channels_app import queue, realtime, urns
from channels_app.crypto import SecretDecryptionError
from channels_app.models import Channel, Contact, ContactURN, Direction, Msg, MsgEvent, MsgStatus
from channels_app.services import routing, send_clients, webhooks
from channels_app.services.ingest import get_or_create_contact
from channels_app.types.base import OutgoingMessage, SendResult

logger = logging.getLogger(__name__)

SEND_CONCURRENCY = 20
SHARD_CONNECTIONS = 4
SEND_LOCK_SECONDS = 120
# A send job yields after this long (and re-wakes itself) so one worker alternates between
# sending and handling inbound instead of draining one queue while the other waits.
JOB_SECONDS = 1.0


class SendError(ValueError):
    pass


def queue_message(
    *,
    to: str,
    text: str,
    channel: Channel | None = None,
    workspace_id: int | None = None,
    attachments: list[str] | None = None,
    response_to: Msg | None = None,
    metadata: dict[str, Any] | None = None,
    pool: routing.ChannelPool | None = None,
) -> Msg:
    """Create an outbound message and wake the channel's sender after commit.

    `channel` forces a channel; without one the selection rules (routing.py) pick it.
    """
    with transaction.atomic():
        msg = build_message(
            channel=channel,
            workspace_id=workspace_id,
            to=to,
            text=text,
            attachments=attachments,
            response_to=response_to,
            metadata=metadata,
            pool=pool,
        )
        queue_messages([msg])
    return msg


def build_message(
    *,
    to: str,
    text: str,
    channel: Channel | None = None,
    workspace_id: int | None = None,
    attachments: list[str] | None = None,
    response_to: Msg | None = None,
    metadata: dict[str, Any] | None = None,
    contact_urn: ContactURN | None = None,
    pool: routing.ChannelPool | None = None,
    affinity_first: bool = False,
) -> Msg:
    """Validate an outbound message, choose its channel and return it unsaved (store it with
    queue_messages). Raises SendError, e.g. "no channel can send to tel:+…".

    `contact_urn` (with its contact loaded) saves the contact lookup when the caller already
    holds the recipient, e.g. a flow replying to the sender of an inbound message. `pool` is
    the workspace's channels when the caller sends many messages.
    """
    if not text and not attachments:
        raise SendError("a message needs text or attachments")
    if workspace_id is None:
        if channel is None:
            raise SendError("a message needs a channel or a workspace")
        workspace_id = channel.workspace_id
    elif channel is not None and channel.workspace_id != workspace_id:
        raise SendError("the channel belongs to another workspace")
    if pool is None:
        pool = routing.ChannelPool(workspace_id)
    # Numbers without a plus are read in the country of the channel they will most likely go
    # out on: the named one, the inbound's, else the workspace's.
    hint = channel or (pool.by_id.get(response_to.channel_id) if response_to is not None else None)
    country = hint.country if hint is not None else pool.default_country()
    scheme = hint.type.default_scheme(hint) if hint is not None else "tel"
    try:
        identity = urns.normalize(to, country, default_scheme=scheme)
    except urns.InvalidURN as exc:
        raise SendError(str(exc)) from None
    if channel is not None and urns.split(identity)[0] not in channel.type.schemes:
        raise SendError(f"channel {channel.name!r} cannot send to {urns.split(identity)[0]}: URNs")
    if contact_urn is not None and contact_urn.identity == identity and contact_urn.contact is not None:
        contact, urn = contact_urn.contact, contact_urn
    else:
        contact, urn = get_or_create_contact(workspace_id=workspace_id, identity=identity)
    try:
        route = pool.select(
            identity=identity,
            explicit=channel,
            response_to=response_to,
            urn=urn,
            affinity_first=affinity_first,
        )
    except routing.NoChannel as exc:
        raise SendError(str(exc)) from None
    stopped = contact.status != Contact.Status.ACTIVE
    msg = Msg(
        workspace_id=workspace_id,
        channel=route.channel,
        contact=contact,
        contact_urn=urn,
        urn=identity,
        direction=Direction.OUT,
        status=MsgStatus.FAILED if stopped else MsgStatus.QUEUED,
        error=f"the contact is {contact.status}" if stopped else "",
        text=text,
        attachments=attachments or [],
        response_to=response_to,
        metadata=metadata or {},
        created_on=timezone.now(),
    )
    msg._route = route  # type: ignore[attr-defined]  # logged by queue_messages
    return msg


def reply_problem(*, workspace_id: int, response_to: Msg, to: str) -> str:
    """Why `to` may not reply to `response_to` ("" when it may): a reply goes to the contact
    that message belongs to, else it would leak one contact's thread into another's."""
    country = response_to.channel.country if response_to.channel_id else ""
    try:
        identity = urns.normalize(to, country)
    except urns.InvalidURN as exc:
        return str(exc)
    if response_to.urn == identity:
        return ""
    owner = (
        ContactURN.objects.filter(workspace_id=workspace_id, identity=identity)
        .values_list("contact_id", flat=True)
        .first()
    )
    if owner is None or owner != response_to.contact_id:
        return "response_to must be a message of the same contact"
    return ""


def queue_messages(msgs: list[Msg]) -> None:
    """Store messages from build_message in a few statements; wake each channel once after commit."""
    if not msgs:
        return
    with transaction.atomic():
        Msg.objects.bulk_create(msgs)
        events = []
        for m in msgs:
            route: routing.Route | None = getattr(m, "_route", None)
            if route is not None:  # which channel and why, first in the message's log
                events.append(
                    MsgEvent(msg=m, event_type="channel", description=route.why, data=route.event_data())
                )
            events.append(MsgEvent(msg=m, event_type="status", status=m.status, description=m.error))
        MsgEvent.objects.bulk_create(events)
        workspaces: dict[int, list[Msg]] = {}
        for msg in msgs:
            workspaces.setdefault(msg.workspace_id, []).append(msg)
        for workspace_id, group in workspaces.items():
            if len(group) == 1:
                realtime.publish(workspace_id, realtime.msg_event(group[0]))
            else:
                realtime.publish_many(workspace_id, [realtime.msg_event(m) for m in group])
        for channel_id in sorted({m.channel_id for m in msgs if m.status == MsgStatus.QUEUED}):
            wake_sender(channel_id)


def wake_sender(channel_id: int) -> None:
    queue.wake("send", "channels_app.jobs.send_channel", channel_id, key=f"send:{channel_id}")


def claim_batch(channel: Channel, limit: int) -> list[Msg]:
    """Mark up to `limit` due messages `wired` (attempts + 1) and return them; committed on return."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Msg.objects.select_for_update(skip_locked=True)
            .filter(channel=channel, direction=Direction.OUT)
            .filter(Q(status=MsgStatus.QUEUED) | Q(status=MsgStatus.ERRORED, next_attempt_on__lte=now))
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
        if not ids:
            return []
        Msg.objects.filter(id__in=ids).update(
            status=MsgStatus.WIRED, attempts=F("attempts") + 1, modified_on=now, next_attempt_on=None
        )
    batch = list(Msg.objects.filter(id__in=ids).order_by("id"))
    for msg in batch:
        # The caller's channel instead of a join: one row (and its config) per message is slow.
        msg.channel = channel
    return batch


def send_channel(*, channel_id: int, transport: httpx.AsyncBaseTransport | None = None) -> int:
    """Drain the channel's queue; one sender per channel at a time so its rate limit holds."""
    channel = Channel.objects.filter(id=channel_id, is_active=True).first()
    if channel is None or not channel.type.sent_by_worker:
        return 0
    lock = f"send:{channel_id}"
    sent = 0
    # A short lock renewed per batch: a worker killed mid-batch blocks its channel for two
    # minutes at most, never for the length of a long drain.
    lock_seconds = int(getattr(settings, "FLOWGATE_SEND_LOCK_SECONDS", SEND_LOCK_SECONDS))
    if not queue.try_lock(lock, seconds=lock_seconds):
        return 0  # the holder looks for due messages once more before it lets go
    started, size = time.monotonic(), settings.FLOWGATE_BATCH_SIZE
    try:
        while batch := claim_batch(channel, size):
            results = send_clients.run(_send_batch(channel, batch, transport))
            record_results(channel, batch, results)
            queue.refresh_lock(lock, lock_seconds)
            sent += len(batch)
            # A partial batch means we caught up; a long drain yields after JOB_SECONDS. Either
            # way the worker is given back, so inbound handling interleaves with sending.
            if len(batch) < size or time.monotonic() - started > JOB_SECONDS:
                break
    finally:
        queue.release_lock(lock)
    # Due work left behind (a drain cut short, or messages whose wake-up found our lock held):
    # a fresh wake-up carries on.
    if _has_due(channel):
        queue.clear_wake(f"send:{channel_id}")
        queue.wake_now("send", "channels_app.jobs.send_channel", channel_id, key=f"send:{channel_id}")
    return sent


def _has_due(channel: Channel) -> bool:
    return (
        Msg.objects.filter(channel=channel, direction=Direction.OUT)
        .filter(Q(status=MsgStatus.QUEUED) | Q(status=MsgStatus.ERRORED, next_attempt_on__lte=timezone.now()))
        .exists()
    )


class _RateLimiter:
    """Spaces request starts at 1/tps seconds; shared by the batch's concurrent senders."""

    def __init__(self, tps: float) -> None:
        self.interval = 1.0 / tps if tps > 0 else 0.0
        self.next_start = time.monotonic()
        self.lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self.interval:
            return
        async with self.lock:
            now = time.monotonic()
            delay = self.next_start - now
            self.next_start = max(now, self.next_start) + self.interval
        if delay > 0:
            await asyncio.sleep(delay)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle costs tens of milliseconds: once per process, not per batch.
    return httpx.create_ssl_context()


async def _send_batch(
    channel: Channel, batch: list[Msg], transport: httpx.AsyncBaseTransport | None
) -> list[SendResult]:
    """Send a batch concurrently, SEND_CONCURRENCY requests at a time, within the channel's rate.

    The requests are spread over a few small clients (SHARD_CONNECTIONS connections each):
    httpcore re-checks every pooled connection of a client whenever a request starts or ends,
    so one 20-connection pool costs several times the CPU per request of five 4-connection ones.
    """
    channel_type = channel.type
    limiter = _RateLimiter(channel_type.max_tps(channel))
    timeout = httpx.Timeout(settings.FLOWGATE_SEND_TIMEOUT_SECONDS)
    per_shard = SHARD_CONNECTIONS if transport is None else SEND_CONCURRENCY
    shards = max(1, min(SEND_CONCURRENCY // per_shard, len(batch)))
    limits = httpx.Limits(max_connections=per_shard, max_keepalive_connections=per_shard)

    async def send_one(client: httpx.AsyncClient, msg: Msg) -> SendResult:
        outgoing = OutgoingMessage(
            id=msg.id,
            uuid=str(msg.uuid),
            text=msg.text,
            urn=msg.urn,
            attachments=msg.attachments,
            attempt=msg.attempts,
            parts_sent=int(msg.metadata.get("parts_sent", 0)),
        )
        await limiter.wait()
        try:
            return await channel_type.send(channel, outgoing, client)
        except httpx.TransportError as exc:
            return SendResult(ok=False, retryable=True, error=f"transport error: {exc!r}")
        except SecretDecryptionError as exc:  # a key missing from FLOWGATE_SECRET_KEYS: fixable, retry
            return SendResult(ok=False, retryable=True, error=str(exc))
        except Exception as exc:  # a type bug must fail one message, not the batch
            logger.exception("channel type %s failed to send %s", channel.channel_type, msg.uuid)
            return SendResult(ok=False, retryable=False, error=f"internal error: {exc}")

    def make_client() -> httpx.AsyncClient:
        return httpx.AsyncClient(
            timeout=timeout, transport=transport, follow_redirects=False, limits=limits, verify=_ssl_context()
        )

    async def run_shard(msgs: list[Msg], client: httpx.AsyncClient) -> list[SendResult]:
        semaphore = asyncio.Semaphore(per_shard)

        async def bounded(msg: Msg) -> SendResult:
            async with semaphore:
                return await send_one(client, msg)

        return await asyncio.gather(*(bounded(m) for m in msgs))

    if transport is None:  # kept-alive connections from the channel's earlier batches
        clients = send_clients.shard_clients(channel.id, shards, make_client)
        parts = await asyncio.gather(*(run_shard(batch[k::shards], clients[k]) for k in range(shards)))
    else:  # a caller's transport (tests, the pinned XC transport) lives for this batch only
        clients = [make_client() for _ in range(shards)]
        try:
            parts = await asyncio.gather(*(run_shard(batch[k::shards], clients[k]) for k in range(shards)))
        finally:
            await asyncio.gather(*(c.aclose() for c in clients))
    results: list[SendResult] = [None] * len(batch)  # type: ignore[list-item]
    for k, part in enumerate(parts):
        results[k::shards] = part
    return results


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=settings.FLOWGATE_SEND_BACKOFF_SECONDS * (2 ** max(attempts - 1, 0)))


def record_results(channel: Channel, batch: list[Msg], results: list[SendResult]) -> None:
    """Write a batch's outcomes in a few statements (one UPDATE per outcome, bulk events)."""
    now = timezone.now()
    events: list[MsgEvent] = []
    sent: list[Msg] = []
    retry: dict[tuple[str, Any], list[int]] = {}  # (error, next attempt) -> ids
    failed: dict[str, list[int]] = {}  # error -> ids
    progress: list[Msg] = []
    for msg, result in zip(batch, results, strict=True):
        events.extend(MsgEvent(msg=msg, event_type="http", data=entry) for entry in result.log)
        if result.parts_sent != int(msg.metadata.get("parts_sent", 0)):
            msg.metadata = {**msg.metadata, "parts_sent": result.parts_sent}
            progress.append(msg)
        if result.ok:
            msg.status, msg.external_id, msg.error, msg.parts = (
                MsgStatus.SENT,
                result.external_id,
                "",
                result.parts,
            )
            sent.append(msg)
        elif result.retryable and msg.attempts < settings.FLOWGATE_SEND_MAX_ATTEMPTS:
            msg.status, msg.error = MsgStatus.ERRORED, result.error
            retry.setdefault((result.error, now + retry_delay(msg.attempts)), []).append(msg.id)
        else:
            msg.status, msg.error = MsgStatus.FAILED, result.error
            failed.setdefault(result.error, []).append(msg.id)
        events.append(
            MsgEvent(msg=msg, event_type="status", status=msg.status, description=msg.error,
                     data={"attempt": msg.attempts})
        )  # fmt: skip
    with transaction.atomic():
        wired = Msg.objects.filter(status=MsgStatus.WIRED)
        if sent:
            _mark_sent(sent, now)
        for (error, next_attempt), ids in retry.items():
            wired.filter(id__in=ids).update(
                status=MsgStatus.ERRORED, error=error, next_attempt_on=next_attempt, modified_on=now
            )
        for error, ids in failed.items():
            wired.filter(id__in=ids).update(status=MsgStatus.FAILED, error=error, modified_on=now)
        if progress:
            Msg.objects.bulk_update(progress, ["metadata"])
        MsgEvent.objects.bulk_create(events)
        realtime.publish_many(channel.workspace_id, [realtime.msg_event(msg) for msg in batch])
        webhooks.emit_msg_status(batch)


def _mark_sent(sent: list[Msg], now: Any) -> None:
    """Set `sent` (only where still `wired`: a fast "delivered" callback must not be undone) and
    each message's provider id. On PostgreSQL one UPDATE … FROM (VALUES …) does the whole batch;
    per-row updates were the bottleneck of high-rate links."""
    if connection.vendor == "postgresql":
        rows = ", ".join(["(%s::bigint, %s::text, %s::integer)"] * len(sent))
        params: list[Any] = [value for m in sent for value in (m.id, m.external_id, m.parts)]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Msg._meta.db_table} AS m SET external_id = v.external_id, parts = v.parts, "
                "status = CASE WHEN m.status = %s THEN %s ELSE m.status END, "
                "sent_on = CASE WHEN m.status = %s THEN %s ELSE m.sent_on END, "
                "error = CASE WHEN m.status = %s THEN '' ELSE m.error END, modified_on = %s "
                f"FROM (VALUES {rows}) AS v(id, external_id, parts) WHERE m.id = v.id",
                [MsgStatus.WIRED, MsgStatus.SENT, MsgStatus.WIRED, now, MsgStatus.WIRED, now, *params],
            )
        return
    Msg.objects.filter(id__in=[m.id for m in sent], status=MsgStatus.WIRED).update(
        status=MsgStatus.SENT, sent_on=now, error="", modified_on=now
    )
    Msg.objects.bulk_update(sent, ["external_id", "parts"])


def sweep(*, now: Any = None) -> dict[str, int]:
    """Re-wake senders with due work and flag messages a dead worker left `wired`.

    Runs on a schedule; it is what makes a lost Redis job or a crashed worker only a delay.
    """
    now = now or timezone.now()
    due_channels = set(
        Msg.objects.filter(direction=Direction.OUT)
        .filter(Q(status=MsgStatus.QUEUED) | Q(status=MsgStatus.ERRORED, next_attempt_on__lte=now))
        .values_list("channel_id", flat=True)
        .distinct()
    )
    for channel_id in due_channels:
        # (channels whose type sends from its own process, e.g. SMPP links, ignore the wake-up)
        queue.clear_wake(f"send:{channel_id}")
        wake_sender(channel_id)

    stale_before = now - timedelta(seconds=settings.FLOWGATE_WIRED_STALE_SECONDS)
    stale = list(
        Msg.objects.filter(direction=Direction.OUT, status=MsgStatus.WIRED, modified_on__lt=stale_before)
        .exclude(metadata__has_key="outcome_unknown")
        .only("id", "metadata")[:1000]
    )
    for msg in stale:
        msg.metadata = {**msg.metadata, "outcome_unknown": True}
        Msg.objects.filter(id=msg.id).update(metadata=msg.metadata)
        MsgEvent.objects.create(
            msg=msg,
            event_type="outcome_unknown",
            status=MsgStatus.WIRED,
            description="the worker stopped after writing to the provider; not resent to avoid a duplicate",
        )

    pending_workspaces = set(
        Msg.objects.filter(direction=Direction.IN, status=MsgStatus.PENDING)
        .values_list("workspace_id", flat=True)
        .distinct()
    )
    for workspace_id in pending_workspaces:
        queue.clear_wake(f"handle:{workspace_id}")
        queue.wake("handle", "channels_app.jobs.handle_inbound", workspace_id, key=f"handle:{workspace_id}")
    return {
        "send_wakeups": len(due_channels),
        "stale_wired": len(stale),
        "handle_wakeups": len(pending_workspaces),
    }
