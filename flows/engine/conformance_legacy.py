"""Conformance sections for legacy migration: goflow's legacy definition and expression vectors.

Definition vectors give a legacy piece (action, test, rule set, whole flow) and the spec 13
JSON goflow migrates it to. Uuids that goflow generates come from Go's seeded generator, which
this engine doesn't reproduce, so generated uuids are compared by identity (a consistent
renaming: the same generated uuid must be used in the same places), while every uuid carried
over from the legacy definition must match exactly.

Expression vectors are RapidPro's legacy evaluator tests; goflow's own criterion is applied: a
template whose migration fails must come back as written, one whose legacy evaluation failed
must also fail once migrated, and evaluating a migrated template must never crash.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from .legacy.definition import migrate_definition
from .legacy.expressions import migrate_template

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MEDIA_URL = "https://myfiles.com"

ACTION_HOLDER: dict[str, Any] = {
    "base_language": "eng",
    "entry": "10e483a8-5ffb-4c4f-917b-d43ce86c1d65",
    "flow_type": "F",
    "action_sets": [
        {
            "uuid": "10e483a8-5ffb-4c4f-917b-d43ce86c1d65",
            "y": 100,
            "x": 100,
            "destination": None,
            "exit_uuid": "cfcf5cef-49f9-41a6-886b-f466575a3045",
            "actions": [],
        }
    ],
    "metadata": {"uuid": "50c3706e-fedb-42c0-8eab-dda3335714b7", "name": "TestFlow"},
}

TEST_HOLDER: dict[str, Any] = {
    "base_language": "eng",
    "entry": "10e483a8-5ffb-4c4f-917b-d43ce86c1d65",
    "flow_type": "F",
    "rule_sets": [
        {
            "uuid": "10e483a8-5ffb-4c4f-917b-d43ce86c1d65",
            "rules": [
                {
                    "test": None,
                    "category": {"eng": "All Responses"},
                    "destination": None,
                    "uuid": "c072ecb5-0686-40ea-8ed3-898dc1349783",
                    "destination_type": None,
                }
            ],
            "ruleset_type": "wait_message",
            "label": "Name",
            "operand": "@step.value",
            "finished_key": None,
            "response_type": "",
            "y": 0,
            "x": 100,
            "config": {},
        }
    ],
    "metadata": {"uuid": "50c3706e-fedb-42c0-8eab-dda3335714b7", "name": "TestFlow"},
}

RULESET_HOLDER: dict[str, Any] = {
    "base_language": "eng",
    "entry": "10e483a8-5ffb-4c4f-917b-d43ce86c1d65",
    "flow_type": "F",
    "rule_sets": [],
    "action_sets": [
        {
            "uuid": u,
            "x": 0,
            "y": y,
            "destination": None,
            "exit_uuid": e,
            "actions": [],
        }
        for u, e, y in [
            ("5b977652-91e3-48be-8e86-7c8094b4aa8f", "cfcf5cef-49f9-41a6-886b-f466575a3045", 2200),
            ("833fc698-d590-42dc-93e1-39e701b7e8e4", "da3e7eaf-c087-4e80-97b5-0b2e217fcc93", 2400),
            ("42ff72d3-5f4d-4dbf-89c9-8a97864dabcd", "6a8cb81b-1b59-4cfb-b00e-575ccbafd3ba", 2600),
        ]
    ],
    "metadata": {"uuid": "50c3706e-fedb-42c0-8eab-dda3335714b7", "name": "TestFlow"},
}


def _uuids_in(v: Any, out: set[str]) -> set[str]:
    if isinstance(v, str) and UUID_RE.match(v):
        out.add(v)
    elif isinstance(v, dict):
        for k, x in v.items():
            _uuids_in(k, out)
            _uuids_in(x, out)
    elif isinstance(v, list):
        for x in v:
            _uuids_in(x, out)
    return out


def canonical(pieces: list[Any], known: set[str]) -> list[Any]:
    """Renames uuids not in `known` to GEN-1, GEN-2... by first appearance (nodes before the rest)."""
    names: dict[str, str] = {}

    def name(u: str) -> str:
        if u in known or not UUID_RE.match(u):
            return u
        if u not in names:
            names[u] = f"GEN-{len(names) + 1}"
        return names[u]

    def walk(v: Any) -> Any:
        if isinstance(v, str):
            return name(v)
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, dict):
            first = "nodes" if "nodes" in v else None
            keys = ([first] if first else []) + sorted(
                (k for k in v if k != first and not (UUID_RE.match(k) and k not in known and k not in names)),
            )
            out = {name(k): walk(v[k]) for k in keys}
            # entries keyed by a still-unseen generated uuid (e.g. stickies): by content
            rest = [k for k in v if k not in keys]
            for k in sorted(rest, key=lambda k: json.dumps(v[k], sort_keys=True)):
                out[name(k)] = walk(v[k])
            return out
        return v

    return [walk(p) for p in pieces]


def _json_equal(a: Any, b: Any) -> bool:
    """JSON equality where 1 == 1.0 (Go marshals decimals without a trailing .0)."""
    return json.loads(json.dumps(a)) == json.loads(json.dumps(b))


def _first_diff(got: Any, want: Any, path: str = "") -> str:
    if isinstance(got, dict) and isinstance(want, dict):
        for k in sorted(set(got) | set(want)):
            if k not in got:
                return f"{path}.{k}: missing"
            if k not in want:
                return f"{path}.{k}: unexpected {json.dumps(got[k])[:120]}"
            d = _first_diff(got[k], want[k], f"{path}.{k}")
            if d:
                return d
        return ""
    if isinstance(got, list) and isinstance(want, list):
        if len(got) != len(want):
            return f"{path}: {len(got)} items, expected {len(want)}"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            d = _first_diff(g, w, f"{path}[{i}]")
            if d:
                return d
        return ""
    if not _json_equal(got, want):
        return f"{path}: got {json.dumps(got)[:160]} want {json.dumps(want)[:160]}"
    return ""


def _compare(got: list[Any], want: list[Any], legacy: Any) -> str:
    known = _uuids_in(legacy, set())
    g, w = canonical(got, known), canonical(want, known)
    return _first_diff(g, w)


def _migrate(legacy: dict[str, Any]) -> dict[str, Any]:
    migrated, _ = migrate_definition(legacy, base_media_url=MEDIA_URL)
    return migrated


def run_definition_file(path: Path, result: Any) -> Any:
    """One of goflow's legacy/testdata files; `result` is a conformance FileResult."""
    kind = path.stem
    for i, case in enumerate(json.loads(path.read_text())):
        label = case.get("description") or f"{kind}[{i}]"
        try:
            diff = _run_definition_case(kind, case)
        except Exception as e:  # a crash fails this vector, never the whole run
            diff = f"crashed: {e!r}"
        result.check(not diff, f"{label}: {diff}")
    return result


def _run_definition_case(kind: str, case: dict[str, Any]) -> str:
    if kind == "flows":
        legacy = case["legacy"]
        return _compare([_migrate(legacy)], [case["expected"]], legacy)
    if kind == "actions":
        legacy = copy.deepcopy(ACTION_HOLDER)
        legacy["flow_type"] = case.get("legacy_flow_type") or "F"
        legacy["action_sets"][0]["actions"] = [case["legacy_action"]]
        flow = _migrate(legacy)
        got_action = [flow["nodes"][0]["actions"][0], flow["localization"]]
        return _compare(
            got_action, [case["expected_action"], case.get("expected_localization") or {}], legacy
        )
    if kind == "tests":
        legacy = copy.deepcopy(TEST_HOLDER)
        legacy["rule_sets"][0]["rules"][0]["test"] = case["legacy_test"]
        flow = _migrate(legacy)
        kase = flow["nodes"][0]["router"]["cases"][0]
        got: list[Any] = [kase, flow["localization"]]
        want: list[Any] = [case["expected_case"], case.get("expected_localization") or {}]
        if case.get("expected_ui") is not None:
            node_ui = flow["_ui"]["nodes"]["10e483a8-5ffb-4c4f-917b-d43ce86c1d65"]
            got.append(node_ui.get("config", {}).get("cases", {}).get(kase["uuid"]))
            want.append(case["expected_ui"])
        return _compare(got, want, legacy)
    if kind == "rulesets":
        legacy = copy.deepcopy(RULESET_HOLDER)
        legacy["rule_sets"] = [case["legacy_ruleset"]]
        flow = _migrate(legacy)
        node = flow["nodes"][0]
        got_rs = [node, flow["localization"], flow["_ui"]["nodes"].get(node["uuid"])]
        want_rs = [case["expected_node"], case.get("expected_localization") or {}, case.get("expected_ui")]
        return _compare(got_rs, want_rs, legacy)
    return f"unknown vector file {kind}"


# ----------------------------------------------------------------------------------- expressions


def _legacy_variables(variables: dict[str, Any]) -> dict[str, Any]:
    """The legacy test context as a current one: @flow values are run results, contact keys fields."""
    migrated: dict[str, Any] = {"fields": {}, "results": {}}
    for key, val in variables.items():
        key = key.lower()
        if key == "flow":
            migrated["run"] = {"results": val}
        elif key == "contact" and isinstance(val, dict):
            fields: dict[str, Any] = {}
            contact: dict[str, Any] = {"fields": fields}
            for k, v in val.items():
                if k.lower() in ("*", "name"):
                    contact[k.lower()] = v
                else:
                    fields[k.lower()] = v
            migrated["contact"] = contact
        else:
            migrated[key] = val
    return _lower_keys(migrated)


def _lower_keys(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k).lower(): _lower_keys(x) for k, x in v.items()}
    return v


def run_expression_vectors(path: Path, result: Any) -> Any:
    from .context import TOP_LEVELS
    from .environment import Environment, FixedClock
    from .expressions import Scope
    from .functions import FUNCTIONS
    from .template import evaluate_template
    from .values import from_json

    for case in json.loads(path.read_text()):
        template = case["template"]
        label = f"{template!r}"
        try:
            migrated, problems = migrate_template(template)
            if problems:
                ok = migrated == case["output"]
                result.check(ok, f"{label}: migration failed ({problems[0]}) and gave {migrated!r}")
                continue
            ctx = case.get("context") or {}
            now = dt.datetime.fromisoformat(ctx["now"].replace("Z", "+00:00")) if ctx.get("now") else None
            env = Environment.from_json(
                {"timezone": ctx.get("timezone") or "UTC", "date_format": "DD-MM-YYYY"}
            )
            if now is not None:
                env.now = FixedClock(now)
            scope = Scope(from_json(_legacy_variables(ctx.get("variables") or {})), env, FUNCTIONS)
            text, errors = evaluate_template(migrated, scope, TOP_LEVELS)
        except Exception as e:  # a crash fails this vector, not the run
            result.check(False, f"{label}: crashed {e!r}")
            continue
        if case.get("errors"):
            result.check(bool(errors), f"{label}: migrated to {migrated!r}, expected an error, got {text!r}")
        else:
            result.check(True, label)
    return result
