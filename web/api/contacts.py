from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from ninja import Router

from channels_app.models import Contact
from channels_app.services.contacts import ContactError, contact_payload, create_contact
from web.api.common import get_or_404
from web.api.schemas import ContactIn, ContactOut, ErrorOut

router = Router(tags=["contacts"])


@router.get("", response=list[ContactOut])
def list_contacts(
    request: HttpRequest, search: str = "", limit: int = 100, offset: int = 0
) -> list[dict[str, Any]]:
    qs = Contact.objects.filter(workspace=request.workspace).prefetch_related("urns").order_by("-id")  # type: ignore[attr-defined]
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(urns__identity__icontains=search)).distinct()
    limit, offset = max(1, min(limit, 1000)), max(0, offset)
    return [contact_payload(c) for c in qs[offset : offset + limit]]


@router.post("", response={201: ContactOut, 400: ErrorOut})
def add_contact(request: HttpRequest, payload: ContactIn) -> Any:
    try:
        contact = create_contact(
            workspace=request.workspace,  # type: ignore[attr-defined]
            name=payload.name,
            urn_list=payload.urns,
            language=payload.language,
            fields=payload.fields,
        )
    except ContactError as exc:
        return 400, {"error": str(exc)}
    return 201, contact_payload(contact)


@router.get("/{contact_uuid}", response={200: ContactOut, 404: ErrorOut})
def get_contact(request: HttpRequest, contact_uuid: str) -> Any:
    return contact_payload(get_or_404(Contact, request, contact_uuid))
