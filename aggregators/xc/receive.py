"""Webhooks of XC channels: delivery callbacks (/callback) and inbound SMS (/receive).

Whatever the provider posts (GET query, form, JSON or XML, one item or a batch) is read through
the connector's mapping; anything unreadable is a 400 saying why. An id we do not know is
answered 200 and logged: the provider cannot fix it, so retrying it would only add load.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from aggregators import services
from aggregators.connector import PayloadError, parse_callback, parse_receive, render_send_response
from channels_app.crypto import reveal
from channels_app.models import Channel, Msg, MsgStatus
from channels_app.services import ingest, status
from channels_app.views import BadRequest

logger = logging.getLogger(__name__)

NEW_STATUS = {"delivered": MsgStatus.DELIVERED, "failed": MsgStatus.FAILED, "processing": MsgStatus.SENT}
RAW_LIMIT = 4000


def _connector(channel: Channel) -> services.ResolvedConnector:
    try:
        return services.resolve_cached(
            workspace_id=channel.workspace_id, ref=str(channel.config.get("connector") or "")
        )
    except services.ConnectorNotFound as exc:
        raise BadRequest(f"this channel's connector is unavailable: {exc}") from None


def _payload_args(request: HttpRequest) -> dict[str, Any]:
    if request.method not in ("GET", "POST", "PUT"):
        raise BadRequest("use GET, POST or PUT")
    return {
        "body": request.body,
        "content_type": request.META.get("CONTENT_TYPE", ""),
        "query": request.META.get("QUERY_STRING", ""),
    }


def _jsonable(raw: Any) -> Any:
    try:
        text = json.dumps(raw, default=str)
    except (TypeError, ValueError, RecursionError):
        return None
    return json.loads(text) if len(text) <= RAW_LIMIT else {"truncated": text[:RAW_LIMIT]}


def _find(channel: Channel, message_id: str) -> Msg | None:
    try:
        return status.find_outbound(channel=channel, external_id=message_id)
    except status.MsgNotFound:
        pass
    try:  # connectors that pass our @messageid may get our uuid back
        return status.find_outbound(channel=channel, msg_uuid=message_id)
    except status.MsgNotFound:
        return None


def callback(request: HttpRequest, channel: Channel) -> HttpResponse:
    args = _payload_args(request)
    resolved = _connector(channel)
    try:
        items = parse_callback(resolved.parsed, **args)
    except PayloadError as exc:
        raise BadRequest(str(exc)) from None
    results: list[dict[str, object]] = []
    for item in items:
        msg = _find(channel, item.message_id)
        if msg is None:
            logger.warning(
                "XC callback on channel %s for unknown message id %r", channel.uuid, item.message_id
            )
            results.append({"id": item.message_id, "result": "unknown message id, ignored"})
            continue
        error = item.error or (f"provider status {item.raw_status}" if item.status == "failed" else "")
        applied = status.update_status(
            msg=msg,
            status=NEW_STATUS.get(item.status, MsgStatus.SENT),
            error=error,
            source="callback",
            data={"raw_status": item.raw_status, "payload": _jsonable(item.raw)},
        )
        results.append(
            {"id": item.message_id, "uuid": str(msg.uuid), "status": msg.status, "applied": applied}
        )
    return JsonResponse({"message": "Status Update Accepted", "results": results})


def parse_date(value: str | None) -> datetime | None:
    """Provider timestamps vary (ISO 8601, `2024-01-10 12:00:00`): unreadable ones mean "now"."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def receive(request: HttpRequest, channel: Channel) -> HttpResponse:
    args = _payload_args(request)
    resolved = _connector(channel)
    try:
        messages = parse_receive(resolved.parsed, **args)
    except PayloadError as exc:
        raise BadRequest(str(exc)) from None
    stored = []
    for message in messages:
        if len(message.text) > 10_000:
            raise BadRequest("message text longer than 10,000 characters")
        result = ingest.receive(
            channel=channel,
            sender=message.sender,
            text=message.text,
            external_id=message.external_id,
            received_on=parse_date(message.date),
            metadata={"to": message.to} if message.to else None,
        )
        stored.append({"uuid": result.uuid, "urn": result.urn, "duplicate": result.duplicate})
    send_response = resolved.parsed.message_receive.send_response if resolved.parsed.message_receive else None
    if send_response is not None:
        first = messages[0]
        ctx = {"from": first.sender, "to": first.to or "", "text": first.text, "message": first.text}
        body, content_type = render_send_response(
            send_response, reveal(channel.config.get("fields") or {}), ctx
        )
        return HttpResponse(body, content_type=content_type)
    return JsonResponse({"message": "Message Accepted", "messages": stored})
