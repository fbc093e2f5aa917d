"""Sending failed or "outcome unknown" messages again, on an operator's explicit request.

Automatic sending never repeats a message whose outcome is unknown (it may have reached the
phone); a person who checked with the provider or the recipient may decide it did not, and
re-queue it. Failed messages (e.g. after a provider outage outlasted the retries) likewise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from channels_app import realtime
from channels_app.models import Direction, Msg, MsgEvent, MsgStatus
from channels_app.services import routing
from channels_app.wakes import wake_sender

MAX_RESEND = 1000
NOT_FOUND = "no such message in this workspace"


@dataclass
class ResendResult:
    resent: list[Msg] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (uuid, why)


def resendable(msg: Msg) -> bool:
    if msg.direction != Direction.OUT:
        return False
    return msg.status == MsgStatus.FAILED or (
        msg.status == MsgStatus.WIRED and bool((msg.metadata or {}).get("outcome_unknown"))
    )


def why_not(msg: Msg) -> str:
    if msg.direction != Direction.OUT:
        return "an inbound message cannot be resent"
    if msg.status == MsgStatus.WIRED:
        return "it is being sent right now (not flagged outcome unknown)"
    return f"it is {msg.status}, only failed or outcome-unknown messages are resent"


def resend_messages(*, workspace_id: int, uuids: list[str], user_id: int | None = None) -> ResendResult:
    """Re-queue the workspace's failed / outcome-unknown messages among `uuids`.

    A message whose channel was released is re-routed by the selection rules; when no channel
    can send it any more it stays failed, with that reason.
    """
    result = ResendResult()
    wanted = list(dict.fromkeys(uuids))[:MAX_RESEND]
    with transaction.atomic():
        found = {
            str(m.uuid): m
            for m in Msg.objects.select_for_update(of=("self",))
            .filter(workspace_id=workspace_id, uuid__in=wanted)
            .select_related("channel", "contact_urn")
        }
        pool = routing.ChannelPool(workspace_id)
        now = timezone.now()
        events: list[MsgEvent] = []
        for uuid in wanted:
            msg = found.get(uuid)
            if msg is None:
                result.skipped.append((uuid, NOT_FOUND))
                continue
            if not resendable(msg):
                result.skipped.append((uuid, why_not(msg)))
                continue
            if not msg.channel.is_active:
                try:
                    route = pool.select(identity=msg.urn, urn=msg.contact_urn)
                except routing.NoChannel as exc:
                    result.skipped.append((uuid, str(exc)))
                    continue
                msg.channel = route.channel
                events.append(
                    MsgEvent(msg=msg, event_type="channel", description=route.why, data=route.event_data())
                )
            was = msg.status
            metadata = {k: v for k, v in (msg.metadata or {}).items() if k != "outcome_unknown"}
            metadata["resent"] = int(metadata.get("resent", 0)) + 1
            msg.status, msg.error, msg.metadata = MsgStatus.QUEUED, "", metadata
            msg.next_attempt_on = msg.lease_until = None
            msg.claimed_by = None
            msg.modified_on = now
            msg.save(
                update_fields=[
                    "channel",
                    "status",
                    "error",
                    "metadata",
                    "next_attempt_on",
                    "lease_until",
                    "claimed_by",
                    "modified_on",
                ]
            )
            events.append(
                MsgEvent(
                    msg=msg,
                    event_type="resent",
                    status=MsgStatus.QUEUED,
                    description=f"re-queued by hand (was {was})",
                    data={"user": user_id} if user_id else {},
                )
            )
            result.resent.append(msg)
        MsgEvent.objects.bulk_create(events)
        if result.resent:
            realtime.publish_many(workspace_id, [realtime.msg_event(m) for m in result.resent])
        for channel_id in sorted({m.channel_id for m in result.resent}):
            wake_sender(channel_id)
    return result
