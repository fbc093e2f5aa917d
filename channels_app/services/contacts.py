"""Contacts: create, edit (name, language, fields, groups, URNs) and delete.

Deleting is a real delete of the contact, its field values, group memberships and flow runs; its
messages and calls are kept (no longer linked to a contact) and its URNs are detached rather than
deleted, so the message history still shows who was written to and a new message from the same
number simply makes a new contact.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction

from campaigns.services import contact_changed
from channels_app import urns
from channels_app.models import Contact, ContactURN, Msg, Workspace
from channels_app.services import fields as field_service
from channels_app.services import groups as group_service

LANGUAGE = re.compile(r"^[a-z]{3}$")
MAX_URNS = 100


class ContactError(ValueError):
    pass


def _clean_name(name: str) -> str:
    name = " ".join(str(name).split())
    if len(name) > 128 or not name.isprintable():
        raise ContactError("a contact name has at most 128 printable characters")
    return name


def _clean_language(language: str) -> str:
    language = str(language).strip().lower()
    if language and not LANGUAGE.match(language):
        raise ContactError("language is an ISO 639-3 code of three letters, e.g. eng or kin")
    return language


def _identities(
    workspace: Workspace, urn_list: list[str], country: str, contact: Contact | None
) -> list[str]:
    """Normalised URNs in the given order, none owned by another contact."""
    if len(urn_list) > MAX_URNS:
        raise ContactError(f"a contact has at most {MAX_URNS} URNs")
    identities: list[str] = []
    for raw in urn_list:
        try:
            identity = urns.normalize(raw, country)
        except urns.InvalidURN as exc:
            raise ContactError(str(exc)) from None
        if len(identity) > 255 or not identity.isprintable():
            raise ContactError("a URN has at most 255 printable characters")
        if identity not in identities:
            identities.append(identity)
    taken = ContactURN.objects.filter(workspace=workspace, identity__in=identities, contact__isnull=False)
    if contact is not None:
        taken = taken.exclude(contact=contact)
    clash = taken.first()
    if clash is not None:
        raise ContactError(f"URN {clash.identity} belongs to another contact")
    return identities


def _attach(workspace: Workspace, contact: Contact, identities: list[str]) -> None:
    for priority, identity in enumerate(identities):
        scheme, path = urns.split(identity)
        try:
            with transaction.atomic():
                ContactURN.objects.update_or_create(
                    workspace=workspace,
                    identity=identity,
                    defaults={
                        "contact": contact,
                        "scheme": scheme,
                        "path": path,
                        "priority": 1000 - priority,
                    },
                )
        except IntegrityError:
            raise ContactError(f"URN {identity} belongs to another contact") from None


def _fields(workspace: Workspace, values: dict[str, Any]) -> dict[str, str | None]:
    try:
        return field_service.clean_values(workspace=workspace, values=values)
    except field_service.FieldError as exc:
        raise ContactError(str(exc)) from None


def _groups(workspace: Workspace, refs: list[str]) -> list[Any]:
    try:
        found = group_service.resolve_groups(workspace=workspace, refs=refs)
    except group_service.GroupError as exc:
        raise ContactError(str(exc)) from None
    computed = [g.name for g in found if g.query]
    if computed:
        raise ContactError(f"group {computed[0]!r} is computed from a query: it can't be set by hand")
    return found


@transaction.atomic
def create_contact(
    *,
    workspace: Workspace,
    name: str = "",
    urn_list: list[str] | None = None,
    language: str = "",
    fields: dict[str, Any] | None = None,
    country: str = "",
    groups: list[str] | None = None,
) -> Contact:
    """A new contact; field keys must be fields of the workspace, groups are uuids or names."""
    name, language = _clean_name(name), _clean_language(language)
    identities = _identities(workspace, urn_list or [], country, None)
    values = {k: v for k, v in _fields(workspace, fields or {}).items() if v is not None}
    group_rows = _groups(workspace, groups or [])
    contact = Contact.objects.create(workspace=workspace, name=name, language=language, fields=values)
    _attach(workspace, contact, identities)
    contact.groups.add(*group_rows)
    contact_changed(contact=contact, fields=list(values), groups=group_rows)
    return contact


@transaction.atomic
def update_contact(
    *,
    contact: Contact,
    name: str | None = None,
    language: str | None = None,
    fields: dict[str, Any] | None = None,
    groups: list[str] | None = None,
    urn_list: list[str] | None = None,
    country: str = "",
) -> Contact:
    """Change what is given (None leaves a part as it is).

    `fields` is merged key by key (null clears one); `groups` replaces the hand-managed groups
    (query groups are left alone); `urn_list` replaces the URNs, first = preferred. URNs dropped
    from the list are detached, not deleted, so old messages keep pointing at them.
    """
    workspace = contact.workspace
    contact = Contact.objects.select_for_update().get(id=contact.id)
    changed: set[str] = set()
    if name is not None:
        contact.name = _clean_name(name)
        changed.add("name")
    if language is not None:
        contact.language = _clean_language(language)
        changed.add("language")
    if fields is not None:
        merged = dict(contact.fields or {})
        for key, value in _fields(workspace, fields).items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        contact.fields = merged
        changed.add("fields")
    group_rows = _groups(workspace, groups) if groups is not None else None
    identities = _identities(workspace, urn_list, country, contact) if urn_list is not None else None
    if changed:
        contact.save(update_fields=[*sorted(changed), "modified_on"])
    if group_rows is not None:
        manual = contact.groups.filter(query="")
        contact.groups.remove(*[g for g in manual if g not in group_rows])
        contact.groups.add(*group_rows)
    if identities is not None:
        ContactURN.objects.filter(contact=contact).exclude(identity__in=identities).update(contact=None)
        _attach(workspace, contact, identities)
    if (group_rows is not None or identities is not None) and not changed:
        contact.save(update_fields=["modified_on"])
    contact_changed(contact=contact, fields=list(fields or {}), groups=group_rows is not None)
    return contact


@transaction.atomic
def delete_contact(*, contact: Contact) -> None:
    """See the module docstring: history is kept, the person's data goes."""
    Msg.objects.filter(contact=contact).update(contact=None)
    ContactURN.objects.filter(contact=contact).update(contact=None)
    contact.delete()


def contact_payload(contact: Contact) -> dict[str, Any]:
    return {
        "uuid": str(contact.uuid),
        "name": contact.name,
        "language": contact.language,
        "status": contact.status,
        "urns": [u.identity for u in contact.urns.all()],
        "groups": [{"uuid": str(g.uuid), "name": g.name} for g in contact.groups.all()],
        "fields": contact.fields,
        "created_on": contact.created_on,
        "modified_on": contact.modified_on,
    }
