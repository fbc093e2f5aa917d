"""Creating and changing campaigns and their events (API and UI call these).

Any change to when an event fires, or to the campaign's group, reschedules everyone in a
background job (schedule_event) after commit; the request does not wait for 20,000 rows.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from campaigns.models import Campaign, CampaignEvent, EventFire
from channels_app import queue
from channels_app.models import ContactField, Workspace
from channels_app.services.groups import GroupError, resolve_groups
from flows.models import Flow

UNITS = [u.value for u in CampaignEvent.Unit]
START_MODES = [m.value for m in CampaignEvent.StartMode]
MAX_OFFSET = 100_000  # in any unit: far beyond any programme, small enough to stay a sane date


class CampaignError(ValueError):
    pass


def _as_uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def find_campaign(*, workspace: Workspace, ref: Any) -> Campaign | None:
    parsed = _as_uuid(ref)
    return Campaign.objects.filter(workspace=workspace, uuid=parsed).first() if parsed else None


def find_event(*, workspace: Workspace, ref: Any) -> CampaignEvent | None:
    parsed = _as_uuid(ref)
    if parsed is None:
        return None
    return (
        CampaignEvent.objects.filter(workspace=workspace, uuid=parsed, is_active=True)
        .select_related("campaign", "relative_to", "flow")
        .first()
    )


def _name(name: Any) -> str:
    name = " ".join(str(name or "").split())
    if not name or len(name) > 128 or not name.isprintable():
        raise CampaignError("a campaign needs a name of 1 to 128 printable characters")
    return name


def _group(workspace: Workspace, ref: Any) -> Any:
    if not isinstance(ref, str) or not ref.strip():
        raise CampaignError("a campaign needs a group (uuid or name)")
    try:
        return resolve_groups(workspace=workspace, refs=[ref])[0]
    except GroupError as exc:
        raise CampaignError(str(exc)) from None


def reschedule_later(event: CampaignEvent) -> None:
    queue.enqueue("default", "campaigns.jobs.schedule_event", event.id)


@transaction.atomic
def create_campaign(
    *, workspace: Workspace, name: str, group: str, uuid_: uuid.UUID | None = None
) -> Campaign:
    return Campaign.objects.create(
        workspace=workspace,
        name=_name(name),
        group=_group(workspace, group),
        **({"uuid": uuid_} if uuid_ else {}),
    )


@transaction.atomic
def update_campaign(
    *, campaign: Campaign, name: str | None = None, group: str | None = None, archived: bool | None = None
) -> Campaign:
    changed = False
    if name is not None:
        campaign.name = _name(name)
    if group is not None:
        new_group = _group(campaign.workspace, group)
        changed = new_group.id != campaign.group_id
        campaign.group = new_group
    if archived is not None:
        changed = changed or archived != campaign.is_archived
        campaign.is_archived = archived
    campaign.save()
    if changed:
        for event in campaign.events.filter(is_active=True):
            reschedule_later(event)
    return campaign


@transaction.atomic
def delete_campaign(*, campaign: Campaign) -> None:
    campaign.delete()


def _event_values(
    workspace: Workspace, data: dict[str, Any], current: CampaignEvent | None
) -> dict[str, Any]:
    """Validated model values from API-shaped input; on an edit, what is absent stays."""
    out: dict[str, Any] = {}
    problems: list[str] = []
    if "relative_to" in data or current is None:
        key = data.get("relative_to")
        key = key.get("key") if isinstance(key, dict) else key
        field = ContactField.objects.filter(workspace=workspace, key=str(key or "").strip().lower()).first()
        if field is None:
            problems.append(f"relative_to: {key!r} is not a field of this workspace")
        elif field.value_type != ContactField.ValueType.DATETIME:
            problems.append(f"relative_to: {field.key!r} is a {field.value_type} field, not a date")
        out["relative_to"] = field
    if "offset" in data or current is None:
        offset = data.get("offset", 0)
        if isinstance(offset, bool) or not isinstance(offset, int) or abs(offset) > MAX_OFFSET:
            problems.append(f"offset: a whole number between -{MAX_OFFSET} and {MAX_OFFSET}")
        out["offset"] = offset
    if "unit" in data or current is None:
        unit = data.get("unit", "days")
        if unit not in UNITS:
            problems.append(f"unit: one of {', '.join(UNITS)}")
        out["unit"] = unit
    if "delivery_hour" in data or current is None:
        hour = data.get("delivery_hour", -1)
        hour = -1 if hour is None else hour
        if isinstance(hour, bool) or not isinstance(hour, int) or not -1 <= hour <= 23:
            problems.append("delivery_hour: -1 (none) or an hour 0 to 23")
        out["delivery_hour"] = hour
    has_message, has_flow = data.get("message") is not None, data.get("flow") is not None
    if has_message and has_flow:
        problems.append("give a message or a flow, not both")
    elif has_message:
        out.update(kind=CampaignEvent.Kind.MESSAGE, flow=None, **_message(data, problems))
    elif has_flow:
        flow_ref = data["flow"].get("uuid") if isinstance(data["flow"], dict) else data["flow"]
        parsed = _as_uuid(flow_ref)
        flow = (
            Flow.objects.filter(workspace=workspace, uuid=parsed, archived=False).first() if parsed else None
        )
        if flow is None:
            problems.append(f"flow: no such flow {flow_ref!r}")
        out.update(kind=CampaignEvent.Kind.FLOW, flow=flow, message={}, base_language="")
    elif current is None:
        problems.append("give a message (language -> text) or a flow")
    if "start_mode" in data or current is None:
        mode = data.get("start_mode") or "interrupt"
        if mode not in START_MODES:
            problems.append(f"start_mode: one of {', '.join(START_MODES)}")
        out["start_mode"] = mode
    if problems:
        raise CampaignError("; ".join(problems))
    return out


def _message(data: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    message = data["message"]
    if isinstance(message, str):
        message = {data.get("base_language") or "eng": message}
    if not isinstance(message, dict) or not message:
        problems.append('message: an object of language code -> text, e.g. {"eng": "Hello"}')
        return {}
    texts: dict[str, str] = {}
    for lang, text in message.items():
        if not isinstance(lang, str) or not (2 <= len(lang) <= 3) or not isinstance(text, str):
            problems.append(f"message: {lang!r} must be a language code with text")
            continue
        if text.strip():
            texts[lang] = text.strip()[:1600]
    if not texts:
        problems.append("message: give the text in at least one language")
    base = data.get("base_language") or next(iter(texts), "")
    if texts and base not in texts:
        problems.append(f"base_language: {base!r} has no text in the message")
    return {"message": texts, "base_language": base}


@transaction.atomic
def create_event(
    *, workspace: Workspace, campaign: Campaign, data: dict[str, Any], uuid_: uuid.UUID | None = None
) -> CampaignEvent:
    values = _event_values(workspace, data, None)
    event = CampaignEvent.objects.create(
        workspace=workspace, campaign=campaign, **values, **({"uuid": uuid_} if uuid_ else {})
    )
    reschedule_later(event)
    return event


@transaction.atomic
def update_event(*, event: CampaignEvent, data: dict[str, Any]) -> CampaignEvent:
    values = _event_values(event.workspace, data, event)
    timing = ("relative_to", "offset", "unit", "delivery_hour")
    moves = any(k in values and getattr(event, k) != values[k] for k in timing)
    for k, v in values.items():
        setattr(event, k, v)
    event.save()
    if moves:
        reschedule_later(event)
    return event


@transaction.atomic
def delete_event(*, event: CampaignEvent) -> None:
    """The event stops; its past fires stay as history, its pending ones go now."""
    event.is_active = False
    event.save(update_fields=["is_active", "modified_on"])
    EventFire.objects.filter(event=event, fired_on__isnull=True).delete()


def campaign_payload(campaign: Campaign) -> dict[str, Any]:
    return {
        "uuid": str(campaign.uuid),
        "name": campaign.name,
        "archived": campaign.is_archived,
        "group": {"uuid": str(campaign.group.uuid), "name": campaign.group.name},
        "created_on": campaign.created_on,
    }


def event_payload(event: CampaignEvent) -> dict[str, Any]:
    return {
        "uuid": str(event.uuid),
        "campaign": {"uuid": str(event.campaign.uuid), "name": event.campaign.name},
        "relative_to": {"key": event.relative_to.key, "name": event.relative_to.name},
        "offset": event.offset,
        "unit": event.unit,
        "delivery_hour": event.delivery_hour,
        "message": event.message if event.kind == CampaignEvent.Kind.MESSAGE else None,
        "base_language": event.base_language or None,
        "flow": {"uuid": str(event.flow.uuid), "name": event.flow.name} if event.flow else None,
        "start_mode": event.start_mode,
        "created_on": event.created_on,
    }


def fire_payload(fire: EventFire) -> dict[str, Any]:
    return {
        "contact": {"uuid": str(fire.contact.uuid), "name": fire.contact.name},
        "scheduled": fire.scheduled,
        "fired_on": fire.fired_on,
        "result": fire.result or None,
        "detail": fire.detail or None,
    }
