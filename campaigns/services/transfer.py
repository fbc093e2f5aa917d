"""Campaigns in RapidPro exports: read on import (flows/services/importing.py calls
import_campaigns), written on export in RapidPro's shape (event_type M/F, unit M/H/D/W,
start_mode I/S/P), so an export from either side imports into the other."""

from __future__ import annotations

import uuid
from typing import Any

from campaigns.models import Campaign, CampaignEvent
from campaigns.services import editing
from channels_app.models import ContactField, ContactGroup, Workspace
from flows.models import Flow

UNIT_CODES = {"M": "minutes", "H": "hours", "D": "days", "W": "weeks"}
MODE_CODES = {"I": "interrupt", "S": "skip", "P": "passive"}
# RapidPro's system date fields: not contact fields here
SYSTEM_KEYS = {"created_on", "last_seen_on"}


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _group(workspace: Workspace, ref: dict[str, Any], mapping: dict[str, str]) -> ContactGroup:
    old = str(ref.get("uuid") or "")
    parsed = _uuid(mapping.get(old, old))
    group = ContactGroup.objects.filter(workspace=workspace, uuid=parsed).first() if parsed else None
    name = (str(ref.get("name") or "").strip() or old[:8] or "Campaign group")[:128]
    group = group or ContactGroup.objects.filter(workspace=workspace, name__iexact=name).first()
    if group is None:
        new_uuid = (
            parsed if parsed and not ContactGroup.objects.filter(uuid=parsed).exists() else uuid.uuid4()
        )
        group = ContactGroup.objects.create(workspace=workspace, uuid=new_uuid, name=name)
    return group


def _field(workspace: Workspace, ref: dict[str, Any], warnings: list[str]) -> ContactField | None:
    key = str(ref.get("key") or "").strip().lower()[:36]
    if not key or key in SYSTEM_KEYS:
        warnings.append(f"campaign event relative to {key or '?'!r} skipped: not a contact field here")
        return None
    field, _ = ContactField.objects.get_or_create(
        workspace=workspace,
        key=key,
        defaults={"name": str(ref.get("label") or key)[:64], "value_type": ContactField.ValueType.DATETIME},
    )
    if field.value_type != ContactField.ValueType.DATETIME:
        field.value_type = ContactField.ValueType.DATETIME  # an event needs a date: the export says so
        field.save(update_fields=["value_type"])
    return field


def import_campaigns(
    *, workspace: Workspace, campaigns: Any, mapping: dict[str, str], warnings: list[str]
) -> list[dict[str, Any]]:
    """Create or update the export's campaigns (by uuid, else name); an event of the export
    replaces the one with its uuid, events the export no longer has stop."""
    done: list[dict[str, Any]] = []
    for i, data in enumerate(campaigns if isinstance(campaigns, list) else []):
        if not isinstance(data, dict) or not isinstance(data.get("group"), dict):
            warnings.append(f"campaign {i} skipped: it needs a name and a group")
            continue
        name = " ".join(str(data.get("name") or "").split())[:128] or f"Campaign {i + 1}"
        group = _group(workspace, data["group"], mapping)
        parsed = _uuid(data.get("uuid"))
        campaign = Campaign.objects.filter(workspace=workspace, uuid=parsed).first() if parsed else None
        campaign = campaign or Campaign.objects.filter(workspace=workspace, name__iexact=name).first()
        if campaign is None:
            campaign = Campaign.objects.create(
                workspace=workspace, name=name, group=group, **({"uuid": parsed} if parsed else {})
            )
        elif campaign.group_id != group.id or campaign.name != name:
            campaign.name, campaign.group = name, group
            campaign.save()
            for event in campaign.events.filter(is_active=True):
                editing.reschedule_later(event)
        kept: set[int] = set()
        for e in data.get("events") or []:
            made = _import_event(workspace, campaign, e, mapping, warnings)
            if made is not None:
                kept.add(made.id)
        for gone in campaign.events.filter(is_active=True).exclude(id__in=kept):
            editing.delete_event(event=gone)
        done.append({"uuid": str(campaign.uuid), "name": campaign.name, "events": len(kept)})
    return done


def _import_event(
    workspace: Workspace, campaign: Campaign, e: Any, mapping: dict[str, str], warnings: list[str]
) -> CampaignEvent | None:
    if not isinstance(e, dict):
        return None
    # exports made elsewhere may hold anything where a reference belongs: only objects are read
    relative_to = e.get("relative_to")
    field = _field(workspace, relative_to if isinstance(relative_to, dict) else {}, warnings)
    if field is None:
        return None
    data: dict[str, Any] = {
        "relative_to": field.key,
        "offset": e.get("offset") if isinstance(e.get("offset"), int) else 0,
        "unit": UNIT_CODES.get(str(e.get("unit")), str(e.get("unit") or "days")),
        "delivery_hour": e.get("delivery_hour") if isinstance(e.get("delivery_hour"), int) else -1,
        "start_mode": MODE_CODES.get(str(e.get("start_mode") or "I"), "interrupt"),
    }
    if e.get("event_type") == "F":
        raw_flow = e.get("flow")
        flow_ref: dict[str, Any] = raw_flow if isinstance(raw_flow, dict) else {}
        old = str(flow_ref.get("uuid") or "")
        flow_uuid = _uuid(mapping.get(old, old))
        flow = Flow.objects.filter(workspace=workspace, uuid=flow_uuid).first() if flow_uuid else None
        flow = flow or Flow.objects.filter(workspace=workspace, name=str(flow_ref.get("name") or "")).first()
        if flow is None:
            warnings.append(
                f"campaign {campaign.name}: event skipped, flow {flow_ref.get('name')!r} is not here"
            )
            return None
        data["flow"] = str(flow.uuid)
    else:
        data["message"] = e.get("message")
        data["base_language"] = e.get("base_language") or ""
        if isinstance(data["message"], str):
            data["base_language"] = data["base_language"] or "eng"
    parsed = _uuid(e.get("uuid"))
    existing = CampaignEvent.objects.filter(workspace=workspace, uuid=parsed).first() if parsed else None
    try:
        if existing is not None and existing.campaign_id == campaign.id:
            existing.is_active = True
            existing.save(update_fields=["is_active"])
            editing.update_event(event=existing, data=data)
            editing.reschedule_later(existing)
            return existing
        return editing.create_event(
            workspace=workspace, campaign=campaign, data=data, uuid_=parsed if existing is None else None
        )
    except editing.CampaignError as exc:
        warnings.append(f"campaign {campaign.name}: event skipped: {exc}")
        return None


def export_campaign(campaign: Campaign) -> dict[str, Any]:
    events = []
    for event in campaign.events.filter(is_active=True).select_related("relative_to", "flow"):
        item: dict[str, Any] = {
            "uuid": str(event.uuid),
            "offset": event.offset,
            "unit": event.unit[0].upper(),
            "delivery_hour": event.delivery_hour,
            "relative_to": {"key": event.relative_to.key, "label": event.relative_to.name},
            "start_mode": event.start_mode[0].upper(),
        }
        if event.kind == CampaignEvent.Kind.FLOW and event.flow is not None:
            item.update(
                event_type="F", message=None, flow={"uuid": str(event.flow.uuid), "name": event.flow.name}
            )
        else:
            item.update(event_type="M", message=event.message, base_language=event.base_language)
        events.append(item)
    return {
        "uuid": str(campaign.uuid),
        "name": campaign.name,
        "group": {"uuid": str(campaign.group.uuid), "name": campaign.group.name},
        "events": events,
    }


def campaigns_for_flows(*, workspace_id: int, flow_ids: list[int]) -> list[dict[str, Any]]:
    """The campaigns with an event starting one of these flows (an export of the flows)."""
    campaigns = Campaign.objects.filter(
        workspace_id=workspace_id, is_archived=False, events__flow_id__in=flow_ids, events__is_active=True
    ).distinct()
    return [export_campaign(c) for c in campaigns.select_related("group")]
