"""Reading RapidPro exports (flows.engine.export): what `read_export` keeps, refuses and adds.

Every result is compared whole (lists of dicts, FlowErrors with message, node and field), so a
renamed key, a changed default or a lost warning shows. DB-free: read_export is a pure function.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from flows.engine.definition import FlowError
from flows.engine.export import ImportResult, field_type, read_export, validate_definition

from .builders import flow_def, node
from .helpers import CHANNEL, exit_

Json = dict[str, Any]

F1 = "f1000000-0000-4000-8000-0000000000f1"
F2 = "f2000000-0000-4000-8000-0000000000f2"
G1 = "60000000-0000-4000-8000-000000000001"
G2 = "60000000-0000-4000-8000-000000000002"
G3 = "60000000-0000-4000-8000-000000000003"
G4 = "60000000-0000-4000-8000-000000000004"
G5 = "60000000-0000-4000-8000-000000000005"
G6 = "60000000-0000-4000-8000-000000000006"
G7 = "60000000-0000-4000-8000-000000000007"
L1 = "1a000000-0000-4000-8000-000000000001"
L2 = "1a000000-0000-4000-8000-000000000002"
T1 = "70000000-0000-4000-8000-000000000001"
T2 = "70000000-0000-4000-8000-000000000002"


def one_node_flow(uuid: str = F1, actions: list[Json] | None = None, router: Json | None = None) -> Json:
    """A flow of one node: its `actions` (a greeting by default), then `router` if given."""
    acts = actions if actions is not None else [{"uuid": "a0", "type": "send_msg", "text": "Hi"}]
    if router is None:
        return flow_def(uuid, "One", [node("n1", acts, [exit_("1")])])
    return flow_def(uuid, "One", [node("n1", acts, [exit_("1"), exit_("2")], router)])


def export(**parts: Any) -> Json:
    return {"version": "13", **parts}


def errors(result: ImportResult) -> list[tuple[str, str, str]]:
    return [(e.message, e.node_uuid, e.field) for e in result.errors]


# a RapidPro flow in the legacy action_sets/rule_sets format (exports before version 11.12)
LEGACY_FLOW: Json = {
    "base_language": "eng",
    "flow_type": "M",
    "entry": "11111111-1111-4111-8111-111111111111",
    "metadata": {"uuid": "44444444-4444-4444-8444-444444444444", "name": "Old"},
    "rule_sets": [],
    "action_sets": [
        {
            "uuid": "11111111-1111-4111-8111-111111111111",
            "x": 0,
            "y": 0,
            "destination": None,
            "exit_uuid": "33333333-3333-4333-8333-333333333333",
            "actions": [
                {"type": "reply", "uuid": "22222222-2222-4222-8222-222222222222", "msg": {"eng": "Hi"}}
            ],
        }
    ],
}
LEGACY_UUID = "44444444-4444-4444-8444-444444444444"


def legacy_flow(**over: Any) -> Json:
    f = copy.deepcopy(LEGACY_FLOW)
    f.update(over)
    return f


# ----------------------------------------------------------------------------- versions


@pytest.mark.parametrize(
    ("data", "errs", "warnings", "migrated_from"),
    [
        # RapidPro exports start at version 3: older ones (and non-numbers) are refused up front
        ({"version": "2", "flows": []}, [("unsupported export version '2' (3 and up can be imported)", "version")], [], ""),
        ({"version": "abc", "flows": []}, [("unsupported export version 'abc' (3 and up can be imported)", "version")], [], ""),
        # version 3 is the oldest that is migrated
        ({"version": "3", "flows": []}, [], ["legacy export (version 3) migrated to version 13"], "3"),
        ({"version": "4", "flows": []}, [], ["legacy export (version 4) migrated to version 13"], "4"),
        # no version at all is no RapidPro export
        ({"flows": []}, [("unsupported export version ''", "version")], [], ""),
        ({"version": "13", "flows": []}, [], [], ""),
        # 13.0 is not "13" and not newer than 13
        ({"version": "13.0", "flows": []}, [("unsupported export version '13.0'", "version")], [], ""),
        # a number with two dots is no float: not read as newer
        ({"version": "13.1.2", "flows": []}, [("unsupported export version '13.1.2'", "version")], [], ""),
        # newer exports are read as 13, with a warning
        ({"version": "13.5", "flows": []}, [], ["export version 13.5 is newer than 13, reading it as 13"], ""),
        ({"version": "14", "flows": []}, [], ["export version 14 is newer than 13, reading it as 13"], ""),
    ],
)  # fmt: skip
def test_export_versions(
    data: Json, errs: list[tuple[str, str]], warnings: list[str], migrated_from: str
) -> None:
    result = read_export(data)
    assert [(e.message, e.field) for e in result.errors] == errs
    assert result.warnings == warnings
    assert result.migrated_from == migrated_from
    assert result.migration_warnings == []
    assert result.ok is (not errs)


def test_a_single_legacy_definition_is_not_an_export() -> None:
    """A flow definition pasted alone (no 'flows' list) is refused with how to export it."""
    result = read_export(legacy_flow())
    head = "this is a single legacy flow definition, not an export: export it from RapidPro with its 'version' and 'flows'"
    assert errors(result) == [(head, "", "flows")]
    no_base = legacy_flow()
    del no_base["base_language"]
    assert errors(read_export(no_base)) == [(head + " (and it has no base language)", "", "flows")]
    assert read_export(no_base).flows == []


def test_an_export_with_legacy_looking_keys_is_still_an_export() -> None:
    """Only a dict without 'flows' is taken for a single definition."""
    result = read_export(export(flows=[one_node_flow()], action_sets=[], flow_type="M"))
    assert errors(result) == [] and [f.uuid for f in result.flows] == [F1]


def test_current_exports_are_not_migrated() -> None:
    result = read_export(export(flows=[one_node_flow()]))
    assert result.warnings == [] and result.migrated_from == "" and result.migration_warnings == []
    assert result.definitions == [one_node_flow()]


# ----------------------------------------------------------------------------- legacy exports


@pytest.mark.parametrize(
    ("country", "language"),
    # version 11.1 moved language codes to ISO 639-3; RapidPro chose per country for "cpe"
    [("", "pcm"), ("LR", "lir"), ("NG", "pcm")],
)
def test_legacy_export_language_follows_the_default_country(country: str, language: str) -> None:
    flow = legacy_flow(base_language="cpe")
    flow["action_sets"][0]["actions"][0]["msg"] = {"cpe": "Hi"}
    data = {"version": "11.0", "flows": [flow]}
    result = read_export(data, default_country=country)
    assert errors(result) == []
    assert result.definitions[0]["language"] == language
    assert result.migrated_from == "11.0"
    assert result.warnings == ["legacy export (version 11.0) migrated to version 13"]


def test_legacy_export_migration_notes_are_warnings_too() -> None:
    """Before 11.0, date/location fields were not wrapped: the migration says it can't know."""
    flow = legacy_flow()
    flow["action_sets"][0]["actions"][0]["msg"] = {"eng": "You are @contact.age"}
    result = read_export({"version": "10.4", "flows": [flow]})
    note = (
        "export older than 11.0: contact fields holding dates or locations are not wrapped in "
        "format_date/format_location (the exporting site's field types are unknown)"
    )
    assert errors(result) == []
    assert result.migration_warnings == [note]
    assert result.warnings == ["legacy export (version 10.4) migrated to version 13", note]
    assert result.migrated_from == "10.4"


def test_legacy_flows_without_export_version_are_migrated() -> None:
    result = read_export({"flows": [legacy_flow()]})
    assert errors(result) == []
    assert result.migrated_from == ""
    assert result.warnings == ["legacy export (version ) migrated to version 13"]
    assert [f.uuid for f in result.flows] == [LEGACY_UUID]


def test_a_legacy_export_that_cannot_be_migrated() -> None:
    flow = legacy_flow()
    del flow["base_language"]
    result = read_export({"version": "11.12", "flows": [flow]})
    assert errors(result) == [
        ("the legacy export could not be migrated: flow 0 (Old) has no base language", "", "flows")
    ]
    assert result.warnings == [] and result.flows == []


# ----------------------------------------------------------------------------- flows


def test_bad_flows_are_errors_and_the_rest_is_read() -> None:
    bad_type = one_node_flow(F2)
    bad_type["type"] = "sms"
    bad_type["nodes"][0]["exits"] = []
    long_uuid = "x" * 300
    flows: list[Any] = [
        5,
        {"uuid": "not-a-uuid"},
        {"uuid": None},
        {"uuid": long_uuid},
        {**one_node_flow("f3000000-0000-4000-8000-0000000000f3"), "revision": "abc"},
        bad_type,
        one_node_flow(),
    ]
    result = read_export(export(flows=flows))
    assert errors(result) == [
        ("flow 0 is not an object", "", "flows[0]"),
        ("flow uuid 'not-a-uuid' is not a UUID", "", "flows[1].uuid"),
        ("flow uuid None is not a UUID", "", "flows[2].uuid"),
        # long values are cut at 200 characters
        (f"flow uuid '{long_uuid}' is not a UUID"[:200], "", "flows[3].uuid"),
        ("flow 4 is not readable: invalid literal for int() with base 10: 'abc'", "", "flows[4]"),
        # validation problems keep their node and gain the flow's place
        ("'sms' is not a valid flow type", "", "flows[5].type"),
        ("node must have at least one exit", "n1", "flows[5].exits"),
    ]
    # a flow with validation errors is still read (the caller decides), an unreadable one is not
    assert [f.uuid for f in result.flows] == [F2, F1]
    assert result.definitions == [bad_type, one_node_flow()]
    assert not result.ok


def test_a_uuid_must_be_a_string() -> None:
    """UUID(str(x)) accepts a number of 32 digits: it's still not a uuid string."""
    result = read_export(export(flows=[{"uuid": 12345678901234567890123456789012}]))
    assert [e.field for e in result.errors] == ["flows[0].uuid"]


# ----------------------------------------------------------------------------- listed assets


def test_listed_fields_globals_topics_labels_and_groups() -> None:
    result = read_export(
        export(
            fields=[
                {"key": "age", "name": "Age", "type": "number"},
                {"key": "city"},
                {"key": "mood", "name": "", "type": 5},  # not strings: the defaults
            ],
            globals=[
                {"key": "org", "name": "Org", "value": "Acme"},
                {"key": "tok", "name": 7, "value": None},
            ],
            topics=[{"uuid": T1, "name": "Weather"}, {"name": "Crops"}],
            labels=[{"uuid": L1, "name": "Urgent"}, {"uuid": 3, "name": "Spam"}],
            groups=[{"uuid": G1, "name": "Farmers", "query": 'district = "North"'}, {"uuid": G2}],
        )
    )
    assert errors(result) == [] and result.warnings == []
    assert result.fields == [
        {"key": "age", "name": "Age", "type": "number"},
        {"key": "city", "name": "city", "type": "text"},
        {"key": "mood", "name": "mood", "type": "text"},
    ]
    assert result.globals == [
        {"key": "org", "name": "Org", "value": "Acme"},
        {"key": "tok", "name": "tok", "value": ""},
    ]
    assert result.topics == [{"uuid": T1, "name": "Weather"}, {"uuid": "", "name": "Crops"}]
    assert result.labels == [{"uuid": L1, "name": "Urgent"}, {"uuid": "", "name": "Spam"}]
    assert result.groups == [
        {"uuid": G1, "name": "Farmers", "query": 'district = "North"'},
        {"uuid": G2, "name": "", "query": ""},
    ]


@pytest.mark.parametrize(
    ("part", "message"),
    [
        ({"fields": [{"name": "Age"}]}, "KeyError('key')"),
        ({"fields": [{"key": "   "}]}, "ValueError(\"a field key must be a non-empty string, not '   '\")"),
        ({"fields": [{"key": None}]}, "ValueError('a field key must be a non-empty string, not None')"),
        ({"fields": [{"key": ["k" * 300]}]}, "ValueError(" + repr(("a field key must be a non-empty string, not " + repr(["k" * 300]))[:200]) + ")"),
        ({"globals": [{"key": ""}]}, "ValueError(\"a global key must be a non-empty string, not ''\")"),
        ({"globals": [{"name": "Org"}]}, "KeyError('key')"),
        ({"topics": [{"name": 5}]}, "ValueError('a topic name must be a non-empty string, not 5')"),
        ({"topics": [{"uuid": T1}]}, "KeyError('name')"),
        ({"labels": [{"name": ""}]}, "ValueError(\"a label name must be a non-empty string, not ''\")"),
        ({"labels": [{"uuid": L1}]}, "KeyError('name')"),
        ({"groups": [{"uuid": ""}]}, "ValueError(\"a group uuid must be a non-empty string, not ''\")"),
        ({"groups": [{"name": "Farmers"}]}, "KeyError('uuid')"),
    ],
)  # fmt: skip
def test_unreadable_listed_assets(part: Json, message: str) -> None:
    result = read_export(export(**part))
    assert errors(result) == [(f"the export is not readable: {message}", "", "")]


# ----------------------------------------------------------------------------- triggers


def test_triggers() -> None:
    flow_ref = {"uuid": F1, "name": "One"}
    channel = {"uuid": CHANNEL["uuid"], "name": "Test SMS"}
    result = read_export(
        export(
            flows=[one_node_flow()],
            triggers=[
                {
                    "trigger_type": "K",
                    "keyword": "tea",
                    "keywords": ["ignored"],
                    "match_type": "O",
                    "flow": flow_ref,
                    "groups": [{"uuid": G1, "name": "Farmers"}],
                    "exclude_groups": [{"uuid": G2, "name": "Buyers"}],
                    "channel": channel,
                },
                {"trigger_type": "K", "keywords": ["join", "", "start"], "flow": flow_ref},
                {"trigger_type": "Z", "flow": {"uuid": F2, "name": "Gone"}},
                {"trigger_type": "Z", "flow": flow_ref},
                {},
            ],
        )
    )
    base: Json = {"match_type": "F", "groups": [], "exclude_groups": [], "channel": None}
    assert result.triggers == [
        {
            "type": "keyword",
            "flow": flow_ref,
            "keywords": ["tea"],
            "match_type": "O",
            "groups": [{"uuid": G1, "name": "Farmers"}],
            "exclude_groups": [{"uuid": G2, "name": "Buyers"}],
            "channel": channel,
        },
        {**base, "type": "keyword", "flow": flow_ref, "keywords": ["join", "start"]},
        # unknown codes are kept as they are
        {**base, "type": "Z", "flow": flow_ref, "keywords": []},
        # a trigger without a flow is kept (the Django side refuses it with its reason)
        {**base, "type": "", "flow": {}, "keywords": []},
    ]
    assert result.warnings == ["trigger for flow Gone skipped: flow not in export"]


@pytest.mark.parametrize(
    ("code", "kind"),
    [("K", "keyword"), ("C", "catch_all"), ("M", "missed_call"), ("V", "incoming_call"), ("N", "new_conversation"),
     ("S", "schedule"), ("R", "referral"), ("O", "opt_in"), ("P", "opt_out")],
)  # fmt: skip
def test_trigger_type_codes(code: str, kind: str) -> None:
    result = read_export(export(triggers=[{"trigger_type": code}]))
    assert [t["type"] for t in result.triggers] == [kind]


# ----------------------------------------------------------------------------- dependencies


def test_fields_and_globals_a_flow_uses_are_added() -> None:
    """Older exports list no fields: the ones a flow sets or reads (@fields.x) are added as text,
    named from their key; globals (@globals.x) likewise, without a value."""
    actions: list[Json] = [
        {"uuid": "a0", "type": "set_contact_field", "field": {"key": "fav_color", "name": "Favourite colour"}, "value": "red"},
        {"uuid": "a1", "type": "set_contact_field", "field": {"key": "Shoe_Size"}, "value": "42"},
        {"uuid": "a2", "type": "send_msg", "text": "@fields.age and @fields.favorite_drink, @globals.Org_Name",
         "quick_replies": ["@fields.home_town"]},
        {"uuid": "a3", "type": "send_msg", "text": "@fields.favorite_drink @globals.org_name @globals.api_token"},
        {"uuid": "a4", "type": "call_webhook", "method": "GET", "url": "http://example.com",
         "headers": {"X-Token": "@globals.webhook_key"}},
    ]  # fmt: skip
    router = {
        "type": "switch",
        "operand": "@fields.district",
        "cases": [{"uuid": "c1", "type": "has_text", "arguments": ["@fields.ward"], "category_uuid": "k1"}],
        "categories": [{"uuid": "k1", "name": "Yes", "exit_uuid": "e1"}, {"uuid": "k2", "name": "Other", "exit_uuid": "e2"}],
        "default_category_uuid": "k2",
    }  # fmt: skip
    result = read_export(
        export(
            flows=[one_node_flow(actions=actions, router=router)],
            fields=[{"key": "age", "name": "Age", "type": "number"}],
            globals=[{"key": "api_token", "name": "API Token", "value": "s3cret"}],
        )
    )
    assert errors(result) == []
    assert result.fields == [
        {"key": "age", "name": "Age", "type": "number"},
        {"key": "fav_color", "name": "Favourite colour", "type": "text"},
        {"key": "shoe_size", "name": "Shoe Size", "type": "text"},
        {"key": "favorite_drink", "name": "Favorite Drink", "type": "text"},
        {"key": "home_town", "name": "Home Town", "type": "text"},
        {"key": "district", "name": "District", "type": "text"},
        {"key": "ward", "name": "Ward", "type": "text"},
    ]
    assert result.globals == [
        {"key": "api_token", "name": "API Token", "value": "s3cret"},
        {"key": "org_name", "name": "Org_Name", "value": ""},
        {"key": "webhook_key", "name": "webhook_key", "value": ""},
    ]
    # only what is referenced: no groups, labels or topics out of fields and globals
    assert (result.groups, result.labels, result.topics) == ([], [], [])


def test_a_set_contact_field_without_key_adds_nothing() -> None:
    result = read_export(
        export(flows=[one_node_flow(actions=[{"uuid": "a0", "type": "set_contact_field", "field": {}}])])
    )
    assert errors(result) == [("field 'field' is required", "n1", "flows[0].actions[0]")]
    assert result.fields == []


def test_only_set_contact_field_declares_a_field() -> None:
    """Another action's 'field' object (here a result's) names no contact field."""
    action = {
        "uuid": "a0",
        "type": "set_run_result",
        "name": "Color",
        "value": "x",
        "field": {"key": "color"},
    }
    result = read_export(export(flows=[one_node_flow(actions=[action])]))
    assert errors(result) == [] and result.fields == []


def test_groups_a_flow_uses_are_added_once() -> None:
    """Groups are known by uuid or (case-insensitively) by name; a name that is an expression is
    resolved when the flow runs. name_match (a group picked by name) wins over name."""
    groups: list[Any] = [
        {"uuid": G1, "name": "Growers"},  # a listed uuid, renamed: listed already
        {"uuid": G3, "name": "farmers"},  # a listed name, another uuid: listed already
        {"uuid": G4, "name": "Buyers"},
        {"uuid": G4, "name": "Sellers"},  # the same uuid again
        {"uuid": G5},
        {"name_match": "BUYERS"},
        {"name_match": "Traders", "name": "Dealers"},
        {"name": "Brokers"},
        {"name_match": "@fields.district"},
        {"name_match": "traders"},
        {},
        "not a group",
    ]
    router = {
        "type": "switch",
        "operand": "@contact.groups",
        "cases": [
            {"uuid": "c1", "type": "has_group", "arguments": [G6, "Lenders"], "category_uuid": "k1"},
            {"uuid": "c2", "type": "has_text", "arguments": ["yes"], "category_uuid": "k1"},
        ],
        "categories": [{"uuid": "k1", "name": "Yes", "exit_uuid": "e1"}, {"uuid": "k2", "name": "Other", "exit_uuid": "e2"}],
        "default_category_uuid": "k2",
    }  # fmt: skip
    actions = [
        {"uuid": "a0", "type": "add_contact_groups", "groups": groups},
        {"uuid": "a1", "type": "remove_contact_groups", "groups": [{"uuid": G7, "name": "Brokers"}]},
    ]
    result = read_export(
        export(
            flows=[one_node_flow(actions=actions, router=router)],
            groups=[{"uuid": G1, "name": "Farmers", "query": ""}, {"uuid": G2, "name": "", "query": ""}],
        )
    )
    assert errors(result) == []
    assert result.groups == [
        {"uuid": G1, "name": "Farmers", "query": ""},
        {"uuid": G2, "name": "", "query": ""},
        {"uuid": G4, "name": "Buyers", "query": ""},
        {"uuid": G5, "name": "", "query": ""},
        {"uuid": "", "name": "Traders", "query": ""},
        {"uuid": "", "name": "Brokers", "query": ""},
        {"uuid": G6, "name": "Lenders", "query": ""},
    ]
    assert result.fields == [{"key": "district", "name": "District", "type": "text"}]


def test_a_group_test_without_a_name() -> None:
    router = {
        "type": "switch",
        "operand": "@contact.groups",
        "cases": [{"uuid": "c1", "type": "has_group", "arguments": [G6], "category_uuid": "k1"}],
        "categories": [{"uuid": "k1", "name": "Yes", "exit_uuid": "e1"}, {"uuid": "k2", "name": "Other", "exit_uuid": "e2"}],
        "default_category_uuid": "k2",
    }  # fmt: skip
    result = read_export(export(flows=[one_node_flow(router=router)]))
    assert errors(result) == []
    assert result.groups == [{"uuid": G6, "name": "", "query": ""}]


def group_refs_flow(groups: list[Json]) -> Json:
    return one_node_flow(actions=[{"uuid": "a0", "type": "add_contact_groups", "groups": groups}])


def test_an_unnamed_group_is_known_by_its_uuid_only() -> None:
    """A group referenced without a name matches no listed name, and takes no name from it."""
    listed = {"uuid": G1, "name": "XXXX", "query": ""}
    result = read_export(export(flows=[group_refs_flow([{"uuid": G5}])], groups=[listed]))
    assert result.groups == [listed, {"uuid": G5, "name": "", "query": ""}]
    result = read_export(export(flows=[group_refs_flow([{"uuid": G5}, {"name_match": "xxxx"}])]))
    assert result.groups == [{"uuid": G5, "name": "", "query": ""}, {"uuid": "", "name": "xxxx", "query": ""}]


def test_bugfix_every_unnamed_group_is_added() -> None:
    """Bug (fixed): the first group referenced without a name recorded the empty name as known,
    so every later unnamed group (another uuid: a has_group test given only its uuid) was
    dropped from the groups to create, and the imported flow pointed at a group that didn't
    exist."""
    router = {
        "type": "switch",
        "operand": "@contact.groups",
        "cases": [{"uuid": "c1", "type": "has_group", "arguments": [G7], "category_uuid": "k1"}],
        "categories": [{"uuid": "k1", "name": "Yes", "exit_uuid": "e1"}, {"uuid": "k2", "name": "Other", "exit_uuid": "e2"}],
        "default_category_uuid": "k2",
    }  # fmt: skip
    flow = one_node_flow(
        actions=[{"uuid": "a0", "type": "add_contact_groups", "groups": [{"uuid": G5}, {"uuid": G6}]}],
        router=router,
    )
    result = read_export(export(flows=[flow]))
    assert errors(result) == []
    assert result.groups == [
        {"uuid": G5, "name": "", "query": ""},
        {"uuid": G6, "name": "", "query": ""},
        {"uuid": G7, "name": "", "query": ""},
    ]


def test_labels_and_topics_a_flow_uses_are_added_once() -> None:
    """By name (case-insensitively; name wins over name_match), with their uuid when they have one."""
    labels: list[Any] = [
        {"uuid": L2, "name": "Urgent", "name_match": "Ignored"},
        {"name_match": "Spam"},
        {"name": "URGENT"},
        {"name": "Orders"},  # listed already
        {"name": "@input.text"},
        {},
        "not a label",
    ]
    actions: list[Json] = [
        {"uuid": "a0", "type": "add_input_labels", "labels": labels},
        {"uuid": "a1", "type": "open_ticket", "topic": {"uuid": T2, "name": "Weather"}},
        {"uuid": "a2", "type": "open_ticket", "topic": {"uuid": T1, "name": "general"}},
        {"uuid": "a3", "type": "open_ticket", "topic": {"name_match": "Crops", "uuid": None}},
        {"uuid": "a4", "type": "open_ticket", "topic": "not a topic"},
    ]
    result = read_export(
        export(
            flows=[one_node_flow(actions=actions)],
            labels=[{"uuid": L1, "name": "Orders"}],
            topics=[{"uuid": T1, "name": "General"}],
        )
    )
    assert errors(result) == []
    assert result.labels == [
        {"uuid": L1, "name": "Orders"},
        {"uuid": L2, "name": "Urgent"},
        {"uuid": "", "name": "Spam"},
    ]
    assert result.topics == [
        {"uuid": T1, "name": "General"},
        {"uuid": T2, "name": "Weather"},
        {"uuid": "", "name": "Crops"},
    ]


def test_the_first_label_and_topic_are_added_to_empty_lists() -> None:
    actions: list[Json] = [
        {"uuid": "a0", "type": "add_input_labels", "labels": [{"name": "Urgent"}, {"name": "Spam"}]},
        {"uuid": "a1", "type": "open_ticket", "topic": {"name": "Weather"}},
    ]
    result = read_export(export(flows=[one_node_flow(actions=actions)]))
    assert result.labels == [{"uuid": "", "name": "Urgent"}, {"uuid": "", "name": "Spam"}]
    assert result.topics == [{"uuid": "", "name": "Weather"}]


# ----------------------------------------------------------------------------- assets, field types, definitions


def test_assets_hold_the_imported_and_the_extra_assets() -> None:
    result = read_export(
        export(
            flows=[one_node_flow()],
            fields=[{"key": "age", "name": "Age", "type": "number"}],
            groups=[{"uuid": G1, "name": "Farmers", "query": ""}],
        )
    )
    assets = result.assets(
        {
            "channels": [CHANNEL],
            "fields": [{"key": "city", "name": "City", "type": "text"}],
            "groups": [{"uuid": G2, "name": "Buyers"}],
        }
    )
    assert sorted(assets.fields) == ["age", "city"]
    assert assets.fields["age"].name == "Age" and assets.fields["age"].type == "number"
    assert {u: g.name for u, g in assets.groups.items()} == {G2: "Buyers", G1: "Farmers"}
    assert list(assets.channels) == [CHANNEL["uuid"]]
    assert assets.get_flow(F1) is result.flows[0]
    alone = result.assets()
    assert (sorted(alone.fields), sorted(alone.groups), alone.channels) == (["age"], [G1], {})


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (None, "text"), ("", "text"), (0, "text"), ("T", "text"), ("text", "text"),
        ("N", "number"), ("numeric", "number"), ("decimal", "number"), ("NUMERIC", "number"), ("Number", "number"),
        ("D", "datetime"), ("datetime", "datetime"), ("S", "state"), ("I", "district"), ("W", "ward"),
        ("Ward", "ward"), ("n", ""), ("bogus", ""),
    ],
)  # fmt: skip
def test_field_types_by_name_and_code(value: Any, kind: str) -> None:
    """RapidPro's field value types by name (any case) and by the one-letter codes of old exports."""
    assert field_type(value) == kind


def test_validate_definition() -> None:
    assert validate_definition(one_node_flow()) == []
    no_exit = one_node_flow()
    no_exit["nodes"][0]["exits"] = []
    assert validate_definition(no_exit) == [FlowError("node must have at least one exit", "n1", "exits")]
    assert validate_definition({**one_node_flow(), "revision": "x"}) == [
        FlowError("definition is not readable: invalid literal for int() with base 10: 'x'")
    ]
