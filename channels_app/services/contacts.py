from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from channels_app import urns
from channels_app.models import Contact, ContactURN, Workspace


class ContactError(ValueError):
    pass


@transaction.atomic
def create_contact(
    *,
    workspace: Workspace,
    name: str = "",
    urn_list: list[str] | None = None,
    language: str = "",
    fields: dict[str, Any] | None = None,
    country: str = "",
) -> Contact:
    identities = []
    for raw in urn_list or []:
        try:
            identities.append(urns.normalize(raw, country))
        except urns.InvalidURN as exc:
            raise ContactError(str(exc)) from None
    taken = ContactURN.objects.filter(workspace=workspace, identity__in=identities, contact__isnull=False)
    if taken.exists():
        raise ContactError(f"URN {taken.first().identity} belongs to another contact")  # type: ignore[union-attr]
    contact = Contact.objects.create(workspace=workspace, name=name, language=language, fields=fields or {})
    for priority, identity in enumerate(identities):
        scheme, path = urns.split(identity)
        try:
            ContactURN.objects.update_or_create(
                workspace=workspace,
                identity=identity,
                defaults={"contact": contact, "scheme": scheme, "path": path, "priority": 1000 - priority},
            )
        except IntegrityError:
            raise ContactError(f"URN {identity} belongs to another contact") from None
    return contact


def contact_payload(contact: Contact) -> dict[str, Any]:
    return {
        "uuid": str(contact.uuid),
        "name": contact.name,
        "language": contact.language,
        "status": contact.status,
        "urns": [u.identity for u in contact.urns.all()],
        "fields": contact.fields,
        "created_on": contact.created_on,
    }
