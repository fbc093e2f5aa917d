"""Reading RapidPro export files (`"version": "13"`) into plain data the Django side can store.

Exports carry flows (goflow definitions), fields, groups and triggers; their campaigns are read
by the Django side (campaigns.services.transfer), which needs the rows this module leaves alone.
"""

from __future__ import annotations

import re
import uuid as uuidlib
from dataclasses import dataclass, field
from typing import Any

from .assets import Assets
from .definition import Flow, FlowError, read_flow, validate_flow
from .legacy.definition import LegacyError, is_legacy_definition
from .legacy.exports import is_legacy_export, migrate_export, version_key

SUPPORTED_EXPORT_VERSIONS = ("13",)

TRIGGER_TYPES = {
    "K": "keyword",
    "C": "catch_all",
    "M": "missed_call",
    "V": "incoming_call",
    "N": "new_conversation",
    "S": "schedule",
    "R": "referral",
    "O": "opt_in",
    "P": "opt_out",
}


@dataclass
class ImportResult:
    flows: list[Flow] = field(default_factory=list)
    fields: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    triggers: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[FlowError] = field(default_factory=list)
    # the flow definitions to store, as read (or as migrated from a legacy export)
    definitions: list[dict[str, Any]] = field(default_factory=list)
    # what a legacy export's migration could not carry over exactly (also in `warnings`)
    migration_warnings: list[str] = field(default_factory=list)
    migrated_from: str = ""  # the legacy export version, when the export was migrated
    labels: list[dict[str, Any]] = field(default_factory=list)
    globals: list[dict[str, Any]] = field(default_factory=list)
    topics: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def assets(self, extra: dict[str, Any] | None = None) -> Assets:
        """Assets for running the imported flows (plus e.g. channels/locations from `extra`)."""
        data = dict(extra or {})
        data.setdefault("fields", [])
        data["fields"] = list(data["fields"]) + self.fields
        data["groups"] = list(data.get("groups") or []) + self.groups
        assets = Assets.from_json(data)
        for f in self.flows:
            assets.add_flow(f)
        return assets


def read_export(data: dict[str, Any], *, default_country: str = "") -> ImportResult:
    """Parses an export; structural problems go to `errors` (with flow/node/field), not exceptions.

    Legacy exports (versions 3 to 11.x, or flows still in the action_sets/rule_sets format) are
    migrated to version 13 first; `default_country` picks language codes where that mattered.
    """
    result = ImportResult()
    if isinstance(data, dict) and "flows" not in data and is_legacy_definition(data):
        problem = "" if data.get("base_language") else " (and it has no base language)"
        result.errors.append(
            FlowError(
                "this is a single legacy flow definition, not an export: export it from RapidPro "
                f"with its 'version' and 'flows'{problem}",
                field="flows",
            )
        )
        return result
    if isinstance(data, dict) and "version" in data:
        try:
            too_old = version_key(data["version"]) < (3,)
        except LegacyError:
            too_old = True
        if too_old:
            result.errors.append(
                FlowError(
                    f"unsupported export version '{data['version']}' (3 and up can be imported)",
                    field="version",
                )
            )
            return result
    try:
        if isinstance(data, dict) and is_legacy_export(data):
            migrated, notes = migrate_export(data, default_country=default_country)
            result.migrated_from = str(data.get("version", ""))
            result.migration_warnings = notes
            result.warnings.append(f"legacy export (version {result.migrated_from}) migrated to version 13")
            result.warnings.extend(notes)
            data = migrated
    except LegacyError as e:
        result.errors.append(FlowError(f"the legacy export could not be migrated: {e}", field="flows"))
        return result
    try:
        _read_export(data, result)
    except (TypeError, ValueError, KeyError, AttributeError) as e:
        # A value of the wrong shape anywhere (a field without key, a group that is a number...).
        result.errors.append(FlowError(f"the export is not readable: {e!r}"))
    return result


def _is_uuid(value: Any) -> bool:
    try:
        uuidlib.UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string, not {value!r}"[:200])
    return value


def _text_or(value: Any, default: str) -> str:
    return value if isinstance(value, str) and value else default


def _read_export(data: dict[str, Any], result: ImportResult) -> None:
    version = str(data.get("version", ""))
    if version not in SUPPORTED_EXPORT_VERSIONS:
        try:
            newer = float(version) > 13
        except ValueError:
            newer = False
        if not newer:
            result.errors.append(FlowError(f"unsupported export version '{version}'", field="version"))
            return
        result.warnings.append(f"export version {version} is newer than 13, reading it as 13")
    for i, f in enumerate(data.get("flows") or []):
        if not isinstance(f, dict):
            result.errors.append(FlowError(f"flow {i} is not an object", field=f"flows[{i}]"))
            continue
        if not _is_uuid(f.get("uuid")):
            result.errors.append(
                FlowError(f"flow uuid {f.get('uuid')!r} is not a UUID"[:200], field=f"flows[{i}].uuid")
            )
            continue
        try:
            flow = read_flow(f, validate=False)
        except (TypeError, ValueError, KeyError, AttributeError) as e:
            result.errors.append(FlowError(f"flow {i} is not readable: {e}", field=f"flows[{i}]"))
            continue
        for err in validate_flow(flow):
            err.field = f"flows[{i}].{err.field}" if err.field else f"flows[{i}]"
            result.errors.append(err)
        result.flows.append(flow)
        result.definitions.append(f)
    for f in data.get("fields") or []:
        key = _text(f["key"], "a field key")
        result.fields.append(
            {"key": key, "name": _text_or(f.get("name"), key), "type": _text_or(f.get("type"), "text")}
        )
    for g in data.get("globals") or []:
        result.globals.append(
            {
                "key": _text(g["key"], "a global key"),
                "name": _text_or(g.get("name"), g["key"]),
                "value": g.get("value") or "",
            }
        )
    for t in data.get("topics") or []:
        result.topics.append({"uuid": _text_or(t.get("uuid"), ""), "name": _text(t["name"], "a topic name")})
    for lb in data.get("labels") or []:
        result.labels.append(
            {"uuid": _text_or(lb.get("uuid"), ""), "name": _text(lb["name"], "a label name")}
        )
    for g in data.get("groups") or []:
        result.groups.append(
            {
                "uuid": _text(g["uuid"], "a group uuid"),
                "name": _text_or(g.get("name"), ""),
                "query": _text_or(g.get("query"), ""),
            }
        )
    flow_uuids = {f.uuid for f in result.flows}
    for t in data.get("triggers") or []:
        trig = _read_trigger(t)
        if trig["flow"] and trig["flow"].get("uuid") not in flow_uuids:
            result.warnings.append(f"trigger for flow {trig['flow'].get('name')} skipped: flow not in export")
            continue
        result.triggers.append(trig)
    _collect_dependencies(result)


def _read_trigger(t: dict[str, Any]) -> dict[str, Any]:
    code = t.get("trigger_type", "")
    return {
        "type": TRIGGER_TYPES.get(code, code),
        "flow": t.get("flow") or {},
        "keywords": [k for k in ([t.get("keyword")] if t.get("keyword") else t.get("keywords") or []) if k],
        "match_type": t.get("match_type") or "F",  # F = first word, O = only word
        "groups": list(t.get("groups") or []),
        "exclude_groups": list(t.get("exclude_groups") or []),
        "channel": t.get("channel"),
    }


# RapidPro's field value types, by name and by the one-letter codes of old exports
FIELD_TYPES = {
    "text": "text", "T": "text",
    "numeric": "number", "number": "number", "N": "number", "decimal": "number",
    "datetime": "datetime", "D": "datetime",
    "state": "state", "S": "state",
    "district": "district", "I": "district",
    "ward": "ward", "W": "ward",
}  # fmt: skip
_FIELD_REF_RE = re.compile(r"\bfields\.([a-z_][a-z0-9_]{0,35})\b", re.IGNORECASE)
_GLOBAL_REF_RE = re.compile(r"\bglobals\.([a-z_][a-z0-9_]*)\b", re.IGNORECASE)


def field_type(value: Any) -> str:
    return FIELD_TYPES.get(str(value or "text"), FIELD_TYPES.get(str(value or "").lower(), ""))


def _strings(v: Any) -> list[str]:
    if isinstance(v, str):
        return [v]
    if isinstance(v, dict):
        return [s for x in v.values() for s in _strings(x)]
    if isinstance(v, list):
        return [s for x in v for s in _strings(x)]
    return []


def _collect_dependencies(result: ImportResult) -> None:
    """Adds what flows reference but the export doesn't list (older exports list nothing): fields
    set or read (@fields.x), groups added to, removed from, messaged, started or tested, labels,
    globals and topics. Names that are expressions are resolved when the flow runs, not here."""
    known_fields = {f["key"] for f in result.fields}
    known_groups = {g["uuid"] for g in result.groups if g.get("uuid")}
    group_names = {g["name"].lower() for g in result.groups if g.get("name")}

    def add_field(key: str, name: str = "") -> None:
        key = key.lower()
        if key not in known_fields:
            result.fields.append({"key": key, "name": name or key.replace("_", " ").title(), "type": "text"})
            known_fields.add(key)

    def add_group(ref: dict[str, Any]) -> None:
        if ref.get("uuid"):
            if ref["uuid"] not in known_groups and (ref.get("name") or "").lower() not in group_names:
                result.groups.append({"uuid": ref["uuid"], "name": ref.get("name", ""), "query": ""})
                known_groups.add(ref["uuid"])
                # an unnamed group must not stand for every other unnamed one
                if ref.get("name"):
                    group_names.add(ref["name"].lower())
            return
        name = ref.get("name_match") or ref.get("name") or ""
        if name and "@" not in name and name.lower() not in group_names:
            result.groups.append({"uuid": "", "name": name, "query": ""})
            group_names.add(name.lower())

    def add_named(kind: list[dict[str, Any]], ref: dict[str, Any]) -> None:
        name = ref.get("name") or ref.get("name_match") or ""
        if name and "@" not in name and all(x["name"].lower() != name.lower() for x in kind):
            kind.append({"uuid": ref.get("uuid") or "", "name": name})

    for flow in result.flows:
        for node in flow.nodes:
            texts: list[str] = []
            for action in node.actions:
                fld = action.get("field")
                if action.type == "set_contact_field" and isinstance(fld, dict) and fld.get("key"):
                    add_field(str(fld["key"]), str(fld.get("name") or ""))
                for g in action.get("groups") or []:
                    if isinstance(g, dict):
                        add_group(g)
                for lb in action.get("labels") or []:
                    if isinstance(lb, dict):
                        add_named(result.labels, lb)
                if isinstance(action.get("topic"), dict):
                    add_named(result.topics, action.get("topic"))
                texts.extend(_strings(action.raw))
            if node.router is not None:
                texts.append(node.router.operand)
                for case in node.router.cases:
                    texts.extend(case.arguments)
                    if case.type == "has_group" and case.arguments:
                        add_group({"uuid": case.arguments[0], "name": (case.arguments[1:] or [""])[0]})
            for text in texts:
                if "fields." in text:
                    for key in _FIELD_REF_RE.findall(text):
                        add_field(key)
                if "globals." in text:
                    for key in _GLOBAL_REF_RE.findall(text):
                        if all(g["key"] != key.lower() for g in result.globals):
                            result.globals.append({"key": key.lower(), "name": key, "value": ""})


def validate_definition(definition: dict[str, Any]) -> list[FlowError]:
    """Validates one flow definition dict (what the editor saves)."""
    try:
        flow = read_flow(definition, validate=False)
    except (TypeError, ValueError, KeyError, AttributeError) as e:
        return [FlowError(f"definition is not readable: {e}")]
    return validate_flow(flow)
