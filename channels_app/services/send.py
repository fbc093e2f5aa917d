"""One send path for every channel type.

Rule that makes "never sent twice" hold: a message is marked `wired` (attempts + 1) and that is
committed *before* its request goes out. Only `queued` and due `errored` messages are claimed,
so a job retried after a worker died mid-send never sends a `wired` message again; the sweeper
flags such messages as "outcome unknown" instead (a late delivery callback still completes them).

Rule that keeps the in-doubt window narrow: claiming a batch only leases it (claimed_by,
lease_until); each message is wired just before its own request starts and its outcome is
recorded as soon as it returns. A killed worker's unstarted messages stay `queued` and go out
once the lease runs out; only the requests truly in flight (at most SEND_CONCURRENCY) can end
"outcome unknown".
"""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
import threading
import time
import uuid
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from channels_app import bulk, queue, realtime, urns, wakes
from channels_app.crypto import SecretDecryptionError
from channels_app.models import Channel, Contact, ContactURN, Direction, Msg, MsgEvent, MsgStatus
from channels_app.services import append_rows, routing, send_clients, webhooks
from channels_app.services.ingest import get_or_create_contact
from channels_app.types.base import OutgoingMessage, SendResult

logger = logging.getLogger(__name__)

SEND_CONCURRENCY = 20
SHARD_CONNECTIONS = 4
SEND_LOCK_SECONDS = 15
# A send job yields after this long (and re-wakes itself) so one worker alternates between
# sending and handling inbound instead of draining one queue while the other waits.
JOB_SECONDS = 1.0
# How long a send batch waits for more answers before recording those it has (_finished).
GATHER_SECONDS = 0.01


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
    # No savepoint inside a caller's transaction (a handle batch: two round trips each time);
    # nobody catches an error of this and goes on in the same transaction.
    with transaction.atomic(savepoint=False):
        append_rows.insert(msgs, with_ids=True)  # their events refer to them
        events = []
        for m in msgs:
            route: routing.Route | None = getattr(m, "_route", None)
            if route is not None:  # which channel and why, first in the message's log
                events.append(
                    MsgEvent(msg=m, event_type="channel", description=route.why, data=route.event_data())
                )
            events.append(MsgEvent(msg=m, event_type="status", status=m.status, description=m.error))
        append_rows.insert(events)
        workspaces: dict[int, list[Msg]] = {}
        for msg in msgs:
            workspaces.setdefault(msg.workspace_id, []).append(msg)
        for workspace_id, group in workspaces.items():
            if len(group) == 1:
                realtime.publish(workspace_id, realtime.msg_event(group[0]))
            else:
                realtime.publish_many(workspace_id, [realtime.msg_event(m) for m in group])
        for channel_id in sorted({m.channel_id for m in msgs if m.status == MsgStatus.QUEUED}):
            wakes.wake_sender(channel_id)


def _due(now: Any) -> Q:
    """Messages a sender may claim: queued or due for a retry, and not leased by a live sender."""
    return (Q(status=MsgStatus.QUEUED) | Q(status=MsgStatus.ERRORED, next_attempt_on__lte=now)) & (
        Q(lease_until__isnull=True) | Q(lease_until__lte=now)
    )


def lease_seconds() -> int:
    return int(getattr(settings, "FLOWGATE_SEND_LEASE_SECONDS", 30))


def claim_batch(channel: Channel, limit: int, *, token: str) -> list[Msg]:
    """Lease up to `limit` due messages to the sender `token`; committed on return.

    Claiming does not mark them `wired`: a message is wired only right before its own request
    goes out (wire()). A sender killed after claiming leaves them `queued` with a lease that
    runs out, after which any sender sends them.
    """
    if connection.vendor == "postgresql":
        batch = claim_returning(channel.id, limit, token=token, fields=_MSG_FIELDS)
    else:
        now = timezone.now()
        with transaction.atomic():
            ids = list(
                Msg.objects.select_for_update(skip_locked=True)
                .filter(channel=channel, direction=Direction.OUT)
                .filter(_due(now))
                .order_by("id")
                .values_list("id", flat=True)[:limit]
            )
            if not ids:
                return []
            Msg.objects.filter(id__in=ids).update(
                claimed_by=token, lease_until=now + timedelta(seconds=lease_seconds())
            )
        batch = list(Msg.objects.filter(id__in=ids).order_by("id"))
    for msg in batch:
        # The caller's channel instead of a join: one row (and its config) per message is slow.
        msg.channel = channel
    return batch


# Every column of a message, the id first (claim_returning sorts its rows by it).
_MSG_FIELDS = ("id", *(f.attname for f in Msg._meta.concrete_fields if f.attname != "id"))
_MSG = Msg._meta.db_table


def claim_returning(
    channel_id: int, limit: int, *, token: str, fields: tuple[str, ...], wire: bool = False
) -> list[Msg]:
    """PostgreSQL: claim_batch's lease (same due rule, same order) as one UPDATE … RETURNING
    `fields` (the id first), where locking, leasing and reading back took three statements in
    a transaction. With `wire`, the rows are wired instead of leased, as wire() wires them
    (the SMSC supervisor claims exactly the window it writes at once)."""
    now = timezone.now()
    inner, params = _due_sql(channel_id, limit, now)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(bulk.column(Msg, f)) for f in fields)
    if wire:
        changes = (
            "claimed_by = %s, lease_until = NULL, status = %s, attempts = attempts + 1, "
            "next_attempt_on = NULL, modified_on = %s"
        )
        values: list[Any] = [token, MsgStatus.WIRED.value, now]
    else:
        changes = "claimed_by = %s, lease_until = %s"
        values = [token, now + timedelta(seconds=lease_seconds())]
    sql = f"UPDATE {_MSG} SET {changes} WHERE id IN ({inner}) RETURNING {columns}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, *params])
        rows = sorted(cursor.fetchall(), key=lambda row: row[0])
    return bulk.load(Msg, fields, rows)


# The claim's subquery as the ORM writes it (the _due rule), per limit: compiling it cost more
# CPU than the claim itself. The channel and `now` go in as marker values, swapped per call.
_DUE_SQL: dict[int, tuple[str, tuple[Any, ...]]] = {}
_NOW_MARK = datetime(1999, 12, 31, 23, 59, 59, 123457, tzinfo=UTC)
_CHANNEL_MARK = -424_242_424


def _due_sql(channel_id: int, limit: int, now: datetime) -> tuple[str, list[Any]]:
    """SELECT … FOR UPDATE SKIP LOCKED of the ids claim_batch would lease now."""
    if limit not in _DUE_SQL:
        due = (
            Msg.objects.select_for_update(skip_locked=True)
            .filter(channel_id=_CHANNEL_MARK, direction=Direction.OUT)
            .filter(_due(_NOW_MARK))
            .order_by("id")
            .values("id")[:limit]
        )
        with transaction.atomic():  # (Django compiles FOR UPDATE only inside one; nothing runs)
            sql, params = due.query.sql_with_params()
        assert _NOW_MARK in params and _CHANNEL_MARK in params, "both are parameters"
        _DUE_SQL[limit] = (sql, tuple(params))
    sql, params = _DUE_SQL[limit]
    swapped = {_NOW_MARK: now, _CHANNEL_MARK: channel_id}
    return sql, [swapped.get(p, p) for p in params]


def wire(msgs: list[Msg], *, token: str) -> list[Msg]:
    """Mark messages `wired` (attempts + 1) and commit, right before their requests go out.

    Only rows still leased to `token` are wired (a sender that stalled past its lease may have
    lost them to another); returns the messages that may be sent now.
    """
    if not msgs:
        return []
    now = timezone.now()
    ids = [m.id for m in msgs]
    if connection.vendor == "postgresql":
        # One statement that says what it wired, the ids as one array parameter.
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {_MSG} SET status = %s, attempts = attempts + 1, lease_until = NULL, "
                "next_attempt_on = NULL, modified_on = %s "
                "WHERE id = ANY(%s::bigint[]) AND claimed_by = %s AND status IN (%s, %s) RETURNING id",
                [
                    MsgStatus.WIRED.value,
                    now,
                    bulk.array_literal(ids),
                    token,
                    MsgStatus.QUEUED.value,
                    MsgStatus.ERRORED.value,
                ],
            )
            mine = {row[0] for row in cursor.fetchall()}
        msgs = [m for m in msgs if m.id in mine]
    else:
        updated = Msg.objects.filter(
            id__in=ids, claimed_by=token, status__in=[MsgStatus.QUEUED, MsgStatus.ERRORED]
        ).update(
            status=MsgStatus.WIRED,
            attempts=F("attempts") + 1,
            lease_until=None,
            next_attempt_on=None,
            modified_on=now,
        )
        if updated != len(ids):
            mine = set(
                Msg.objects.filter(id__in=ids, claimed_by=token, status=MsgStatus.WIRED).values_list(
                    "id", flat=True
                )
            )
            msgs = [m for m in msgs if m.id in mine]
    for msg in msgs:
        msg.status, msg.attempts = MsgStatus.WIRED, msg.attempts + 1
    return msgs


def renew_lease(ids: list[int], *, token: str) -> None:
    if ids:
        until = timezone.now() + timedelta(seconds=lease_seconds())
        Msg.objects.filter(id__in=ids, claimed_by=token, lease_until__isnull=False).update(lease_until=until)


def release_claims(*, token: str) -> int:
    """Give back what `token` claimed and did not start (a stopping worker): queued at once.

    A leased message not yet wired is queued or errored (wire() ends the lease); saying so lets
    PostgreSQL read the small `msg_outbox` partial index instead of scanning every message, which
    took seconds per send batch on a 10M-message table."""
    return Msg.objects.filter(
        claimed_by=token, lease_until__isnull=False, status__in=[MsgStatus.QUEUED, MsgStatus.ERRORED]
    ).update(lease_until=None, claimed_by=None)


# Set by the worker on SIGTERM: senders start no new request, finish what is in flight, give
# back what they claimed and return, so the worker exits without leaving anything in doubt.
stopping = threading.Event()


def send_channel(*, channel_id: int, transport: httpx.AsyncBaseTransport | None = None) -> int:
    """Drain the channel's queue; one sender per channel at a time so its rate limit holds.

    The channel's wake marker (wakes.sender_key) stays set while its sender runs, so the
    wake-ups of replies queued meanwhile enqueue no job (it would only find the lock held and
    return): the sender clears the marker once it has let go of the lock and then looks for due
    messages, which covers every message committed before the clear; later ones wake a new job.
    """
    channel = Channel.objects.filter(id=channel_id, is_active=True).first()
    if channel is None or not channel.type.sent_by_worker:
        wakes.clear_sender(channel_id)
        return 0
    lock = f"send:{channel_id}"
    sent = 0
    # A short lock renewed while sending: a worker killed mid-batch blocks its channel for
    # seconds, and its unsent messages go out again once their lease runs out.
    lock_seconds = int(getattr(settings, "FLOWGATE_SEND_LOCK_SECONDS", SEND_LOCK_SECONDS))
    if stopping.is_set():
        wakes.clear_sender(channel_id)  # a later wake-up reaches a worker that is not stopping
        return 0
    if not queue.try_lock(lock, seconds=lock_seconds):
        # The holder clears the marker and looks for due messages once more before it returns
        # (a killed holder's lock expires and the sweeper's re-wake carries on).
        return 0
    started, size = time.monotonic(), settings.FLOWGATE_BATCH_SIZE
    token = uuid.uuid4().hex
    claims_left = False  # messages leased to `token` that no request started for
    try:
        while not stopping.is_set() and (batch := claim_batch(channel, size, token=token)):
            claims_left = True
            sent += _Sender(channel, transport, token=token, lock=lock, lock_seconds=lock_seconds).run(batch)
            # A batch run to its end wired every message it claimed (or lost them to a sender
            # that took over an expired lease); a stopping one gave up the rest unstarted.
            claims_left = stopping.is_set()
            queue.refresh_lock(lock, lock_seconds)
            # A partial batch means we caught up; a long drain yields after JOB_SECONDS. Either
            # way the worker is given back, so inbound handling interleaves with sending.
            if len(batch) < size or time.monotonic() - started > JOB_SECONDS:
                break
    finally:
        if claims_left:  # also after an error: nothing stays leased until the lease runs out
            release_claims(token=token)
        queue.release_lock(lock)
        wakes.clear_sender(channel_id)
    # Due work left behind (a drain cut short, or messages queued while we ran, whose wake-up
    # found the marker set): a fresh wake-up carries on.
    if not stopping.is_set() and _has_due(channel):
        wakes.rewake_sender(channel_id)
    return sent


def _has_due(channel: Channel) -> bool:
    return Msg.objects.filter(channel=channel, direction=Direction.OUT).filter(_due(timezone.now())).exists()


class _Pacer:
    """Spaces request starts at 1/tps seconds (the channel's max_tps)."""

    def __init__(self, tps: float) -> None:
        self.interval = 1.0 / tps if tps > 0 else 0.0
        self.next_start = time.monotonic()

    def take(self) -> bool:
        if not self.interval:
            return True
        now = time.monotonic()
        if now < self.next_start:
            return False
        self.next_start = max(now, self.next_start) + self.interval
        return True

    def delay(self) -> float:
        return max(0.0, self.next_start - time.monotonic()) if self.interval else 0.0


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle costs tens of milliseconds: once per process, not per batch.
    return httpx.create_ssl_context()


class _Sender:
    """Sends one claimed batch with at most SEND_CONCURRENCY requests in flight.

    The thread drives the event loop step by step: between steps it wires the messages about
    to start (one UPDATE for those starting together) and records the ones that finished, so at
    any moment only the requests in flight are `wired` without a recorded outcome. That is the
    in-doubt window a SIGKILL can hit: at most SEND_CONCURRENCY messages, never the batch.

    The requests are spread over a few small clients (SHARD_CONNECTIONS connections each):
    httpcore re-checks every pooled connection of a client whenever a request starts or ends,
    so one 20-connection pool costs several times the CPU per request of five 4-connection ones.
    """

    def __init__(
        self,
        channel: Channel,
        transport: httpx.AsyncBaseTransport | None,
        *,
        token: str,
        lock: str,
        lock_seconds: int,
    ) -> None:
        self.channel, self.transport, self.token = channel, transport, token
        self.lock, self.lock_seconds = lock, lock_seconds
        self.pacer = _Pacer(channel.type.max_tps(channel))

    def run(self, batch: list[Msg]) -> int:
        per_shard = SHARD_CONNECTIONS if self.transport is None else SEND_CONCURRENCY
        shards = max(1, min(SEND_CONCURRENCY // per_shard, len(batch)))
        clients = send_clients.run(self._clients(shards, per_shard))
        loop = send_clients.loop()
        pending = deque(batch)
        inflight: dict[asyncio.Task[SendResult], tuple[Msg, int]] = {}
        load = [0] * shards
        renew_every = max(1.0, min(lease_seconds(), self.lock_seconds) / 3)
        renewed = time.monotonic()
        done_count = 0
        finished: list[Msg] = []  # answered, outcome not recorded yet
        results: list[SendResult] = []
        try:
            while pending or inflight or finished:
                if stopping.is_set():
                    pending.clear()  # given back by release_claims; in-flight ones finish
                starting: list[Msg] = []
                while pending and len(inflight) + len(starting) < SEND_CONCURRENCY and self.pacer.take():
                    starting.append(pending.popleft())
                opted_out: list[Msg] = []
                wired: list[Msg] = []
                if finished:
                    # One commit records the answered requests and wires the ones about to start
                    # (they start after it): half the commits of recording and wiring apart, and
                    # still only the requests in flight are wired without an outcome.
                    with transaction.atomic():
                        opted_out = _record(self.channel, finished, results)
                        wired = wire(starting, token=self.token)
                    done_count += len(finished)
                    finished, results = [], []
                elif starting:
                    wired = wire(starting, token=self.token)  # one statement: its own commit
                for msg in wired:
                    shard = min(range(shards), key=load.__getitem__)
                    load[shard] += 1
                    task = loop.create_task(self._send_one(clients[shard], msg))
                    inflight[task] = (msg, shard)
                _stop_opted_out(opted_out)
                if time.monotonic() - renewed > renew_every:
                    renew_lease([m.id for m in pending], token=self.token)
                    queue.refresh_lock(self.lock, self.lock_seconds)
                    renewed = time.monotonic()
                if not inflight:
                    if pending:
                        time.sleep(min(self.pacer.delay(), renew_every) or 0.001)
                    continue
                wait = renew_every if not pending else min(renew_every, max(self.pacer.delay(), 0.001))
                done = loop.run_until_complete(_finished(set(inflight), wait))
                for task in done:
                    msg, shard = inflight.pop(task)
                    load[shard] -= 1
                    finished.append(msg)
                    results.append(task.result())
        finally:
            if self.transport is not None:  # a caller's transport lives for this batch only
                send_clients.run(send_clients.close(clients))
        return done_count

    async def _clients(self, shards: int, per_shard: int) -> list[httpx.AsyncClient]:
        timeout = httpx.Timeout(settings.FLOWGATE_SEND_TIMEOUT_SECONDS)
        limits = httpx.Limits(max_connections=per_shard, max_keepalive_connections=per_shard)

        def make_client() -> httpx.AsyncClient:
            transport = self.transport
            if transport is None and settings.FLOWGATE_SEND_HTTP == "aiohttp":
                # aiohttp's connections under the httpx API: about half a millisecond less worker
                # CPU per request than httpcore (aiohttp_transport.py says why and how errors map).
                # Imported here: aiohttp's import builds its default TLS contexts (the CA bundle)
                # and adds ~12 MB, of no use to processes that only queue messages (web, commands).
                from channels_app.services.aiohttp_transport import AiohttpTransport

                transport = AiohttpTransport(ssl_context=_ssl_context(), limits=limits)
            return httpx.AsyncClient(
                timeout=timeout,
                transport=transport,
                follow_redirects=False,
                limits=limits,
                verify=_ssl_context(),
            )

        if self.transport is None:  # kept-alive connections from the channel's earlier batches
            return send_clients.shard_clients(self.channel.id, shards, make_client)
        return [make_client() for _ in range(shards)]

    async def _send_one(self, client: httpx.AsyncClient, msg: Msg) -> SendResult:
        channel, channel_type = self.channel, self.channel.type
        outgoing = OutgoingMessage(
            id=msg.id,
            uuid=str(msg.uuid),
            text=msg.text,
            urn=msg.urn,
            attachments=msg.attachments,
            quick_replies=quick_reply_texts(msg.metadata),
            attempt=msg.attempts,
            parts_sent=int(msg.metadata.get("parts_sent", 0)),
            contact_id=msg.contact_id,
        )
        try:
            return await channel_type.send(channel, outgoing, client)
        except httpx.TransportError as exc:
            return SendResult(ok=False, retryable=True, error=f"transport error: {exc!r}")
        except SecretDecryptionError as exc:  # a key missing from FLOWGATE_SECRET_KEYS: fixable, retry
            return SendResult(ok=False, retryable=True, error=str(exc))
        except Exception as exc:  # a type bug must fail one message, not the batch
            logger.exception("channel type %s failed to send %s", channel.channel_type, msg.uuid)
            return SendResult(ok=False, retryable=False, error=f"internal error: {exc}")


async def _finished(tasks: set[asyncio.Task[SendResult]], timeout: float) -> set[asyncio.Task[SendResult]]:
    """The requests finished within `timeout`, gathered into one group to record.

    Once the first returns, up to GATHER_SECONDS more are waited for until half of those in
    flight have finished: recording (one transaction, events, realtime, webhooks) costs about
    the same for one message as for ten, and answers of a fast provider come one by one.
    The in-doubt window stays at most SEND_CONCURRENCY: nothing new starts before these are
    recorded.
    """
    done, rest = await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    want = (len(tasks) + 1) // 2
    deadline = time.monotonic() + GATHER_SECONDS
    while done and rest and len(done) < want and (left := deadline - time.monotonic()) > 0:
        more, rest = await asyncio.wait(rest, timeout=left, return_when=asyncio.FIRST_COMPLETED)
        done |= more
    return done


def quick_reply_texts(metadata: dict[str, Any]) -> list[str]:
    """Text quick replies of a message (stored as `[{"type": "text", "text": …}]` or plain strings)."""
    texts = []
    for reply in metadata.get("quick_replies") or []:
        if isinstance(reply, str):
            texts.append(reply)
        elif isinstance(reply, dict) and reply.get("type", "text") == "text" and reply.get("text"):
            texts.append(str(reply["text"]))
    return texts


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=settings.FLOWGATE_SEND_BACKOFF_SECONDS * (2 ** max(attempts - 1, 0)))


def record_results(channel: Channel, batch: list[Msg], results: list[SendResult]) -> None:
    """Write a batch's outcomes in a few statements (one UPDATE per outcome, bulk events)."""
    with transaction.atomic():
        opted_out = _record(channel, batch, results)
    _stop_opted_out(opted_out)


def _record(channel: Channel, batch: list[Msg], results: list[SendResult]) -> list[Msg]:
    """record_results' writes, in the caller's transaction; returns the messages whose provider
    reports an opt-out (stopped by _stop_opted_out once that transaction has committed)."""
    now = timezone.now()
    events: list[MsgEvent] = []
    sent: list[Msg] = []
    retry: dict[tuple[str, Any], list[int]] = {}  # (error, next attempt) -> ids
    failed: dict[str, list[int]] = {}  # error -> ids
    progress: list[Msg] = []
    moved_ids: set[int] = set()  # whose parts_sent this batch changed
    opted_out: list[Msg] = []
    for msg, result in zip(batch, results, strict=True):
        if result.opted_out:
            opted_out.append(msg)
        events.extend(MsgEvent(msg=msg, event_type="http", data=entry) for entry in result.log)
        if result.parts_sent != int(msg.metadata.get("parts_sent", 0)):
            msg.metadata = {**msg.metadata, "parts_sent": result.parts_sent}
            moved_ids.add(msg.id)
            if not result.ok:  # a sent message's progress is stored by _mark_sent's UPDATE
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
    wired = Msg.objects.filter(status=MsgStatus.WIRED)
    if sent:
        _mark_sent(sent, now, moved=moved_ids)
    for (error, next_attempt), ids in retry.items():
        wired.filter(id__in=ids).update(
            status=MsgStatus.ERRORED, error=error, next_attempt_on=next_attempt, modified_on=now
        )
    for error, ids in failed.items():
        wired.filter(id__in=ids).update(status=MsgStatus.FAILED, error=error, modified_on=now)
    if progress:
        Msg.objects.bulk_update(progress, ["metadata"])
    append_rows.insert(events)
    realtime.publish_many(channel.workspace_id, [realtime.msg_event(msg) for msg in batch])
    webhooks.emit_msg_status(batch)
    return opted_out


def _stop_opted_out(msgs: list[Msg]) -> None:
    if msgs:
        from channels_app.services.status import stop_recipient

        for msg in msgs:
            stop_recipient(msg=msg, reason="the provider reports the recipient opted out")


def _mark_sent(sent: list[Msg], now: Any, *, moved: set[int]) -> None:
    """Set `sent` (only where still `wired`: a fast "delivered" callback must not be undone) and
    each message's provider id; `moved` names the messages whose metadata parts_sent changed and
    is stored with them. On PostgreSQL one UPDATE … FROM (VALUES …) does the whole batch;
    per-row updates were the bottleneck of high-rate links."""
    if connection.vendor == "postgresql":
        # parts_sent rides along (NULL: unchanged) instead of a bulk_update of every metadata,
        # which cost as much as the rest of the batch's writes.
        # Four arrays, not four parameters per row: psycopg parses a statement of more than 50
        # parameters in Python on every call (no cache) and quotes each value one by one.
        params: list[Any] = [
            [m.id for m in sent],
            [m.external_id for m in sent],
            [m.parts for m in sent],
            [m.metadata["parts_sent"] if m.id in moved else None for m in sent],
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Msg._meta.db_table} AS m SET external_id = v.external_id, parts = v.parts, "
                "status = CASE WHEN m.status = %s THEN %s ELSE m.status END, "
                "sent_on = CASE WHEN m.status = %s THEN %s ELSE m.sent_on END, "
                "error = CASE WHEN m.status = %s THEN '' ELSE m.error END, modified_on = %s, "
                "metadata = CASE WHEN v.parts_sent IS NULL THEN m.metadata "
                "ELSE jsonb_set(m.metadata, '{parts_sent}', to_jsonb(v.parts_sent)) END "
                "FROM unnest(%s::bigint[], %s::text[], %s::integer[], %s::integer[]) "
                "AS v(id, external_id, parts, parts_sent) WHERE m.id = v.id",
                [MsgStatus.WIRED, MsgStatus.SENT, MsgStatus.WIRED, now, MsgStatus.WIRED, now, *params],
            )
        return
    Msg.objects.filter(id__in=[m.id for m in sent], status=MsgStatus.WIRED).update(
        status=MsgStatus.SENT, sent_on=now, error=""
    )
    for msg in sent:
        msg.modified_on = now  # every message of the batch (bulk_update leaves auto_now alone)
    Msg.objects.bulk_update(sent, ["external_id", "parts", "modified_on"])
    if progressed := [m for m in sent if m.id in moved]:
        # parts_sent into the metadata as stored now, not the copy read before the requests
        # went out: a flag written meanwhile (the sweeper's outcome_unknown) must stay
        stored = dict(Msg.objects.filter(id__in=[m.id for m in progressed]).values_list("id", "metadata"))
        for msg in progressed:
            msg.metadata = {**(stored.get(msg.id) or {}), "parts_sent": msg.metadata["parts_sent"]}
        Msg.objects.bulk_update(progressed, ["metadata"])


def sweep(*, now: Any = None) -> dict[str, int]:
    """Re-wake senders with due work and flag messages a dead worker left `wired`.

    Runs on a schedule; it is what makes a lost Redis job or a crashed worker only a delay.
    """
    now = now or timezone.now()
    due_channels = set(
        Msg.objects.filter(direction=Direction.OUT)
        .filter(_due(now))
        .values_list("channel_id", flat=True)
        .distinct()
    )
    for channel_id in due_channels:
        # (channels whose type sends from its own process, e.g. SMPP links, ignore the wake-up)
        wakes.rewake_sender(channel_id, now=False)

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
        wakes.rewake_handler(workspace_id, now=False)
    return {
        "send_wakeups": len(due_channels),
        "stale_wired": len(stale),
        "handle_wakeups": len(pending_workspaces),
    }
