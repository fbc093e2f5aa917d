"""Webhooks of phone-connector channels: /c/xc/<uuid>/answer, /status and /incoming.

Parsing is the connector's (``map_*``); bad payloads are a 400 saying why, a call id we never
saw is a 404. Replies are the connector's ``<send_response>`` (e.g. TwiML) or a JSON receipt.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from aggregators.connector import CallEvent as MappedEvent
from aggregators.connector import PayloadError, map_answer_callback, map_incoming_call, map_status_callback
from aggregators.connector.model import SendResponse
from aggregators.exchange import payload_args
from aggregators.voice import services
from channels_app.inbound.errors import error
from channels_app.inbound.request import BadRequest
from channels_app.models import Call, Channel

ACTIONS = ("answer", "status", "incoming")


def _reply(
    send_response: SendResponse | None, channel: Channel, call: Call, event: MappedEvent
) -> HttpResponse:
    if send_response is None:
        return JsonResponse(
            {"message": "Call Update Accepted", "uuid": str(call.uuid), "status": call.status}
        )
    body, content_type = services.render_reply(
        send_response=send_response,
        channel=channel,
        call=call,
        event=event,
    )
    return HttpResponse(body, content_type=content_type)


def _connector(channel: Channel) -> services.connectors.ResolvedConnector:
    try:
        return services.phone_connector(channel)
    except services.CallError as exc:
        raise BadRequest(str(exc)) from None


def answer(request: HttpRequest, channel: Channel) -> HttpResponse:
    args = payload_args(request)
    resolved = _connector(channel)
    try:
        event = map_answer_callback(resolved.parsed, **args)
    except PayloadError as exc:
        raise BadRequest(str(exc)) from None
    try:
        call = services.apply_answer(channel=channel, event=event, hint=request.GET.get("call", ""))
    except services.CallNotFound as exc:
        return error(str(exc), 404)
    section = resolved.parsed.answer_callback
    return _reply(section.send_response if section else None, channel, call, event)


def status(request: HttpRequest, channel: Channel) -> HttpResponse:
    args = payload_args(request)
    resolved = _connector(channel)
    try:
        event = map_status_callback(resolved.parsed, **args)
    except PayloadError as exc:
        raise BadRequest(str(exc)) from None
    try:
        call = services.apply_status(channel=channel, event=event, hint=request.GET.get("call", ""))
    except services.CallNotFound as exc:
        return error(str(exc), 404)
    return JsonResponse(
        {
            "message": "Status Update Accepted",
            "uuid": str(call.uuid),
            "status": call.status,
            "call_id": event.call_id,
        }
    )


def incoming(request: HttpRequest, channel: Channel) -> HttpResponse:
    args = payload_args(request)
    resolved = _connector(channel)
    try:
        event = map_incoming_call(resolved.parsed, **args)
    except PayloadError as exc:
        raise BadRequest(str(exc)) from None
    try:
        call, _created = services.receive_incoming(channel=channel, event=event)
    except services.CallError as exc:
        raise BadRequest(str(exc)) from None
    section = resolved.parsed.incoming_call
    return _reply(section.send_response if section else None, channel, call, event)


VIEWS = {"answer": answer, "status": status, "incoming": incoming}
