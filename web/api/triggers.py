"""Triggers: keywords, schedules and other events that start flows. Thin: parse, call a service, render."""

from __future__ import annotations

from typing import Any

from ninja import Router, Schema

from channels_app.models import Channel
from flows.models import Flow, Trigger
from flows.services import triggers
from web.api.common import get_or_404
from web.api.schemas import ErrorOut
from web.requests import WorkspaceRequest

router = Router(tags=["triggers"])


class TriggerIn(Schema):
    type: str
    flow: str
    keywords: list[str] = []
    match_type: str = "starts"
    channel: str | None = None
    groups: list[str] = []
    exclude_groups: list[str] = []
    repeat: str = "never"
    weekdays: str = ""
    start_on: Any = None


@router.get("", response=list[dict[str, Any]])
def list_triggers(request: WorkspaceRequest) -> list[dict[str, Any]]:
    qs = (
        Trigger.objects.filter(workspace=request.workspace, archived=False)
        .select_related("flow", "channel")
        .prefetch_related("groups", "exclude_groups")
        .order_by("id")
    )
    return [triggers.trigger_payload(t) for t in qs]


@router.post("", response={201: Any, 400: ErrorOut, 404: ErrorOut})
def create_trigger(request: WorkspaceRequest, payload: TriggerIn) -> Any:
    from django.utils.dateparse import parse_datetime

    flow = get_or_404(Flow, request, payload.flow)
    channel = get_or_404(Channel, request, payload.channel) if payload.channel else None
    start_on = parse_datetime(str(payload.start_on)) if payload.start_on else None
    if payload.start_on and start_on is None:
        return 400, {"error": "start_on must be an ISO 8601 date and time"}
    try:
        trigger = triggers.create_trigger(
            workspace=request.workspace,
            trigger_type=payload.type,
            flow=flow,
            keywords=payload.keywords,
            match_type=payload.match_type,
            channel=channel,
            group_uuids=payload.groups,
            exclude_group_uuids=payload.exclude_groups,
            repeat=payload.repeat,
            weekdays=payload.weekdays,
            start_on=start_on,
        )
    except (triggers.TriggerError, ValueError) as exc:
        return 400, {"error": str(exc)}
    return 201, triggers.trigger_payload(trigger)


@router.delete("/{trigger_uuid}", response={204: None, 404: ErrorOut})
def delete_trigger(request: WorkspaceRequest, trigger_uuid: str) -> Any:
    trigger = get_or_404(Trigger, request, trigger_uuid, archived=False)
    trigger.archived = True
    trigger.save(update_fields=["archived"])
    return 204, None
