"""Webhook handlers of External API channels: receive, sent/delivered/failed, stopped."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from lxml import etree

from aggregators.xmlsafe import UnsafeXML, parse_xml
from channels_app.models import Channel, MsgStatus
from channels_app.services import ingest, status
from channels_app.views import BadRequest


def request_params(request: HttpRequest) -> dict[str, Any]:
    """Query string, form, multipart and JSON bodies merged into one flat dict (body wins)."""
    params: dict[str, Any] = {k: v for k, v in request.GET.items()}
    if request.method in ("POST", "PUT"):
        content_type = (request.content_type or "").lower()
        if content_type == "application/json" or content_type.endswith("+json"):
            try:
                body = json.loads(request.body or b"{}")
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise BadRequest(f"invalid JSON body: {exc}") from None
            if not isinstance(body, dict):
                raise BadRequest("the JSON body must be an object")
            params.update(body)
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            params.update({k: v for k, v in request.POST.items()})
    return params


def parse_date(value: Any) -> datetime:
    if not isinstance(value, str) or "T" not in value.upper():
        raise BadRequest(f"invalid date {value!r}: use RFC 3339, e.g. 2012-04-23T18:25:43.511Z")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        raise BadRequest(f"invalid date {value!r}: use RFC 3339, e.g. 2012-04-23T18:25:43.511Z") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _xpath_text(root: etree._Element, expression: str, name: str) -> str:
    try:
        found = root.xpath(expression)
    except etree.XPathError as exc:
        raise BadRequest(f"the channel's XPath for {name} is invalid: {exc}") from None
    if isinstance(found, list):
        found = found[0] if found else None
    if found is None:
        return ""
    if isinstance(found, etree._Element):
        return "".join(found.itertext()).strip()
    return str(found).strip()


def _inbound_fields(request: HttpRequest, channel: Channel) -> dict[str, Any]:
    config = channel.config
    if config.get("mo_from_xpath") and request.method == "POST":
        try:
            root = parse_xml(request.body)
        except UnsafeXML as exc:
            raise BadRequest(str(exc)) from None
        return {
            "from": _xpath_text(root, config["mo_from_xpath"], "from"),
            "text": _xpath_text(root, config.get("mo_text_xpath") or "//text", "text"),
            "date": _xpath_text(root, config["mo_date_xpath"], "date")
            if config.get("mo_date_xpath")
            else None,
            "id": _xpath_text(root, config["mo_id_xpath"], "id") if config.get("mo_id_xpath") else None,
        }
    params = request_params(request)
    from_field = config.get("mo_from_field") or "from"
    return {
        "from": params.get(from_field) or params.get("sender"),
        "text": params.get(config.get("mo_text_field") or "text"),
        "date": params.get(config.get("mo_date_field") or "date"),
        "id": params.get(config.get("mo_id_field") or "id"),
    }


def receive(request: HttpRequest, channel: Channel) -> HttpResponse:
    if request.method not in ("GET", "POST"):
        return JsonResponse({"error": "use GET or POST"}, status=405)
    fields = _inbound_fields(request, channel)
    sender = fields["from"]
    if not sender or not isinstance(sender, str):
        raise BadRequest("missing required field 'from' (or 'sender')")
    text = fields["text"]
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise BadRequest("'text' must be a string")
    received_on = parse_date(fields["date"]) if fields["date"] else None
    external_id = fields["id"] if isinstance(fields["id"], str | int) else None
    result = ingest.receive(
        channel=channel,
        sender=sender,
        text=text,
        external_id=str(external_id) if external_id not in (None, "") else None,
        received_on=received_on,
    )
    if channel.config.get("mo_response"):
        return HttpResponse(
            channel.config["mo_response"],
            content_type=channel.config.get("mo_response_content_type") or "text/plain",
        )
    return JsonResponse(
        {
            "message": "Message Accepted",
            "uuid": result.uuid,
            "data": [
                {
                    "type": "msg",
                    "channel_uuid": str(channel.uuid),
                    "msg_uuid": result.uuid,
                    "urn": result.urn,
                    "text": text,
                    "duplicate": result.duplicate,
                }
            ],
        }
    )


def _status_handler(new_status: str):  # type: ignore[no-untyped-def]
    def handle(request: HttpRequest, channel: Channel) -> HttpResponse:
        params = request_params(request)
        msg = status.find_outbound(channel=channel, msg_id=params.get("id"), msg_uuid=params.get("uuid"))
        error = str(params.get("error") or params.get("reason") or "")
        applied = status.update_status(
            msg=msg, status=new_status, error=error, source="callback", data=params
        )
        return JsonResponse(
            {
                "message": "Status Update Accepted" if applied else "Status Update Ignored",
                "uuid": str(msg.uuid),
                "status": msg.status,
            }
        )

    return handle


handle_sent = _status_handler(MsgStatus.SENT)
handle_delivered = _status_handler(MsgStatus.DELIVERED)
handle_failed = _status_handler(MsgStatus.FAILED)


def stopped(request: HttpRequest, channel: Channel) -> HttpResponse:
    params = request_params(request)
    sender = params.get("from") or params.get("sender")
    if not sender or not isinstance(sender, str):
        raise BadRequest("missing required field 'from'")
    contact = ingest.stop_contact(channel=channel, sender=sender)
    return JsonResponse({"message": "Contact Stopped", "contact": str(contact.uuid)})
