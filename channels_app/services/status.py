"""One status path for every channel type: callbacks, receipts, polling and REST updates."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from channels_app import bulk, realtime
from channels_app.models import Channel, Direction, Msg, MsgEvent, MsgStatus
from channels_app.models.msg import FINAL_STATUSES, STATUS_ORDER
from channels_app.services import webhooks

SETTABLE = {MsgStatus.WIRED, MsgStatus.SENT, MsgStatus.DELIVERED, MsgStatus.ERRORED, MsgStatus.FAILED}


class MsgNotFound(LookupError):
    pass


def find_outbound(
    *, channel: Channel, msg_id: Any = None, msg_uuid: Any = None, external_id: str | None = None
) -> Msg:
    """Our outbound message on this channel, by our uuid, our id or the provider's id."""
    qs = Msg.objects.filter(channel=channel, direction=Direction.OUT)
    if msg_uuid:
        try:
            found = qs.filter(uuid=uuid.UUID(str(msg_uuid))).first()
        except ValueError:
            raise MsgNotFound(f"{msg_uuid!r} is not a message uuid") from None
    elif msg_id not in (None, ""):
        if not str(msg_id).isdigit():
            raise MsgNotFound(f"{msg_id!r} is not a message id")
        found = qs.filter(id=int(msg_id)).first()
    elif external_id:
        found = qs.filter(external_id=external_id).order_by("-id").first()
    else:
        raise MsgNotFound("no message id given: send `id` or `uuid`")
    if found is None:
        raise MsgNotFound("no such message on this channel")
    return found


def update_status(
    *,
    msg: Msg,
    status: str,
    error: str = "",
    external_id: str | None = None,
    source: str = "callback",
    data: dict[str, Any] | None = None,
) -> bool:
    """Apply a provider's status; returns False when it was ignored (stale or final already).

    Statuses only move forward: a late "sent" after "delivered" is logged and ignored, so
    callbacks arriving out of order never undo progress.
    """
    if status not in SETTABLE:
        raise ValueError(f"unknown status {status!r}")
    with transaction.atomic():
        locked = Msg.objects.select_for_update().get(id=msg.id)
        new = MsgStatus(status)
        ignored = _ignored(MsgStatus(locked.status), new, error)
        MsgEvent.objects.create(
            msg=locked, event_type=source, status=new, description=ignored or error, data=data or {}
        )
        if ignored:
            return False
        now = timezone.now()
        locked.status = new
        if external_id:
            locked.external_id = external_id
        if new == MsgStatus.FAILED or new == MsgStatus.ERRORED:
            locked.error = error or locked.error or "failed at the provider"
        if new in (MsgStatus.SENT, MsgStatus.DELIVERED) and locked.sent_on is None:
            locked.sent_on = now
        if new == MsgStatus.DELIVERED:
            locked.delivered_on = now
        locked.save(
            update_fields=["status", "external_id", "error", "sent_on", "delivered_on", "modified_on"]
        )
        realtime.publish(locked.workspace_id, realtime.msg_event(locked))
        webhooks.emit_msg_status([locked])
    msg.refresh_from_db()
    return True


@dataclass(frozen=True)
class StatusUpdate:
    msg_id: int
    status: str
    error: str = ""
    data: dict[str, Any] | None = None


# A status event row as written by COPY (channels_app.bulk.copy_rows), in this order.
EVENT_FIELDS = ("msg_id", "event_type", "status", "description", "data", "created_on")


def update_statuses(
    *, updates: list[StatusUpdate], source: str = "callback", events: list[tuple[Any, ...]] | None = None
) -> list[bool]:
    """`update_status` for a batch (e.g. SMPP receipts): same forward-only rule, a few statements.

    `events` are more event rows (EVENT_FIELDS but created_on) the caller wants written with
    these, in the same COPY. Returns, per update, whether it was applied; unknown message ids count as ignored.
    On PostgreSQL the rows are locked, read and changed with one array parameter each: built by
    the ORM, the IN lists and model instances were most of applying a batch of receipts.
    """
    for u in updates:
        if u.status not in SETTABLE:
            raise ValueError(f"unknown status {u.status!r}")
    applied: list[bool] = []
    now = timezone.now()
    rows = [(*e, now) for e in events or []]
    with transaction.atomic():
        locked = _lock_for_update([u.msg_id for u in updates])
        changed: dict[int, Msg] = {}
        for u in updates:
            msg = locked.get(u.msg_id)
            if msg is None:
                applied.append(False)
                continue
            new = MsgStatus(u.status)
            ignored = _ignored(MsgStatus(msg.status), new, u.error)
            rows.append((msg.id, source, new.value, ignored or u.error, u.data or {}, now))
            applied.append(not ignored)
            if ignored:
                continue
            msg.status, msg.modified_on = new, now
            if new in (MsgStatus.FAILED, MsgStatus.ERRORED):
                msg.error = u.error or msg.error or "failed at the provider"
            # (sent_on and delivered_on are set by _write_changes' UPDATE; nothing here reads them)
            changed[msg.id] = msg
        bulk.copy_rows(MsgEvent, EVENT_FIELDS, rows)
        if changed:
            _write_changes(list(changed.values()), now)
            by_workspace: dict[int, list[Msg]] = {}
            for msg in changed.values():
                by_workspace.setdefault(msg.workspace_id, []).append(msg)
            for workspace_id, msgs in by_workspace.items():
                realtime.publish_many(workspace_id, [realtime.msg_event(m) for m in msgs])
            for msgs in by_workspace.values():
                webhooks.emit_msg_status(msgs)
    return applied


def _ignored(current: MsgStatus, new: MsgStatus, error: str) -> str:
    """Why a status is not applied ("" when it is): statuses only move forward, a final one
    stays, and the same status again changes nothing unless it brings an error."""
    backwards = current in FINAL_STATUSES or STATUS_ORDER[new] < STATUS_ORDER.get(current, 0)
    if backwards or (current == new and not error):
        return "ignored: message is already " + current
    return ""


# Msg fields update_statuses reads (itself, realtime.msg_event, webhooks' ids).
_BATCH_FIELDS = (
    "id", "workspace_id", "channel_id", "uuid", "direction", "status", "text", "urn", "error",
    "created_on",
)  # fmt: skip
_MSG, _CHANNEL = Msg._meta.db_table, Channel._meta.db_table
_LOCK_SQL = (
    "SELECT " + ", ".join(f"m.{f}" for f in _BATCH_FIELDS) + f", c.uuid, c.name FROM {_MSG} m "
    f"LEFT JOIN {_CHANNEL} c ON c.id = m.channel_id WHERE m.id = ANY(%s::bigint[]) ORDER BY m.id FOR UPDATE OF m"
)


def _lock_for_update(ids: list[int]) -> dict[int, Msg]:
    """The messages, locked in id order, each with its channel (uuid and name, what the
    realtime event shows): each channel built once, not joined per row."""
    if connection.vendor != "postgresql":
        locked = {
            m.id: m
            for m in Msg.objects.select_for_update()
            .only(*_BATCH_FIELDS)
            .filter(id__in=set(ids))
            .order_by("id")
        }
        channels = Channel.objects.in_bulk({m.channel_id for m in locked.values() if m.channel_id})
    else:
        with connection.cursor() as cursor:
            cursor.execute(_LOCK_SQL, [bulk.array_literal(sorted(set(ids)))])
            found = cursor.fetchall()
        n = len(_BATCH_FIELDS)
        channel_rows = {(r[2], *r[n:]) for r in found if r[2]}
        channels = {c.id: c for c in bulk.load(Channel, ("id", "uuid", "name"), channel_rows)}
        locked = {m.id: m for m in bulk.load(Msg, _BATCH_FIELDS, [r[:n] for r in found], convert=False)}
    for m in locked.values():
        if m.channel_id:
            m.channel = channels[m.channel_id]
    return locked


def _write_changes(changed: list[Msg], now: Any) -> None:
    """Store each message's new status and error; sent_on (kept if set) and delivered_on too."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {_MSG} AS m SET status = v.status, error = v.error, modified_on = %s, "
                "sent_on = CASE WHEN v.status IN (%s, %s) THEN COALESCE(m.sent_on, %s) ELSE m.sent_on END, "
                "delivered_on = CASE WHEN v.status = %s THEN %s ELSE m.delivered_on END "
                "FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS v(id, status, error) WHERE m.id = v.id",
                [
                    now,
                    MsgStatus.SENT.value,
                    MsgStatus.DELIVERED.value,
                    now,
                    MsgStatus.DELIVERED.value,
                    now,
                    bulk.array_literal([m.id for m in changed]),
                    bulk.array_literal([m.status for m in changed]),
                    bulk.array_literal([m.error for m in changed]),
                ],
            )
        return
    # One UPDATE per distinct outcome: bulk_update's CASE per row is far slower here.
    groups: dict[tuple[str, str], list[int]] = {}
    for msg in changed:
        groups.setdefault((msg.status, msg.error), []).append(msg.id)
    for (new_status, error), ids in groups.items():
        values: dict[str, Any] = {"status": new_status, "error": error, "modified_on": now}
        if new_status in (MsgStatus.SENT, MsgStatus.DELIVERED):
            values["sent_on"] = Coalesce("sent_on", Value(now))
        if new_status == MsgStatus.DELIVERED:
            values["delivered_on"] = now
        Msg.objects.filter(id__in=ids).update(**values)


def stop_recipient(*, msg: Msg, reason: str) -> None:
    """The provider says the recipient opted out (e.g. Twilio 21610): stop the contact.

    Courier does the same: nothing more is sent to them until they opt in again, and the
    workspace's opt-out handlers (flows' opt-out trigger) hear of it.
    """
    from channels_app.models import Contact
    from channels_app.services.ingest import contact_event

    if msg.contact_id is None:
        return
    contact = Contact.objects.filter(id=msg.contact_id).first()
    if contact is None:
        return
    if contact.status != Contact.Status.STOPPED:
        contact.status = Contact.Status.STOPPED
        contact.save(update_fields=["status", "modified_on"])
        contact_event(contact=contact, event="opt_out", channel=msg.channel)
    MsgEvent.objects.create(msg=msg, event_type="status", status=msg.status, description=reason, data={})


def note_ignored(
    *, msg: Msg, description: str, source: str = "callback", data: dict[str, Any] | None = None
) -> None:
    """Record a provider report that changes nothing (e.g. a status in no group) in the message's log."""
    MsgEvent.objects.create(
        msg=msg, event_type=source, status=msg.status, description=description, data=data or {}
    )
