"""Call records from phone-connector callbacks: answer, status and incoming calls.

The pure connector language maps what the provider posts into a ``CallEvent``; this module
applies it to ``Call`` rows, keeps every callback as a ``CallEvent`` row, pushes a websocket
event to the workspace (the incoming-call popup) and emits incoming/missed-call triggers.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.db import IntegrityError, transaction
from django.utils import timezone

from aggregators import exchange
from aggregators import services as connectors
from aggregators.connector import CallEvent as MappedEvent
from aggregators.connector import render_send_response
from aggregators.connector.model import SendResponse
from aggregators.voice import jobs as voice_jobs
from aggregators.voice import values
from aggregators.voice.models import AgentPhone
from channels_app import queue, realtime, urns
from channels_app.crypto import reveal
from channels_app.models import Call, CallEvent, Channel, Contact, Membership
from channels_app.services import webhooks
from channels_app.services.ingest import get_or_create_contact

logger = logging.getLogger(__name__)

FINAL = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
MISSED = frozenset({"busy", "no-answer", "failed", "canceled"})
PENDING_MATCH_SECONDS = 3 * 3600
# Mapped values that become Call columns; everything else the connector names goes to Call.data.
COLUMNS = frozenset(
    {"call_id", "call_status", "duration", "starttime", "endtime", "recordingurl", "to_number", "from_number"}
)


class CallError(ValueError):
    """Input we cannot act on; the API and webhooks answer 400 with this message."""


class CallNotFound(LookupError):
    """A callback for a call this channel never placed or received; answered 404."""


# --- channel and agent --------------------------------------------------------------------------


def phone_connector(channel: Channel) -> connectors.ResolvedConnector:
    if channel.channel_type != "XC":
        raise CallError(f"channel {channel.uuid} is not a phone-connector channel")
    try:
        resolved = connectors.resolve_cached(
            workspace_id=channel.workspace_id, ref=str(channel.config.get("connector") or "")
        )
    except connectors.ConnectorNotFound as exc:
        raise CallError(f"this channel's connector is unavailable: {exc}") from None
    if resolved.kind != "phone":
        raise CallError(f"channel {channel.uuid} uses the SMS connector {resolved.slug!r}, not a phone one")
    return resolved


def channel_fields(channel: Channel, resolved: connectors.ResolvedConnector) -> dict[str, Any]:
    from aggregators.xc.callback_fields import with_callbacks

    declared = {f.name for f in resolved.parsed.fields}
    return resolved.parsed.effective_fields(
        with_callbacks(channel, reveal(channel.config.get("fields") or {}), declared)
    )


def agent_phone(user: Any) -> AgentPhone | None:
    if user is None or not getattr(user, "pk", None):
        return None
    return AgentPhone.objects.filter(user_id=user.pk).first()


def incoming_agent(channel: Channel) -> AgentPhone | None:
    """Who an incoming call is put through to: the first member (by joining order) taking calls."""
    member_ids = Membership.objects.filter(workspace_id=channel.workspace_id).order_by("id")
    for user_id in member_ids.values_list("user_id", flat=True):
        phone = AgentPhone.objects.filter(user_id=user_id, takes_incoming=True).exclude(extension="").first()
        if phone is not None:
            return phone
    return None


def set_agent_phone(
    *, user: Any, extension: str, phone_home: str = "", takes_incoming: bool = True
) -> AgentPhone:
    extension, phone_home = extension.strip(), phone_home.strip()
    if len(extension) > 64 or len(phone_home) > 128:
        raise CallError("extension is limited to 64 characters and home phone/campaign to 128")
    phone, _ = AgentPhone.objects.update_or_create(
        user=user,
        defaults={"extension": extension, "phone_home": phone_home, "takes_incoming": takes_incoming},
    )
    return phone


# --- runtime variables -----------------------------------------------------------------------------


def call_urls(channel: Channel, call: Call | None = None) -> dict[str, str]:
    """Our webhook URLs; per call they carry its uuid so a callback finds it before the provider id is known."""
    base = channel.type.urls(channel)
    suffix = "?" + urlencode({"call": str(call.uuid)}) if call is not None else ""
    out = {
        "answer_callback": base.get("answer", "") + suffix,
        "status_callback": base.get("status", "") + suffix,
        "incoming_callback": base.get("incoming", ""),
    }
    out["answer_status_callback"] = out["status_callback"]
    return out


def call_context(*, call: Call, channel: Channel) -> dict[str, str]:
    """``@to_number``, ``@extension``... for a provider request or a reply about this call."""
    data = call.data or {}
    user = call.user
    ctx = {
        "to_number": call.to_number,
        "from_number": call.from_number,
        "extension": str(data.get("extension") or ""),
        "callerid": str(data.get("callerid") or channel.address or ""),
        "email": (getattr(user, "email", "") or getattr(user, "username", "")) if user else "",
        "user_phone_home": str(data.get("user_phone_home") or ""),
        "call_id": call.external_id or "",
        "user_number": str(data.get("user_number") or data.get("extension") or ""),
        **call_urls(channel, call),
    }
    return {k: v for k, v in ctx.items() if v is not None}


def render_reply(
    *, send_response: SendResponse, channel: Channel, call: Call, event: MappedEvent
) -> tuple[bytes, str]:
    """The provider's reply body (TwiML...). Our record wins over what the request names: a forged
    callback cannot make us dial a number we did not choose."""
    resolved = phone_connector(channel)
    ctx = {**event.context(), **{k: v for k, v in call_context(call=call, channel=channel).items() if v}}
    return render_send_response(send_response, channel_fields(channel, resolved), ctx)


# --- finding the call ------------------------------------------------------------------------------


def _by_hint(channel: Channel, hint: str) -> Call | None:
    import uuid as uuid_mod

    try:
        parsed = uuid_mod.UUID(hint)
    except ValueError:
        return None
    return Call.objects.filter(channel=channel, uuid=parsed).select_related("contact", "user").first()


def _pending_by_number(channel: Channel, event: MappedEvent) -> Call | None:
    """Providers that answer a click-to-call without an id (Ozonetel) report it later by number."""
    since = timezone.now() - timedelta(seconds=PENDING_MATCH_SECONDS)
    numbers = [event.get("from_number"), event.get("to_number")]
    pending = Call.objects.filter(
        channel=channel, direction=Call.Direction.OUT, external_id__isnull=True, created_on__gte=since
    ).exclude(status__in=FINAL)
    for call in pending.select_related("contact", "user").order_by("-id")[:50]:
        if any(values.same_number(call.to_number, n) for n in numbers):
            return call
    return None


def find_call(*, channel: Channel, event: MappedEvent, hint: str = "") -> Call:
    """The call a callback is about: by provider id, by our uuid in the URL, or a pending match."""
    call = (
        Call.objects.filter(channel=channel, external_id=event.call_id)
        .select_related("contact", "user")
        .order_by("-id")
        .first()
    )
    if call is None and hint:
        call = _by_hint(channel, hint)
    if call is None:
        call = _pending_by_number(channel, event)
    if call is None:
        raise CallNotFound(f"unknown call id {event.call_id!r} on this channel")
    if not call.external_id:
        call.external_id = event.call_id
    return call


# --- applying callbacks ------------------------------------------------------------------------------


def masked(channel: Channel, data: dict[str, Any]) -> dict[str, Any]:
    """Providers echo credentials in callbacks (Ozonetel posts its Apikey): never store them."""
    try:
        resolved = phone_connector(channel)
    except CallError:
        return data
    secrets = connectors.secret_values(resolved.parsed, reveal(channel.config.get("fields") or {}))
    if not secrets:
        return data
    result: dict[str, Any] = json.loads(connectors.mask_text(json.dumps(data, default=str), secrets))
    return result


def _event_data(channel: Channel, event: MappedEvent) -> dict[str, Any]:
    return masked(
        channel,
        {
            "raw_status": event.raw_status,
            "values": {k: v for k, v in event.values.items() if v is not None},
            "payload": exchange.jsonable(event.raw),
            **({} if event.branch_matched else {"unmatched_status": True}),
        },
    )


def _merge_values(call: Call, event: MappedEvent) -> None:
    extra = masked(
        call.channel, {k: v for k, v in event.values.items() if v not in (None, "") and k not in COLUMNS}
    )
    if "direction" in extra:
        extra["provider_direction"] = extra.pop("direction")
    call.data = {**(call.data or {}), **extra}
    if event.get("to_number") and not call.to_number:
        call.to_number = str(event.get("to_number"))[:64]
    if event.get("from_number") and not call.from_number:
        call.from_number = str(event.get("from_number"))[:64]


_RANK = {"queued": 0, "ringing": 1, "in-progress": 2}


def _apply_status(call: Call, new_status: str | None) -> bool:
    """Move the lifecycle forward only: callbacks arrive out of order, and a late "ringing" must
    neither reopen a completed call nor undo an answer; a call that ended stays as it ended."""
    if not new_status or new_status == call.status:
        return False
    if call.status in FINAL:  # final is final: a late "busy" must not rewrite "completed"
        return False
    if new_status not in FINAL and _RANK.get(new_status, 0) < _RANK.get(call.status, 0):
        return False
    call.status = new_status
    return True


def _known_status(event: MappedEvent) -> str | None:
    """The event's lifecycle status, or None when the provider's value is in none of the
    connector's `<status for=…>` lists: such a callback is kept in the call log (with
    `unmatched_status`) but must not move the call, whatever the word looks like."""
    return event.call_status if event.branch_matched else None


def _apply_times(call: Call, event: MappedEvent) -> None:
    duration = values.parse_duration(event.get("duration"))
    if duration is not None:
        call.duration = duration
    elif event.get("duration"):
        call.data = {**(call.data or {}), "duration_raw": event.get("duration")}
    started = values.parse_time(event.get("starttime"))
    ended = values.parse_time(event.get("endtime"))
    if started is not None:
        call.started_on = started
    if ended is not None:
        call.ended_on = ended
    if call.status in FINAL and call.ended_on is None:
        call.ended_on = timezone.now()
    if call.status == Call.Status.IN_PROGRESS and call.started_on is None:
        call.started_on = timezone.now()
    recording = values.recording_url(event.get("recordingurl"))
    if recording:
        call.recording_url = recording
    elif event.get("recordingurl"):
        call.data = {**(call.data or {}), "recording_raw": str(event.get("recordingurl"))[:1024]}
    if call.status == Call.Status.FAILED and event.get("error_message") and not call.error:
        call.error = str(event.get("error_message"))


def _record(call: Call, event_type: str, event: MappedEvent, was: str) -> None:
    call.save()
    CallEvent.objects.create(
        call=call,
        event_type=event_type,
        status=(event.call_status or "")[:12],
        data=_event_data(call.channel, event),
    )
    realtime.publish(call.workspace_id, popup_event(call, event_type))
    if call.status != was:
        webhooks.emit(
            workspace_id=call.workspace_id,
            event=webhooks.CALL_EVENT,
            data={**call_payload(call), "event": event_type, "previous_status": was},
        )
    if call.direction == Call.Direction.IN and call.status in MISSED and was not in MISSED:
        emit_trigger(call, "missed_call")


@transaction.atomic
def apply_answer(*, channel: Channel, event: MappedEvent, hint: str = "") -> Call:
    """The agent (or callee) answered: the provider now asks what to do (the reply dials on)."""
    call = find_call(channel=channel, event=event, hint=hint)
    was = call.status
    _merge_values(call, event)
    _apply_status(call, _known_status(event) or Call.Status.IN_PROGRESS)
    _apply_times(call, event)
    _record(call, "answer", event, was)
    return call


@transaction.atomic
def apply_status(*, channel: Channel, event: MappedEvent, hint: str = "") -> Call:
    call = find_call(channel=channel, event=event, hint=hint)
    was = call.status
    _merge_values(call, event)
    _apply_status(call, _known_status(event))
    _apply_times(call, event)
    _record(call, "status", event, was)
    return call


def _caller_contact(channel: Channel, number: str) -> Contact:
    try:
        identity = urns.normalize(number, channel.country, "tel")
    except urns.InvalidURN as exc:
        raise CallError(f"the caller's number is not usable: {exc}") from None
    contact, _urn = get_or_create_contact(workspace_id=channel.workspace_id, identity=identity)
    return contact


def _existing_incoming(channel: Channel, call_id: str | None) -> Call | None:
    return (
        Call.objects.filter(channel=channel, external_id=call_id, direction=Call.Direction.IN)
        .select_related("contact", "user")
        .first()
    )


@transaction.atomic
def receive_incoming(*, channel: Channel, event: MappedEvent) -> tuple[Call, bool]:
    """Record an incoming call (once per provider id: retries get the same call) and pop it up."""
    existing = _existing_incoming(channel, event.call_id)
    if existing is not None:
        CallEvent.objects.create(call=existing, event_type="incoming-retry", data=_event_data(channel, event))
        return existing, False
    caller = (event.get("from_number") or "").strip()
    if not caller:
        raise CallError("incoming call has no caller number (from_number)")
    contact = _caller_contact(channel, caller)
    agent = incoming_agent(channel)
    status = (
        event.call_status if event.call_status and event.call_status not in FINAL else Call.Status.RINGING
    )
    call = Call(
        workspace_id=channel.workspace_id,
        channel=channel,
        contact=contact,
        user=agent.user if agent else None,
        direction=Call.Direction.IN,
        status=status,
        from_number=caller[:64],
        to_number=(event.get("to_number") or channel.address or "")[:64],
        external_id=event.call_id,
        data={"extension": agent.extension} if agent else {},
    )
    _merge_values(call, event)
    _apply_times(call, event)
    try:
        with transaction.atomic():
            call.save()
    except IntegrityError:
        # A simultaneous post of the same call won the race (unique incoming provider id).
        winner = _existing_incoming(channel, event.call_id)
        if winner is None:
            raise
        CallEvent.objects.create(call=winner, event_type="incoming-retry", data=_event_data(channel, event))
        return winner, False
    CallEvent.objects.create(
        call=call, event_type="incoming", status=status, data=_event_data(channel, event)
    )
    realtime.publish(call.workspace_id, popup_event(call, "incoming"))
    emit_trigger(call, "incoming_call")
    if agent is None:
        logger.warning(
            "incoming call %s on channel %s: no agent has an extension to ring", call.uuid, channel.uuid
        )
    return call, True


def emit_trigger(call: Call, trigger_type: str) -> None:
    """Incoming and missed calls start flows through the flows app's triggers (run by a job)."""
    if call.contact_id:
        queue.enqueue("default", voice_jobs.call_trigger, call.id, trigger_type)


# --- payloads --------------------------------------------------------------------------------------


def _contact_summary(contact: Contact | None) -> dict[str, Any] | None:
    if contact is None:
        return None
    return {
        "uuid": str(contact.uuid),
        "name": contact.name,
        "urns": [u.identity for u in contact.urns.all()],
        "url": f"/contacts/{contact.uuid}/",
    }


def _user_label(user: Any) -> str | None:
    if user is None:
        return None
    return str(getattr(user, "email", "") or getattr(user, "username", ""))


def popup_event(call: Call, event: str) -> dict[str, Any]:
    """The websocket event of a call (kind "call"); "incoming" opens the popup in calls.js."""
    return {
        "kind": "call",
        "event": event,
        "uuid": str(call.uuid),
        "call_id": call.external_id,
        "direction": call.direction,
        "status": call.status,
        "from_number": call.from_number,
        "to_number": call.to_number,
        "duration": call.duration,
        "channel": {"uuid": str(call.channel.uuid), "name": call.channel.name},
        "contact": _contact_summary(call.contact),
        "user": _user_label(call.user),
        "url": f"/calls/{call.uuid}/",
        "created_on": call.created_on.isoformat() if call.created_on else None,
    }


def call_payload(call: Call, *, events: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "uuid": str(call.uuid),
        "call_id": call.external_id,
        "channel": str(call.channel.uuid),
        "direction": call.direction,
        "status": call.status,
        "from_number": call.from_number,
        "to_number": call.to_number,
        "contact": _contact_summary(call.contact),
        "user": _user_label(call.user),
        "duration": call.duration,
        "started_on": call.started_on,
        "ended_on": call.ended_on,
        "recording_url": call.recording_url,
        "error": call.error,
        "data": call.data,
        "created_on": call.created_on,
        "modified_on": call.modified_on,
    }
    if events:
        out["events"] = [
            {"type": e.event_type, "status": e.status, "data": e.data, "created_on": e.created_on}
            for e in call.events.all()
        ]
    return out


def phone_channels(*, workspace_id: int) -> list[Channel]:
    """Active channels that can place calls (XC channels with a phone connector)."""
    out = []
    for channel in Channel.objects.filter(
        workspace_id=workspace_id, channel_type="XC", is_active=True
    ).order_by("name"):
        try:
            phone_connector(channel)
        except CallError:
            continue
        out.append(channel)
    return out
