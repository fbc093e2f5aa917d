"""Tickets and topics, resthook subscribers, the airtime service and LLM services: what the
open_ticket, call_resthook, transfer_airtime and call_llm flow actions use."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpResponse
from ninja import Router, Schema

from flows.service_models import AirtimeService, LLMService, ResthookSubscriber, Ticket, Topic
from flows.services import service_actions as svc
from web.api.common import get_or_404, keyset_page
from web.api.schemas import ErrorOut
from web.requests import WorkspaceRequest

tickets_router = Router(tags=["tickets"])
topics_router = Router(tags=["tickets"])
ticket_actions_router = Router(tags=["tickets"])
resthooks_router = Router(tags=["resthooks"])
airtime_router = Router(tags=["airtime"])
llms_router = Router(tags=["llms"])


class Ref(Schema):
    uuid: str
    name: str


class TicketOut(Schema):
    uuid: str
    contact: Ref
    topic: Ref | None
    status: str
    assignee: str | None
    note: str
    opened_on: datetime
    closed_on: datetime | None


class TopicIn(Schema):
    name: str


class TopicOut(Schema):
    uuid: str
    name: str
    created_on: datetime


class SubscriberIn(Schema):
    resthook: str
    target_url: str


class SubscriberOut(Schema):
    uuid: str
    resthook: str
    target_url: str
    created_on: datetime


class AirtimeIn(Schema):
    url: str
    method: str = "POST"
    headers: dict[str, str] = {}
    authorization: str = ""
    body: str = ""
    currency: str
    response_mapping: dict[str, str] = {}


class AirtimeOut(Schema):
    url: str
    method: str
    headers: dict[str, str]
    authorization: str  # masked
    body: str
    currency: str
    response_mapping: dict[str, str]


class LLMIn(Schema):
    name: str
    url: str
    api_key: str = ""
    model: str


class LLMOut(Schema):
    uuid: str
    name: str
    url: str
    model: str
    api_key: str  # masked
    created_on: datetime


@tickets_router.get("", response={200: list[TicketOut], 400: ErrorOut}, summary="List tickets")
def list_tickets(
    request: WorkspaceRequest,
    response: HttpResponse,
    status: str = "",
    contact: str = "",
    cursor: str = "",
    limit: int = 100,
) -> Any:
    """Newest first; `status` (open|closed) and `contact` (uuid) filter."""
    qs = Ticket.objects.filter(workspace=request.workspace).select_related("contact", "topic")
    if status:
        if status not in ("open", "closed"):
            return 400, {"error": "status must be open or closed"}
        qs = qs.filter(status=status)
    if contact:
        contact_uuid = _uuid_or_none(contact)
        if contact_uuid is None:
            return 200, []  # no contact has that id
        qs = qs.filter(contact__uuid=contact_uuid)
    return 200, [
        svc.ticket_payload(t) for t in keyset_page(request, qs, cursor=cursor, limit=limit, response=response)
    ]


class TicketPatch(Schema):
    status: str | None = None  # open | closed
    assignee: str | None = None  # a member's email; "" unassigns


@tickets_router.patch(
    "/{ticket_uuid}", response={200: TicketOut, 400: ErrorOut, 404: ErrorOut}, summary="Update a ticket"
)
def update_ticket(request: WorkspaceRequest, ticket_uuid: str, payload: TicketPatch) -> Any:
    """Close or reopen (`status`) and assign (`assignee`, a member of the workspace)."""
    from flows.services import tickets as ticket_service

    ticket = get_or_404(Ticket, request, ticket_uuid)
    author = getattr(getattr(request.auth, "user", None) or request.auth, "email", "") or ""  # type: ignore[attr-defined]
    try:
        if payload.assignee is not None:
            ticket_service.assign(ticket=ticket, assignee=payload.assignee, author=author)
        if payload.status is not None:
            ticket_service.set_status(ticket=ticket, status=payload.status, author=author)
    except ticket_service.TicketError as exc:
        return 400, {"error": str(exc)}
    return 200, svc.ticket_payload(ticket)


def _uuid_or_none(value: str) -> str | None:
    import uuid

    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


class TicketActionIn(Schema):
    tickets: list[str]
    action: str
    assignee: str = ""
    note: str = ""


@ticket_actions_router.post("", response={200: list[TicketOut], 400: ErrorOut}, summary="Act on tickets")
def ticket_actions(request: WorkspaceRequest, payload: TicketActionIn) -> Any:
    """`action`: assign (`assignee`, an email; empty unassigns), note, close, reopen."""
    try:
        rows = svc.act_on_tickets(
            workspace=request.workspace,
            tickets=payload.tickets,
            action=payload.action,
            assignee=payload.assignee,
            note=payload.note,
        )
    except svc.ServiceConfigError as exc:
        return 400, {"error": str(exc)}
    return 200, [svc.ticket_payload(t) for t in rows]


@topics_router.get("", response=list[TopicOut])
def list_topics(request: WorkspaceRequest) -> list[dict[str, Any]]:
    return [svc.topic_payload(t) for t in Topic.objects.filter(workspace=request.workspace)]


@topics_router.post("", response={201: TopicOut, 400: ErrorOut})
def create_topic(request: WorkspaceRequest, payload: TopicIn) -> Any:
    try:
        topic = svc.create_topic(workspace=request.workspace, name=payload.name)
    except svc.ServiceConfigError as exc:
        return 400, {"error": str(exc)}
    return 201, svc.topic_payload(topic)


@resthooks_router.get("", response=list[SubscriberOut])
def list_subscribers(request: WorkspaceRequest) -> list[dict[str, Any]]:
    qs = ResthookSubscriber.objects.filter(workspace=request.workspace)
    return [svc.subscriber_payload(s) for s in qs]


@resthooks_router.post("", response={201: SubscriberOut, 400: ErrorOut})
def subscribe(request: WorkspaceRequest, payload: SubscriberIn) -> Any:
    try:
        s = svc.subscribe_resthook(
            workspace=request.workspace,
            resthook=payload.resthook,
            target_url=payload.target_url,
        )
    except svc.ServiceConfigError as exc:
        return 400, {"error": str(exc)}
    return 201, svc.subscriber_payload(s)


@resthooks_router.delete("/{subscriber_uuid}", response={204: None, 404: ErrorOut})
def unsubscribe(request: WorkspaceRequest, subscriber_uuid: str) -> Any:
    get_or_404(ResthookSubscriber, request, subscriber_uuid).delete()
    return 204, None


@airtime_router.get("", response={200: AirtimeOut, 404: ErrorOut})
def get_airtime(request: WorkspaceRequest) -> Any:
    service = AirtimeService.objects.filter(workspace=request.workspace).first()
    if service is None:
        return 404, {"error": "no airtime service is configured"}
    return 200, svc.airtime_payload(service)


@airtime_router.put("", response={200: AirtimeOut, 400: ErrorOut})
def put_airtime(request: WorkspaceRequest, payload: AirtimeIn) -> Any:
    try:
        service = svc.configure_airtime(workspace=request.workspace, data=payload.dict())
    except svc.ServiceConfigError as exc:
        return 400, {"error": str(exc)}
    return 200, svc.airtime_payload(service)


@airtime_router.delete("", response={204: None})
def delete_airtime(request: WorkspaceRequest) -> Any:
    AirtimeService.objects.filter(workspace=request.workspace).delete()
    return 204, None


@llms_router.get("", response=list[LLMOut])
def list_llms(request: WorkspaceRequest) -> list[dict[str, Any]]:
    return [svc.llm_payload(m) for m in LLMService.objects.filter(workspace=request.workspace)]


@llms_router.post("", response={201: LLMOut, 400: ErrorOut})
def create_llm(request: WorkspaceRequest, payload: LLMIn) -> Any:
    try:
        llm = svc.create_llm(workspace=request.workspace, data=payload.dict())
    except svc.ServiceConfigError as exc:
        return 400, {"error": str(exc)}
    return 201, svc.llm_payload(llm)


@llms_router.delete("/{llm_uuid}", response={204: None, 404: ErrorOut})
def delete_llm(request: WorkspaceRequest, llm_uuid: str) -> Any:
    get_or_404(LLMService, request, llm_uuid).delete()
    return 204, None
