"""When each contact's campaign events fire: one pending EventFire row per contact per event.

Rows are (re)computed when a contact's date field or groups change (contact_changed), and for
everyone when an event is created or edited (schedule_event, a background job). Only future
instants are scheduled; an instant that already fired for the contact is not scheduled again,
so putting a contact back into a group does not repeat last week's message.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_date, parse_datetime

from campaigns import clock
from campaigns.models import CampaignEvent, EventFire
from channels_app.models import Contact, ContactGroup, Workspace

CHUNK = 1000
_UNIT_MINUTES = {"minutes": 1, "hours": 60, "days": 60 * 24, "weeks": 60 * 24 * 7}


def workspace_zone(name: str) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def parse_field_date(value: Any, zone: dt.tzinfo) -> dt.datetime | None:
    """A date field's stored text as an instant; a date or a time without offset is read in
    the workspace's zone (a date is its midnight)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        when = parse_datetime(text.replace("Z", "+00:00"))
    except ValueError:
        when = None
    if when is None:
        try:
            day = parse_date(text[:10])
        except ValueError:
            day = None
        if day is None:
            return None
        when = dt.datetime.combine(day, dt.time())
    return when if when.tzinfo else when.replace(tzinfo=zone)


def fire_time(*, event: CampaignEvent, value: Any, zone: dt.tzinfo) -> dt.datetime | None:
    base = parse_field_date(value, zone)
    if base is None:
        return None
    when = base + dt.timedelta(minutes=event.offset * _UNIT_MINUTES[event.unit])
    if event.delivery_hour >= 0 and event.unit in ("days", "weeks"):
        # the hour is wall-clock time where the workspace is, whatever the date's own offset
        local = when.astimezone(zone)
        when = local.replace(hour=event.delivery_hour, minute=0, second=0, microsecond=0)
    return when.astimezone(dt.UTC)


def live_events(workspace_id: int) -> list[CampaignEvent]:
    return list(
        CampaignEvent.objects.filter(
            workspace_id=workspace_id, is_active=True, campaign__is_archived=False
        ).select_related("relative_to", "campaign", "workspace")
    )


def schedule_contacts(*, event: CampaignEvent, contacts: Sequence[Contact], now: dt.datetime) -> int:
    """Replace the contacts' pending fires of `event`; returns how many are scheduled."""
    ids = [c.id for c in contacts]
    if not ids:
        return 0
    members = set(
        ContactGroup.contacts.through.objects.filter(
            contactgroup_id=event.campaign.group_id, contact_id__in=ids
        ).values_list("contact_id", flat=True)
    )
    EventFire.objects.filter(event=event, contact_id__in=ids, fired_on__isnull=True).delete()
    done = set(
        EventFire.objects.filter(event=event, contact_id__in=ids, fired_on__isnull=False).values_list(
            "contact_id", "scheduled"
        )
    )
    zone = workspace_zone(event.workspace.timezone)
    key = event.relative_to.key
    rows = []
    for contact in contacts:
        if contact.id not in members:
            continue
        when = fire_time(event=event, value=(contact.fields or {}).get(key), zone=zone)
        if when is None or when <= now or (contact.id, when) in done:
            continue
        rows.append(
            EventFire(workspace_id=event.workspace_id, event=event, contact_id=contact.id, scheduled=when)
        )
    EventFire.objects.bulk_create(rows)
    return len(rows)


def contact_changed(
    *,
    contact: Contact | Sequence[Contact],
    fields: Iterable[str] | bool = (),
    groups: Iterable[ContactGroup | int] | bool = (),
) -> int:
    """Reschedule the fires of the events a change touches: those relative to a changed field
    key and those of campaigns on a changed group (True: any). Deleted contacts need no call:
    their fires go with them."""
    contacts = [contact] if isinstance(contact, Contact) else list(contact)
    if not contacts or (not fields and not groups):
        return 0
    keys = None if fields is True else set(fields or ())  # type: ignore[arg-type]
    group_ids = (
        None if groups is True else {g if isinstance(g, int) else g.id for g in groups or ()}  # type: ignore[union-attr]
    )
    events = [
        e
        for e in live_events(contacts[0].workspace_id)
        if (keys is None or e.relative_to.key in keys)
        or (group_ids is None or e.campaign.group_id in group_ids)
    ]
    if not events:
        return 0
    now = clock.now()
    # the contacts as stored now (callers may hold rows from before their own update)
    fresh = list(Contact.objects.filter(id__in=[c.id for c in contacts]).only("id", "fields", "workspace_id"))
    with transaction.atomic():
        return sum(schedule_contacts(event=e, contacts=fresh, now=now) for e in events)


def schedule_event(*, event_id: int) -> int:
    """Everyone's fires for one event (after it is created or edited): pending rows are
    replaced chunk by chunk; an inactive event's pending rows are simply removed."""
    event = CampaignEvent.objects.select_related("relative_to", "campaign", "workspace").get(id=event_id)
    if not event.is_active or event.campaign.is_archived:
        EventFire.objects.filter(event=event, fired_on__isnull=True).delete()
        return 0
    now = clock.now()
    EventFire.objects.filter(event=event, fired_on__isnull=True).delete()
    member_ids = ContactGroup.contacts.through.objects.filter(
        contactgroup_id=event.campaign.group_id
    ).values_list("contact_id", flat=True)
    last = 0
    total = 0
    while True:
        chunk = list(
            Contact.objects.filter(id__in=member_ids, id__gt=last)
            .order_by("id")
            .only("id", "fields", "workspace_id")[:CHUNK]
        )
        if not chunk:
            return total
        with transaction.atomic():
            total += schedule_contacts(event=event, contacts=chunk, now=now)
        last = chunk[-1].id


def contacts_changed_listener(
    *, workspace_id: int, contact_ids: list[int], field_keys: set[str], groups_changed: bool
) -> None:
    """The smart-groups hook's listener: reschedule what the changed fields or groups touch."""
    if not field_keys and not groups_changed:
        return
    # Most workspaces have no live event the change touches (an import of 100,000 contacts
    # with no campaign): then nothing is loaded at all.
    if not any(groups_changed or e.relative_to.key in field_keys for e in live_events(workspace_id)):
        return
    for start in range(0, len(contact_ids), CHUNK):
        contacts = list(
            Contact.objects.filter(workspace_id=workspace_id, id__in=contact_ids[start : start + CHUNK]).only(
                "id", "fields", "workspace_id"
            )
        )
        contact_changed(contact=contacts, fields=sorted(field_keys), groups=groups_changed)


def timezone_changed_listener(workspace: Workspace) -> None:
    """The workspace's zone changed: every live event's pending fires are recomputed by the
    background job that an event edit uses (dates without an offset and delivery hours are
    read in the zone)."""
    from campaigns.services.editing import reschedule_later

    for event in live_events(workspace.id):
        reschedule_later(event)
