"""`/api/v1/broadcasts`: paced broadcasts (issue 20), their progress, pause, resume and cancel;
`/api/v1/quiet_hours`: the workspace's quiet hours. The work is in flows/services/compose.py
and flows/services/pacing.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Router, Schema

from channels_app.models import Workspace
from flows.models import Broadcast, FlowStart, WorkspacePacing
from flows.services import compose, pacing
from web.api.common import get_or_404
from web.api.schemas import ErrorOut
from web.requests import WorkspaceRequest

router = Router(tags=["broadcasts"])
quiet_router = Router(tags=["broadcasts"])


class BroadcastIn(Schema):
    text: str | dict[str, str] | None = None
    base_language: str = ""
    template: str | None = None
    params: dict[str, Any] = {}
    groups: list[str] = []
    contacts: list[str] = []
    urns: list[str] = []
    send_at: dt.datetime | None = None
    spread_over_minutes: int = 0


def _compose_args(payload: BroadcastIn) -> dict[str, Any]:
    return {
        "text": payload.text,
        "base_language": payload.base_language,
        "template": payload.template,
        "params": payload.params,
        "group_uuids": payload.groups,
        "contact_uuids": payload.contacts,
        "urns": payload.urns,
    }


def _error(exc: compose.ComposeError) -> tuple[int, dict[str, Any]]:
    return 400, {"error": str(exc), **({"errors": exc.errors} if exc.errors else {})}


@router.get("", response=list[dict[str, Any]])
def list_broadcasts(request: WorkspaceRequest) -> list[dict[str, Any]]:
    qs = Broadcast.objects.filter(workspace=request.workspace).select_related("template")[:100]
    return [compose.broadcast_payload(b) for b in qs]


@router.post("", response={201: Any, 400: ErrorOut})
def create_broadcast(request: WorkspaceRequest, payload: BroadcastIn) -> Any:
    """`send_at` (RFC 3339 with a zone; default now) and `spread_over_minutes` (default 0) pace
    the sends evenly over the window, within each channel's max_tps and outside quiet hours."""
    try:
        broadcast = compose.create_broadcast(
            workspace=request.workspace,
            send_at=payload.send_at,
            spread_over_minutes=payload.spread_over_minutes,
            **_compose_args(payload),
        )
    except compose.ComposeError as exc:
        return _error(exc)
    return 201, compose.broadcast_payload(broadcast)


@router.post("/preview", response={200: Any, 400: ErrorOut})
def preview_broadcast(request: WorkspaceRequest, payload: BroadcastIn) -> Any:
    """The text each language's recipients would read, with their counts; nothing is sent."""
    try:
        return 200, compose.preview(workspace=request.workspace, **_compose_args(payload))
    except compose.ComposeError as exc:
        return _error(exc)


@router.get("/{broadcast_uuid}", response={200: Any, 404: ErrorOut})
def get_broadcast(request: WorkspaceRequest, broadcast_uuid: str) -> Any:
    return compose.broadcast_payload(get_or_404(Broadcast, request, broadcast_uuid))


def control(owner: Broadcast | FlowStart, action: str) -> None:
    """pause / resume / cancel; raises pacing.PaceError when the send is past that."""
    {"pause": pacing.pause, "resume": pacing.resume, "cancel": pacing.cancel}[action](owner=owner)


@router.post("/{broadcast_uuid}/{action}", response={200: Any, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def control_broadcast(request: WorkspaceRequest, broadcast_uuid: str, action: str) -> Any:
    """`action`: pause, resume or cancel (messages already queued still go out)."""
    broadcast = get_or_404(Broadcast, request, broadcast_uuid)
    if action not in ("pause", "resume", "cancel"):
        return 400, {"error": "the action is pause, resume or cancel"}
    try:
        control(broadcast, action)
    except pacing.PaceError as exc:
        return 409, {"error": str(exc)}
    return 200, compose.broadcast_payload(broadcast)


class QuietHoursIn(Schema):
    timezone: str = ""  # empty: the workspace's time zone (PATCH /api/v1/workspace sets it)
    start: str | None = None  # "21:00"
    end: str | None = None  # "07:00"


def _clock_time(value: str | None, name: str) -> dt.time | None:
    if value in (None, ""):
        return None
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{name} is a local time as HH:MM, e.g. 21:00") from None


def _quiet_payload(config: WorkspacePacing | None, workspace: Workspace) -> dict[str, Any]:
    return {
        "timezone": pacing.quiet_zone_name(config) if config else workspace.timezone,
        "follows_workspace": not (config and config.timezone),  # True: the workspace's zone
        "start": config.quiet_start.strftime("%H:%M") if config and config.quiet_start else None,
        "end": config.quiet_end.strftime("%H:%M") if config and config.quiet_end else None,
    }


@quiet_router.get("", response=dict[str, Any])
def get_quiet_hours(request: WorkspaceRequest) -> dict[str, Any]:
    config = WorkspacePacing.objects.filter(workspace=request.workspace).select_related("workspace").first()
    return _quiet_payload(config, request.workspace)


@quiet_router.put("", response={200: Any, 400: ErrorOut})
def put_quiet_hours(request: WorkspaceRequest, payload: QuietHoursIn) -> Any:
    """Paced broadcasts and flow starts wait between `start` and `end` (local "HH:MM" in
    `timezone`, e.g. 21:00-07:00; empty: the workspace's zone); replies to inbound messages never wait. null: no quiet hours."""
    try:
        config = pacing.set_quiet_hours(
            workspace_id=request.workspace.id,
            timezone_name=payload.timezone,
            start=_clock_time(payload.start, "start"),
            end=_clock_time(payload.end, "end"),
        )
    except ValueError as exc:
        return 400, {"error": str(exc)}
    return 200, _quiet_payload(config, request.workspace)
