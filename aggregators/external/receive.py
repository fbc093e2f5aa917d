"""Webhook handlers of External API channels: receive, sent/delivered/failed, stopped."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from lxml import etree

from aggregators.xmlsafe import UnsafeXML, parse_xml
from channels_app import urns
from channels_app.inbound.request import BadRequest, InboundFields, InboundRequest
from channels_app.models import Channel, MsgStatus
from channels_app.services import ingest, status


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


# RFC 3339 as courier reads it (Go's time.RFC3339Nano): a full date, "T", a full time, optional
# fraction; we also take a missing offset as UTC, which older integrations send.
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$")
DATE_ERROR = "invalid date format, must be RFC 3339, e.g. 2012-04-23T18:25:43.511Z"


def parse_date(value: Any) -> datetime:
    if not isinstance(value, str) or not _RFC3339.match(value.strip()):
        raise BadRequest(f"{DATE_ERROR} (got {value!r})")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        raise BadRequest(f"{DATE_ERROR} (got {value!r})") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _first(params: dict[str, Any], configured: str | None, defaults: tuple[str, ...]) -> Any:
    """The configured field when the request has it, else the first default spelling present."""
    for name in (configured, *defaults) if configured else defaults:
        if name in params:
            return params[name]
    return None


def check_sender(channel: Channel, sender: str) -> None:
    """A tel channel takes numbers (short codes included) only: `MTN` is no phone number.

    Stored as `tel:MTN` it would become a contact nobody can reach, and a `stopped` for it
    would stop that phantom contact. Channels of the `ext` scheme take any id.
    """
    if channel.type.default_scheme(channel) == "tel":
        try:
            urns.check_possible_number(sender)
        except urns.InvalidURN as exc:
            raise BadRequest(str(exc)) from None


def _xpath_text(root: etree._Element, expression: str, name: str) -> str | None:
    """The text at `expression`, or None when nothing is there."""
    try:
        found = root.xpath(expression)
    except etree.XPathError as exc:
        raise BadRequest(f"the channel's XPath for {name} is invalid: {exc}") from None
    if isinstance(found, list):
        found = found[0] if found else None
    if found is None:
        return None
    if isinstance(found, etree._Element):
        return "".join(found.itertext()).strip()
    return str(found).strip()


def _raw_fields(channel: Channel, request: InboundRequest) -> dict[str, Any]:
    config = channel.config
    from_xpath = config.get("mo_from_xpath")
    if from_xpath and request.method == "POST":
        text_xpath = config.get("mo_text_xpath") or "//text"
        try:
            root = parse_xml(request.body)
        except UnsafeXML as exc:
            raise BadRequest(str(exc)) from None
        sender, text = _xpath_text(root, from_xpath, "from"), _xpath_text(root, text_xpath, "text")
        if sender is None or text is None:
            raise BadRequest(f"missing from at {from_xpath} or text at {text_xpath} in the posted XML")
        date_xpath, id_xpath = config.get("mo_date_xpath"), config.get("mo_id_xpath")
        return {
            "from": sender,
            "text": text,
            "date": _xpath_text(root, date_xpath, "date") if date_xpath else None,
            "id": _xpath_text(root, id_xpath, "id") if id_xpath else None,
        }
    params = request.params()
    return {
        "from": _first(params, config.get("mo_from_field"), ("from", "sender")),
        "text": _first(params, config.get("mo_text_field"), ("text",)),
        "date": _first(params, config.get("mo_date_field"), ("date", "time")),
        "id": _first(params, config.get("mo_id_field"), ("id",)),
    }


def parse_inbound(channel: Channel, request: InboundRequest) -> InboundFields:
    """Validate an inbound post; raises BadRequest with a message the aggregator can act on."""
    if request.method not in ("GET", "POST"):
        raise BadRequest("use GET or POST")
    fields = _raw_fields(channel, request)
    sender = fields["from"]
    if isinstance(sender, int):
        sender = str(sender)
    if not isinstance(sender, str) or not sender.strip():
        raise BadRequest("missing required field 'from': must have one of 'sender' or 'from' set")
    check_sender(channel, sender)
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


# Courier's one-letter status codes, as its answers carry them (`"status":"D"`).
STATUS_LETTERS: dict[str, str] = {
    MsgStatus.SENT: "S",
    MsgStatus.DELIVERED: "D",
    MsgStatus.FAILED: "F",
}


def courier_json(payload: dict[str, Any]) -> bytes:
    """Compact JSON like courier's answers, so aggregators that match `"status":"D"` keep working."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def inbound_response(
    channel: Channel, received: ingest.Received, fields: InboundFields
) -> tuple[int, str, bytes]:
    """The answer to an accepted post: the channel's fixed body, or courier's JSON naming the message."""
    if channel.config.get("mo_response"):
        content_type = channel.config.get("mo_response_content_type") or "text/plain"
        return 200, content_type, str(channel.config["mo_response"]).encode()
    data: dict[str, Any] = {
        "type": "msg",
        "channel_uuid": str(channel.uuid),
        "msg_uuid": received.uuid,
        "text": fields.text,
        "urn": received.urn,
    }
    if fields.attachments:
        data["attachments"] = fields.attachments
    if fields.external_id:
        data["external_id"] = fields.external_id
    if fields.received_on:
        data["received_on"] = fields.received_on.isoformat().replace("+00:00", "Z")
    data["duplicate"] = received.duplicate
    # "uuid" at the top level is Flowgate's own shorthand, kept for existing integrations.
    payload = {"message": "Message Accepted", "data": [data], "uuid": received.uuid}
    return 200, "application/json", courier_json(payload)


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


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def update_status(request: HttpRequest, channel: Channel, new_status: str) -> HttpResponse:
    """A sent/delivered/failed callback: find our message by id or uuid, apply the status."""
    params = request_params(request)
    msg_id, msg_uuid = params.get("id"), params.get("uuid")
    if msg_id in (None, "") and msg_uuid in (None, ""):
        raise BadRequest("parameters id or uuid should not be empty")
    if not msg_uuid and _is_uuid(msg_id):  # courier sends our message uuid as `id`
        msg_id, msg_uuid = None, msg_id
    msg = status.find_outbound(channel=channel, msg_id=msg_id, msg_uuid=msg_uuid)
    error = str(params.get("error") or params.get("reason") or "")
    applied = status.update_status(msg=msg, status=new_status, error=error, source="callback", data=params)
    payload = {
        "message": "Status Update Accepted" if applied else "Status Update Ignored",
        "data": [
            {
                "type": "status",
                "channel_uuid": str(channel.uuid),
                "status": STATUS_LETTERS[new_status],
                "msg_uuid": str(msg.uuid),
            }
        ],
        "uuid": str(msg.uuid),
    }
    return HttpResponse(courier_json(payload), content_type="application/json")


def _status_handler(new_status: str):  # type: ignore[no-untyped-def]
    # The handler is built at import; its logic lives in update_status, where mutation testing
    # (which switches mutants on per call) can reach it.
    def handle(request: HttpRequest, channel: Channel) -> HttpResponse:
        return update_status(request, channel, new_status)

    return handle


handle_sent = _status_handler(MsgStatus.SENT)
handle_delivered = _status_handler(MsgStatus.DELIVERED)
handle_failed = _status_handler(MsgStatus.FAILED)


def stopped(request: HttpRequest, channel: Channel) -> HttpResponse:
    params = request_params(request)
    sender = params.get("from") or params.get("sender")
    if not isinstance(sender, str) or not sender.strip():
        raise BadRequest("field 'from' required")
    check_sender(channel, sender)
    identity = urns.normalize(sender, channel.country, default_scheme=channel.type.default_scheme(channel))
    contact = ingest.stop_contact(channel=channel, sender=sender)
    event = {
        "type": "event",
        "channel_uuid": str(channel.uuid),
        "event_type": "stop_contact",
        "urn": identity,
        "received_on": timezone.now().isoformat().replace("+00:00", "Z"),
    }
    payload = {"message": "Event Accepted", "data": [event], "contact": str(contact.uuid)}
    return HttpResponse(courier_json(payload), content_type="application/json")
