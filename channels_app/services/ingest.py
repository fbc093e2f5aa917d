"""One ingest path for every channel type: validate, dedupe, store, then handle in batches.

The receive request does the least possible work (one insert) so aggregators get a fast 200;
contacts, URNs and flows are resolved by the `handle` job, many messages per transaction.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from channels_app import queue, realtime, urns
from channels_app.models import Channel, Contact, ContactURN, Direction, Msg, MsgEvent, MsgStatus
from channels_app.services import webhooks

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Received:
    uuid: str
    urn: str
    duplicate: bool


@dataclass
class Prepared:
    """An inbound message validated and checked against the dedupe window, not yet stored."""

    msg: Msg
    dedupe_key: str
    duplicate_of: str | None = None


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
    """Validate and normalise one inbound message; raises urns.InvalidURN. No database access."""
    scheme = channel.type.default_scheme(channel)
    identity = urns.normalize(sender, channel.country, default_scheme=scheme)
    external_id = (str(external_id).strip() if external_id is not None else "") or None
    msg = Msg(
        workspace_id=channel.workspace_id,
        channel=channel,
        urn=identity,
        direction=Direction.IN,
        status=MsgStatus.PENDING,
        text=text,
        attachments=attachments or [],
        external_id=external_id,
        metadata=metadata or {},
        created_on=received_on or timezone.now(),
    )
    # Aggregators resend when our 200 is slow: the same text from the same URN within a few
    # seconds is one message. SET NX is atomic in Redis, so two racing posts agree on a winner.
    dedupe_key = "flowgate:in:" + hashlib.sha1(f"{channel.uuid}|{identity}|{text}".encode()).hexdigest()
    prepared = Prepared(msg=msg, dedupe_key=dedupe_key)
    window = settings.FLOWGATE_INBOUND_DEDUPE_SECONDS
    if window:
        redis = queue.connection()
        if not redis.set(dedupe_key, str(msg.uuid), nx=True, ex=window):
            existing = redis.get(dedupe_key)
            if existing:
                prepared.duplicate_of = existing.decode() if isinstance(existing, bytes) else str(existing)
    return prepared


def release(prepared: Prepared) -> None:
    """Forget the dedupe claim of a message that could not be stored, so a retry is accepted."""
    queue.connection().delete(prepared.dedupe_key)


def wake_handler(workspace_id: int) -> None:
    queue.wake("handle", "channels_app.jobs.handle_inbound", workspace_id, key=f"handle:{workspace_id}")


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
    msg = prepared.msg
    if prepared.duplicate_of:
        return Received(uuid=prepared.duplicate_of, urn=msg.urn, duplicate=True)
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
    except Exception:
        release(prepared)
        raise
    wake_handler(channel.workspace_id)
    return Received(uuid=str(msg.uuid), urn=msg.urn, duplicate=False)


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


def _inbound_handlers() -> list[Callable[[Msg], None]]:
    return [import_string(path) for path in getattr(settings, "FLOWGATE_INBOUND_HANDLERS", [])]


def handle_pending(*, workspace_id: int, batch_size: int | None = None) -> int:
    """Resolve contacts for pending inbound messages and hand them to the flow engine."""
    batch_size = batch_size or settings.FLOWGATE_BATCH_SIZE
    handled = 0
    handlers = _inbound_handlers()
    while True:
        with transaction.atomic():
            pending = list(
                Msg.objects.select_for_update(skip_locked=True)
                .filter(workspace_id=workspace_id, direction=Direction.IN, status=MsgStatus.PENDING)
                .order_by("id")[:batch_size]
            )
            if not pending:
                return handled
            for msg in pending:
                contact, urn = get_or_create_contact(workspace_id=workspace_id, identity=msg.urn)
                msg.contact, msg.contact_urn, msg.status = contact, urn, MsgStatus.HANDLED
                msg.save(update_fields=["contact", "contact_urn", "status", "modified_on"])
                for handler in handlers:
                    try:
                        with transaction.atomic():
                            handler(msg)
                    except Exception:
                        # A flow bug must not hold up the rest of the batch or lose the message.
                        logger.exception("inbound handler failed for message %s", msg.uuid)
                        MsgEvent.objects.create(
                            msg=msg, event_type="handler_error", description="a handler failed"
                        )
                realtime.publish(workspace_id, realtime.msg_event(msg))
            webhooks.emit_msg_received(pending)
            handled += len(pending)


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
