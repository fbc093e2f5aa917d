"""Flow runs: the keyset-paged list of a workspace's runs with their results. Thin: parse, call a service, render."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpResponse
from ninja import Router, Schema

from flows.models import Flow, FlowRun
from flows.services import results
from web.api.common import get_or_404, keyset_page
from web.api.filters import AFTER_BEFORE_DOC, date_range
from web.api.schemas import ErrorOut
from web.requests import WorkspaceRequest

router = Router(tags=["runs"])


class RunFlowOut(Schema):
    uuid: str
    name: str


class RunContactOut(Schema):
    uuid: str
    name: str
    urn: str | None


class RunOut(Schema):
    uuid: str
    flow: RunFlowOut
    contact: RunContactOut
    status: str
    responded: bool
    results: dict[str, Any]  # by result key: value, category, input, node, created_on
    created_on: datetime
    modified_on: datetime
    exited_on: datetime | None


def run_page(
    request: WorkspaceRequest,
    response: HttpResponse,
    qs: Any,
    *,
    after: Any,
    before: Any,
    cursor: str,
    limit: int,
) -> list[dict[str, Any]]:
    qs = date_range(qs, "created_on", after=after, before=before)
    qs = qs.select_related("flow", "contact").prefetch_related("contact__urns")
    return [
        results.run_payload(r)
        for r in keyset_page(request, qs, cursor=cursor, limit=limit, response=response)
    ]


@router.get(
    "",
    response={200: list[RunOut], 400: ErrorOut, 404: ErrorOut},
    summary="List flow runs and their results",
    description="`flow` and `contact` are uuids. " + AFTER_BEFORE_DOC.format(field="created_on"),
)
def list_runs(
    request: WorkspaceRequest,
    response: HttpResponse,
    flow: str = "",
    contact: str = "",
    after: datetime | None = None,
    before: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
    cursor: str = "",
) -> Any:
    qs = FlowRun.objects.filter(workspace=request.workspace)
    if flow:
        qs = qs.filter(flow=get_or_404(Flow, request, flow))
    if contact:
        from channels_app.models import Contact

        qs = qs.filter(contact=get_or_404(Contact, request, contact))
    if cursor or not offset:
        return run_page(request, response, qs, after=after, before=before, cursor=cursor, limit=limit)
    qs = date_range(qs, "created_on", after=after, before=before)
    qs = qs.select_related("flow", "contact").prefetch_related("contact__urns").order_by("-id")
    limit = max(1, min(limit, 1000))
    return [results.run_payload(r) for r in qs[max(offset, 0) : max(offset, 0) + limit]]
