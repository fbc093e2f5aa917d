"""Webhook handlers of External API channels: receive, sent/delivered/failed, stopped."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from lxml import etree

from aggregators.xmlsafe import UnsafeXML, parse_xml
from channels_app.inbound import InboundFields, InboundRequest
from channels_app.models import Channel, MsgStatus
from channels_app.services import ingest, status
from channels_app.views import BadRequest


def inbound_request(request: HttpRequest) -> InboundRequest:
    content_type = (request.content_type or "").lower()
    return InboundRequest(
        method=request.method or "GET",
        content_type=content_type,
        query={k: str(v) for k, v in request.GET.items()},
        body=b"" if content_type == "multipart/form-data" else request.body,
        form={k: str(v) for k, v in request.POST.items()} if content_type == "multipart/form-data" else None,
    )


def request_params(request: HttpRequest) -> dict[str, Any]:
    return inbound_request(request).params()


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


def _raw_fields(channel: Channel, request: InboundRequest) -> dict[str, Any]:
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
    params = request.params()
    from_field = config.get("mo_from_field") or "from"
    return {
        "from": params.get(from_field) or params.get("sender"),
        "text": params.get(config.get("mo_text_field") or "text"),
        "date": params.get(config.get("mo_date_field") or "date"),
        "id": params.get(config.get("mo_id_field") or "id"),
    }


def parse_inbound(channel: Channel, request: InboundRequest) -> InboundFields:
    """Validate an inbound post; raises BadRequest with a message the aggregator can act on."""
    if request.method not in ("GET", "POST"):
        raise BadRequest("use GET or POST")
    fields = _raw_fields(channel, request)
    sender = fields["from"]
    if isinstance(sender, int):
        sender = str(sender)
    if not sender or not isinstance(sender, str):
        raise BadRequest("missing required field 'from' (or 'sender')")
    text = fields["text"]
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise BadRequest("'text' must be a string")
    external_id = fields["id"]
    return InboundFields(
        sender=sender,
        text=text,
        external_id=str(external_id) if isinstance(external_id, str | int) and external_id != "" else None,
        received_on=parse_date(fields["date"]) if fields["date"] else None,
    )


def inbound_response(
    channel: Channel, received: ingest.Received, fields: InboundFields
) -> tuple[int, str, bytes]:
    """The answer to an accepted post: the channel's fixed body, or JSON naming the message."""
    if channel.config.get("mo_response"):
        content_type = channel.config.get("mo_response_content_type") or "text/plain"
        return 200, content_type, str(channel.config["mo_response"]).encode()
    payload = {
        "message": "Message Accepted",
        "uuid": received.uuid,
        "data": [
            {
                "type": "msg",
                "channel_uuid": str(channel.uuid),
                "msg_uuid": received.uuid,
                "urn": received.urn,
                "text": fields.text,
                "duplicate": received.duplicate,
            }
        ],
    }
    return 200, "application/json", json.dumps(payload).encode()


def receive(request: HttpRequest, channel: Channel) -> HttpResponse:
    fields = parse_inbound(channel, inbound_request(request))
    received = ingest.receive(
        channel=channel,
        sender=fields.sender,
        text=fields.text,
        external_id=fields.external_id,
        received_on=fields.received_on,
    )
    status_code, content_type, body = inbound_response(channel, received, fields)
    return HttpResponse(body, status=status_code, content_type=content_type)


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
