"""Shared set-up for campaign tests: a dated group of contacts, created fast (the contacts are
set-up, the campaign under test goes through the API)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.conf import settings

from channels_app.models import Contact, ContactField, ContactGroup, ContactURN


def post(api: Any, path: str, body: dict[str, Any]) -> Any:
    return api.post(path, data=json.dumps(body), content_type="application/json")


def patch(api: Any, path: str, body: dict[str, Any]) -> Any:
    return api.patch(path, data=json.dumps(body), content_type="application/json")


def dated_group(
    workspace: Any, *, count: int, base: dt.datetime, languages: tuple[str, ...] = ("",)
) -> tuple[ContactGroup, list[Contact]]:
    """`count` contacts in group "Mothers", each with an `edd` date `i` hours after `base`."""
    ContactField.objects.get_or_create(
        workspace=workspace, key="edd", defaults={"name": "EDD", "value_type": "datetime"}
    )
    group = ContactGroup.objects.create(workspace=workspace, name="Mothers")
    contacts = Contact.objects.bulk_create(
        [
            Contact(
                workspace=workspace,
                name=f"Mother {i}",
                language=languages[i % len(languages)],
                fields={"edd": (base + dt.timedelta(hours=i)).isoformat()},
            )
            for i in range(count)
        ]
    )
    ContactURN.objects.bulk_create(
        [
            ContactURN(
                workspace=workspace,
                contact=c,
                identity=f"tel:+25078{8000000 + i}",
                scheme="tel",
                path=f"+25078{8000000 + i}",
            )
            for i, c in enumerate(contacts)
        ]
    )
    group.contacts.add(*contacts)
    return group, contacts


def set_clock(when: dt.datetime) -> None:
    settings.FLOWGATE_CLOCK = when.isoformat()
