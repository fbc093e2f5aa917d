"""One ingest path for every channel type: validate, dedupe, store, then handle in batches.

The receive request does the least possible work (one insert) so aggregators get a fast 200;
contacts, URNs and flows are resolved by the `handle` job, many messages per transaction.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from redis.exceptions import RedisError

from channels_app import queue, realtime, spool, urns, wakes
from channels_app.ids import uuid7
from channels_app.models import Channel, Contact, ContactURN, Direction, Msg, MsgEvent, MsgStatus
from channels_app.pgtext import storable
from channels_app.services import webhooks

logger = logging.getLogger(__name__)


# A handle job yields after this long and re-wakes itself: see handle_pending.
JOB_SECONDS = 1.0


class InvalidInbound(ValueError):
    """An inbound message the database could not hold as given (answered 400, never stored)."""


def _checked_external_id(external_id: Any) -> str | None:
    value = storable(str(external_id)).strip() if external_id is not None else ""
    limit = Msg._meta.get_field("external_id").max_length or 255
    if len(value) > limit:
        raise InvalidInbound(f"id is too long: {len(value)} characters, at most {limit}")
    return value or None


@dataclass(frozen=True)
class Received:
    uuid: str
    urn: str
    duplicate: bool


@dataclass(slots=True)
class InboundRow:
    """An inbound message's row as `validate` settles it: the columns every writer inserts.

    A plain record, not a `Msg`: on the receive path building a model instance cost more than
    the rest of validation, and the group-commit writer and the spool read only these fields.
    `to_msg` gives the model where the ORM stores it."""

    uuid: uuid.UUID
    workspace_id: int
    channel_id: int
    urn: str
    text: str
    attachments: list[str]
    external_id: str | None
    metadata: dict[str, Any]
    created_on: datetime

    def to_msg(self) -> Msg:
        return Msg(
            uuid=self.uuid, workspace_id=self.workspace_id, channel_id=self.channel_id, urn=self.urn,
            direction=Direction.IN, status=MsgStatus.PENDING, text=self.text, attachments=self.attachments,
            external_id=self.external_id, metadata=self.metadata, created_on=self.created_on,
        )  # fmt: skip


@dataclass
class Prepared:
    """An inbound message validated and checked against the dedupe window, not yet stored."""

    row: InboundRow
    dedupe_key: str
    duplicate_of: str | None = None


def validate(
    *,
    channel: Channel,
    sender: str,
    text: str,
    external_id: str | None = None,
    received_on: datetime | None = None,
    attachments: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Prepared:
    """Validate and normalise one inbound message; raises urns.InvalidURN or InvalidInbound.

    No database and no Redis access (pure CPU, safe on an event loop). Everything that would make
    the row fail to insert is settled here, so a message shares a group commit
    (channels_app.inbound.group_commit) only once it is known to fit. `claim` then checks it
    against the dedupe window (the fast path batches that step, see group_commit).
    """
    scheme = channel.type.default_scheme(channel)
    identity = urns.normalize(storable(sender), channel.country, default_scheme=scheme)
    if len(identity) > (Msg._meta.get_field("urn").max_length or 255):
        raise InvalidInbound(f"sender is too long: {len(identity)} characters")
    external_id = _checked_external_id(external_id)
    text = storable(text)
    attachments = storable(attachments or [])
    metadata = storable(metadata or {})
    row = InboundRow(
        uuid=uuid7(),
        workspace_id=channel.workspace_id,
        channel_id=channel.id,
        urn=identity,
        text=text,
        attachments=attachments,
        external_id=external_id,
        metadata=metadata,
        created_on=received_on or timezone.now(),
    )
    return Prepared(row=row, dedupe_key=dedupe_key(channel, identity, text))


def dedupe_key(channel: Channel, identity: str, text: str) -> str:
    """Aggregators resend when our 200 is slow: the same text from the same URN within a few
    seconds is one message. The key is claimed with SET NX (atomic), so two racing posts agree."""
    return "flowgate:in:" + hashlib.sha1(f"{channel.uuid}|{identity}|{text}".encode()).hexdigest()


def claim(prepared: Prepared) -> Prepared:
    """Claim the message's dedupe key for the window, or note the message it repeats."""
    window = settings.FLOWGATE_INBOUND_DEDUPE_SECONDS
    if window:
        try:
            redis = queue.connection()
            if not redis.set(prepared.dedupe_key, str(prepared.row.uuid), nx=True, ex=window):
                existing = redis.get(prepared.dedupe_key)
                if existing:
                    prepared.duplicate_of = (
                        existing.decode() if isinstance(existing, bytes) else str(existing)
                    )
        except RedisError:
            # Redis down: store without the text window (provider ids still dedupe in the database)
            # rather than refuse the message.
            logger.warning("inbound dedupe window unavailable (Redis down)", exc_info=True)
    return prepared


def prepare(
    *,
    channel: Channel,
    sender: str,
    text: str,
    external_id: str | None = None,
    received_on: datetime | None = None,
    attachments: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Prepared:
    """`validate`, then `claim` (a Redis round trip): the message as the Django view stores it."""
    return claim(
        validate(
            channel=channel, sender=sender, text=text, external_id=external_id, received_on=received_on,
            attachments=attachments, metadata=metadata,
        )
    )  # fmt: skip


def release(prepared: Prepared) -> None:
    """Forget the dedupe claim of a message that could not be stored, so a retry is accepted."""
    with contextlib.suppress(RedisError):  # Redis down: the claim expires with the window anyway
        queue.connection().delete(prepared.dedupe_key)


def receive(
    *,
    channel: Channel,
    sender: str,
    text: str,
    external_id: str | None = None,
    received_on: datetime | None = None,
    attachments: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Received:
    """Store one inbound message (or find the one it duplicates). Raises urns.InvalidURN."""
    prepared = prepare(
        channel=channel,
        sender=sender,
        text=text,
        external_id=external_id,
        received_on=received_on,
        attachments=attachments,
        metadata=metadata,
    )
    msg = prepared.row.to_msg()
    if prepared.duplicate_of:
        return Received(uuid=prepared.duplicate_of, urn=msg.urn, duplicate=True)
    if spool.db_recently_down():
        return spool_prepared(prepared)
    try:
        with transaction.atomic():
            msg.save(force_insert=True)
    except IntegrityError:
        release(prepared)
        original = (
            Msg.objects.filter(channel=channel, direction=Direction.IN, external_id=msg.external_id).first()
            if msg.external_id
            else None
        )
        if original is None:
            raise
        return Received(uuid=str(original.uuid), urn=original.urn, duplicate=True)
    except Exception as exc:
        if spool.is_outage(exc):  # the database is unreachable: keep the message on disk
            spool.mark_db_down()
            return spool_prepared(prepared)
        release(prepared)
        raise
    wakes.wake_handler(channel.workspace_id)
    return Received(uuid=str(msg.uuid), urn=msg.urn, duplicate=False)


def spool_prepared(prepared: Prepared) -> Received:
    """Store a message in the disk spool while the database is down (replayed later with this
    uuid); raises spool.SpoolUnavailable when that fails too, which callers answer with 503."""
    try:
        spool.append(prepared.row)
    except spool.SpoolUnavailable:
        with contextlib.suppress(Exception):
            release(prepared)
        raise
    return Received(uuid=str(prepared.row.uuid), urn=prepared.row.urn, duplicate=False)


def get_or_create_contact(*, workspace_id: int, identity: str, name: str = "") -> tuple[Contact, ContactURN]:
    """The contact owning `identity`, created with its URN when new (safe under races)."""
    urn = (
        ContactURN.objects.filter(workspace_id=workspace_id, identity=identity)
        .select_related("contact")
        .first()
    )
    if urn is not None and urn.contact is not None:
        return urn.contact, urn
    scheme, path = urns.split(identity)
    with transaction.atomic():
        contact = Contact.objects.create(workspace_id=workspace_id, name=name)
        try:
            with transaction.atomic():
                urn, _ = ContactURN.objects.update_or_create(
                    workspace_id=workspace_id,
                    identity=identity,
                    defaults={"contact": contact, "scheme": scheme, "path": path},
                )
        except IntegrityError:
            # Another worker created it between our read and write: use theirs.
            contact.delete()
            urn = ContactURN.objects.select_related("contact").get(
                workspace_id=workspace_id, identity=identity
            )
            assert urn.contact is not None
            return urn.contact, urn
    return contact, urn


def resolve_contacts(
    *, workspace_id: int, identities: set[str], channels: dict[str, int] | None = None
) -> dict[str, ContactURN]:
    """The URN (with its contact) of every identity, creating the missing ones in bulk.

    One query when everybody is known; new senders cost two bulk inserts (on PostgreSQL their
    rows come back from the insert itself). A concurrent creator of the same URN wins (the
    insert skips conflicts): its URN is read back and our spare contact is deleted. `channels`
    gives a new URN its channel affinity at creation (what `_update_affinity` would set next).
    """
    found = {
        urn.identity: urn
        for urn in ContactURN.objects.filter(
            workspace_id=workspace_id, identity__in=identities
        ).select_related("contact")
    }
    for identity in identities:  # rare: a URN kept after its contact was deleted
        if identity in found and found[identity].contact is None:
            found[identity] = get_or_create_contact(workspace_id=workspace_id, identity=identity)[1]
    new = sorted(identities - found.keys())  # sorted: racing workers insert in one order
    if new:
        found.update(_create_contacts(workspace_id, new, channels or {}))
    return found


def _create_contacts(
    workspace_id: int, identities: list[str], channels: dict[str, int]
) -> dict[str, ContactURN]:
    """A contact and its URN for each identity. A URN another worker created first is theirs."""
    contacts = Contact.objects.bulk_create([Contact(workspace_id=workspace_id) for _ in identities])
    mine = dict(zip(identities, contacts, strict=True))
    urn_rows = [
        ContactURN(
            workspace_id=workspace_id,
            contact=mine[i],
            identity=i,
            scheme=s,
            path=p,
            channel_id=channels.get(i),
        )
        for i in identities
        for s, p in [urns.split(i)]
    ]
    created = _insert_urns(urn_rows)
    for urn in created.values():
        # Nothing can have joined an uncommitted contact to a group or given it another URN:
        # its relations are known, and the flow handler's prefetch skips them.
        contact = urn.contact
        assert contact is not None
        contact._prefetched_objects_cache = {  # type: ignore[attr-defined]
            "urns": _known(contact.urns, [urn]),
            "groups": _known(contact.groups, []),
        }
    taken = [i for i in identities if i not in created]
    if taken:
        for urn in ContactURN.objects.filter(workspace_id=workspace_id, identity__in=taken).select_related(
            "contact"
        ):
            created[urn.identity] = urn
        Contact.objects.filter(id__in=[mine[i].id for i in taken]).delete()
    return created


def _known(manager: Any, rows: list[Any]) -> Any:
    """A related manager's queryset that holds `rows` as already fetched (a prefetch cache)."""
    queryset = manager.all()
    queryset._result_cache = rows
    queryset._prefetch_done = True
    return queryset


def _insert_urns(rows: list[ContactURN]) -> dict[str, ContactURN]:
    """Insert the URNs, skipping identities that exist already; the inserted ones by identity.
    On PostgreSQL one INSERT … ON CONFLICT DO NOTHING RETURNING gives their ids; elsewhere they
    are read back."""
    if connection.vendor != "postgresql":
        ContactURN.objects.bulk_create(rows, ignore_conflicts=True)
        by_identity = {r.identity: r for r in rows}
        inserted = {}
        for urn in ContactURN.objects.filter(
            workspace_id=rows[0].workspace_id, identity__in=list(by_identity)
        ).select_related("contact"):
            if urn.contact_id == by_identity[urn.identity].contact_id:
                inserted[urn.identity] = urn
        return inserted
    table = ContactURN._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (workspace_id, contact_id, identity, scheme, path, priority, channel_id) "
            "SELECT %s, * FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::int[], %s::bigint[]) "
            "ON CONFLICT DO NOTHING RETURNING id, identity",
            [
                rows[0].workspace_id,
                [r.contact_id for r in rows],
                [r.identity for r in rows],
                [r.scheme for r in rows],
                [r.path for r in rows],
                [r.priority for r in rows],
                [r.channel_id for r in rows],
            ],
        )
        ids = {identity: urn_id for urn_id, identity in cursor.fetchall()}
    inserted = {}
    for row in rows:
        if row.identity in ids:
            row.id = ids[row.identity]
            row._state.adding, row._state.db = False, "default"
            inserted[row.identity] = row
    return inserted


def _inbound_handlers() -> list[Callable[[Msg], None]]:
    return [import_string(path) for path in getattr(settings, "FLOWGATE_INBOUND_HANDLERS", [])]


def handle_pending(*, workspace_id: int, batch_size: int | None = None) -> int:
    """Resolve contacts for pending inbound messages and hand them to the flow engine.

    A batch is one transaction. Handlers with a `batch` attribute get the whole batch (one
    engine, bulk writes); if that fails the batch is rolled back and handled message by message.
    """
    batch_size = batch_size or settings.FLOWGATE_BATCH_SIZE
    handled = 0
    handlers = _inbound_handlers()
    started = time.monotonic()
    while True:
        if handled and time.monotonic() - started > JOB_SECONDS:
            # Yield the worker (sends of the replies just queued run next) and continue later.
            wakes.rewake_handler(workspace_id)
            return handled
        try:
            with transaction.atomic():
                count, deferred = _handle_batch(workspace_id, batch_size, handlers, batched=True)
        except Exception:
            logger.exception("batched inbound handling failed; retrying the batch message by message")
            with transaction.atomic():
                count, deferred = _handle_batch(workspace_id, batch_size, handlers, batched=False)
        handled += count
        if deferred:
            # Another worker holds an earlier message of the same contact: whoever runs next
            # handles ours after it (a short pause so we do not spin while it finishes).
            if not count:
                time.sleep(0.05)
            wakes.rewake_handler(workspace_id)
            return handled
        if count < batch_size:
            # Caught up: give the worker back (the replies' sends run next). Anything stored
            # since this job started has its own wake-up, as the job cleared the marker first.
            return handled


def _handle_batch(
    workspace_id: int, batch_size: int, handlers: list[Callable[[Msg], None]], *, batched: bool
) -> tuple[int, int]:
    """Claim and handle one batch inside the caller's transaction; returns (handled, deferred)."""
    pending = list(
        Msg.objects.select_for_update(skip_locked=True)
        .filter(workspace_id=workspace_id, direction=Direction.IN, status=MsgStatus.PENDING)
        .order_by("id")[:batch_size]
    )
    if not pending:
        return 0, 0
    # Order per contact: an earlier pending message of the same sender that we did not claim is
    # being handled by another worker right now; ours waits for it (stays pending).
    claimed = {m.id for m in pending}
    earlier: dict[str, int] = {}
    for urn, msg_id in (
        Msg.objects.filter(
            workspace_id=workspace_id,
            direction=Direction.IN,
            status=MsgStatus.PENDING,
            urn__in={m.urn for m in pending},
            id__lt=pending[-1].id,
        )
        .exclude(id__in=claimed)
        .values_list("urn", "id")
    ):
        earlier[urn] = min(msg_id, earlier.get(urn, msg_id))
    ready = [m for m in pending if not (m.urn in earlier and earlier[m.urn] < m.id)]
    deferred = len(pending) - len(ready)
    if not ready:
        return 0, deferred

    channels = {c.id: c for c in Channel.objects.filter(id__in={m.channel_id for m in ready})}
    # (in id order: a URN's last message gives a new URN its channel, as _update_affinity would)
    resolved = resolve_contacts(
        workspace_id=workspace_id,
        identities={m.urn for m in ready},
        channels={m.urn: m.channel_id for m in ready},
    )
    contacts: dict[int, Contact] = {}  # one instance per contact, shared by its messages
    now = timezone.now()
    for msg in ready:
        contact_urn = resolved[msg.urn]
        assert contact_urn.contact is not None
        contact = contacts.setdefault(contact_urn.contact.id, contact_urn.contact)
        msg.channel, msg.contact, msg.contact_urn = channels[msg.channel_id], contact, contact_urn
        msg.status, msg.modified_on = MsgStatus.HANDLED, now
    _mark_handled(ready, now)
    _update_affinity(ready)

    for handler in handlers:
        batch_handler = getattr(handler, "batch", None)
        if batched and batch_handler is not None:
            batch_handler(ready, on_error=_handler_failed)
            continue
        for msg in ready:
            try:
                with transaction.atomic():
                    handler(msg)
            except Exception:
                _handler_failed(msg)
    realtime.publish_many(workspace_id, [realtime.msg_event(msg) for msg in ready])
    webhooks.emit_msg_received(ready)
    return len(ready), deferred


def _mark_handled(msgs: list[Msg], now: datetime) -> None:
    """Store each message's contact and the `handled` status: on PostgreSQL one UPDATE … FROM
    (VALUES …), which costs a fraction of bulk_update's CASE WHEN per column."""
    if connection.vendor != "postgresql":
        Msg.objects.bulk_update(msgs, ["contact", "contact_urn", "status", "modified_on"])
        return
    # Three arrays, not three parameters per row: psycopg parses a statement of more than 50
    # parameters in Python on every call (no cache) and quotes each value one by one.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Msg._meta.db_table} AS m SET contact_id = v.contact_id, contact_urn_id = v.urn_id, "
            "status = %s, modified_on = %s "
            "FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS v(id, contact_id, urn_id) WHERE m.id = v.id",
            [
                MsgStatus.HANDLED,
                now,
                [m.id for m in msgs],
                [m.contact_id for m in msgs],
                [m.contact_urn_id for m in msgs],
            ],
        )


def _update_affinity(msgs: list[Msg]) -> None:
    """Each sender's URN remembers the channel it last wrote in on (replies and later sends
    without a channel go out there). Usually unchanged, so usually no query at all."""
    latest: dict[int, tuple[ContactURN, int]] = {}
    for msg in msgs:  # in id order: the last message of a URN wins
        if msg.contact_urn is not None:
            latest[msg.contact_urn.id] = (msg.contact_urn, msg.channel_id)
    moved: dict[int, list[int]] = {}
    for urn, channel_id in latest.values():
        if urn.channel_id != channel_id:
            urn.channel_id = channel_id
            moved.setdefault(channel_id, []).append(urn.id)
    for channel_id, urn_ids in moved.items():
        ContactURN.objects.filter(id__in=urn_ids).update(channel_id=channel_id)


def _handler_failed(msg: Msg) -> None:
    # A flow bug must not hold up the rest of the batch or lose the message.
    logger.exception("inbound handler failed for message %s", msg.uuid)
    MsgEvent.objects.create(msg=msg, event_type="handler_error", description="a handler failed")


def stop_contact(*, channel: Channel, sender: str) -> Contact:
    """The contact opted out (e.g. replied STOP at the aggregator): nothing more is sent to them."""
    scheme = channel.type.default_scheme(channel)
    identity = urns.normalize(sender, channel.country, default_scheme=scheme)
    contact, _ = get_or_create_contact(workspace_id=channel.workspace_id, identity=identity)
    contact.status = Contact.Status.STOPPED
    contact.save(update_fields=["status", "modified_on"])
    contact_event(contact=contact, event="opt_out", channel=channel)
    return contact


def contact_event(*, contact: Contact, event: str, channel: Channel | None = None) -> None:
    """Tell the plugged-in handlers (flows' opt-out / call triggers) that something happened."""
    for path in getattr(settings, "FLOWGATE_CONTACT_EVENT_HANDLERS", []):
        try:
            with transaction.atomic():
                import_string(path)(contact=contact, event=event, channel=channel)
        except Exception:
            logger.exception("contact event handler %s failed for %s", path, event)
