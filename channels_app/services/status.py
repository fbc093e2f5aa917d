"""One status path for every channel type: callbacks, receipts, polling and REST updates."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from channels_app import realtime
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
        current = MsgStatus(locked.status)
        new = MsgStatus(status)
        ignored = current in FINAL_STATUSES or STATUS_ORDER[new] < STATUS_ORDER.get(current, 0)
        if current == new and not error:
            ignored = True
        MsgEvent.objects.create(
            msg=locked,
            event_type=source,
            status=new,
            description=("ignored: message is already " + current) if ignored else error,
            data=data or {},
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


# Msg fields update_statuses reads (itself, realtime.msg_event, webhooks' ids).
_BATCH_FIELDS = (
    "id", "workspace_id", "channel_id", "uuid", "direction", "status", "text", "urn", "error",
    "created_on", "modified_on", "sent_on", "delivered_on",
)  # fmt: skip


@dataclass(frozen=True)
class StatusUpdate:
    msg_id: int
    status: str
    error: str = ""
    data: dict[str, Any] | None = None


def update_statuses(*, updates: list[StatusUpdate], source: str = "callback") -> list[bool]:
    """`update_status` for a batch (e.g. SMPP receipts): same forward-only rule, a few statements.

    Returns, per update, whether it was applied; unknown message ids count as ignored.
    """
    for u in updates:
        if u.status not in SETTABLE:
            raise ValueError(f"unknown status {u.status!r}")
    applied: list[bool] = []
    with transaction.atomic():
        # Only what the events below read, and each channel once instead of joined per row:
        # building a Channel (and decoding its config) per message dominated large batches.
        locked = {
            m.id: m
            for m in Msg.objects.select_for_update()
            .only(*_BATCH_FIELDS)
            .filter(id__in={u.msg_id for u in updates})
            .order_by("id")
        }
        channels = Channel.objects.in_bulk({m.channel_id for m in locked.values() if m.channel_id})
        for m in locked.values():
            if m.channel_id:
                m.channel = channels[m.channel_id]
        now = timezone.now()
        events: list[MsgEvent] = []
        changed: dict[int, Msg] = {}
        for u in updates:
            msg = locked.get(u.msg_id)
            if msg is None:
                applied.append(False)
                continue
            current, new = MsgStatus(msg.status), MsgStatus(u.status)
            ignored = current in FINAL_STATUSES or STATUS_ORDER[new] < STATUS_ORDER.get(current, 0)
            ignored = ignored or (current == new and not u.error)
            description = ("ignored: message is already " + current) if ignored else u.error
            events.append(
                MsgEvent(msg=msg, event_type=source, status=new, description=description, data=u.data or {})
            )
            applied.append(not ignored)
            if ignored:
                continue
            msg.status, msg.modified_on = new, now
            if new in (MsgStatus.FAILED, MsgStatus.ERRORED):
                msg.error = u.error or msg.error or "failed at the provider"
            if new in (MsgStatus.SENT, MsgStatus.DELIVERED) and msg.sent_on is None:
                msg.sent_on = now
            if new == MsgStatus.DELIVERED:
                msg.delivered_on = now
            changed[msg.id] = msg
        MsgEvent.objects.bulk_create(events)
        if changed:
            # One UPDATE per distinct outcome: bulk_update's CASE per row is far slower here.
            groups: dict[tuple[str, str], list[int]] = {}
            for msg in changed.values():
                groups.setdefault((msg.status, msg.error), []).append(msg.id)
            for (new_status, error), ids in groups.items():
                values: dict[str, Any] = {"status": new_status, "error": error, "modified_on": now}
                if new_status in (MsgStatus.SENT, MsgStatus.DELIVERED):
                    values["sent_on"] = Coalesce("sent_on", Value(now))
                if new_status == MsgStatus.DELIVERED:
                    values["delivered_on"] = now
                Msg.objects.filter(id__in=ids).update(**values)
            by_workspace: dict[int, list[Msg]] = {}
            for msg in changed.values():
                by_workspace.setdefault(msg.workspace_id, []).append(msg)
            for workspace_id, msgs in by_workspace.items():
                realtime.publish_many(workspace_id, [realtime.msg_event(m) for m in msgs])
            for msgs in by_workspace.values():
                webhooks.emit_msg_status(msgs)
    return applied


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
