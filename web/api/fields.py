"""Custom contact fields: list, create, rename, delete. Addressed by key (or uuid)."""

from __future__ import annotations

from typing import Any

from ninja import Router, Schema

from channels_app.models import ContactField
from channels_app.services import fields as field_service
from web.api.schemas import ErrorOut
from web.requests import WorkspaceRequest

router = Router(tags=["fields"])


class FieldIn(Schema):
    key: str = ""  # made from the name when left out
    name: str
    value_type: str = "text"  # text, number, datetime, state, district or ward


class FieldPatch(Schema):
    name: str


class FieldOut(Schema):
    uuid: str
    key: str
    name: str
    value_type: str


def _field(request: WorkspaceRequest, ref: str) -> ContactField | None:
    return field_service.find_field(workspace=request.workspace, ref=ref)


@router.get("", response=list[FieldOut], summary="List contact fields", description="By key.")
def list_fields(request: WorkspaceRequest) -> list[dict[str, Any]]:
    return [field_service.field_payload(f) for f in field_service.list_fields(workspace=request.workspace)]


@router.post(
    "",
    response={201: FieldOut, 400: ErrorOut},
    summary="Create a contact field",
    description="`key` is what flows use (`@fields.<key>`) and what contacts' `fields` are keyed by: "
    "1-36 lowercase letters, digits or underscores, starting with a letter; it can't change later.",
)
def create_field(request: WorkspaceRequest, payload: FieldIn) -> Any:
    try:
        field = field_service.create_field(
            workspace=request.workspace,
            key=payload.key,
            name=payload.name,
            value_type=payload.value_type,
        )
    except field_service.FieldError as exc:
        return 400, {"error": str(exc)}
    return 201, field_service.field_payload(field)


@router.get("/{field_key}", response={200: FieldOut, 404: ErrorOut}, summary="Get a contact field")
def get_field(request: WorkspaceRequest, field_key: str) -> Any:
    field = _field(request, field_key)
    if field is None:
        return 404, {"error": "field not found"}
    return field_service.field_payload(field)


@router.patch(
    "/{field_key}",
    response={200: FieldOut, 400: ErrorOut, 404: ErrorOut},
    summary="Rename a contact field",
    description="Only the name changes; the key and type stay.",
)
def rename_field(request: WorkspaceRequest, field_key: str, payload: FieldPatch) -> Any:
    field = _field(request, field_key)
    if field is None:
        return 404, {"error": "field not found"}
    try:
        field_service.rename_field(field=field, name=payload.name)
    except field_service.FieldError as exc:
        return 400, {"error": str(exc)}
    return field_service.field_payload(field)


@router.delete(
    "/{field_key}",
    response={204: None, 404: ErrorOut},
    summary="Delete a contact field",
    description="Its values are removed from every contact too.",
)
def delete_field(request: WorkspaceRequest, field_key: str) -> Any:
    field = _field(request, field_key)
    if field is None:
        return 404, {"error": "field not found"}
    field_service.delete_field(field=field)
    return 204, None
