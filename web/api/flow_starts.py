"""Flow starts: starting a flow for contacts, groups or URNs, and its progress. Thin: parse, call a service, render."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Router, Schema

from flows.models import Flow, FlowStart
from flows.services import starts
from web.api.common import get_or_404
from web.api.schemas import ErrorOut
from web.requests import WorkspaceRequest

router = Router(tags=["flow starts"])


class FlowStartIn(Schema):
    flow: str
    contacts: list[str] = []
    groups: list[str] = []
    urns: list[str] = []
    # On by default (as in RapidPro's start dialog): a contact waiting in a flow is not
    # interrupted and messaged again by a start that repeats an earlier one.
    exclude_in_flow: bool = True
    exclude_started_recently: bool = False
    params: dict[str, Any] = {}
    idempotency_key: str = ""
    send_at: datetime | None = None  # paced starts (issue 20): begin then ...
    spread_over_minutes: int = 0  # ... and start the contacts evenly over this window


@router.post("", response={200: Any, 201: Any, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def create_start(request: WorkspaceRequest, payload: FlowStartIn) -> Any:
    """Send `idempotency_key` (or an `Idempotency-Key` header) so that a retried request or a
    double click returns the first start (200) instead of starting everybody again."""
    flow = get_or_404(Flow, request, payload.flow)
    key = payload.idempotency_key or request.headers.get("Idempotency-Key", "")
    try:
        start = starts.create_flow_start(
            workspace=request.workspace,
            flow=flow,
            contact_uuids=payload.contacts,
            group_uuids=payload.groups,
            urns=payload.urns,
            exclude_in_flow=payload.exclude_in_flow,
            exclude_started_recently=payload.exclude_started_recently,
            params=payload.params,
            idempotency_key=key,
            send_at=payload.send_at,
            spread_over_minutes=payload.spread_over_minutes,
        )
    except starts.StartConflict as exc:
        return 409, {"error": str(exc)}
    except (starts.StartError, ValueError) as exc:
        return 400, {"error": str(exc)}
    return (200 if getattr(start, "replayed", False) else 201), starts.start_payload(start)


@router.get("/{start_uuid}", response={200: Any, 404: ErrorOut})
def get_start(request: WorkspaceRequest, start_uuid: str) -> Any:
    return starts.start_payload(get_or_404(FlowStart, request, start_uuid))


@router.post("/{start_uuid}/{action}", response={200: Any, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def control_start(request: WorkspaceRequest, start_uuid: str, action: str) -> Any:
    """Paced starts: `action` pause, resume or cancel (contacts already started stay started)."""
    from flows.services.pacing import PaceError
    from web.api.broadcasts import control

    start = get_or_404(FlowStart, request, start_uuid)
    if action not in ("pause", "resume", "cancel"):
        return 400, {"error": "the action is pause, resume or cancel"}
    try:
        control(start, action)
    except PaceError as exc:
        return 409, {"error": str(exc)}
    return 200, starts.start_payload(start)
