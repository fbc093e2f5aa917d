"""Importing RapidPro exports: flows keep their uuids; groups, fields and triggers are created.

Group uuids are global in our tables, so a group that already exists in the workspace (same
uuid or same name) is reused, and one whose uuid another workspace owns gets a fresh uuid; flow
definitions are rewritten to point at the group actually used.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from channels_app.models import Channel, ContactField, ContactGroup, Workspace
from flows.engine import FlowError, read_export
from flows.engine.flowtests import FlowTestInvalid, validate_tests
from flows.models import Flow, FlowRevision, Trigger
from flows.services import flowtests
from flows.services.definitions import SPEC_VERSION, TESTS_EXPORT_KEY, DefinitionInvalid

FIELD_TYPES = {t for t, _ in ContactField.ValueType.choices}


@dataclass
class Imported:
    flows: list[Flow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _group_uuid_map(workspace: Workspace, groups: list[dict[str, Any]]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for g in groups:
        old = str(g["uuid"])
        name = (g.get("name") or "").strip()[:128] or old[:8]
        parsed = _as_uuid(old)
        found = ContactGroup.objects.filter(workspace=workspace, uuid=parsed).first() if parsed else None
        found = found or ContactGroup.objects.filter(workspace=workspace, name__iexact=name).first()
        if found is None:
            new_uuid = _as_uuid(old)
            if new_uuid is None or ContactGroup.objects.filter(uuid=new_uuid).exists():
                new_uuid = uuid.uuid4()
            found = ContactGroup.objects.create(
                workspace=workspace, uuid=new_uuid, name=name, query=g.get("query") or ""
            )
        if str(found.uuid) != old:
            mapping[old] = str(found.uuid)
    return mapping


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@transaction.atomic
def import_export(*, workspace: Workspace, data: Any) -> Imported:
    """Import a whole export or nothing: an unreadable flow aborts with its errors."""
    if not isinstance(data, dict):
        raise DefinitionInvalid([FlowError("the export must be a JSON object", field="")])
    result = read_export(data)
    if not result.ok:
        raise DefinitionInvalid(result.errors)
    imported = Imported(warnings=list(result.warnings))

    for f in result.fields:
        value_type = f["type"] if f["type"] in FIELD_TYPES else "text"
        if value_type != f["type"]:
            imported.warnings.append(f"field {f['key']}: type {f['type']} imported as text")
        ContactField.objects.get_or_create(
            workspace=workspace,
            key=f["key"][:36],
            defaults={"name": f["name"][:64], "value_type": value_type},
        )
    mapping = _group_uuid_map(workspace, result.groups)

    raw_flows = [f for f in data.get("flows") or [] if isinstance(f, dict)]
    blob = json.dumps(raw_flows)
    for old, new in mapping.items():
        blob = blob.replace(old, new)
    tests_by_flow = _exported_tests(data)
    by_uuid: dict[str, Flow] = {}
    for definition in json.loads(blob):
        flow = _upsert_flow(workspace, definition)
        by_uuid[str(flow.uuid)] = flow
        imported.flows.append(flow)
        if str(flow.uuid) in tests_by_flow:
            flow.tests = tests_by_flow[str(flow.uuid)]
            flow.save(update_fields=["tests"])
            flowtests.refresh_status(flow=flow)

    for t in result.triggers:
        flow_ref = by_uuid.get((t.get("flow") or {}).get("uuid", ""))
        if flow_ref is None:
            continue
        _import_trigger(workspace, flow_ref, t, mapping, imported.warnings)
    return imported


def _exported_tests(data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Flow tests carried in the export (our extension key); invalid ones refuse the import."""
    raw = data.get(TESTS_EXPORT_KEY)
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise DefinitionInvalid([FlowError(f"{TESTS_EXPORT_KEY} must map flow uuids to tests", field="")])
    out = {}
    for flow_uuid, tests in raw.items():
        try:
            out[str(flow_uuid)] = validate_tests(tests)
        except FlowTestInvalid as exc:
            message = f"{TESTS_EXPORT_KEY} of flow {flow_uuid}: {exc}"
            raise DefinitionInvalid([FlowError(message, field=TESTS_EXPORT_KEY)]) from None
    return out


def _upsert_flow(workspace: Workspace, definition: dict[str, Any]) -> Flow:
    flow_uuid = str(definition["uuid"])
    name = str(definition.get("name") or "Imported flow")[:128]
    flow = Flow.objects.select_for_update().filter(workspace=workspace, uuid=flow_uuid).first()
    if flow is None:
        flow = Flow(workspace=workspace, uuid=flow_uuid, revision=0)
    flow.revision += 1
    definition["revision"] = flow.revision
    flow.name = name
    flow.flow_type = str(definition.get("type") or "messaging")
    flow.spec_version = str(definition.get("spec_version") or SPEC_VERSION)
    flow.definition = definition
    flow.archived = False
    flow.save()
    FlowRevision.objects.create(
        flow=flow,
        revision=flow.revision,
        definition=definition,
        spec_version=flow.spec_version,
        comment="imported",
    )
    return flow


def _trigger_channel(workspace: Workspace, ref: Any) -> Channel | None:
    """The export's channel when this workspace has it (by uuid: names and numbers are reused)."""
    raw = ref.get("uuid") if isinstance(ref, dict) else ref
    parsed = _as_uuid(str(raw)) if raw else None
    if parsed is None:
        return None
    return Channel.objects.filter(workspace=workspace, uuid=parsed, is_active=True).first()


def _channel_label(ref: Any) -> str:
    if isinstance(ref, dict):
        return repr(ref.get("name") or ref.get("uuid") or "")
    return repr(str(ref))


def _import_trigger(
    workspace: Workspace, flow: Flow, t: dict[str, Any], mapping: dict[str, str], warnings: list[str]
) -> None:
    kind = t.get("type")
    if kind not in Trigger.Type.values or kind == Trigger.Type.SCHEDULE:
        warnings.append(f"{kind} trigger for flow {flow.name} skipped: not importable")
        return
    keywords = [str(k).strip().lower() for k in t.get("keywords") or [] if str(k).strip()]
    match = Trigger.Match.ONLY if t.get("match_type") == "O" else Trigger.Match.STARTS
    channel = _trigger_channel(workspace, t.get("channel"))
    if kind == Trigger.Type.KEYWORD:
        if not keywords:
            warnings.append(f"keyword trigger for flow {flow.name} skipped: no keyword")
            return
        # the imported trigger replaces any active one on the same keyword (the export is newer)
        for other in Trigger.objects.filter(
            workspace=workspace, trigger_type=kind, archived=False, channel=channel
        ):
            if set(other.keywords) & set(keywords):
                other.archived = True
                other.save(update_fields=["archived"])
    if kind in (Trigger.Type.CATCH_ALL, Trigger.Type.NEW_CONVERSATION, Trigger.Type.MISSED_CALL):
        Trigger.objects.filter(
            workspace=workspace, trigger_type=kind, archived=False, channel=channel
        ).update(archived=True)
    if t.get("channel") and channel is None:
        warnings.append(
            f"{kind} trigger for flow {flow.name}: channel {_channel_label(t['channel'])} is not in this "
            "workspace, so the trigger applies to every channel"
        )
    trigger = Trigger.objects.create(
        workspace=workspace,
        trigger_type=kind,
        flow=flow,
        keywords=keywords,
        match_type=match,
        channel=channel,
    )

    def groups(refs: list[Any]) -> list[ContactGroup]:
        uuids = [mapping.get(str(g.get("uuid")), str(g.get("uuid"))) for g in refs if isinstance(g, dict)]
        return list(
            ContactGroup.objects.filter(workspace=workspace, uuid__in=[u for u in uuids if _as_uuid(u)])
        )

    trigger.groups.set(groups(t.get("groups") or []))
    trigger.exclude_groups.set(groups(t.get("exclude_groups") or []))
