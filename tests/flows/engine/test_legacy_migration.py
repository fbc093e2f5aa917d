"""Legacy migration in the pure engine, without ../shared: expressions, definitions, export steps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from flows.engine.conformance import FileResult
from flows.engine.conformance_legacy import canonical, run_definition_file
from flows.engine.export import read_export
from flows.engine.legacy.definition import LegacyError, migrate_definition
from flows.engine.legacy.exports import migrate_export
from flows.engine.legacy.expressions import Options, migrate_template
from flows.engine.legacy.v7 import migrate_v7_template
from tests import TESTS

# (legacy, migrated): cases from goflow's expression migration table
EXPRESSIONS = [
    ("@contact.tel", "@(format_urn(urns.tel))"),
    ("@contact.tel_e164", '@(default(urn_parts(urns.tel).path, ""))'),
    ("@contact.gender", "@fields.gender"),
    ("@contact.groups", '@(join(contact.groups, ","))'),
    ("@flow.favorite_color.category", "@results.favorite_color.category_localized"),
    ("@flow.2factor", '@(results["2factor"])'),
    ("@step", "@input"),
    ("@step.attachments.0", "@(attachment_parts(input.attachments[0]).url)"),
    ("@extra.flow.role", "@parent.results.role"),
    ("@extra.results.1", '@(legacy_extra.results["1"])'),
    ("@date.today", "@(format_date(today()))"),
    ("@(1 <> 4)", "@(1 != 4)"),
    ('@(" "" ")', '@(" \\" ")'),
    ('@("")', ""),
    ("@(date.now + 5)", '@(datetime_add(now(), 5, "D"))'),
    ("@(contact.age + 100 - 5)", "@(legacy_add(legacy_add(fields.age, 100), -5))"),
    ('@(TODAY()+TIMEVALUE("10:30"))', '@(replace_time(today(), time("10:30")))'),
    ("@(WORD(contact.name, 2))", "@(word(contact.name, 1))"),
    ('@(FIELD(step.value, 1, ","))', '@(field(input, 0, ","))'),
    ("@(LEFT(contact.name, 3))", "@(text_slice(contact.name, 0, 3))"),
    ("bob@nyaruka.com @twitter_handle", "bob@nyaruka.com @twitter_handle"),
    ("Hi @@@flow.x @@flow.x @", "Hi @@@results.x @@flow.x @"),
    ("@contact.name...?", "@contact.name...?"),
]


@pytest.mark.parametrize(("legacy", "migrated"), EXPRESSIONS)
def test_expressions(legacy: str, migrated: str) -> None:
    assert migrate_template(legacy) == (migrated, [])


def test_expression_options_and_failures() -> None:
    got, _ = migrate_template("@extra.exists", Options(default_to_self=True))
    assert got == '@(if(is_error(legacy_extra.exists), "@extra.exists", legacy_extra.exists))'
    assert migrate_template("http://x/?a=@contact.name", Options(url_encode=True))[0] == (
        "http://x/?a=@(url_encode(contact.name))"
    )
    # an expression that can't be parsed stays as written and is reported
    text, problems = migrate_template("Hi @(1 +* 2)")
    assert text == "Hi @(1 +* 2)" and problems and "@(1 +* 2)" in problems[0]
    deep = "@(" + "(" * 500 + "1" + ")" * 500 + ")"
    assert migrate_template(deep)[0] == deep


def test_v7_templates() -> None:
    assert migrate_v7_template("Hi =contact.name =(1+2) a=b") == "Hi @contact.name @(1+2) a=b"
    assert migrate_v7_template("@contact.name|upper_case!") == "@(UPPER(contact.name))!"


LEGACY_FLOW: dict[str, Any] = {
    "base_language": "eng",
    "flow_type": "F",
    "entry": "10000000-0000-4000-8000-000000000001",
    "metadata": {"uuid": "10000000-0000-4000-8000-0000000000ff", "name": "Tiny", "expires": 30},
    "action_sets": [
        {
            "uuid": "10000000-0000-4000-8000-000000000001",
            "x": 0,
            "y": 0,
            "exit_uuid": "10000000-0000-4000-8000-000000000002",
            "destination": "10000000-0000-4000-8000-000000000010",
            "actions": [
                {
                    "type": "reply",
                    "uuid": "10000000-0000-4000-8000-000000000003",
                    "msg": {"eng": "Hi @contact"},
                },
                {
                    "type": "save",
                    "uuid": "10000000-0000-4000-8000-000000000004",
                    "field": "first_name",
                    "value": "Bo",
                },
            ],
        }
    ],
    "rule_sets": [
        {
            "uuid": "10000000-0000-4000-8000-000000000010",
            "x": 0,
            "y": 100,
            "label": "Hook",
            "ruleset_type": "webhook",
            "operand": "@step.value",
            "config": {"webhook": "http://x/?n=@contact.name", "webhook_action": "GET"},
            "rules": [
                {
                    "uuid": "10000000-0000-4000-8000-000000000011",
                    "category": {"eng": "Success"},
                    "test": {"type": "webhook_status", "status": "success"},
                },
                {
                    "uuid": "10000000-0000-4000-8000-000000000012",
                    "category": {"eng": "Failure"},
                    "test": {"type": "webhook_status", "status": "failure"},
                },
            ],
        }
    ],
}


def test_definition_migration() -> None:
    flow, warnings = migrate_definition(json.loads(json.dumps(LEGACY_FLOW)))
    assert warnings == []
    assert flow["spec_version"] == "13.0.0" and flow["expire_after_minutes"] == 30
    first, hook = flow["nodes"]
    assert first["exits"] == [
        {
            "uuid": "10000000-0000-4000-8000-000000000002",
            "destination_uuid": "10000000-0000-4000-8000-000000000010",
        }
    ]
    assert first["actions"][1] == {
        "uuid": "10000000-0000-4000-8000-000000000004",
        "type": "set_contact_name",
        "name": "Bo @(word_slice(contact.name, 1, -1))",
    }
    call = hook["actions"][0]
    assert call["type"] == "call_webhook" and call["method"] == "GET"
    assert call["url"] == "http://x/?n=@(url_encode(contact.name))" and "body" not in call
    router = hook["router"]
    assert router["operand"] == "@results.hook.category"
    failure = next(c for c in router["categories"] if c["name"] == "Failure")
    assert router["default_category_uuid"] == failure["uuid"]
    assert flow["_ui"]["nodes"][hook["uuid"]]["type"] == "split_by_webhook"


def test_unmigratable_definitions_raise() -> None:
    bad = json.loads(json.dumps(LEGACY_FLOW))
    bad["rule_sets"][0]["ruleset_type"] = "teleport"
    with pytest.raises(LegacyError, match="unrecognized ruleset type: teleport"):
        migrate_definition(bad)


def test_export_steps_from_version_4() -> None:
    export = json.loads((TESTS / "flows" / "fixtures" / "legacy" / "survey_v4.json").read_text())
    migrated, _ = migrate_export(export)
    assert migrated["version"] == "13"
    [flow] = migrated["flows"]
    # the old id became a uuid the keyword trigger points at too
    assert migrated["triggers"][0]["flow"]["uuid"] == flow["uuid"]
    # the implicit rule set type became a wait, the old filter expression an @(...) one
    assert flow["nodes"][1]["router"]["wait"] == {"type": "msg"}
    assert flow["nodes"][0]["actions"][0]["text"] == "Hi @(upper(contact.name))! How old are you?"
    result = read_export(export)
    assert result.ok and result.migrated_from == "4"
    assert {f["key"] for f in result.fields} == {"age"}
    assert [lb["name"] for lb in result.labels] == ["Surveyed"]


def test_webhook_actions_become_rule_sets_and_passive_splits() -> None:
    export = {
        "version": "11.6",
        "flows": [
            {
                "base_language": "eng",
                "flow_type": "M",
                "metadata": {"uuid": "20000000-0000-4000-8000-0000000000ff", "name": "Api"},
                "entry": "20000000-0000-4000-8000-000000000001",
                "action_sets": [
                    {
                        "uuid": "20000000-0000-4000-8000-000000000001",
                        "x": 0,
                        "y": 0,
                        "exit_uuid": "20000000-0000-4000-8000-000000000002",
                        "destination": None,
                        "actions": [
                            {
                                "type": "reply",
                                "uuid": "20000000-0000-4000-8000-000000000003",
                                "msg": {"eng": "a"},
                            },
                            {
                                "type": "api",
                                "uuid": "20000000-0000-4000-8000-000000000004",
                                "webhook": "http://x",
                            },
                        ],
                    }
                ],
                "rule_sets": [],
            }
        ],
    }
    migrated, _ = migrate_export(export)
    nodes = migrated["flows"][0]["nodes"]
    assert [n.get("actions", [{}])[0].get("type") for n in nodes] == ["send_msg", "call_webhook"]
    assert nodes[0]["exits"][0]["destination_uuid"] == nodes[1]["uuid"]
    assert nodes[1]["actions"][0]["body"].startswith("@(json(object(")


def test_read_export_refusals() -> None:
    assert "not an export" in str(read_export(LEGACY_FLOW).errors[0])
    assert read_export({"version": "2", "flows": []}).errors[0].field == "version"
    bad = {"version": "11.12", "flows": [dict(LEGACY_FLOW, base_language=None)]}
    assert "no base language" in str(read_export(bad).errors[0])


def test_definition_vectors_compare_structure_not_generated_uuids(tmp_path: Path) -> None:
    flow, _ = migrate_definition(json.loads(json.dumps(LEGACY_FLOW)), base_media_url="https://myfiles.com")
    path = tmp_path / "flows.json"
    path.write_text(json.dumps([{"legacy": LEGACY_FLOW, "expected": flow}]))
    assert run_definition_file(path, FileResult("x")).passed == 1  # fresh uuids each run, still equal
    # a category pointing at the wrong exit is caught even though category uuids are generated
    router = flow["nodes"][1]["router"]
    router["categories"][0]["exit_uuid"], router["categories"][1]["exit_uuid"] = (
        router["categories"][1]["exit_uuid"],
        router["categories"][0]["exit_uuid"],
    )
    path.write_text(json.dumps([{"legacy": LEGACY_FLOW, "expected": flow}]))
    result = run_definition_file(path, FileResult("x"))
    assert result.passed == 0 and "exit_uuid" in result.failures[0]
    # a vector that makes the migrator crash is a failure, not a crash of the run
    path.write_text(json.dumps([{"legacy": {"action_sets": "nope"}, "expected": {}}]))
    assert run_definition_file(path, FileResult("x")).failures
    assert canonical([{"a": "30000000-0000-4000-8000-000000000001"}], set()) == [{"a": "GEN-1"}]


def test_conformance_legacy_sections_never_crash(tmp_path: Path) -> None:
    from flows.engine.conformance import run_legacy_sections

    folder = tmp_path / "flows" / "definition" / "legacy" / "testdata"
    (folder.parent / "expressions" / "testdata").mkdir(parents=True)
    folder.mkdir(parents=True)
    (folder / "flows.json").write_text("{not json")
    (folder.parent / "expressions" / "testdata" / "legacy_tests.json").write_text(
        json.dumps(
            [
                {"template": "@(1 +* 2)", "context": {}, "output": "@(1 +* 2)", "errors": ["bad"]},
                {"template": "@(LEN(contact))", "context": {"variables": {}}, "output": "", "errors": ["x"]},
                {"template": 5, "context": {}, "output": "", "errors": []},
            ]
        )
    )
    results = {r.name: r for r in run_legacy_sections(tmp_path)}
    assert results["legacy definition: flows.json"].failures[0].startswith("unreadable vector file")
    expressions = results["legacy expressions: legacy_tests.json"]
    assert (expressions.passed, expressions.total) == (2, 3)


def test_malformed_legacy_exports_are_errors_not_crashes() -> None:
    # found by mutating the legacy exports: each must give an error (or import), never raise
    flow = json.loads(json.dumps(LEGACY_FLOW))
    for export in (
        {"version": "11.12", "flows": [dict(flow, metadata=True)]},
        {"version": "4", "flows": 5},
        {"version": "11.12", "flows": [dict(flow, action_sets=[{"uuid": "x", "x": "left"}])]},
        {"version": "7", "flows": [{"definition": {"action_sets": [{"actions": [{"type": "add_group"}]}]}}]},
    ):
        result = read_export(export)
        assert result.errors or result.flows
