"""Webhooks of XC channels: delivery callbacks (/callback) and inbound SMS (/receive).

Whatever the provider posts (GET query, form, JSON or XML, one item or a batch) is read through
the connector's mapping; anything unreadable is a 400 saying why. An id we do not know is
answered 200 and logged: the provider cannot fix it, so retrying it would only add load.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from aggregators import services
from aggregators.connector import PayloadError, parse_callback, parse_receive, render_send_response
from aggregators.exchange import jsonable, payload_args
from channels_app import urns
from channels_app.crypto import reveal
from channels_app.inbound.request import BadRequest
from channels_app.models import Channel, Msg, MsgStatus
from channels_app.services import ingest, status

logger = logging.getLogger(__name__)

COURIER_LETTERS: dict[str, str] = {MsgStatus.SENT: "S", MsgStatus.DELIVERED: "D", MsgStatus.FAILED: "F", MsgStatus.WIRED: "W",
                   MsgStatus.ERRORED: "E", MsgStatus.QUEUED: "Q"}  # fmt: skip


def _courier_response(payload: dict[str, Any]) -> HttpResponse:
    """Compact JSON like courier's, so aggregators matching `"status":"D"` keep working."""
    return HttpResponse(
        json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str),
        content_type="application/json",
    )


NEW_STATUS = {"delivered": MsgStatus.DELIVERED, "failed": MsgStatus.FAILED, "processing": MsgStatus.SENT}


def _connector(channel: Channel) -> services.ResolvedConnector:
    try:
        return services.resolve_cached(
            workspace_id=channel.workspace_id, ref=str(channel.config.get("connector") or "")
        )
    except services.ConnectorNotFound as exc:
        raise BadRequest(f"this channel's connector is unavailable: {exc}") from None


def _find(channel: Channel, message_id: str) -> Msg | None:
    try:
        return status.find_outbound(channel=channel, external_id=message_id)
    except status.MsgNotFound:
        pass
    try:  # connectors that pass our @messageid may get our uuid back
        return status.find_outbound(channel=channel, msg_uuid=message_id)
    except status.MsgNotFound:
        pass
    head, dot, part = message_id.rpartition(".")
    if dot and part.isdigit():  # a part's own id (@part_id: <uuid>.2): the report is the message's
        try:
            return status.find_outbound(channel=channel, msg_uuid=str(uuid.UUID(head)))
        except (ValueError, status.MsgNotFound):
            return None
    return None


def _is_ping(args: dict[str, Any]) -> bool:
    """No parameters at all: a provider checking the URL is reachable (Vonage does), not a report."""
    return not args["query"].strip() and not args["body"].strip()


def _ignored(reason: str) -> JsonResponse:
    return JsonResponse({"message": "Ignored", "data": [{"type": "info", "info": reason}]})


def _our_id_in_url(request: HttpRequest) -> str | None:
    """Our message uuid, when the connector put it in the callback URL (`urlappend:{'uuid': '@messageid'}`).

    With it a report that overtakes the send answer (the provider's id not stored yet) still
    finds its message.
    """
    value = request.GET.get("uuid") or request.GET.get("id") or ""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def callback(request: HttpRequest, channel: Channel) -> HttpResponse:
    args = payload_args(request)
    if _is_ping(args):
        return _ignored("no parameters: nothing to update")
    resolved = _connector(channel)
    try:
        items = parse_callback(resolved.parsed, **args)
    except PayloadError as exc:
        raise BadRequest(str(exc)) from None
    results: list[dict[str, object]] = []
    our_id = _our_id_in_url(request) if len(items) == 1 else None
    for item in items:
        # Our uuid in the URL names the message exactly; else the provider's id finds it.
        msg = _find(channel, our_id) if our_id else None
        found_by_our_id = msg is not None
        if msg is None:
            msg = _find(channel, item.message_id)
        if msg is None:
            logger.warning(
                "XC callback on channel %s for unknown message id %r", channel.uuid, item.message_id
            )
            results.append({"id": item.message_id, "result": "unknown message id, ignored"})
            continue
        data = {"raw_status": item.raw_status, "payload": jsonable(item.raw)}
        if item.status in ("unknown", "ignored"):
            # A status in none of the connector's groups: logged on the message, nothing changes
            # (guessing "sent" would hide a failure the connector author never mapped). One the
            # connector lists as <status Ignore> is expected: noted without a warning.
            known = item.status == "ignored"
            if not known:
                logger.warning("XC callback on channel %s: unknown status %r", channel.uuid, item.raw_status)
            kind = "provider status that changes nothing" if known else "unknown provider status"
            status.note_ignored(msg=msg, description=f"ignored: {kind} {item.raw_status!r}", data=data)
            results.append(
                {"id": item.message_id, "uuid": str(msg.uuid), "status": msg.status, "applied": False,
                 "unknown_status": item.raw_status, "known": known}
            )  # fmt: skip
            continue
        error = item.error or (f"provider status {item.raw_status}" if item.status == "failed" else "")
        applied = status.update_status(
            msg=msg,
            status=NEW_STATUS.get(item.status, MsgStatus.SENT),
            error=error,
            external_id=item.message_id if found_by_our_id and not msg.external_id else None,
            source="callback",
            data=data,
        )
        if item.opted_out:
            status.stop_recipient(msg=msg, reason="the provider reports the recipient opted out")
        results.append(
            {"id": item.message_id, "uuid": str(msg.uuid), "status": msg.status, "applied": applied}
        )
    # Courier's answer shape (`data` with one-letter statuses) next to our per-item `results`.
    answered = [
        {"type": "status", "channel_uuid": str(channel.uuid), "status": COURIER_LETTERS.get(str(r["status"]), ""),
         "external_id": r["id"]}
        for r in results
        if r.get("applied") is not None
    ]  # fmt: skip
    send = resolved.parsed.message_send
    if send is not None and send.callback_response is not None:
        # the provider's own acknowledgement of an accepted report (Dart's "000", Jasmin's
        # "ACK/Jasmin": Jasmin resends a report until it gets it, even one that changed nothing)
        body, content_type = render_send_response(
            send.callback_response, reveal(channel.config.get("fields") or {}), {}
        )
        return HttpResponse(body, content_type=content_type)
    message = "Status Update Accepted"
    if results and all(r.get("unknown_status") for r in results):
        raw = results[0]["unknown_status"]
        message = (
            f"Ignored: status '{raw}' changes nothing"
            if results[0].get("known")
            else (f"Ignored: ignoring unknown status '{raw}'")
        )
    return _courier_response({"message": message, "data": answered, "results": results})


_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}")


def parse_date(value: str | None) -> datetime | None:
    """Provider timestamps vary (ISO 8601, `2024-01-10 12:00:00`, epoch seconds); anything else is a 400."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit() and len(text) in (10, 13):  # epoch seconds or milliseconds
        return datetime.fromtimestamp(int(text) / (1000 if len(text) == 13 else 1), tz=UTC)
    if text.isdigit() and len(text) == 14:  # YYYYMMDDhhmmss in UTC (short-code gateways)
        try:
            return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        except ValueError:
            raise BadRequest(f"invalid date format {value!r}: use ISO 8601 / RFC 3339") from None
    if not _DATE_TIME.match(text):  # a date and a time to the second at least
        raise BadRequest(f"invalid date format {value!r}: use ISO 8601 / RFC 3339")
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise BadRequest(f"invalid date format {value!r}: use ISO 8601 / RFC 3339") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def receive(request: HttpRequest, channel: Channel) -> HttpResponse:
    args = payload_args(request)
    if request.method == "GET" and _is_ping(args):  # a URL check; an empty POST is a broken message
        return _ignored("no parameters: no message")
    resolved = _connector(channel)
    try:
        messages = parse_receive(resolved.parsed, **args)
    except PayloadError as exc:
        raise BadRequest(str(exc)) from None
    if not messages:  # a batch of none (Globe Labs sends them): a 200 so the provider does not resend
        return _ignored("no messages, ignored")
    stored: list[dict[str, Any]] = []
    data: list[dict[str, Any]] = []
    for message in messages:  # the whole batch is checked before any of it is stored
        if len(message.text) > 10_000:
            raise BadRequest("message text longer than 10,000 characters")
        if channel.type.default_scheme(channel) == "tel":
            urns.check_possible_number(message.sender)
        parse_date(message.date)
    for message in messages:
        result = ingest.receive(
            channel=channel,
            sender=message.sender,
            text=message.text,
            external_id=message.external_id,
            received_on=parse_date(message.date),
            attachments=message.attachments or None,
            metadata={"to": message.to} if message.to else None,
        )
        stored.append({"uuid": result.uuid, "urn": result.urn, "duplicate": result.duplicate})
        data.append(
            {"type": "msg", "channel_uuid": str(channel.uuid), "msg_uuid": result.uuid, "text": message.text,
             "urn": result.urn, "external_id": message.external_id or "", "attachments": message.attachments}
        )  # fmt: skip
    send_response = resolved.parsed.message_receive.send_response if resolved.parsed.message_receive else None
    if send_response is not None:
        first = messages[0]
        ctx = {"from": first.sender, "to": first.to or "", "text": first.text, "message": first.text}
        body, content_type = render_send_response(
            send_response, reveal(channel.config.get("fields") or {}), ctx
        )
        return HttpResponse(body, content_type=content_type)
    return _courier_response({"message": "Message Accepted", "data": data, "messages": stored})
