"""Importing RapidPro exports: flows keep their uuids; groups, fields and triggers are created.

Group uuids are global in our tables, so a group that already exists in the workspace (same
uuid or same name) is reused, and one whose uuid another workspace owns gets a fresh uuid; flow
definitions are rewritten to point at the group actually used.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from channels_app.models import Channel, ContactField, ContactGroup, Global, Label, Workspace
from flows.engine import FlowError, read_export
from flows.engine.export import field_type
from flows.engine.flowtests import FlowTestInvalid, validate_tests
from flows.models import Flow, FlowRevision, Trigger
from flows.service_models import Topic
from flows.services import flowtests
from flows.services.definitions import SPEC_VERSION, TESTS_EXPORT_KEY, DefinitionInvalid

FIELD_TYPES = {t for t, _ in ContactField.ValueType.choices}


@dataclass
class Imported:
    flows: list[Flow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # what the import created, by kind ("fields", "groups"), and what it skipped, with why
    created: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    # anything a legacy export's migration could not carry over exactly
    migration_warnings: list[str] = field(default_factory=list)
    migrated_from: str = ""

    def answer(self) -> dict[str, Any]:
        """The import's answer (API and command)."""
        out: dict[str, Any] = {
            "flows": [{"uuid": str(f.uuid), "name": f.name} for f in self.flows],
            "created": self.created,
            "skipped": self.skipped,
            "warnings": self.warnings,
        }
        if self.migrated_from:
            out["migrated_from"] = self.migrated_from
            out["migration_warnings"] = self.migration_warnings
        return out


def _group_uuid_map(
    workspace: Workspace, groups: list[dict[str, Any]], created: list[dict[str, Any]] | None = None
) -> dict[str, str]:
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
            if found.query:  # a smart group: its members are computed once the import commits
                from channels_app.services.smart_groups import schedule_refresh

                schedule_refresh(group=found)
            if created is not None:
                created.append({"uuid": str(found.uuid), "name": found.name, "query": found.query})
        if old and str(found.uuid) != old:
            mapping[old] = str(found.uuid)
    return mapping


def _named_uuid_map(
    workspace: Workspace,
    model: type[Label] | type[Topic],
    items: list[dict[str, Any]],
    created: list[dict[str, Any]],
    skipped: list[dict[str, Any]],
) -> dict[str, str]:
    """Labels/topics by uuid or name: an existing one is reused, else one is made (with the
    export's uuid unless another workspace has it); returns export uuid -> uuid used."""
    kind = model.__name__.lower()
    mapping: dict[str, str] = {}
    for item in items:
        old = str(item.get("uuid") or "")
        name = str(item.get("name") or "").strip()
        if not name or len(name) > 64:
            skipped.append({"type": kind, "name": name, "reason": "needs a name of 1 to 64 characters"})
            continue
        parsed = _as_uuid(old) if old else None
        found = model.objects.filter(workspace=workspace, uuid=parsed).first() if parsed else None
        found = found or model.objects.filter(workspace=workspace, name__iexact=name).first()
        if found is None:
            new_uuid = parsed
            if new_uuid is None or model.objects.filter(uuid=new_uuid).exists():
                new_uuid = uuid.uuid4()
            found = model.objects.create(workspace=workspace, uuid=new_uuid, name=name)
            created.append({"uuid": str(found.uuid), "name": found.name})
        if old and str(found.uuid) != old:
            mapping[old] = str(found.uuid)
    return mapping


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


class CatchAllConflict(Exception):
    """The export brings a catch-all trigger where another flow already has one: the caller
    decides (catch_all="replace" or "skip") before anything is imported."""

    def __init__(self, conflicts: list[dict[str, Any]], triggers: list[dict[str, Any]]) -> None:
        super().__init__("the export has a catch-all trigger that would replace an existing one")
        self.conflicts = conflicts
        self.triggers = triggers  # every trigger the import would create, for the person deciding


def _planned_triggers(workspace: Workspace, triggers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The triggers an import would create, in the shape of its answer's created.triggers
    (nothing written): the question about a catch-all shows them all, not only the conflict."""
    planned = []
    for t in triggers:
        kind = t.get("type")
        keywords = [str(k).strip().lower() for k in t.get("keywords") or [] if str(k).strip()]
        if kind not in Trigger.Type.values or kind == Trigger.Type.SCHEDULE:
            continue
        if kind == Trigger.Type.KEYWORD and not keywords:
            continue
        channel = _trigger_channel(workspace, t.get("channel"))
        planned.append(
            {
                "type": kind,
                "keywords": keywords,
                "flow": str((t.get("flow") or {}).get("name") or ""),
                "channel": channel.name if channel else None,
            }  # fmt: skip
        )
    return planned


def _catch_all_conflicts(workspace: Workspace, triggers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    conflicts = []
    for t in triggers:
        if t.get("type") != Trigger.Type.CATCH_ALL:
            continue
        new_flow = t.get("flow") or {}
        channel = _trigger_channel(workspace, t.get("channel"))
        for other in Trigger.objects.filter(
            workspace=workspace, trigger_type=Trigger.Type.CATCH_ALL, archived=False, channel=channel
        ).select_related("flow"):
            if str(other.flow.uuid) != str(new_flow.get("uuid")):  # re-importing the same flow is no news
                conflicts.append(
                    {
                        "existing_flow": other.flow.name,
                        "new_flow": str(new_flow.get("name") or ""),
                        "channel": channel.name if channel else None,
                    }  # fmt: skip
                )
    return conflicts


@transaction.atomic
def import_export(*, workspace: Workspace, data: Any, catch_all: str = "replace") -> Imported:
    """Import a whole export or nothing: an unreadable flow aborts with its errors.

    `catch_all`: what to do with an imported catch-all trigger when another flow has one:
    "replace" it (the export is newer), "skip" the imported one, or "ask" (CatchAllConflict
    before anything is written)."""
    if not isinstance(data, dict):
        raise DefinitionInvalid([FlowError("the export must be a JSON object", field="")])
    result = read_export(data, default_country=_default_country(workspace))
    if not result.ok:
        raise DefinitionInvalid(result.errors)
    if catch_all == "ask":
        conflicts = _catch_all_conflicts(workspace, result.triggers)
        if conflicts:
            raise CatchAllConflict(conflicts, _planned_triggers(workspace, result.triggers))
    imported = Imported(
        warnings=list(result.warnings),
        migration_warnings=list(result.migration_warnings),
        migrated_from=result.migrated_from,
    )
    created_fields: list[dict[str, Any]] = []
    created_groups: list[dict[str, Any]] = []
    imported.created = {"fields": created_fields, "groups": created_groups}

    for f in result.fields:
        value_type = field_type(f["type"])
        if value_type not in FIELD_TYPES:
            imported.warnings.append(f"field {f['key']}: type {f['type']} imported as text")
            value_type = "text"
        key = f["key"][:36].lower()
        _, made = ContactField.objects.get_or_create(
            workspace=workspace,
            key=key,
            defaults={"name": f["name"][:64], "value_type": value_type},
        )
        if made:
            created_fields.append({"key": key, "name": f["name"][:64], "type": value_type})
    mapping = _group_uuid_map(workspace, result.groups, created_groups)
    for model, kind, items in ((Label, "labels", result.labels), (Topic, "topics", result.topics)):
        made_items: list[dict[str, Any]] = []
        imported.created[kind] = made_items
        mapping.update(_named_uuid_map(workspace, model, items, made_items, imported.skipped))
    made_globals: list[dict[str, Any]] = []
    imported.created["globals"] = made_globals
    for g in result.globals:
        key = str(g["key"]).lower()[:36]
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", key):
            imported.skipped.append({"type": "global", "name": g["key"], "reason": "not a valid global key"})
            continue
        name = str(g.get("name") or key)[:64]
        _, made_one = Global.objects.get_or_create(
            workspace=workspace, key=key, defaults={"name": name, "value": str(g.get("value") or "")}
        )
        if made_one:
            made_globals.append({"key": key, "name": name})

    raw_flows = result.definitions
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

    made_triggers: list[dict[str, Any]] = []
    imported.created["triggers"] = made_triggers
    skip_catch_all = catch_all == "skip" and bool(_catch_all_conflicts(workspace, result.triggers))
    for t in result.triggers:
        flow_ref = by_uuid.get((t.get("flow") or {}).get("uuid", ""))
        if flow_ref is None:
            continue
        if skip_catch_all and t.get("type") == Trigger.Type.CATCH_ALL:
            imported.skipped.append(
                {
                    "type": "trigger",
                    "name": f"catch-all for {flow_ref.name}",
                    "reason": "another flow keeps the catch-all",
                }
            )
            continue
        trigger = _import_trigger(workspace, flow_ref, t, mapping, imported.warnings)
        if trigger is not None:
            made_triggers.append(
                {
                    "type": trigger.trigger_type,
                    "keywords": list(trigger.keywords),
                    "flow": flow_ref.name,
                    "channel": trigger.channel.name if trigger.channel else None,
                }  # fmt: skip
            )
    from campaigns.services.transfer import import_campaigns  # campaigns import flows: not at the top

    imported.created["campaigns"] = import_campaigns(
        workspace=workspace, campaigns=data.get("campaigns"), mapping=mapping, warnings=imported.warnings
    )
    return imported


def _default_country(workspace: Workspace) -> str:
    channel = Channel.objects.filter(workspace=workspace, is_active=True).exclude(country="").first()
    return channel.country if channel else ""


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


def _upsert_flow(workspace: Workspace, definition: dict[str, Any], comment: str = "imported") -> Flow:
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
        comment=comment,
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
) -> Trigger | None:
    kind = t.get("type")
    if kind not in Trigger.Type.values or kind == Trigger.Type.SCHEDULE:
        warnings.append(f"{kind} trigger for flow {flow.name} skipped: not importable")
        return None
    keywords = [str(k).strip().lower() for k in t.get("keywords") or [] if str(k).strip()]
    match = Trigger.Match.ONLY if t.get("match_type") == "O" else Trigger.Match.STARTS
    channel = _trigger_channel(workspace, t.get("channel"))
    if kind == Trigger.Type.KEYWORD:
        if not keywords:
            warnings.append(f"keyword trigger for flow {flow.name} skipped: no keyword")
            return None
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
    return trigger
