"""The early steps of bringing an old RapidPro export up to date (flows.engine.legacy.exports).

Each step is fed a small export and the whole result is compared, so a renamed or dropped key
fails: version 5 (explicit rule set types, implicit waits and webhooks made nodes), 6 (translatable
texts became {language: text} maps), 7 (the flow's definition stopped being nested), 8 (filter and
`=` expressions became @(...)), the helpers those steps share (group name cleansing, the entry
node, moving nodes down to make room), and `migrate_export` itself: which steps run for which
export version, what it records about the migration, and its error messages.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from typing import Any

import pytest

from flows.engine.legacy.definition import LegacyError
from flows.engine.legacy.exports import (
    _actions,
    _cleanse_groups,
    _entry,
    _flow_name,
    _Ids,
    _insert_before,
    _label_slug,
    _move_down,
    _node_height,
    _only_other_rule,
    _v5,
    _v6,
    _v7,
    _v8,
    is_legacy_export,
    migrate_export,
    version_key,
)

Step = Callable[[dict[str, Any], Callable[[], str], str, list[str]], dict[str, Any]]


def counter() -> Callable[[], str]:
    """Deterministic uuids: u1, u2, ... in the order the migration asks for them."""
    n = itertools.count(1)
    return lambda: f"u{next(n)}"


def nested(definition: dict[str, Any]) -> dict[str, Any]:
    """An export as before version 7: the flow's definition nested in the flow."""
    return {"version": "4", "flows": [{"name": "Survey", "definition": definition}]}


def run(step: Step, definition: dict[str, Any]) -> dict[str, Any]:
    # a copy: the expected results reuse parts of the input, which the step changes in place
    return step(nested(copy.deepcopy(definition)), counter(), "", [])


# ------------------------------------------------------------------------------ small helpers


def test_version_key() -> None:
    assert version_key("11.12") == (11, 12)
    assert version_key(" 8 ") == (8,)
    assert version_key(13) == (13,)
    with pytest.raises(LegacyError) as e:
        version_key("11.x")
    assert str(e.value) == "export version '11.x' is not a version number"


def test_ids_are_stable_per_kind_and_id() -> None:
    """Old exports referred to objects by integer id: each (kind, id) gets one fresh uuid."""
    ids = _Ids(counter())
    assert ids.get("group", 5) == "u1"
    assert ids.get("label", 5) == "u2"  # same id, other kind: another object
    assert ids.get("group", "5") == "u1"  # ids as numbers or strings are the same id
    assert ids.get("group", 6) == "u3"
    assert ids.maps == {"group": {"5": "u1", "6": "u3"}, "label": {"5": "u2"}}


@pytest.mark.parametrize(
    ("node", "height"),
    [
        ({"uuid": "a", "actions": [{}, {}]}, 225),
        ({"uuid": "a", "actions": [{}]}, 150),
        ({"uuid": "a", "actions": []}, 75),
        ({"uuid": "r", "rules": [{}, {}, {}]}, 100),
    ],
)
def test_node_height(node: dict[str, Any], height: int) -> None:
    """The editor's height of a node: 75 per action plus 75 for an action set, 100 for a rule set."""
    assert _node_height(node) == height


@pytest.mark.parametrize(
    ("label", "slug"),
    [
        ("Favorite Color", "favorite_color"),
        ("Age 2", "age_2"),
        ("What's up?!", "what_s_up_"),
        ("Élan", "_lan"),
        (None, ""),
        ("", ""),
    ],
)
def test_label_slug(label: Any, slug: str) -> None:
    """How a rule set's label became its @flow.<key>: lower case, other runs of characters as _."""
    assert _label_slug(label) == slug


@pytest.mark.parametrize(
    ("flow", "name"),
    [
        ({"metadata": {"name": "Meta"}, "name": "Outer"}, "Meta"),
        ({"metadata": {"name": "Meta"}}, "Meta"),
        ({"metadata": {}, "name": "Outer"}, "Outer"),
        ({"metadata": "junk", "name": "Outer"}, "Outer"),
        ({"name": "Outer"}, "Outer"),
        ({"metadata": {"name": ""}, "name": ""}, "unnamed"),
        ({}, "unnamed"),
    ],
)
def test_flow_name(flow: dict[str, Any], name: str) -> None:
    """The name used in error messages: the metadata's, else the flow's own, else 'unnamed'."""
    assert _flow_name(flow) == name


def test_actions_flattens_action_sets() -> None:
    a1, a2, a3 = {"type": "reply"}, {"type": "add_group"}, {"type": "email"}
    d = {"action_sets": [{"actions": [a1, "junk", a2]}, {"actions": None}, {}, {"actions": [a3]}]}
    assert _actions(d) == [a1, a2, a3]
    assert _actions({}) == []
    assert _actions({"action_sets": None}) == []


# ------------------------------------------------------------------------------ the entry node


@pytest.mark.parametrize(
    ("d", "entry"),
    [
        ({}, None),
        ({"rule_sets": None, "action_sets": []}, None),
        ({"rule_sets": [{"uuid": "r1", "y": 50, "x": 0}, {"uuid": "r2", "y": 10, "x": 500}]}, "r2"),
        ({"action_sets": [{"uuid": "a1", "y": 50, "x": 0}, {"uuid": "a2", "y": 10, "x": 500}]}, "a2"),
        # the same height: the left-most
        ({"action_sets": [{"uuid": "a1", "y": 5, "x": 300}, {"uuid": "a2", "y": 5, "x": 100}]}, "a2"),
        # higher wins over more to the left
        ({"action_sets": [{"uuid": "a1", "y": 5, "x": 0}, {"uuid": "a2", "y": 0, "x": 900}]}, "a2"),
        # a missing position is 0
        ({"action_sets": [{"uuid": "a1", "y": 1, "x": 0}, {"uuid": "a2", "x": 10}]}, "a2"),
        ({"action_sets": [{"uuid": "a1", "y": 0, "x": 1}, {"uuid": "a2", "y": 0}]}, "a2"),
        # a tie: rule sets come first
        ({"rule_sets": [{"uuid": "r", "y": 0, "x": 0}], "action_sets": [{"uuid": "a", "y": 0, "x": 0}]}, "r"),
        ({"rule_sets": [{"uuid": "r", "y": 9, "x": 0}], "action_sets": [{"uuid": "a", "y": 8, "x": 0}]}, "a"),
        ({"action_sets": [{"y": 0}]}, None),
    ],
)
def test_entry_is_the_top_most_then_left_most_node(d: dict[str, Any], entry: str | None) -> None:
    assert _entry(d) == entry


# ------------------------------------------------------------------------------ moving nodes down


def test_move_down_moves_nodes_at_or_below() -> None:
    d: dict[str, Any] = {
        "action_sets": [{"uuid": "a1", "y": 99}, {"uuid": "a2", "y": 100}, {"uuid": "a3", "y": 250}],
        "rule_sets": [{"uuid": "r1", "y": 0}, {"uuid": "r2", "y": 101}, {"uuid": "r3"}],
    }
    _move_down(d, 100)
    assert d == {
        "action_sets": [{"uuid": "a1", "y": 99}, {"uuid": "a2", "y": 200}, {"uuid": "a3", "y": 350}],
        "rule_sets": [{"uuid": "r1", "y": 0}, {"uuid": "r2", "y": 201}, {"uuid": "r3"}],
    }
    _move_down(d, 250, 30)
    assert [n["y"] for n in d["action_sets"]] == [99, 200, 380]


def test_move_down_from_the_top_moves_nodes_without_position() -> None:
    d = {"action_sets": [{"uuid": "a", "y": 0}, {"uuid": "b"}], "rule_sets": [{"uuid": "r", "y": 0}]}
    _move_down(d, 0)
    assert d == {
        "action_sets": [{"uuid": "a", "y": 100}, {"uuid": "b", "y": 100}],
        "rule_sets": [{"uuid": "r", "y": 100}],
    }
    d = {"action_sets": [{"uuid": "a", "y": 0}, {"uuid": "b"}]}
    _move_down(d, 1)
    assert d == {"action_sets": [{"uuid": "a", "y": 0}, {"uuid": "b"}]}


# ------------------------------------------------------------------------------ inserted rule sets


def test_only_other_rule_keeps_the_catch_all_as_all_responses() -> None:
    rs = {
        "uuid": "r",
        "rules": [
            {"uuid": "k1", "test": {"type": "contains", "test": "yes"}, "category": {"eng": "Yes"}},
            {"uuid": "k2", "test": None, "category": {"eng": "Nothing"}},
            {"uuid": "k3"},
            {"uuid": "k4", "test": {"type": "true"}, "category": {"eng": "Other", "fra": "Autre"}},
        ],
    }
    _only_other_rule({"base_language": "eng"}, rs)
    assert rs == {
        "uuid": "r",
        "rules": [
            {"uuid": "k4", "test": {"type": "true"}, "category": {"eng": "All Responses", "fra": "Autre"}}
        ],
    }


def test_only_other_rule_category_without_base_language() -> None:
    rs: dict[str, Any] = {"rules": [{"uuid": "k", "test": {"type": "true"}, "category": {"fra": "Autre"}}]}
    _only_other_rule({}, rs)
    assert rs == {
        "rules": [
            {"uuid": "k", "test": {"type": "true"}, "category": {"fra": "Autre", "base": "All Responses"}}
        ]
    }
    rs = {"rules": [{"uuid": "k", "test": {"type": "true"}, "category": "Other"}]}
    _only_other_rule({"base_language": "eng"}, rs)
    assert rs == {"rules": [{"uuid": "k", "test": {"type": "true"}, "category": "All Responses"}]}
    rs = {"label": "No rules"}
    _only_other_rule({}, rs)
    assert rs == {"label": "No rules", "rules": []}


def test_insert_before_takes_over_the_next_nodes_uuid() -> None:
    """What pointed at `nxt` reaches the new node first; nodes from its height on move down."""
    nxt = {"uuid": "n", "y": 100, "rules": [{"uuid": "x", "destination": "b"}]}
    d = {
        "action_sets": [{"uuid": "a", "y": 0, "destination": "n"}, {"uuid": "b", "y": 200}],
        "rule_sets": [nxt],
    }
    node = {"uuid": "old", "y": 100, "rules": [{"uuid": "p1", "destination": None}, {"uuid": "p2"}]}
    _insert_before(d, node, nxt, counter())
    assert d == {
        "action_sets": [{"uuid": "a", "y": 0, "destination": "n"}, {"uuid": "b", "y": 300}],
        "rule_sets": [
            {"uuid": "u1", "y": 200, "rules": [{"uuid": "x", "destination": "b"}]},
            {
                "uuid": "n",
                "y": 100,
                "rules": [{"uuid": "p1", "destination": "u1"}, {"uuid": "p2", "destination": "u1"}],
            },
        ],
    }


def test_insert_before_at_the_top_without_rule_sets() -> None:
    nxt = {"uuid": "n", "y": 0, "actions": []}
    d = {"action_sets": [nxt, {"uuid": "b", "y": 0}]}
    node = {"uuid": "old"}
    _insert_before(d, node, nxt, counter())
    assert d == {
        "action_sets": [{"uuid": "u1", "y": 100, "actions": []}, {"uuid": "b", "y": 100}],
        "rule_sets": [{"uuid": "n"}],
    }


# ------------------------------------------------------------------------------ group names


@pytest.mark.parametrize(
    ("name", "cleansed"),
    [
        ("Farmers", "Farmers"),
        ("x", "x"),
        ("1st Farmers", "1st Farmers"),
        ("_farmers", "_farmers"),
        ("Émile", "Émile"),
        ("a" * 64, "a" * 64),
        ("a" * 65, "Contacts " + "a" * 65),
        (" Farmers", "Contacts  Farmers"),
        ("Farmers ", "Contacts Farmers "),
        ("-tag", "Contacts -tag"),
        ("#1", "Contacts #1"),
        ("", "Unknown"),
        (None, "Unknown"),
    ],
)
def test_cleanse_group_names(name: Any, cleansed: str) -> None:
    """Group names that aren't valid any more (surrounding blanks, longer than 64 characters, not
    starting with a word character) got a "Contacts " prefix; a group without a name is 'Unknown'."""
    group = {"uuid": "g1"} if name is None else {"uuid": "g1", "name": name}
    d = {
        "action_sets": [
            {
                "uuid": "a",
                "actions": [
                    {"type": "add_group", "groups": [group]},
                    {"type": "del_group", "groups": [dict(group)]},
                ],
            }
        ]
    }
    _cleanse_groups(d)
    assert d == {
        "action_sets": [
            {
                "uuid": "a",
                "actions": [
                    {"type": "add_group", "groups": [{"uuid": "g1", "name": cleansed}]},
                    {"type": "del_group", "groups": [{"uuid": "g1", "name": cleansed}]},
                ],
            }
        ]
    }


def test_cleanse_groups_single_group_becomes_a_list() -> None:
    d = {
        "entry": "a",
        "action_sets": [
            {
                "uuid": "a",
                "y": 0,
                "actions": [
                    {"type": "add_group", "group": {"name": " Old"}},
                    {"type": "del_group", "group": {"name": "Gone"}},
                    {"type": "add_group", "group": {"name": "Kept"}, "groups": [{"name": "Both"}]},
                    {"type": "add_group"},
                    {"type": "del_group", "groups": ["@step.value", {"name": "#x"}]},
                    {"type": "reply", "group": {"name": " Not a group action"}},
                ],
            }
        ],
    }
    _cleanse_groups(d)
    assert d == {
        "entry": "a",
        "action_sets": [
            {
                "uuid": "a",
                "y": 0,
                "actions": [
                    {"type": "add_group", "groups": [{"name": "Contacts  Old"}]},
                    {"type": "del_group", "groups": [{"name": "Gone"}]},
                    {"type": "add_group", "group": {"name": "Kept"}, "groups": [{"name": "Both"}]},
                    {"type": "add_group"},
                    {"type": "del_group", "groups": ["@step.value", {"name": "Contacts #x"}]},
                    {"type": "reply", "group": {"name": " Not a group action"}},
                ],
            }
        ],
    }


def test_cleanse_groups_drops_empty_action_sets_and_recomputes_the_entry() -> None:
    d = {
        "entry": "a",
        "action_sets": [
            {"uuid": "a", "y": 0, "actions": []},
            {"uuid": "b", "y": 100, "actions": [{"type": "reply"}]},
        ],
        "rule_sets": [{"uuid": "r", "y": 50}],
    }
    _cleanse_groups(d)
    assert d == {
        "entry": "r",
        "action_sets": [{"uuid": "b", "y": 100, "actions": [{"type": "reply"}]}],
        "rule_sets": [{"uuid": "r", "y": 50}],
    }


def test_cleanse_groups_keeps_the_entry_when_nothing_is_dropped() -> None:
    d = {
        "entry": "b",
        "action_sets": [
            {"uuid": "a", "y": 0, "actions": [{"type": "reply"}]},
            {"uuid": "b", "y": 100, "actions": [{}]},
        ],
    }
    before = copy.deepcopy(d)
    _cleanse_groups(d)
    assert d == before
    d = {"entry": "r", "rule_sets": [{"uuid": "r"}]}
    _cleanse_groups(d)
    assert d == {"entry": "r", "rule_sets": [{"uuid": "r"}]}


# ------------------------------------------------------------------------------ version 5

CATCH_ALL = {"uuid": "k9", "test": {"type": "true"}, "category": "Other", "destination": None}


@pytest.mark.parametrize(
    ("response_type", "operand", "ruleset_type"),
    [
        ("C", "@step.value", "wait_message"),
        ("C", None, "wait_message"),
        ("C", "", "wait_message"),
        ("C", "  @step.value ", "wait_message"),
        ("K", "@step.value", "wait_digits"),
        ("M", "@step.value", "wait_digit"),
        ("R", "@step.value", "wait_recording"),
        ("K", "@step.value|upper_case", "wait_digits"),
        ("R", "=(step.value + 1)", "wait_recording"),
        ("k", "@step.value", "wait_message"),
        ("C", "@contact.district", "contact_field"),
        ("C", "@contact.groups", "expression"),
        ("C", "@flow.color", "flow_field"),
        ("C", "@flow.steps", "flow_field"),
        ("C", "@contact.name|upper_case", "expression"),
        ("C", "@contact.name @contact.tel", "expression"),
        ("C", "@date.now", "expression"),
        ("C", "=(1 + 1)", "expression"),
        ("C", "=(contact.age)", "expression"),
        ("C", "=(", "expression"),
    ],
)
def test_v5_rule_set_types(response_type: str, operand: str | None, ruleset_type: str) -> None:
    """Version 5 gave rule sets an explicit `ruleset_type`: ones evaluating the step (the message
    just received) wait for it (digits, a digit, a recording per the old `response_type`, else a
    message); others split on an expression, or a contact or flow field when that's all they read."""
    rs: dict[str, Any] = {"uuid": "r", "x": 0, "y": 0, "label": "Q", "response_type": response_type}
    if operand is not None:
        rs["operand"] = operand
    rs["rules"] = [dict(CATCH_ALL, config={"type": "true"})]
    out = run(_v5, {"rule_sets": [rs]})
    expected = {"uuid": "r", "x": 0, "y": 0, "label": "Q", "ruleset_type": ruleset_type, "rules": [CATCH_ALL]}
    if operand is not None:
        expected["operand"] = operand
    assert out == nested({"rule_sets": [expected]})


def test_v5_leaves_typed_rule_sets_and_drops_rule_configs() -> None:
    """Rule sets that already had a type, or no response type, only lose their rules' configs
    (and the response type); the ones after them are still migrated."""
    rule = {"uuid": "k", "test": {"type": "true"}, "category": "All"}
    d = {
        "rule_sets": [
            {
                "uuid": "r1",
                "ruleset_type": "wait_message",
                "response_type": "C",
                "webhook": "http://x/keep",
                "rules": [dict(rule, config={"a": 1})],
            },
            {"uuid": "r2", "operand": "@contact.name", "rules": [dict(rule, config={})]},
            {"uuid": "r3", "response_type": "C", "operand": "@contact.name"},
        ]
    }
    assert run(_v5, d) == nested(
        {
            "rule_sets": [
                {"uuid": "r1", "ruleset_type": "wait_message", "webhook": "http://x/keep", "rules": [rule]},
                {"uuid": "r2", "operand": "@contact.name", "rules": [rule]},
                {"uuid": "r3", "operand": "@contact.name", "ruleset_type": "contact_field"},
            ]
        }
    )


def test_v5_expression_on_the_step_gets_a_wait_before_it() -> None:
    """An expression over the received message became a wait (keeping only the catch-all rule, as
    'All Responses') followed by the expression split; the nodes from there on moved down 100."""
    number = {"uuid": "k1", "test": {"type": "number"}, "category": {"eng": "Number"}, "destination": "b"}
    other = {"uuid": "k2", "test": {"type": "true"}, "category": {"eng": "Other"}, "destination": None}
    d = {
        "base_language": "eng",
        "entry": "a",
        "action_sets": [
            {"uuid": "a", "x": 0, "y": 0, "destination": "r", "actions": [{"type": "reply", "msg": "Age?"}]},
            {
                "uuid": "b",
                "x": 0,
                "y": 300,
                "destination": None,
                "actions": [{"type": "reply", "msg": "Bye"}],
            },
            {
                "uuid": "c",
                "x": 400,
                "y": 150,
                "destination": None,
                "actions": [{"type": "reply", "msg": "Side"}],
            },
        ],
        "rule_sets": [
            {
                "uuid": "r",
                "x": 100,
                "y": 150,
                "label": "Age",
                "response_type": "C",
                "operand": "=(step.value + 1)",
                "rules": [number, other],
            }
        ],
    }
    assert run(_v5, d) == nested(
        {
            "base_language": "eng",
            "entry": "a",
            "action_sets": [
                {
                    "uuid": "a",
                    "x": 0,
                    "y": 0,
                    "destination": "r",
                    "actions": [{"type": "reply", "msg": "Age?"}],
                },
                {
                    "uuid": "b",
                    "x": 0,
                    "y": 400,
                    "destination": None,
                    "actions": [{"type": "reply", "msg": "Bye"}],
                },
                {
                    "uuid": "c",
                    "x": 400,
                    "y": 250,
                    "destination": None,
                    "actions": [{"type": "reply", "msg": "Side"}],
                },
            ],
            "rule_sets": [
                {
                    "uuid": "u1",
                    "x": 100,
                    "y": 250,
                    "label": "Age",
                    "operand": "=(step.value + 1)",
                    "ruleset_type": "expression",
                    "rules": [number, other],
                },
                {
                    "uuid": "r",
                    "x": 100,
                    "y": 150,
                    "label": "Age Response",
                    "operand": "@step.value",
                    "ruleset_type": "wait_message",
                    "rules": [dict(other, category={"eng": "All Responses"}, destination="u1")],
                },
            ],
        }
    )


def test_v5_webhook_on_a_field_split_gets_a_wait_and_a_webhook_node() -> None:
    """A rule set's webhook became its own webhook rule set; one that didn't wait for a message
    (it used to stop at the webhook) got a wait too: wait -> webhook -> split."""
    contains = {
        "uuid": "k1",
        "test": {"type": "contains", "test": "yes"},
        "category": "Yes",
        "destination": None,
    }
    # (a category already a map before version 6 is localized under 'base')
    other = {"uuid": "k2", "test": {"type": "true"}, "category": {"base": "Other"}, "destination": None}
    d = {
        "action_sets": [
            {"uuid": "a", "x": 0, "y": 0, "destination": "r", "actions": [{"type": "reply", "msg": "Hi"}]},
            {
                "uuid": "b",
                "x": 0,
                "y": 250,
                "destination": None,
                "actions": [{"type": "reply", "msg": "Bye"}],
            },
        ],
        "rule_sets": [
            {
                "uuid": "r",
                "x": 0,
                "y": 100,
                "label": "Check",
                "response_type": "C",
                "operand": "@contact.district",
                "webhook": "http://x/hook",
                "webhook_action": "GET",
                "rules": [dict(contains, config={}), other],
            }
        ],
    }
    all_responses = dict(other, category={"base": "All Responses"})
    assert run(_v5, d) == nested(
        {
            "action_sets": [
                {
                    "uuid": "a",
                    "x": 0,
                    "y": 0,
                    "destination": "r",
                    "actions": [{"type": "reply", "msg": "Hi"}],
                },
                {
                    "uuid": "b",
                    "x": 0,
                    "y": 450,
                    "destination": None,
                    "actions": [{"type": "reply", "msg": "Bye"}],
                },
            ],
            "rule_sets": [
                {
                    "uuid": "u2",
                    "x": 0,
                    "y": 300,
                    "label": "Check",
                    "operand": "@contact.district",
                    "ruleset_type": "contact_field",
                    "rules": [contains, other],
                },
                {
                    "uuid": "r",
                    "x": 0,
                    "y": 100,
                    "label": "Check Response",
                    "operand": "@step.value",
                    "ruleset_type": "wait_message",
                    "rules": [dict(all_responses, destination="u1")],
                },
                {
                    "uuid": "u1",
                    "x": 0,
                    "y": 200,
                    "label": "Check Webhook",
                    "operand": "@step.value",
                    "ruleset_type": "webhook",
                    "webhook": "http://x/hook",
                    "webhook_action": "GET",
                    "rules": [dict(all_responses, destination="u2")],
                },
            ],
        }
    )


def test_v5_webhook_on_a_wait_without_label() -> None:
    """A waiting rule set with a webhook: the webhook node goes before it (no wait added)."""
    d = {
        "action_sets": [{"uuid": "a", "y": 0, "actions": [{"type": "reply", "msg": "Hi"}]}],
        "rule_sets": [{"uuid": "r", "response_type": "C", "webhook": "http://x/hook", "rules": [CATCH_ALL]}],
    }
    assert run(_v5, d) == nested(
        {
            "action_sets": [{"uuid": "a", "y": 100, "actions": [{"type": "reply", "msg": "Hi"}]}],
            "rule_sets": [
                {"uuid": "u1", "y": 100, "ruleset_type": "wait_message", "rules": [CATCH_ALL]},
                {
                    "uuid": "r",
                    "ruleset_type": "webhook",
                    "webhook": "http://x/hook",
                    "webhook_action": None,
                    "operand": "@step.value",
                    "label": " Webhook",
                    "rules": [dict(CATCH_ALL, category="All Responses", destination="u1")],
                },
            ],
        }
    )


def test_v5_expression_on_the_step_without_label() -> None:
    d = {"rule_sets": [{"uuid": "r", "y": 0, "response_type": "C", "operand": "@step.value|upper_case"}]}
    assert run(_v5, d) == nested(
        {
            "rule_sets": [
                {"uuid": "u1", "y": 100, "operand": "@step.value|upper_case", "ruleset_type": "expression"},
                {
                    "uuid": "r",
                    "y": 0,
                    "operand": "@step.value",
                    "ruleset_type": "wait_message",
                    "label": " Response",
                    "rules": [],
                },
            ]
        }
    )


def test_v5_cleanses_group_names() -> None:
    d = {"action_sets": [{"uuid": "a", "actions": [{"type": "add_group", "group": {"name": "#x"}}]}]}
    assert run(_v5, d) == nested(
        {
            "action_sets": [
                {"uuid": "a", "actions": [{"type": "add_group", "groups": [{"name": "Contacts #x"}]}]}
            ]
        }
    )


# ------------------------------------------------------------------------------ version 6


def test_v6_texts_become_language_maps() -> None:
    """Version 6 made every translatable text a {language: text} map, with the language 'base'
    when the flow had none: rule categories (a between test's defaulting to "min-max"), the
    text of contains/contains_any/starts/regex tests, send/reply/say messages and say recordings."""
    d = {
        "rule_sets": [
            {
                "uuid": "r",
                "rules": [
                    {"uuid": "k1", "test": {"type": "between", "min": "1", "max": "5"}},
                    {"uuid": "k2", "test": {"type": "between", "min": "6", "max": "9"}, "category": "Many"},
                    {"uuid": "k3", "test": {"type": "contains", "test": "yes"}, "category": "Yes"},
                    {"uuid": "k4", "test": {"type": "contains_any", "test": "y n"}, "category": "YN"},
                    {"uuid": "k5", "test": {"type": "starts", "test": "ok"}, "category": "Ok"},
                    {"uuid": "k6", "test": {"type": "regex", "test": "^a"}, "category": "A"},
                    {"uuid": "k7", "test": {"type": "lt", "test": "5"}, "category": "Small"},
                    {"uuid": "k8", "test": {"type": "true"}, "category": {"base": "Other"}},
                ],
            }
        ],
        "action_sets": [
            {
                "uuid": "a",
                "actions": [
                    {"type": "send", "msg": "Hello"},
                    {"type": "reply", "msg": "Hi"},
                    {"type": "say", "msg": "Welcome", "recording": "r.wav"},
                    {"type": "say", "msg": {"base": "Bye"}},
                    {"type": "email", "msg": "body"},
                    {"type": "reply", "msg": "x", "recording": "keep.wav"},
                ],
            }
        ],
    }
    assert run(_v6, d) == nested(
        {
            "base_language": "base",
            "rule_sets": [
                {
                    "uuid": "r",
                    "rules": [
                        {
                            "uuid": "k1",
                            "test": {"type": "between", "min": "1", "max": "5"},
                            "category": {"base": "1-5"},
                        },
                        {
                            "uuid": "k2",
                            "test": {"type": "between", "min": "6", "max": "9"},
                            "category": {"base": "Many"},
                        },
                        {
                            "uuid": "k3",
                            "test": {"type": "contains", "test": {"base": "yes"}},
                            "category": {"base": "Yes"},
                        },
                        {
                            "uuid": "k4",
                            "test": {"type": "contains_any", "test": {"base": "y n"}},
                            "category": {"base": "YN"},
                        },
                        {
                            "uuid": "k5",
                            "test": {"type": "starts", "test": {"base": "ok"}},
                            "category": {"base": "Ok"},
                        },
                        {
                            "uuid": "k6",
                            "test": {"type": "regex", "test": {"base": "^a"}},
                            "category": {"base": "A"},
                        },
                        {"uuid": "k7", "test": {"type": "lt", "test": "5"}, "category": {"base": "Small"}},
                        {"uuid": "k8", "test": {"type": "true"}, "category": {"base": "Other"}},
                    ],
                }
            ],
            "action_sets": [
                {
                    "uuid": "a",
                    "actions": [
                        {"type": "send", "msg": {"base": "Hello"}},
                        {"type": "reply", "msg": {"base": "Hi"}},
                        {"type": "say", "msg": {"base": "Welcome"}, "recording": {"base": "r.wav"}},
                        {"type": "say", "msg": {"base": "Bye"}},
                        {"type": "email", "msg": "body"},
                        {"type": "reply", "msg": {"base": "x"}, "recording": "keep.wav"},
                    ],
                }
            ],
        }
    )


def test_v6_leaves_flows_with_a_base_language() -> None:
    """A flow that already had a base language was localized: only its group names are cleansed;
    the flows after it are still migrated."""
    localized = {
        "base_language": "eng",
        "rule_sets": [
            {"uuid": "r", "rules": [{"test": {"type": "contains", "test": "yes"}, "category": "Yes"}]}
        ],
        "action_sets": [
            {
                "uuid": "a",
                "actions": [{"type": "reply", "msg": "Hi"}, {"type": "add_group", "group": {"name": " G"}}],
            }
        ],
    }
    plain = {"action_sets": [{"uuid": "b", "actions": [{"type": "reply", "msg": "Hi"}]}]}
    export = {"version": "5", "flows": [{"definition": localized}, {"definition": plain}]}
    out = _v6(export, counter(), "", [])
    assert out == {
        "version": "5",
        "flows": [
            {
                "definition": {
                    "base_language": "eng",
                    "rule_sets": [
                        {
                            "uuid": "r",
                            "rules": [{"test": {"type": "contains", "test": "yes"}, "category": "Yes"}],
                        }
                    ],
                    "action_sets": [
                        {
                            "uuid": "a",
                            "actions": [
                                {"type": "reply", "msg": "Hi"},
                                {"type": "add_group", "groups": [{"name": "Contacts  G"}]},
                            ],
                        }
                    ],
                }
            },
            {
                "definition": {
                    "base_language": "base",
                    "action_sets": [{"uuid": "b", "actions": [{"type": "reply", "msg": {"base": "Hi"}}]}],
                }
            },
        ],
    }


# ------------------------------------------------------------------------------ version 7


def test_v7_unnests_the_definition_and_fills_its_metadata() -> None:
    """Version 7 made the definition the flow itself: the flow's name, id, uuid, revision and last
    save moved into its `metadata`, its type into `flow_type`; the stray `rulesets` key of single
    message flows went away."""
    export = {
        "version": "6",
        "flows": [
            "junk",
            {"name": "Flat", "definition": None},
            {
                "name": "Survey",
                "id": 5,
                "uuid": "f-1",
                "flow_type": "M",
                "revision": 3,
                "last_saved": "2016-01-01T00:00:00.000Z",
                "expires": 720,
                "entry": "ignored",
                "definition": {
                    "entry": "a",
                    "base_language": "eng",
                    "rulesets": [],
                    "metadata": {"notes": [{"title": "n"}], "expires": 60},
                    "action_sets": [
                        {"uuid": "a", "actions": [{"type": "add_group", "group": {"name": "#x"}}]}
                    ],
                },
            },
            {"name": "Short", "entry": "b", "definition": {"action_sets": [{"uuid": "b", "actions": [{}]}]}},
        ],
    }
    assert _v7(export, counter(), "", []) == {
        "version": "6",
        "flows": [
            "junk",
            {"name": "Flat", "definition": None},
            {
                "entry": "a",
                "base_language": "eng",
                "flow_type": "M",
                "metadata": {
                    "notes": [{"title": "n"}],
                    "expires": 60,
                    "name": "Survey",
                    "id": 5,
                    "uuid": "f-1",
                    "revision": 3,
                    "saved_on": "2016-01-01T00:00:00.000Z",
                },
                "action_sets": [
                    {"uuid": "a", "actions": [{"type": "add_group", "groups": [{"name": "Contacts #x"}]}]}
                ],
            },
            {
                "entry": "b",
                "flow_type": "F",
                "metadata": {"name": "Short", "id": None, "uuid": None, "saved_on": None},
                "action_sets": [{"uuid": "b", "actions": [{}]}],
            },
        ],
    }


def test_v7_copies_expiry_and_entry_only_when_missing() -> None:
    export = {
        "flows": [
            {
                "name": "A",
                "revision": 0,
                "expires": 30,
                "entry": "x",
                "definition": {"entry": "b", "metadata": None},
            },
            {"name": "B", "expires": 0, "definition": {}},
        ]
    }
    assert _v7(export, counter(), "", []) == {
        "flows": [
            {
                "entry": "b",
                "flow_type": "F",
                "metadata": {"name": "A", "id": None, "uuid": None, "saved_on": None, "expires": 30},
            },
            {"flow_type": "F", "metadata": {"name": "B", "id": None, "uuid": None, "saved_on": None}},
        ]
    }


# ------------------------------------------------------------------------------ version 8


def test_v8_expressions_become_at_parentheses() -> None:
    """Version 8 rewrote filter (`@contact.name|upper_case`) and `=` expressions as @(...) in rule
    tests, operands, webhook urls and anywhere in actions; categories were left as they were."""
    d = {
        "base_language": "base",
        "rule_sets": [
            {
                "uuid": "r",
                "operand": "@contact.name|upper_case",
                "webhook": "http://x/?n=@contact.name|upper_case",
                "rules": [
                    {
                        "uuid": "k",
                        "test": {"type": "contains", "test": {"base": "=UPPER(contact.name)"}},
                        "category": {"base": "@contact.name|upper_case"},
                    }
                ],
            },
            {"uuid": "r2", "operand": "", "webhook": None},
        ],
        "action_sets": [
            {
                "uuid": "a",
                "actions": [
                    {
                        "type": "reply",
                        "msg": {"base": "Hi @contact.name|title_case!"},
                        "media": None,
                        "n": 3,
                        "flags": [True, "@flow.age|first_word"],
                    }
                ],
            },
        ],
    }
    assert run(_v8, d) == nested(
        {
            "base_language": "base",
            "rule_sets": [
                {
                    "uuid": "r",
                    "operand": "@(UPPER(contact.name))",
                    "webhook": "http://x/?n=@(UPPER(contact.name))",
                    "rules": [
                        {
                            "uuid": "k",
                            "test": {"type": "contains", "test": {"base": "@(UPPER(contact.name))"}},
                            "category": {"base": "@contact.name|upper_case"},
                        }
                    ],
                },
                {"uuid": "r2", "operand": "", "webhook": None},
            ],
            "action_sets": [
                {
                    "uuid": "a",
                    "actions": [
                        {
                            "type": "reply",
                            "msg": {"base": "Hi @(PROPER(contact.name))!"},
                            "media": None,
                            "n": 3,
                            "flags": [True, "@(FIRST_WORD(flow.age))"],
                        }
                    ],
                },
            ],
        }
    )


def test_v8_cleanses_group_names() -> None:
    d = {"action_sets": [{"uuid": "a", "actions": [{"type": "del_group", "group": {"name": "#x"}}]}]}
    assert run(_v8, d) == nested(
        {
            "action_sets": [
                {"uuid": "a", "actions": [{"type": "del_group", "groups": [{"name": "Contacts #x"}]}]}
            ]
        }
    )


# ------------------------------------------------------------------------------ is_legacy_export

LEGACY_FLOW = {"base_language": "eng", "flow_type": "M", "action_sets": [], "rule_sets": []}
SPEC_FLOW = {
    "uuid": "30000000-0000-4000-8000-000000000001",
    "name": "Spec",
    "spec_version": "13.0.0",
    "language": "eng",
    "type": "messaging",
    "nodes": [],
}


@pytest.mark.parametrize(
    ("data", "legacy"),
    [
        ({"version": "11.12", "flows": []}, True),
        ({"version": "3", "flows": []}, True),
        ({"version": "13", "flows": []}, False),
        ({"version": "13.1", "flows": []}, False),
        ({"flows": []}, False),
        ({"flows": [LEGACY_FLOW]}, True),
        ({"version": "abc", "flows": [LEGACY_FLOW]}, False),
        ({"version": "13", "flows": [LEGACY_FLOW]}, True),
        ({"version": "13", "flows": [SPEC_FLOW, {"name": "Nested", "definition": {}}]}, True),
        ({"version": "13", "flows": [SPEC_FLOW, "junk"]}, False),
        ({"version": "13", "flows": None}, False),
        ({"version": "13", "flows": {"action_sets": []}}, False),
        ({"version": "11.12", "flows": {"a": 1}}, True),
    ],
)
def test_is_legacy_export(data: dict[str, Any], legacy: bool) -> None:
    """Older than 13, or holding flows in the legacy format (or nested in a definition); no version
    at all or an unreadable one is no RapidPro export to migrate."""
    assert is_legacy_export(data) is legacy


# ------------------------------------------------------------------------------ migrate_export


def legacy_flow(**over: Any) -> dict[str, Any]:
    flow = {
        "base_language": "eng",
        "flow_type": "M",
        "metadata": {"uuid": "f1", "name": "One"},
        "entry": "a1",
        "action_sets": [
            {
                "uuid": "a1",
                "x": 0,
                "y": 0,
                "exit_uuid": "e1",
                "destination": None,
                "actions": [{"type": "reply", "uuid": "r1", "msg": {"eng": "Hi"}}],
            }
        ],
        "rule_sets": [],
    }
    flow.update(over)
    return flow


def migrated_flow(
    export_version: str,
    *,
    warnings: list[str] | None = None,
    action: dict[str, Any] | None = None,
    **over: Any,
) -> dict[str, Any]:
    """`legacy_flow()` as spec 13, with what the export migration records about it."""
    flow = {
        "uuid": "f1",
        "name": "One",
        "spec_version": "13.0.0",
        "language": "eng",
        "type": "messaging",
        "revision": 0,
        "expire_after_minutes": 0,
        "localization": {},
        "nodes": [
            {
                "uuid": "a1",
                "actions": [action or {"uuid": "r1", "type": "send_msg", "text": "Hi"}],
                "exits": [{"uuid": "e1"}],
            }
        ],
        "_ui": {
            "nodes": {"a1": {"type": "execute_actions", "position": {"left": 0, "top": 0}}},
            "stickies": {},
            "legacy": {"export_version": export_version, "warnings": warnings or []},
        },
    }
    flow.update(over)
    return flow


def test_migrate_export_of_a_last_legacy_version() -> None:
    data = {"version": "11.12", "flows": [legacy_flow()], "triggers": []}
    assert migrate_export(data, new_uuid=counter()) == (
        {"version": "13", "flows": [migrated_flow("11.12")], "triggers": []},
        [],
    )


def test_migrate_export_records_the_flows_own_version() -> None:
    data = {"version": "11.12", "flows": [legacy_flow(version="11.7"), legacy_flow(version="")]}
    out, _ = migrate_export(data, new_uuid=counter())
    assert [f["_ui"]["legacy"] for f in out["flows"]] == [
        {"export_version": "11.7", "warnings": []},
        {"export_version": "11.12", "warnings": []},
    ]


def test_migrate_export_without_version_runs_every_step() -> None:
    """No version: treated as the oldest, every step runs (version 10.3 gives action sets fresh
    exit uuids); nothing to record as the export's version."""
    out = migrate_export({"flows": [legacy_flow()]}, new_uuid=counter())
    expected = migrated_flow("")
    expected["nodes"][0]["exits"] = [{"uuid": "u1"}]
    assert out == ({"flows": [expected], "version": "13"}, [])


def test_migrate_export_flows_get_uuids_from_new_uuid() -> None:
    """A flow without a uuid gets one from `new_uuid`, like everything the steps make."""
    data = {"version": "11.12", "flows": [legacy_flow(metadata={"name": "One"})]}
    assert migrate_export(data, new_uuid=counter()) == (
        {"version": "13", "flows": [migrated_flow("11.12", uuid="u1")]},
        [],
    )


def test_migrate_export_passes_new_format_flows_through() -> None:
    data = {"version": "11.12", "flows": [SPEC_FLOW]}
    assert migrate_export(data, new_uuid=counter()) == ({"version": "13", "flows": [SPEC_FLOW]}, [])


def test_migrate_export_records_each_steps_version_and_leaves_the_input() -> None:
    """Each step run records its version on every flow, as RapidPro's flows carried their own."""
    data = {"version": "11.10", "flows": [dict(SPEC_FLOW)]}
    before = copy.deepcopy(data)
    out, warnings = migrate_export(data, new_uuid=counter())
    assert out == {"version": "13", "flows": [dict(SPEC_FLOW, version="11.12")]}
    assert warnings == []
    assert data == before


def test_migrate_export_from_version_7_unnests_definitions() -> None:
    """Flows still nested in a `definition` though the export says 7 or later are unnested first."""
    for version in ("7", "8"):
        nested_flow = {
            "name": "One",
            "uuid": "f1",
            "flow_type": "M",
            "definition": {k: v for k, v in legacy_flow().items() if k not in ("metadata", "flow_type")},
        }
        data = {"version": version, "flows": [nested_flow]}
        out, warnings = migrate_export(data, new_uuid=counter())
        expected = migrated_flow(version)
        expected["nodes"][0]["exits"] = [{"uuid": "u1"}]  # version 10.3 gave action sets new exit uuids
        assert out == {"version": "13", "flows": [expected]}, version
        assert warnings == []


def test_migrate_export_unnests_a_definition_once() -> None:
    """Before version 7 the unnesting runs once, at its turn: a definition nested twice is left
    nested once, a flow without its base language."""
    inner = {k: v for k, v in legacy_flow().items() if k != "metadata"}
    data = {"version": "6", "flows": [{"name": "Twice", "definition": {"definition": inner}}]}
    with pytest.raises(LegacyError) as e:
        migrate_export(data, new_uuid=counter())
    assert str(e.value) == "flow 0 (Twice) has no base language"


def test_migrate_export_media_urls() -> None:
    """Uploaded attachments were relative to the exporting site's media: made absolute."""
    reply = {"type": "reply", "uuid": "r1", "msg": {"eng": "Hi"}, "media": {"eng": "image/jpeg:pics/a.jpg"}}
    aset = dict(legacy_flow()["action_sets"][0], actions=[reply])
    data = {"version": "11.12", "flows": [legacy_flow(action_sets=[aset])]}
    sent = {"uuid": "r1", "type": "send_msg", "text": "Hi", "attachments": ["image/jpeg:/pics/a.jpg"]}
    assert migrate_export(data, new_uuid=counter()) == (
        {"version": "13", "flows": [migrated_flow("11.12", action=sent)]},
        [],
    )
    out, _ = migrate_export(data, new_uuid=counter(), base_media_url="https://media.example.com/")
    sent = dict(sent, attachments=["image/jpeg:https://media.example.com/pics/a.jpg"])
    assert out == {"version": "13", "flows": [migrated_flow("11.12", action=sent)]}


def test_migrate_export_default_country_picks_the_language() -> None:
    """Version 11.1 moved languages to ISO 639-3: for 'cpe' (creoles) the country decided which."""
    reply = {"type": "reply", "uuid": "r1", "msg": {"cpe": "Hi"}}
    aset = dict(legacy_flow()["action_sets"][0], actions=[reply])
    data = {"version": "11.0", "flows": [legacy_flow(base_language="cpe", action_sets=[aset])]}
    out, _ = migrate_export(data, new_uuid=counter(), default_country="LR")
    assert out == {"version": "13", "flows": [migrated_flow("11.0", language="lir")]}
    out, _ = migrate_export(data, new_uuid=counter())
    assert out == {"version": "13", "flows": [migrated_flow("11.0", language="pcm")]}


def test_migrate_export_collects_step_and_flow_warnings() -> None:
    reply = {"type": "reply", "uuid": "r1", "msg": {"eng": "Born @contact.birthday"}}
    aset = dict(legacy_flow()["action_sets"][0], actions=[reply])
    data = {"version": "10.4", "flows": [legacy_flow(action_sets=[aset], flow_type="Z")]}
    out, warnings = migrate_export(data, new_uuid=counter())
    note = "unknown legacy flow type 'Z', migrated as messaging"
    sent = {"uuid": "r1", "type": "send_msg", "text": "Born @fields.birthday"}
    assert out == {"version": "13", "flows": [migrated_flow("10.4", warnings=[note], action=sent)]}
    assert warnings == [
        "export older than 11.0: contact fields holding dates or locations are not wrapped in "
        "format_date/format_location (the exporting site's field types are unknown)",
        f"flow One: {note}",
    ]


def test_migrate_export_warnings_name_a_nameless_flow_by_uuid() -> None:
    data = {"version": "11.12", "flows": [legacy_flow(flow_type="Z", metadata={"uuid": "f1"})]}
    out, warnings = migrate_export(data, new_uuid=counter())
    note = "unknown legacy flow type 'Z', migrated as messaging"
    assert warnings == [f"flow f1: {note}"]
    assert out == {"version": "13", "flows": [migrated_flow("11.12", warnings=[note], name="")]}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"version": "11.x", "flows": []}, "export version '11.x' is not a version number"),
        ({"version": "11", "flows": {"a": 1}}, "'flows' must be a list"),
        ({"version": "11.12", "flows": [5]}, "flow 0 is not an object"),
        ({"version": "11.12", "flows": [SPEC_FLOW, 5]}, "flow 1 is not an object"),
        ({"version": "11.12", "flows": [legacy_flow(base_language="")]}, "flow 0 (One) has no base language"),
        (
            {
                "version": "11.12",
                "flows": [legacy_flow(rule_sets=[{"uuid": "r9", "ruleset_type": "teleport"}])],
            },
            "flow 0 (One): error migrating rule_set[uuid=r9]: unrecognized ruleset type: teleport",
        ),
        (
            {"version": "8", "flows": [5]},
            "the export could not be migrated from version 8: AttributeError(\"'int' object has no attribute 'get'\")",
        ),
    ],
)
def test_migrate_export_errors(data: dict[str, Any], message: str) -> None:
    with pytest.raises(LegacyError) as e:
        migrate_export(data, new_uuid=counter())
    assert str(e.value) == message


def test_migrate_export_error_message_is_cut_at_300() -> None:
    version = "0" * 300 + "8"  # a valid version number (8), long enough to be cut
    with pytest.raises(LegacyError) as e:
        migrate_export({"version": version, "flows": [5]}, new_uuid=counter())
    assert str(e.value) == f"the export could not be migrated from version {version}"[:300]
