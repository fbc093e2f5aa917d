"""Creating flows, saving definitions as revisions, reverting, and exporting to RapidPro format."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from channels_app.models import ContactField, ContactGroup, Workspace
from flows.engine import FlowError, validate_definition
from flows.models import Flow, FlowRevision, Trigger

SPEC_VERSION = "14.4.1"
EXPORT_VERSION = "13"
DEFAULT_EXPIRE_MINUTES = 60 * 24 * 7


# exports carry flow tests under this top-level key (RapidPro's importer ignores unknown keys)
TESTS_EXPORT_KEY = "flowgate_tests"


@dataclass
class DefinitionInvalid(ValueError):
    errors: list[FlowError]

    def __str__(self) -> str:
        return "; ".join(e.message for e in self.errors[:5])


def error_payload(errors: list[FlowError]) -> list[dict[str, Any]]:
    return [{"node_uuid": e.node_uuid, "field": e.field, "message": e.message} for e in errors]


def empty_definition(*, flow_uuid: str, name: str, flow_type: str = "messaging") -> dict[str, Any]:
    return {
        "uuid": flow_uuid,
        "name": name,
        "spec_version": SPEC_VERSION,
        "language": "eng",
        "type": flow_type,
        "revision": 1,
        "expire_after_minutes": DEFAULT_EXPIRE_MINUTES,
        "localization": {},
        "nodes": [],
    }


@transaction.atomic
def create_flow(*, workspace: Workspace, name: str, flow_type: str = "messaging") -> Flow:
    name = name.strip()
    if not name:
        raise DefinitionInvalid([FlowError("a flow needs a name", field="name")])
    if flow_type not in ("messaging", "voice", "messaging_background"):
        raise DefinitionInvalid([FlowError(f"unknown flow type {flow_type!r}", field="type")])
    flow_uuid = str(uuid.uuid4())
    definition = empty_definition(flow_uuid=flow_uuid, name=name, flow_type=flow_type)
    flow = Flow.objects.create(
        workspace=workspace, uuid=flow_uuid, name=name[:128], flow_type=flow_type, definition=definition
    )
    FlowRevision.objects.create(flow=flow, revision=1, definition=definition, spec_version=SPEC_VERSION)
    return flow


@transaction.atomic
def save_definition(*, flow: Flow, definition: dict[str, Any], comment: str = "") -> Flow:
    """Validate and store `definition` as the flow's next revision (invalid ones are refused)."""
    if not isinstance(definition, dict):
        raise DefinitionInvalid([FlowError("the definition must be a JSON object", field="definition")])
    definition = dict(definition)
    definition["uuid"] = str(flow.uuid)  # the editor can't move a definition to another flow
    definition.setdefault("name", flow.name)
    definition.setdefault("spec_version", SPEC_VERSION)
    definition.setdefault("type", flow.flow_type)
    definition.setdefault("localization", {})
    errors = validate_definition(definition)
    if errors:
        raise DefinitionInvalid(errors)
    flow = Flow.objects.select_for_update().get(id=flow.id)
    flow.revision += 1
    definition["revision"] = flow.revision
    flow.definition = definition
    flow.name = str(definition.get("name") or flow.name)[:128]
    flow.flow_type = str(definition.get("type") or flow.flow_type)
    flow.spec_version = str(definition.get("spec_version") or SPEC_VERSION)
    flow.save()
    FlowRevision.objects.create(
        flow=flow,
        revision=flow.revision,
        definition=definition,
        spec_version=flow.spec_version,
        comment=comment,
    )
    if flow.tests:
        # saving runs the flow's tests, so a change that breaks one shows in the flows list
        from flows.services import flowtests

        flowtests.refresh_status(flow=flow)
    return flow


def revert(*, flow: Flow, revision: int) -> Flow:
    old = FlowRevision.objects.filter(flow=flow, revision=revision).first()
    if old is None:
        raise LookupError(f"revision {revision} not found")
    return save_definition(flow=flow, definition=old.definition, comment=f"reverted to revision {revision}")


def flow_payload(flow: Flow, *, with_definition: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "uuid": str(flow.uuid),
        "name": flow.name,
        "type": flow.flow_type,
        "revision": flow.revision,
        "archived": flow.archived,
        "tests": len(flow.tests or []),
        "tests_failing": flow.tests_failing,
        "created_on": flow.created_on,
        "modified_on": flow.modified_on,
    }
    if with_definition:
        out["definition"] = flow.definition
    legacy = (
        ((flow.definition or {}).get("_ui") or {}).get("legacy")
        if isinstance(flow.definition, dict)
        else None
    )
    if isinstance(legacy, dict) and legacy.get("warnings"):
        # a migrated legacy flow: what couldn't be migrated exactly (the editor shows it)
        out["migration_warnings"] = list(legacy["warnings"])
    return out


def _referenced_flows(flow: Flow) -> list[Flow]:
    """The flow and every flow it enters or starts, transitively (so the export runs alone)."""
    seen: dict[str, Flow] = {str(flow.uuid): flow}
    todo = [flow]
    while todo:
        current = todo.pop()
        for node in current.definition.get("nodes") or []:
            for action in node.get("actions") or []:
                ref = action.get("flow") if action.get("type") in ("enter_flow", "start_session") else None
                uid = (ref or {}).get("uuid")
                if uid and uid not in seen:
                    child = Flow.objects.filter(workspace_id=flow.workspace_id, uuid=uid).first()
                    if child is not None:
                        seen[uid] = child
                        todo.append(child)
    return list(seen.values())


def campaigns_for_flows(*, workspace_id: int, flow_ids: list[int]) -> list[dict[str, Any]]:
    from campaigns.services.transfer import campaigns_for_flows as found  # campaigns import flows

    return found(workspace_id=workspace_id, flow_ids=flow_ids)


def export_flows(*, flows: list[Flow]) -> dict[str, Any]:
    """A RapidPro version 13 export of `flows` (plus subflows, fields, groups and triggers)."""
    if not flows:
        return {
            "version": EXPORT_VERSION,
            "site": "flowgate",
            "flows": [],
            "campaigns": [],
            "triggers": [],
            "fields": [],
            "groups": [],
        }
    workspace_id = flows[0].workspace_id
    everything: dict[str, Flow] = {}
    for flow in flows:
        for f in _referenced_flows(flow):
            everything[str(f.uuid)] = f
    blob = json.dumps([f.definition for f in everything.values()])
    fields = [
        {"key": f.key, "name": f.name, "type": f.value_type}
        for f in ContactField.objects.filter(workspace_id=workspace_id).order_by("key")
        if f'"key": "{f.key}"' in blob or f"fields.{f.key}" in blob
    ]
    groups = [
        {"uuid": str(g.uuid), "name": g.name, "query": g.query or None}
        for g in ContactGroup.objects.filter(workspace_id=workspace_id).order_by("name")
        if str(g.uuid) in blob
    ]
    triggers = []
    for t in (
        Trigger.objects.filter(flow__in=everything.values(), archived=False)
        .select_related("flow", "channel")
        .prefetch_related("groups", "exclude_groups")
    ):
        code = _CODES_BY_TYPE.get(t.trigger_type)
        if code is None:
            continue
        triggers.append(
            {
                "trigger_type": code,
                "flow": {"uuid": str(t.flow.uuid), "name": t.flow.name},
                "keywords": list(t.keywords),
                "keyword": t.keywords[0] if t.keywords else None,
                "match_type": "O" if t.match_type == Trigger.Match.ONLY else "F",
                "groups": [{"uuid": str(g.uuid), "name": g.name} for g in t.groups.all()],
                "exclude_groups": [{"uuid": str(g.uuid), "name": g.name} for g in t.exclude_groups.all()],
                "channel": {"uuid": str(t.channel.uuid), "name": t.channel.name} if t.channel else None,
            }
        )
    export: dict[str, Any] = {
        "version": EXPORT_VERSION,
        "site": "flowgate",
        "flows": [f.definition for f in everything.values()],
        "campaigns": campaigns_for_flows(
            workspace_id=workspace_id, flow_ids=[f.id for f in everything.values()]
        ),
        "triggers": triggers,
        "fields": fields,
        "groups": groups,
    }
    tests = {uid: f.tests for uid, f in everything.items() if f.tests}
    if tests:
        # an extension key RapidPro's importer ignores: flow uuid -> that flow's tests
        export[TESTS_EXPORT_KEY] = tests
    return export


_TRIGGER_CODES = {
    "K": Trigger.Type.KEYWORD,
    "C": Trigger.Type.CATCH_ALL,
    "M": Trigger.Type.MISSED_CALL,
    "V": Trigger.Type.INCOMING_CALL,
    "N": Trigger.Type.NEW_CONVERSATION,
    "O": Trigger.Type.OPT_IN,
    "P": Trigger.Type.OPT_OUT,
}
_CODES_BY_TYPE: dict[str, str] = {str(v): k for k, v in _TRIGGER_CODES.items()}
