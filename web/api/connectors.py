from __future__ import annotations

from typing import Any

from ninja import Router, Schema
from ninja.errors import HttpError

from aggregators import services
from web.requests import WorkspaceRequest

router = Router(tags=["connectors"])


class ConnectorIn(Schema):
    name: str
    xml: str


class ConnectorOut(Schema):
    uuid: str | None
    slug: str
    name: str
    kind: str
    builtin: bool
    fields: list[dict[str, Any]]
    signature: dict[str, str] | None = None  # the provider's webhook signature scheme, if declared
    warnings: list[dict[str, Any]] = []  # accepted but worth fixing (e.g. `presense`), with line:column


class ConnectorDetailOut(ConnectorOut):
    xml: str


class ConnectorErrorsOut(Schema):
    error: str
    errors: list[dict[str, Any]]


@router.post("", response={201: ConnectorOut, 400: ConnectorErrorsOut})
def upload_connector(request: WorkspaceRequest, payload: ConnectorIn) -> Any:
    try:
        row = services.upload_connector(workspace=request.workspace, name=payload.name, xml=payload.xml)
    except services.ConnectorRejected as exc:
        return 400, {"error": "invalid connector", "errors": [e.as_dict() for e in exc.errors]}
    resolved = services.get_connector(workspace=request.workspace, ref=str(row.uuid))
    from aggregators.connector import parse_connector

    warnings = [w.as_dict() for w in parse_connector(payload.xml, name=payload.name).warnings]
    return 201, {**resolved.payload(), "warnings": warnings}


@router.get("", response=list[ConnectorOut])
def list_connectors(request: WorkspaceRequest) -> list[dict[str, Any]]:
    return [c.payload() for c in services.list_connectors(workspace=request.workspace)]


@router.get("/{ref}", response={200: ConnectorDetailOut, 404: ConnectorErrorsOut})
def get_connector(request: WorkspaceRequest, ref: str) -> Any:
    try:
        resolved = services.get_connector(workspace=request.workspace, ref=ref)
    except services.ConnectorNotFound:
        raise HttpError(404, "connector not found") from None
    return resolved.payload(with_xml=True)
