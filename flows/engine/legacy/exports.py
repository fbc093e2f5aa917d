"""Bringing an old RapidPro export (versions 3 to 11.12) up to version 13.

RapidPro changed its export format step by step before flows moved to goflow's spec; each step
is replayed here in order for an export older than that step, then every flow is migrated from
the legacy `action_sets`/`rule_sets` format to a spec 13 definition. Steps that depended on the
exporting site's database (mapping ids to existing objects) work from the export alone: ids
become stable fresh uuids, consistently across flows, triggers and campaigns.
"""

from __future__ import annotations

import copy
import json
import re
import uuid as uuidlib
from collections.abc import Callable
from typing import Any

from .definition import LegacyError, is_legacy_definition, migrate_definition
from .v7 import migrate_v7_template

VERSIONS = [
    "3", "4", "5", "6", "7", "8", "9", "10", "10.1", "10.2", "10.3", "10.4", "11.0", "11.1", "11.2",
    "11.3", "11.4", "11.5", "11.6", "11.7", "11.8", "11.9", "11.10", "11.11", "11.12",
]  # fmt: skip
LAST_LEGACY = "11.12"

# ISO 639-2 bibliographic codes whose ISO 639-3 code differs, and RapidPro's own choices for
# collective codes (per country where it mattered)
_B_TO_T = {
    "alb": "sqi", "arm": "hye", "baq": "eus", "bur": "mya", "chi": "zho", "cze": "ces", "dut": "nld",
    "fre": "fra", "geo": "kat", "ger": "deu", "gre": "ell", "ice": "isl", "mac": "mkd", "mao": "mri",
    "may": "msa", "per": "fas", "rum": "ron", "slo": "slk", "tib": "bod", "wel": "cym",
}  # fmt: skip
_LANG_OVERRIDES = {
    "NG:cpe": "pcm", "LR:cpe": "lir", "NI:cpe": "bzk", "mkh": "khm", "cpe": "pcm", "art": "epo",
    "cpf": "gcr", "phi": "fil", "smi": "smj", "afa": "ara", "aus": "rop", "cpp": "kea", "him": "xnr",
    "kar": "blk", "esp": "spa",
}  # fmt: skip


def version_key(v: Any) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in str(v).strip().split("."))
    except ValueError:
        raise LegacyError(f"export version {v!r} is not a version number") from None


def is_legacy_export(data: dict[str, Any]) -> bool:
    """An export older than 13, or one whose flows are still legacy definitions."""
    try:
        # no version at all is not "very old": it is no RapidPro export (those always carry one)
        old = "version" in data and version_key(data["version"]) < (13,)
    except LegacyError:
        return False
    flows = data.get("flows") or []
    if not isinstance(flows, list):
        return old
    return old or any(is_legacy_definition(f) or (isinstance(f, dict) and "definition" in f) for f in flows)


class _Ids:
    """Stable uuids for the integer ids old exports used, per kind of object."""

    def __init__(self, new_uuid: Callable[[], str]) -> None:
        self.maps: dict[str, dict[str, str]] = {}
        self.new_uuid = new_uuid

    def get(self, kind: str, obj_id: Any) -> str:
        m = self.maps.setdefault(kind, {})
        key = str(obj_id)
        if key not in m:
            m[key] = self.new_uuid()
        return m[key]


def migrate_export(
    data: dict[str, Any],
    *,
    default_country: str = "",
    base_media_url: str = "",
    new_uuid: Callable[[], str] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """A copy of `data` as a version 13 export, and warnings about anything not migrated exactly."""
    gen = new_uuid or (lambda: str(uuidlib.uuid4()))
    export = copy.deepcopy(data)
    warnings: list[str] = []
    if not isinstance(export.get("flows") or [], list):
        raise LegacyError("'flows' must be a list")
    start = version_key(export.get("version", "0"))
    own_versions = [
        str(f.get("version") or "") if isinstance(f, dict) else "" for f in export.get("flows") or []
    ]
    try:
        if start >= (7,) and any(
            isinstance(f, dict) and "definition" in f for f in export.get("flows") or []
        ):
            # flows still nested in a definition (older than the export says): unwrap them first
            export = _v7(export, gen, default_country, warnings)
        for version in VERSIONS:
            if version_key(version) > start:
                export = _STEPS[version](export, gen, default_country, warnings)
                for f in export.get("flows") or []:
                    if isinstance(f, dict):
                        f["version"] = version
    except (KeyError, TypeError, AttributeError, IndexError, ValueError, RecursionError) as e:
        if isinstance(e, LegacyError):
            raise
        raise LegacyError(
            f"the export could not be migrated from version {data.get('version')}: {e!r}"[:300]
        ) from None

    flows = []
    for i, f in enumerate(export.get("flows") or []):
        if not isinstance(f, dict):
            raise LegacyError(f"flow {i} is not an object")
        if is_legacy_definition(f):
            if not f.get("base_language"):
                raise LegacyError(f"flow {i} ({_flow_name(f)}) has no base language")
            try:
                migrated, notes = migrate_definition(f, base_media_url=base_media_url, new_uuid=gen)
            except LegacyError as e:
                raise LegacyError(f"flow {i} ({_flow_name(f)}): {e}") from None
            warnings.extend(f"flow {migrated['name'] or migrated['uuid']}: {n}" for n in notes)
            # kept with the flow so the editor can show what wasn't migrated exactly
            version = (own_versions[i] if i < len(own_versions) else "") or str(data.get("version", ""))
            migrated["_ui"]["legacy"] = {"export_version": version, "warnings": notes}
            flows.append(migrated)
        else:
            flows.append(f)
    export["flows"] = flows
    export["version"] = "13"
    return export, warnings


def _flow_name(f: dict[str, Any]) -> str:
    meta = f.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    return str(name or f.get("name") or "unnamed")


def _defs(export: dict[str, Any]) -> list[dict[str, Any]]:
    """The flow definitions, wherever this version of the format keeps them."""
    out = []
    for f in export.get("flows") or []:
        if isinstance(f, dict):
            out.append(f["definition"] if isinstance(f.get("definition"), dict) else f)
    return out


def _actions(d: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for s in d.get("action_sets") or [] for a in s.get("actions") or [] if isinstance(a, dict)]


def _label_slug(label: Any) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(label or "").lower())


def _entry(d: dict[str, Any]) -> str | None:
    """The top-most (then left-most) node: what old flows started at."""
    nodes = [*(d.get("rule_sets") or []), *(d.get("action_sets") or [])]
    if not nodes:
        return None
    best = min(nodes, key=lambda n: (n.get("y") or 0, n.get("x") or 0))
    return best.get("uuid")


def _cleanse_groups(d: dict[str, Any]) -> None:
    """Old group actions had a single `group`, and names that aren't valid group names any more."""
    for a in _actions(d):
        if a.get("type") in ("add_group", "del_group"):
            if "group" in a and "groups" not in a:
                a["groups"] = [a.pop("group")]
            for g in a.get("groups") or []:
                if isinstance(g, dict):
                    name = g.get("name") or "Unknown"
                    if name.strip() != name or len(name) > 64 or not re.match(r"\w", name[0]):
                        name = f"Contacts {name}"
                    g["name"] = name
    # action sets left empty are dropped, and the entry recomputed
    sets = d.get("action_sets") or []
    kept = [s for s in sets if s.get("actions")]
    if len(kept) < len(sets):
        d["action_sets"] = kept
        d["entry"] = _entry(d)


def _move_down(d: dict[str, Any], below: int, delta: int = 100) -> None:
    for n in [*(d.get("action_sets") or []), *(d.get("rule_sets") or [])]:
        if (n.get("y") or 0) >= below:
            n["y"] = (n.get("y") or 0) + delta


def _only_other_rule(d: dict[str, Any], rs: dict[str, Any]) -> None:
    kept = []
    for rule in rs.get("rules") or []:
        if (rule.get("test") or {}).get("type") == "true":
            if isinstance(rule.get("category"), dict):
                rule["category"][d.get("base_language", "base")] = "All Responses"
            else:
                rule["category"] = "All Responses"
            kept.append(rule)
    rs["rules"] = kept


def _insert_before(
    d: dict[str, Any], node: dict[str, Any], nxt: dict[str, Any], gen: Callable[[], str]
) -> None:
    """`node` takes over `nxt`'s uuid (so what pointed at nxt now reaches node first)."""
    node["uuid"] = nxt["uuid"]
    nxt["uuid"] = gen()
    for rule in node.get("rules") or []:
        rule["destination"] = nxt["uuid"]
    _move_down(d, node.get("y") or 0)
    d.setdefault("rule_sets", []).append(node)


# ----------------------------------------------------------------------------------- steps
# each step: (export, new_uuid, default_country, warnings) -> export


def _v5(export: dict[str, Any], gen: Callable[[], str], _c: str, _w: list[str]) -> dict[str, Any]:
    """Rule sets got explicit types; implicit waits before expressions/webhooks became nodes."""
    for d in _defs(export):
        _cleanse_groups(d)
        for rs in list(d.get("rule_sets") or []):
            response_type = rs.pop("response_type", None)
            for rule in rs.get("rules") or []:
                rule.pop("config", None)
            if not response_type or rs.get("ruleset_type"):
                continue
            label = rs.get("label") or ""
            webhook = rs.pop("webhook", None)
            webhook_action = rs.pop("webhook_action", None)
            operand = (rs.get("operand") or "@step.value").strip()
            is_expr = operand.startswith("=(") and len(operand) > 2
            if "@step" in operand or (is_expr and "step" in operand):
                kind = {"K": "wait_digits", "M": "wait_digit", "R": "wait_recording"}.get(response_type)
                if kind:
                    rs["ruleset_type"] = kind
                elif operand == "@step.value":
                    rs["ruleset_type"] = "wait_message"
                else:
                    rs["ruleset_type"] = "expression"
                    pause = copy.deepcopy(rs)
                    pause.update(
                        ruleset_type="wait_message", operand="@step.value", label=label + " Response"
                    )
                    _only_other_rule(d, pause)
                    _insert_before(d, pause, rs, gen)
            else:
                rs["ruleset_type"] = "expression"
                if " " not in operand and "|" not in operand:
                    if operand.startswith("@contact.") and operand != "@contact.groups":
                        rs["ruleset_type"] = "contact_field"
                    elif operand.startswith("@flow."):
                        rs["ruleset_type"] = "flow_field"
                if webhook:
                    pause = copy.deepcopy(rs)
                    pause.update(
                        ruleset_type="wait_message", operand="@step.value", label=label + " Response"
                    )
                    _only_other_rule(d, pause)
                    _insert_before(d, pause, rs, gen)
            if webhook:
                hook = copy.deepcopy(rs)
                hook.update(
                    webhook=webhook,
                    webhook_action=webhook_action,
                    operand="@step.value",
                    ruleset_type="webhook",
                    label=label + " Webhook",
                )
                _only_other_rule(d, hook)
                _insert_before(d, hook, rs, gen)
    return export


def _v6(export: dict[str, Any], _g: Callable[[], str], _c: str, _w: list[str]) -> dict[str, Any]:
    """Every translatable text became a {language: text} map ("base" when there was no language)."""

    def as_map(obj: dict[str, Any], key: str) -> None:
        if not isinstance(obj.get(key), dict):
            obj[key] = {"base": obj.get(key)}

    for d in _defs(export):
        _cleanse_groups(d)
        if "base_language" in d:
            continue
        d["base_language"] = "base"
        for rs in d.get("rule_sets") or []:
            for rule in rs.get("rules") or []:
                test = rule.get("test") or {}
                if test.get("type") == "between" and "category" not in rule:
                    rule["category"] = f"{test.get('min')}-{test.get('max')}"
                as_map(rule, "category")
                if test.get("type") in ("contains", "contains_any", "starts", "regex"):
                    as_map(test, "test")
        for a in _actions(d):
            if a.get("type") in ("send", "reply", "say"):
                as_map(a, "msg")
            if a.get("type") == "say" and "recording" in a:
                as_map(a, "recording")
    return export


def _v7(export: dict[str, Any], _g: Callable[[], str], _c: str, _w: list[str]) -> dict[str, Any]:
    """The flow's definition stopped being nested; its details moved into `metadata`."""
    flows = []
    for f in export.get("flows") or []:
        d = f.get("definition") if isinstance(f, dict) else None
        if not isinstance(d, dict):
            flows.append(f)
            continue
        _cleanse_groups(d)
        d["flow_type"] = f.get("flow_type", "F")
        meta = d.get("metadata") or {}
        d["metadata"] = meta
        meta["name"] = f.get("name")
        meta["id"] = f.get("id")
        meta["uuid"] = f.get("uuid")
        if f.get("revision"):
            meta["revision"] = f["revision"]
        meta["saved_on"] = f.get("last_saved")
        if f.get("expires") and not meta.get("expires"):
            meta["expires"] = f["expires"]
        if not d.get("entry") and f.get("entry"):
            d["entry"] = f["entry"]
        d.pop("rulesets", None)
        flows.append(d)
    export["flows"] = flows
    return export


def _v8(export: dict[str, Any], _g: Callable[[], str], _c: str, _w: list[str]) -> dict[str, Any]:
    """Filter (`@contact.name|upper_case`) and equals (`=UPPER(...)`) expressions became @(...)."""

    def fix(node: Any) -> Any:
        if isinstance(node, str):
            return migrate_v7_template(node)
        if isinstance(node, list):
            return [fix(x) for x in node]
        if isinstance(node, dict):
            return {k: fix(v) for k, v in node.items()}
        return node

    for d in _defs(export):
        _cleanse_groups(d)
        for rs in d.get("rule_sets") or []:
            for rule in rs.get("rules") or []:
                rule["test"] = fix(rule.get("test"))
            if rs.get("operand"):
                rs["operand"] = fix(rs["operand"])
            if rs.get("webhook"):
                rs["webhook"] = fix(rs["webhook"])
        for s in d.get("action_sets") or []:
            s["actions"] = [fix(a) for a in s.get("actions") or []]
    return export


def _sub_until_stable(text: str, pattern: str, repl: str) -> str:
    rx = re.compile(pattern, re.MULTILINE)
    while True:
        text, n = rx.subn(repl, text)
        if not n:
            return text


def _export_v9(export: dict[str, Any], gen: Callable[[], str], _c: str, _w: list[str]) -> dict[str, Any]:
    """Ids became uuids everywhere; @extra.flow/@extra.contact became @parent/@parent.contact."""
    text = json.dumps(export)
    text = _sub_until_stable(text, r"@(extra\.flow)", "@parent")
    text = _sub_until_stable(text, r"(@\(.*?)extra\.flow(.*?\))", r"\1parent\2")
    text = _sub_until_stable(text, r"@(extra\.contact)", "@parent.contact")
    text = _sub_until_stable(text, r"(@\(.*?)extra\.contact(.*?\))", r"\1parent.contact\2")
    export = json.loads(text)
    ids = _Ids(gen)

    def remap(ele: Any, kind: str, nested: str | None = None, as_dict: bool = False) -> Any:
        if isinstance(ele, str) and as_dict:
            if ele.startswith("@"):
                return ele
            ele = {"name": ele}
        if not isinstance(ele, dict):
            return ele
        obj_id = ele.pop("id", None)
        name = ele.pop("name", None)
        target = ele
        if nested:
            target = ele[nested] = {}
        if obj_id:
            target["uuid"] = ids.get(kind, obj_id)
        if name:
            target["name"] = name
        return ele

    for d in export.get("flows") or []:  # flows' own ids first: actions and triggers refer to them
        meta = d.get("metadata") or {}
        if meta.get("id") and meta.get("uuid"):
            ids.maps.setdefault("flow", {})[str(meta["id"])] = meta["uuid"]
    for d in export.get("flows") or []:
        _cleanse_groups(d)
        for a in _actions(d):
            if a.get("type") in ("add_group", "del_group", "send", "trigger-flow"):
                groups = [remap(g, "group", as_dict=True) for g in a.get("groups") or []]
                for c in a.get("contacts") or []:
                    remap(c, "contact")
                if groups:
                    a["groups"] = groups
            if a.get("type") in ("trigger-flow", "flow") and "flow" not in a:
                remap(a, "flow", nested="flow")
            elif a.get("type") in ("trigger-flow", "flow") and isinstance(a.get("flow"), dict):
                remap(a["flow"], "flow")
            if a.get("type") == "add_label":
                for lb in a.get("labels") or []:
                    remap(lb, "label")
        meta = d.get("metadata") or {}
        if meta.get("id"):
            # (already in ids.maps: the first loop or ids.get recorded it)
            meta["uuid"] = meta.get("uuid") or ids.get("flow", meta["id"])
            meta.pop("id", None)
        else:
            meta.pop("id", None)
    for t in export.get("triggers") or []:
        if isinstance(t.get("flow"), dict):
            remap(t["flow"], "flow")
        t["groups"] = [remap(g, "group", as_dict=True) for g in t.get("groups") or []]
    for c in export.get("campaigns") or []:
        remap(c, "campaign")
        c["group"] = remap(c.get("group"), "group", as_dict=True)
        for ev in c.get("events") or []:
            remap(ev, "event")
            if isinstance(ev.get("relative_to"), dict):
                ev["relative_to"].pop("id", None)
            if isinstance(ev.get("flow"), dict):
                remap(ev["flow"], "flow")
    return export


def _v10(export: dict[str, Any], gen: Callable[[], str], _c: str, _w: list[str]) -> dict[str, Any]:
    """Webhook rule sets got success and failure rules; their settings moved into `config`."""
    for d in _defs(export):
        _cleanse_groups(d)
        lang = d.get("base_language", "base")
        for rs in d.get("rule_sets") or []:
            if rs.get("ruleset_type") != "webhook":
                rs.pop("webhook_action", None)
                rs.pop("webhook", None)
                continue
            config = rs.setdefault("config", {})
            config["webhook_action"] = rs.pop("webhook_action", None)
            config["webhook"] = rs.pop("webhook", None)
            first = (rs.get("rules") or [{}])[0]
            rules = []
            for status in ("success", "failure"):
                rule: dict[str, Any] = {
                    "test": {"status": status, "type": "webhook_status"},
                    "category": {lang: status.capitalize()},
                    "uuid": first.get("uuid") if status == "success" and first.get("uuid") else gen(),
                }
                if first.get("destination"):
                    rule["destination"] = first["destination"]
                    rule["destination_type"] = first.get("destination_type")
                rules.append(rule)
            rs["rules"] = rules
    return export


def _v10_1(export: dict[str, Any], gen: Callable[[], str], _c: str, _w: list[str]) -> dict[str, Any]:
    for d in _defs(export):
        _cleanse_groups(d)
        for a in _actions(d):
            if not a.get("uuid"):
                a["uuid"] = gen()
    return export


def _v10_2(export: dict[str, Any], _g: Callable[[], str], _c: str, _w: list[str]) -> dict[str, Any]:
    """Single message flows whose reply text wasn't localized."""
    for d in _defs(export):
        lang = d.get("base_language") or "base"
        d["base_language"] = lang
        for a in _actions(d):
            if a.get("type") == "reply" and not isinstance(a.get("msg"), dict):
                a["msg"] = {lang: a.get("msg")}
        _cleanse_groups(d)
    return export


def _v10_3(export: dict[str, Any], gen: Callable[[], str], _c: str, _w: list[str]) -> dict[str, Any]:
    for d in _defs(export):
        for s in d.get("action_sets") or []:
            s["exit_uuid"] = gen()
    return export


def _v10_4(export: dict[str, Any], gen: Callable[[], str], _c: str, _w: list[str]) -> dict[str, Any]:
    for d in _defs(export):
        for s in d.get("action_sets") or []:
            if not s.get("exit_uuid"):
                s["exit_uuid"] = gen()
            for a in s.get("actions") or []:
                if not a.get("uuid"):
                    a["uuid"] = gen()
    return export


def _export_v11_0(export: dict[str, Any], _g: Callable[[], str], _c: str, w: list[str]) -> dict[str, Any]:
    """Dates and locations got explicit format_date/format_location in messages."""
    end = r"([^0-9a-zA-Z\.]|\.[^0-9a-zA-Z\.]|$|\.$)"
    for d in _defs(export):
        replacements = [
            (r"@date" + end, r"@(format_date(date))\1"),
            (r"@date\.now", r"@(format_date(date.now))"),
        ]
        for rs in d.get("rule_sets") or []:
            rs_type = None
            for rule in rs.get("rules") or []:
                test = (rule.get("test") or {}).get("type")
                if not test or test == "true":
                    continue
                if not rs_type:
                    rs_type = test
                elif test != rs_type:
                    rs_type = "none"
            if rs.get("label") is None:
                continue
            key = _label_slug(rs["label"])
            replacements.append((rf"@flow\.{key}\.time", rf"@(format_date(flow.{key}.time))"))
            fn = {"date": "format_date", "date_before": "format_date", "date_after": "format_date"}
            fn.update(date_equal="format_date", state="format_location", district="format_location")
            fn["ward"] = "format_location"
            if rs_type in fn:
                replacements.append((rf"@flow\.{key}" + end, rf"@({fn[rs_type]}(flow.{key}))\1"))
        for a in _actions(d):
            if a.get("type") in ("reply", "send", "say") and isinstance(a.get("msg"), dict):
                for lang, text in list(a["msg"].items()):
                    if isinstance(text, dict):  # some single message flows nested dicts
                        text = next(iter(text.values()), "")
                    if isinstance(text, str):
                        for pattern, repl in replacements:
                            text = re.sub(pattern, repl, text, flags=re.MULTILINE)
                    a["msg"][lang] = text
    field_refs = re.compile(
        r"@\(?contact\.(?!name\b|first_name\b|tel\b|tel_e164\b|uuid\b|groups\b|language\b)\w+"
    )
    if any(field_refs.search(json.dumps(_actions(d))) for d in _defs(export)):
        w.append(
            "export older than 11.0: contact fields holding dates or locations are not wrapped in "
            "format_date/format_location (the exporting site's field types are unknown)"
        )
    return export


def iso639_3(code: Any, country: str = "") -> Any:
    if not isinstance(code, str) or not code or code == "base":
        return code
    low = code.lower().strip()
    return _LANG_OVERRIDES.get(f"{country}:{low}") or _LANG_OVERRIDES.get(low) or _B_TO_T.get(low, low)


def _export_v11_1(
    export: dict[str, Any], _g: Callable[[], str], country: str, _w: list[str]
) -> dict[str, Any]:
    """Translation language codes moved from ISO 639-2 to ISO 639-3."""

    def is_lang_map(obj: dict[str, Any]) -> bool:
        return all(len(k) == 3 or k == "base" for k in obj)

    def walk(obj: Any) -> Any:
        if isinstance(obj, dict):
            if is_lang_map(obj):
                return {(k if k == "base" else iso639_3(k, country)): v for k, v in obj.items()}
            if "lang" in obj and obj["lang"] != "base":
                obj["lang"] = iso639_3(obj["lang"], country)
                return obj
            return {k: walk(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [walk(x) for x in obj]
        return obj

    export["flows"] = [walk(f) for f in export.get("flows") or []]
    return export


def _export_v11_2(
    export: dict[str, Any], _g: Callable[[], str], country: str, _w: list[str]
) -> dict[str, Any]:
    for d in _defs(export):
        if d.get("base_language") and d["base_language"] != "base":
            d["base_language"] = iso639_3(d["base_language"], country)
    return export


def _v11_3(export: dict[str, Any], _g: Callable[[], str], _c: str, _w: list[str]) -> dict[str, Any]:
    for d in _defs(export):
        for a in _actions(d):
            if a.get("type") == "api" and a.get("action", "POST") == "POST":
                a["action"] = "POST"
                a["legacy_format"] = True
        for rs in d.get("rule_sets") or []:
            if rs.get("ruleset_type") == "webhook":
                config = rs.setdefault("config", {})
                if config.get("webhook_action", "POST") == "POST":
                    config["legacy_format"] = True
    return export


def _v11_4(export: dict[str, Any], _g: Callable[[], str], _c: str, _w: list[str]) -> dict[str, Any]:
    """@flow.x.text of a rule set that doesn't wait is the operand: @step.value."""
    for d in _defs(export):
        slugs = {_label_slug(r.get("label")) for r in d.get("rule_sets") or []}
        non_waiting = {
            _label_slug(r.get("label"))
            for r in d.get("rule_sets") or []
            if not str(r.get("ruleset_type") or "").startswith("wait_")
        }
        if not non_waiting or not slugs:
            continue
        rx = re.compile(
            r"flow\.(" + "|".join(map(re.escape, non_waiting)) + r")\.text", re.IGNORECASE | re.MULTILINE
        )
        for a in _actions(d):
            if a.get("type") in ("reply", "send", "say", "email"):
                msg = a.get("msg")
                if isinstance(msg, str):
                    a["msg"] = rx.sub("step.value", msg)
                elif isinstance(msg, dict):
                    for lang, text in msg.items():
                        msg[lang] = rx.sub("step.value", text or "")
    return export


def _replace_templates(d: dict[str, Any], fn: Callable[[str], str]) -> None:
    for a in _actions(d):
        if a.get("type") in ("reply", "send", "say", "email"):
            msg = a.get("msg")
            if isinstance(msg, str):
                a["msg"] = fn(msg)
            elif isinstance(msg, dict):
                for lang, text in msg.items():
                    msg[lang] = fn(text or "")
        elif a.get("type") == "save":
            a["value"] = fn(a.get("value") or "")
        elif a.get("type") == "api":
            a["webhook"] = fn(a.get("webhook") or "")
    for rs in d.get("rule_sets") or []:
        if "operand" in rs:
            before = rs["operand"] or ""
            rs["operand"] = fn(before)
            if before != rs["operand"] and rs.get("ruleset_type") == "flow_field":
                rs["ruleset_type"] = "expression"
            for rule in rs.get("rules") or []:
                test = rule.get("test") or {}
                if isinstance(test.get("test"), dict):
                    for lang, t in test["test"].items():
                        test["test"][lang] = fn(t or "")
        config = rs.get("config")
        if isinstance(config, dict) and "webhook" in config:
            config["webhook"] = fn(config["webhook"] or "")


def _v11_5(export: dict[str, Any], _g: Callable[[], str], _c: str, _w: list[str]) -> dict[str, Any]:
    """@flow.x(.value) of a webhook rule set is the webhook's response: @extra.x."""
    for d in _defs(export):
        hooks: set[str] = set()
        others: set[str] = set()
        for r in d.get("rule_sets") or []:
            slug = _label_slug(r.get("label"))
            if slug:
                (hooks if r.get("ruleset_type") in ("webhook", "resthook") else others).add(slug)
        slugs = hooks - others
        if not slugs:
            continue
        rx = re.compile(
            r"flow\.(" + "|".join(map(re.escape, sorted(slugs))) + r")(\.value)?(?!\.\w)",
            re.IGNORECASE | re.MULTILINE,
        )
        _replace_templates(d, lambda t, rx=rx: rx.sub(r"extra.\1", t))  # type: ignore[misc]
    return export


def _noop(export: dict[str, Any], _g: Callable[[], str], _c: str, _w: list[str]) -> dict[str, Any]:
    return export


def _node_height(node: dict[str, Any]) -> int:
    return len(node["actions"]) * 75 + 75 if "actions" in node else 100


def _v11_7(export: dict[str, Any], gen: Callable[[], str], _c: str, _w: list[str]) -> dict[str, Any]:
    """Webhook actions became webhook rule sets, splitting the action sets they were in."""
    for d in _defs(export):
        nodes = {n["uuid"]: n for n in [*(d.get("action_sets") or []), *(d.get("rule_sets") or [])]}
        replacements: dict[str, list[dict[str, Any]]] = {}
        count = 0
        for aset in list(d.get("action_sets") or []):
            groups: list[Any] = []
            for a in aset.get("actions") or []:
                if a.get("type") == "api":
                    groups.append(a)
                else:
                    if not groups or not isinstance(groups[-1], list):
                        groups.append([])
                    groups[-1].append(a)
            if not any(isinstance(g, dict) for g in groups):
                continue
            dest = nodes.get(aset["destination"]) if aset.get("destination") else None
            for i in range(len(groups) - 1, -1, -1):
                group = groups[i]
                node_uuid = aset["uuid"] if i == 0 else gen()
                dest_uuid = dest["uuid"] if dest else None
                dest_type = ("A" if "actions" in dest else "R") if dest else None
                if isinstance(group, dict):
                    count += 1
                    lang = d.get("base_language", "base")
                    new: dict[str, Any] = {
                        "uuid": node_uuid,
                        "x": aset.get("x", 0),
                        "y": aset.get("y", 0),
                        "label": f"Migrated Webhook {count}",
                        "rules": [
                            {
                                "uuid": gen(),
                                "category": {lang: status.capitalize()},
                                "destination": dest_uuid,
                                "destination_type": dest_type,
                                "test": {"type": "webhook_status", "status": status},
                                "label": None,
                            }
                            for status in ("success", "failure")
                        ],
                        "finished_key": None,
                        "ruleset_type": "webhook",
                        "response_type": "",
                        "operand": "@step.value",
                        "config": {
                            "webhook": group.get("webhook", ""),
                            "webhook_action": group.get("action", "POST"),
                            "webhook_headers": group.get("webhook_headers", []),
                        },
                    }
                    d.setdefault("rule_sets", []).append(new)
                else:
                    new = {
                        "uuid": node_uuid,
                        "x": aset.get("x", 0),
                        "y": aset.get("y", 0),
                        "actions": group,
                        "exit_uuid": gen(),
                        "destination": dest_uuid,
                    }
                    d["action_sets"].append(new)
                replacements.setdefault(aset["uuid"], []).insert(0, new)
                dest = new
        for old_uuid, new_nodes in replacements.items():
            old = nodes[old_uuid]
            if len(new_nodes) > 1:
                old_y = old.get("y", 0) or 0
                extra = sum(_node_height(n) for n in new_nodes) - len(old["actions"]) * 60
                _move_down(d, old_y + 1, extra)
                offset = _node_height(new_nodes[0])
                for n in new_nodes[1:]:
                    n["y"] += offset
                    offset += _node_height(n)
            d["action_sets"] = [s for s in d["action_sets"] if s is not old]
    return export


def _v11_8(export: dict[str, Any], gen: Callable[[], str], _c: str, _w: list[str]) -> dict[str, Any]:
    """Duplicate or missing rule uuids get fresh ones."""
    for d in _defs(export):
        seen: set[str] = set()
        for rs in d.get("rule_sets") or []:
            for rule in rs.get("rules") or []:
                if not rule.get("uuid") or rule["uuid"] in seen:
                    rule["uuid"] = gen()
                seen.add(rule["uuid"])
    return export


def _export_v11_10(export: dict[str, Any], _g: Callable[[], str], _c: str, w: list[str]) -> dict[str, Any]:
    """Starting a flow of another kind (voice from messaging...) became a trigger-flow action."""
    types = {(f.get("metadata") or {}).get("uuid"): f.get("flow_type") for f in _defs(export)}

    def same(t1: Any, t2: Any) -> bool:
        return t1 == t2 or {t1, t2} == {"F", "M"}

    for d in _defs(export):
        if not d.get("flow_type"):
            d["flow_type"] = "M"
        d.setdefault("action_sets", [])
        d.setdefault("rule_sets", [])
        for a in _actions(d):
            if a.get("type") == "flow":
                sub = types.get((a.get("flow") or {}).get("uuid"))
                if sub and not same(sub, d["flow_type"]):
                    a.update(
                        type="trigger-flow",
                        contacts=[],
                        groups=[],
                        urns=[],
                        variables=[{"id": "@contact.uuid"}],
                    )
        removed = set()
        for rs in d["rule_sets"]:
            if rs.get("ruleset_type") != "subflow":
                continue
            sub_ref = (rs.get("config") or {}).get("flow") or {}
            sub = types.get(sub_ref.get("uuid"))
            if sub and not same(sub, d["flow_type"]):
                first = (rs.get("rules") or [{}])[0]
                d["action_sets"].append(
                    {
                        "uuid": rs["uuid"],
                        "x": rs.get("x"),
                        "y": rs.get("y"),
                        "destination": first.get("destination"),
                        "actions": [
                            {
                                "type": "trigger-flow",
                                "uuid": _g(),
                                "flow": sub_ref,
                                "contacts": [],
                                "groups": [],
                                "urns": [],
                                "variables": [{"id": "@contact.uuid"}],
                            }
                        ],
                        "exit_uuid": first.get("uuid") or _g(),
                    }
                )
                removed.add(rs["uuid"])
        d["rule_sets"] = [rs for rs in d["rule_sets"] if rs["uuid"] not in removed]
    return export


_STEPS: dict[str, Callable[[dict[str, Any], Callable[[], str], str, list[str]], dict[str, Any]]] = {
    "3": _noop,
    "4": _noop,
    "5": _v5,
    "6": _v6,
    "7": _v7,
    "8": _v8,
    "9": _export_v9,
    "10": _v10,
    "10.1": _v10_1,
    "10.2": _v10_2,
    "10.3": _v10_3,
    "10.4": _v10_4,
    "11.0": _export_v11_0,
    "11.1": _export_v11_1,
    "11.2": _export_v11_2,
    "11.3": _v11_3,
    "11.4": _v11_4,
    "11.5": _v11_5,
    "11.6": _noop,  # remapped group uuids to the importing site's: done when the import creates groups
    "11.7": _v11_7,
    "11.8": _v11_8,
    "11.9": _noop,  # dropped references to deleted flows of the exporting site
    "11.10": _export_v11_10,
    "11.11": _noop,  # remapped label uuids: done when the import creates labels
    "11.12": _noop,  # dropped channels the exporting site no longer had
}
