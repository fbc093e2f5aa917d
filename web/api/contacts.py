"""Contacts: list (search, group, dates, cursor), create, get, edit, delete."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpResponse
from ninja import Router, Schema

from channels_app.models import Contact
from channels_app.services.contact_query import QueryError, to_q
from channels_app.services.contacts import (
    ContactError,
    contact_payload,
    create_contact,
    delete_contact,
    update_contact,
)
from channels_app.services.groups import GroupError, resolve_groups
from channels_app.services.search_terms import match_contacts
from web.api.common import get_or_404, keyset_page
from web.api.filters import AFTER_BEFORE_DOC, date_range
from web.api.schemas import ContactIn, ContactOut, ErrorOut
from web.requests import WorkspaceRequest

router = Router(tags=["contacts"])


class GroupRefOut(Schema):
    uuid: str
    name: str


class ContactDetailOut(ContactOut):
    groups: list[GroupRefOut]
    modified_on: datetime


class ContactCreateIn(ContactIn):
    groups: list[str] = []  # uuids or names of the workspace's groups


class ContactPatch(Schema):
    name: str | None = None
    language: str | None = None
    fields: dict[str, Any] | None = None  # merged by key; null clears one value
    groups: list[str] | None = None  # replaces the hand-managed groups
    urns: list[str] | None = None  # replaces the URNs, first = preferred


def _contacts(request: WorkspaceRequest) -> Any:
    return Contact.objects.filter(workspace=request.workspace).prefetch_related("urns", "groups")


@router.get(
    "",
    response={200: list[ContactDetailOut], 400: ErrorOut, 404: ErrorOut},
    summary="List contacts",
    description='Newest first. `query` is RapidPro\'s contact query language (`name ~ "ami" AND '
    'age > 18`, `district = "Kigali"`, `tel ~ 0788`, `has group`, OR, parentheses; a bad query is '
    "a 400 saying why); `search` matches the name or a URN; `group` is a group uuid or name. "
    + AFTER_BEFORE_DOC.format(field="created_on")
    + " `offset` (without `cursor`) is kept for old clients.",
)
def list_contacts(
    request: WorkspaceRequest,
    response: HttpResponse,
    search: str = "",
    query: str = "",
    group: str = "",
    after: datetime | None = None,
    before: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
    cursor: str = "",
) -> Any:
    qs = _contacts(request)
    if search:
        # by number (exact), name or URN through their indexes; no join on URNs, so no DISTINCT
        qs = qs.filter(id__in=match_contacts(workspace_id=request.workspace.id, query=search).contacts)
    if query.strip():
        try:
            qs = qs.filter(to_q(workspace=request.workspace, query=query))
        except QueryError as exc:
            return 400, {"error": f"invalid query: {exc}"}
    if group:
        try:
            found = resolve_groups(workspace=request.workspace, refs=[group])
        except GroupError:
            return 404, {"error": "group not found"}
        qs = qs.filter(groups=found[0])
    qs = date_range(qs, "created_on", after=after, before=before)
    if cursor or not offset:
        return [
            contact_payload(c)
            for c in keyset_page(request, qs, cursor=cursor, limit=limit, response=response)
        ]
    limit, offset = max(1, min(limit, 1000)), max(0, offset)
    return [contact_payload(c) for c in qs.order_by("-id")[offset : offset + limit]]


@router.post(
    "",
    response={201: ContactDetailOut, 400: ErrorOut},
    summary="Create a contact",
    description="URNs are normalised (`tel:` numbers to E.164) and must not belong to another contact; "
    "`fields` keys must be fields of the workspace (see /api/v1/fields) and values fit their type; "
    "`groups` are uuids or names of hand-managed groups.",
)
def add_contact(request: WorkspaceRequest, payload: ContactCreateIn) -> Any:
    try:
        contact = create_contact(
            workspace=request.workspace,
            name=payload.name,
            urn_list=payload.urns,
            language=payload.language,
            fields=payload.fields,
            groups=payload.groups,
        )
    except ContactError as exc:
        return 400, {"error": str(exc)}
    return 201, contact_payload(_contacts(request).get(id=contact.id))


@router.get("/{contact_uuid}", response={200: ContactDetailOut, 404: ErrorOut}, summary="Get a contact")
def get_contact(request: WorkspaceRequest, contact_uuid: str) -> Any:
    return contact_payload(get_or_404(Contact, request, contact_uuid))


@router.patch(
    "/{contact_uuid}",
    response={200: ContactDetailOut, 400: ErrorOut, 404: ErrorOut},
    summary="Edit a contact",
    description="Only the parts given change. `fields` is merged key by key (null clears a value); "
    "`groups` replaces the contact's hand-managed groups (query groups are untouched); `urns` "
    "replaces its URNs, normalised like on create — dropped URNs are detached, not deleted.",
)
def edit_contact(request: WorkspaceRequest, contact_uuid: str, payload: ContactPatch) -> Any:
    contact = get_or_404(Contact, request, contact_uuid)
    try:
        update_contact(
            contact=contact,
            name=payload.name,
            language=payload.language,
            fields=payload.fields,
            groups=payload.groups,
            urn_list=payload.urns,
        )
    except ContactError as exc:
        return 400, {"error": str(exc)}
    return contact_payload(_contacts(request).get(id=contact.id))


@router.delete(
    "/{contact_uuid}",
    response={204: None, 404: ErrorOut},
    summary="Delete a contact",
    description="A real delete of the contact, its field values, group memberships and flow runs. "
    "Its messages and calls are kept without a contact and its URNs are detached, so history "
    "still shows the address; a new message from it makes a new contact.",
)
def remove_contact(request: WorkspaceRequest, contact_uuid: str) -> Any:
    delete_contact(contact=get_or_404(Contact, request, contact_uuid))
    return 204, None
