"""Campaigns and campaign events (RapidPro API v2 shapes), and each event's fires."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpResponse
from ninja import Router, Schema

from campaigns.models import Campaign, CampaignEvent, EventFire
from campaigns.services import editing
from campaigns.services.transfer import export_campaign
from web.api.common import get_or_404, keyset_page
from web.api.schemas import ErrorOut
from web.requests import WorkspaceRequest

router = Router(tags=["campaigns"])
events_router = Router(tags=["campaigns"])


class Ref(Schema):
    uuid: str
    name: str


class CampaignIn(Schema):
    name: str
    group: str  # uuid or name


class CampaignPatch(Schema):
    name: str | None = None
    group: str | None = None
    archived: bool | None = None


class CampaignOut(Schema):
    uuid: str
    name: str
    archived: bool
    group: Ref
    created_on: datetime


class FieldRef(Schema):
    key: str
    name: str


class EventIn(Schema):
    campaign: str | None = None  # uuid; required on create
    relative_to: str | None = None  # a datetime field's key
    offset: int | None = None
    unit: str | None = None  # minutes | hours | days | weeks
    delivery_hour: int | None = None  # -1 or 0..23, in the workspace's time zone
    message: dict[str, str] | str | None = None  # language code -> text
    base_language: str | None = None
    flow: str | None = None  # uuid
    start_mode: str | None = None  # interrupt | skip | passive


class EventOut(Schema):
    uuid: str
    campaign: Ref
    relative_to: FieldRef
    offset: int
    unit: str
    delivery_hour: int
    message: dict[str, str] | None
    base_language: str | None
    flow: Ref | None
    start_mode: str
    created_on: datetime


class ContactRef(Schema):
    uuid: str
    name: str


class FireOut(Schema):
    contact: ContactRef
    scheduled: datetime
    fired_on: datetime | None
    result: str | None  # sent | started | skipped | failed; null while scheduled
    detail: str | None


def _campaign(request: WorkspaceRequest, campaign_uuid: str) -> Campaign:
    return get_or_404(Campaign, request, campaign_uuid)


def _event(request: WorkspaceRequest, event_uuid: str) -> CampaignEvent:
    return get_or_404(CampaignEvent, request, event_uuid, is_active=True)


@router.get("", response=list[CampaignOut], summary="List campaigns")
def list_campaigns(request: WorkspaceRequest) -> list[dict[str, Any]]:
    rows = Campaign.objects.filter(workspace=request.workspace).select_related("group")
    return [editing.campaign_payload(c) for c in rows]


@router.post("", response={201: CampaignOut, 400: ErrorOut}, summary="Create a campaign")
def create_campaign(request: WorkspaceRequest, payload: CampaignIn) -> Any:
    try:
        workspace = request.workspace
        campaign = editing.create_campaign(workspace=workspace, name=payload.name, group=payload.group)
    except editing.CampaignError as exc:
        return 400, {"error": str(exc)}
    return 201, editing.campaign_payload(campaign)


@router.get("/{campaign_uuid}", response={200: CampaignOut, 404: ErrorOut}, summary="Get a campaign")
def get_campaign(request: WorkspaceRequest, campaign_uuid: str) -> Any:
    return editing.campaign_payload(_campaign(request, campaign_uuid))


@router.get("/{campaign_uuid}/export", response={200: dict, 404: ErrorOut}, summary="Export a campaign")
def export(request: WorkspaceRequest, campaign_uuid: str) -> Any:
    """A RapidPro version 13 export holding the campaign (import it with POST /api/v1/flows/import)."""
    from flows.services.definitions import export_flows

    campaign = _campaign(request, campaign_uuid)
    flows = [
        e.flow for e in campaign.events.filter(is_active=True, flow__isnull=False).select_related("flow")
    ]
    data = export_flows(flows=[f for f in flows if f is not None])
    data["campaigns"] = [export_campaign(campaign)]
    return data


@router.patch(
    "/{campaign_uuid}", response={200: CampaignOut, 400: ErrorOut, 404: ErrorOut}, summary="Change a campaign"
)
def update_campaign(request: WorkspaceRequest, campaign_uuid: str, payload: CampaignPatch) -> Any:
    campaign = _campaign(request, campaign_uuid)
    try:
        editing.update_campaign(
            campaign=campaign, name=payload.name, group=payload.group, archived=payload.archived
        )
    except editing.CampaignError as exc:
        return 400, {"error": str(exc)}
    return editing.campaign_payload(campaign)


@router.delete("/{campaign_uuid}", response={204: None, 404: ErrorOut}, summary="Delete a campaign")
def delete_campaign(request: WorkspaceRequest, campaign_uuid: str) -> Any:
    editing.delete_campaign(campaign=_campaign(request, campaign_uuid))
    return 204, None


@events_router.get("", response=list[EventOut], summary="List campaign events")
def list_events(request: WorkspaceRequest, campaign: str = "") -> Any:
    rows = CampaignEvent.objects.filter(workspace=request.workspace, is_active=True).select_related(
        "campaign", "relative_to", "flow"
    )
    if campaign:
        rows = rows.filter(campaign=_campaign(request, campaign))
    return [editing.event_payload(e) for e in rows]


@events_router.post(
    "", response={201: EventOut, 400: ErrorOut, 404: ErrorOut}, summary="Create a campaign event"
)
def create_event(request: WorkspaceRequest, payload: EventIn) -> Any:
    """Everyone in the campaign's group is scheduled in the background right after."""
    if not payload.campaign:
        return 400, {"error": "campaign: give the campaign's uuid"}
    campaign = _campaign(request, payload.campaign)
    try:
        event = editing.create_event(
            workspace=request.workspace,
            campaign=campaign,
            data=payload.dict(exclude_unset=True, exclude={"campaign"}),
        )
    except editing.CampaignError as exc:
        return 400, {"error": str(exc)}
    return 201, editing.event_payload(event)


@events_router.get("/{event_uuid}", response={200: EventOut, 404: ErrorOut}, summary="Get a campaign event")
def get_event(request: WorkspaceRequest, event_uuid: str) -> Any:
    return editing.event_payload(_event(request, event_uuid))


@events_router.patch(
    "/{event_uuid}", response={200: EventOut, 400: ErrorOut, 404: ErrorOut}, summary="Change a campaign event"
)
def update_event(request: WorkspaceRequest, event_uuid: str, payload: EventIn) -> Any:
    """A change of timing reschedules everyone in the background."""
    event = _event(request, event_uuid)
    try:
        editing.update_event(event=event, data=payload.dict(exclude_unset=True, exclude={"campaign"}))
    except editing.CampaignError as exc:
        return 400, {"error": str(exc)}
    return editing.event_payload(event)


@events_router.delete("/{event_uuid}", response={204: None, 404: ErrorOut}, summary="Delete a campaign event")
def delete_event(request: WorkspaceRequest, event_uuid: str) -> Any:
    editing.delete_event(event=_event(request, event_uuid))
    return 204, None


@events_router.get(
    "/{event_uuid}/fires", response={200: list[FireOut], 404: ErrorOut}, summary="An event's fires"
)
def list_fires(
    request: WorkspaceRequest,
    response: HttpResponse,
    event_uuid: str,
    status: str = "",
    cursor: str = "",
    limit: int = 100,
) -> Any:
    """Scheduled (`fired_on` null) and fired, newest rows first; `status=scheduled|fired` filters."""
    event = _event(request, event_uuid)
    rows = EventFire.objects.filter(event=event).select_related("contact")
    if status == "scheduled":
        rows = rows.filter(fired_on__isnull=True)
    elif status == "fired":
        rows = rows.filter(fired_on__isnull=False)
    return [
        editing.fire_payload(f)
        for f in keyset_page(request, rows, cursor=cursor, limit=limit, response=response)
    ]
