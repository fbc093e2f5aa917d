"""Custom contact fields: the workspace's declared keys, and checking values against them.

Contact.fields holds one text per key (what flows read and write); a value given through the API
is checked against the field's type here and then stored as text, so flows and the API agree.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.dateparse import parse_date, parse_datetime

from channels_app.models import Contact, ContactField, Workspace
from channels_app.services.rows import save_existing

KEY = re.compile(r"^[a-z][a-z0-9_]{0,35}$")
# Keys that would shadow the contact's own attributes in `@contact.<key>` expressions.
RESERVED_KEYS = frozenset(
    {"uuid", "id", "name", "first_name", "language", "status", "urns", "urn", "groups", "fields"}
    | {"created_on", "modified_on", "last_seen_on", "channel", "timezone", "tickets"}
)
VALUE_TYPES = tuple(t for t, _ in ContactField.ValueType.choices)
MAX_VALUE_LENGTH = 640


class FieldError(ValueError):
    pass


def list_fields(*, workspace: Workspace) -> QuerySet[ContactField]:
    return ContactField.objects.filter(workspace=workspace).order_by("key")


def find_field(*, workspace: Workspace, ref: str) -> ContactField | None:
    """A field of the workspace by key or uuid (another workspace's is None)."""
    found = ContactField.objects.filter(workspace=workspace, key=ref).first()
    if found is None and _is_uuid(ref):
        found = ContactField.objects.filter(workspace=workspace, uuid=ref).first()
    return found


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise FieldError("give the field a name")
    if len(name) > 64 or not name.isprintable():
        raise FieldError("a field name has at most 64 printable characters")
    return name


def _key_from_name(name: str) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:36]
    return key if key and key[0].isalpha() else f"f_{key}"[:36]


def create_field(*, workspace: Workspace, key: str = "", name: str, value_type: str = "text") -> ContactField:
    """A new field; without a key one is made from the name (`Date of birth` -> `date_of_birth`)."""
    name = _clean_name(name)
    key = key.strip() or _key_from_name(name)
    if not KEY.match(key):
        raise FieldError(
            "a field key is 1-36 lowercase letters, digits or underscores, starting with a letter"
        )
    if key in RESERVED_KEYS:
        raise FieldError(f"{key!r} is reserved for the contact's own attributes")
    if value_type not in VALUE_TYPES:
        raise FieldError(f"value_type must be one of {', '.join(VALUE_TYPES)}")
    if ContactField.objects.filter(workspace=workspace, key=key).exists():
        raise FieldError(f"the workspace already has a field {key!r}")
    try:
        with transaction.atomic():
            return ContactField.objects.create(workspace=workspace, key=key, name=name, value_type=value_type)
    except IntegrityError:
        raise FieldError(f"the workspace already has a field {key!r}") from None


def rename_field(*, field: ContactField, name: str) -> ContactField:
    """Only the label changes: the key is what flows and stored values refer to."""
    field.name = _clean_name(name)
    save_existing(field, ["name"])
    return field


@transaction.atomic
def delete_field(*, field: ContactField) -> int:
    """Delete the field and its values on every contact; returns how many contacts had one."""
    cleared = []
    for contact in Contact.objects.filter(workspace_id=field.workspace_id, fields__has_key=field.key):
        contact.fields.pop(field.key, None)
        cleared.append(contact)
    Contact.objects.bulk_update(cleared, ["fields"], batch_size=500)
    field.delete()
    return len(cleared)


def field_payload(field: ContactField) -> dict[str, Any]:
    return {"uuid": str(field.uuid), "key": field.key, "name": field.name, "value_type": field.value_type}


def clean_values(*, workspace: Workspace, values: dict[str, Any]) -> dict[str, str | None]:
    """Field values as stored text, checked against the declared fields; None clears a value.

    Every problem is reported at once so a client can fix its whole request.
    """
    if not isinstance(values, dict):
        raise FieldError("fields must be an object of field key -> value")
    types = dict(ContactField.objects.filter(workspace=workspace).values_list("key", "value_type"))
    problems: list[str] = []
    cleaned: dict[str, str | None] = {}
    for key, value in values.items():
        if key not in types:
            problems.append(f"{key!r} is not a field of this workspace (create it with POST /api/v1/fields)")
            continue
        try:
            cleaned[key] = _clean_value(value, types[key])
        except FieldError as exc:
            problems.append(f"{key}: {exc}")
    if problems:
        raise FieldError("; ".join(problems))
    return cleaned


def _clean_value(value: Any, value_type: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FieldError("a value is text, a number or null")
    text = str(value).strip()
    if text == "":
        return None
    if len(text) > MAX_VALUE_LENGTH or not text.isprintable():
        raise FieldError(f"a value has at most {MAX_VALUE_LENGTH} printable characters")
    if value_type == "number":
        try:
            if not Decimal(text).is_finite():
                raise InvalidOperation
        except InvalidOperation:
            raise FieldError(f"{text!r} is not a number") from None
    elif value_type == "datetime":
        try:
            ok = parse_datetime(text) or parse_date(text)
        except ValueError:
            ok = None
        if not ok:
            # without an offset, flows read it in the workspace's time zone
            raise FieldError(f"{text!r} is not an ISO 8601 date or date and time")
    return text
