"""Shared helpers of the paced-sending tests: a group of many contacts made in a few statements,
and a clock the tests move by hand."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from channels_app.models import Contact, ContactGroup, ContactURN

T0 = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)  # a Monday morning, 10:00 UTC


def make_group(
    workspace: Any,
    count: int,
    *,
    name: str = "Everybody",
    languages: tuple[str, ...] = ("",),
    first: int = 0,
) -> Any:
    """`count` active contacts with a tel URN each (+2507880xxxxx), in one group."""
    contacts = Contact.objects.bulk_create(
        [
            Contact(workspace=workspace, name=f"Person {i}", language=languages[i % len(languages)])
            for i in range(count)
        ]
    )
    ContactURN.objects.bulk_create(
        [
            ContactURN(
                workspace=workspace,
                contact=c,
                identity=f"tel:+25078{8000000 + i:07d}",
                scheme="tel",
                path=f"+25078{8000000 + i:07d}",
            )
            for i, c in enumerate(contacts, start=first)
        ]
    )
    group = ContactGroup.objects.create(workspace=workspace, name=name)
    group.contacts.add(*contacts)
    return group


def post_json(client: Any, url: str, body: Any) -> Any:
    return client.post(url, data=json.dumps(body, default=str), content_type="application/json")


def run_clock(start: dt.datetime, seconds: int, step: float = 1.0) -> list[dt.datetime]:
    """Release everything due, tick by tick, on an injected clock; returns the tick times."""
    from flows.services import pacing

    ticks = []
    t = 0.0
    while t <= seconds:
        now = start + dt.timedelta(seconds=t)
        pacing.release_due(now=now)
        ticks.append(now)
        t += step
    return ticks


def put_json(client: Any, url: str, body: Any) -> Any:
    return client.put(url, data=json.dumps(body), content_type="application/json")
