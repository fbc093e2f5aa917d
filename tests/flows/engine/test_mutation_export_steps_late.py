"""The late steps of bringing an old RapidPro export up to date (flows.engine.legacy.exports).

Each step is fed a small export and the whole result is compared, so a renamed or dropped key
fails: version 11.3 (POST webhooks were marked `legacy_format`, the payload they always sent),
11.4 (@flow.x.text of a rule set that doesn't wait became @step.value, its operand), 11.5
(@flow.x and @flow.x.value of a webhook or resthook rule set became @extra.x, the response),
11.7 (webhook actions became webhook rule sets, splitting the action sets they sat in), 11.8
(duplicate or missing rule uuids got fresh ones), 11.10 (starting a flow of another kind became
a trigger-flow action) and the versions whose change needed the exporting site's database
(11.6, 11.9, 11.11, 11.12: nothing to do from the export alone).
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from typing import Any

import pytest

from flows.engine.legacy.exports import (
    _STEPS,
    _export_v11_10,
    _replace_templates,
    _v11_3,
    _v11_4,
    _v11_5,
    _v11_7,
    _v11_8,
)

Json = dict[str, Any]


def counter() -> Callable[[], str]:
    """Deterministic uuids: u1, u2, ... in the order the migration asks for them."""
    n = itertools.count(1)
    return lambda: f"u{next(n)}"


def one_set(actions: list[Json], rule_sets: list[Json] | None = None, **over: Any) -> Json:
    """A flow as 11.x exports hold it: one action set with `actions`, then `rule_sets`."""
    return {
        "base_language": "eng",
        "action_sets": [{"uuid": "as1", "x": 0, "y": 0, "actions": actions}],
        "rule_sets": rule_sets if rule_sets is not None else [],
        **over,
    }


def reply(text: Any, uuid: str = "r") -> Json:
    return {"type": "reply", "uuid": uuid, "msg": text}


# ---------------------------------------------------------------------------------- 11.3


def test_v11_3_marks_post_webhooks_legacy_format() -> None:
    """11.3: webhook actions and webhook rule sets that POST (POST being the default when no
    method is given) got `legacy_format`: they kept sending the old payload. Other methods,
    other actions and other rule sets are left as they are."""
    export = {
        "version": "11.2",
        "flows": [
            one_set(
                [
                    {"type": "api", "uuid": "a1", "webhook": "http://a"},
                    {"type": "api", "uuid": "a2", "webhook": "http://b", "action": "GET"},
                    {"type": "api", "uuid": "a3", "webhook": "http://c", "action": "POST"},
                    reply({"eng": "Hi"}),
                ],
                [
                    {"uuid": "w1", "ruleset_type": "webhook", "rules": []},
                    {"uuid": "w2", "ruleset_type": "webhook", "config": {"webhook_action": "GET"}},
                    {"uuid": "w3", "ruleset_type": "webhook", "config": {"webhook": "http://d"}},
                    {"uuid": "w4", "ruleset_type": "webhook", "config": {"webhook_action": "POST"}},
                    {"uuid": "q1", "ruleset_type": "wait_message", "config": {}},
                ],
            )
        ],
    }
    expected = {
        "version": "11.2",
        "flows": [
            one_set(
                [
                    {
                        "type": "api",
                        "uuid": "a1",
                        "webhook": "http://a",
                        "action": "POST",
                        "legacy_format": True,
                    },
                    {"type": "api", "uuid": "a2", "webhook": "http://b", "action": "GET"},
                    {
                        "type": "api",
                        "uuid": "a3",
                        "webhook": "http://c",
                        "action": "POST",
                        "legacy_format": True,
                    },
                    reply({"eng": "Hi"}),
                ],
                [
                    # a webhook rule set without a config gets one to hold the flag
                    {"uuid": "w1", "ruleset_type": "webhook", "rules": [], "config": {"legacy_format": True}},
                    {"uuid": "w2", "ruleset_type": "webhook", "config": {"webhook_action": "GET"}},
                    {
                        "uuid": "w3",
                        "ruleset_type": "webhook",
                        "config": {"webhook": "http://d", "legacy_format": True},
                    },
                    {
                        "uuid": "w4",
                        "ruleset_type": "webhook",
                        "config": {"webhook_action": "POST", "legacy_format": True},
                    },
                    {"uuid": "q1", "ruleset_type": "wait_message", "config": {}},
                ],
            )
        ],
    }
    assert _v11_3(copy.deepcopy(export), counter(), "", []) == expected


# ---------------------------------------------------------------------------------- 11.4


def test_v11_4_text_of_a_non_waiting_result_is_the_operand() -> None:
    """11.4: @flow.x.text of a rule set that doesn't wait for the contact (an expression, a
    webhook, ...) meant its operand, which the new engine calls the router's input: it became
    @step.value. Only messages (reply, send, say, email `msg`) are rewritten; a waiting rule set's
    .text (the contact's reply) and other properties stay."""
    rule_sets: list[Json] = [
        {"uuid": "rs1", "label": "Age", "ruleset_type": "expression"},
        {"uuid": "rs2", "label": "Lookup Result", "ruleset_type": "webhook"},
        {"uuid": "rs3", "label": "Name", "ruleset_type": "wait_message"},
        {"uuid": "rs4", "label": "Misc"},  # no type: not a wait
        {"uuid": "rs5", "label": "Photo", "ruleset_type": "wait_photo"},
    ]
    actions = [
        reply(
            "@flow.age.text / @FLOW.Lookup_Result.TEXT / @flow.name.text / @flow.age.value / @flow.photo.text"
        ),
        {"type": "send", "uuid": "s", "msg": {"eng": "@flow.misc.text", "fra": None, "kin": "x"}},
        {"type": "say", "uuid": "y", "msg": {"eng": "@flow.age.text"}},
        {"type": "email", "uuid": "e", "msg": "@flow.age.text", "subject": "@flow.age.text"},
        {"type": "save", "uuid": "v", "value": "@flow.age.text"},
        {"type": "api", "uuid": "w", "webhook": "http://x?a=@flow.age.text"},
        {"type": "reply", "uuid": "n", "msg": None},
    ]
    # first a flow where every rule set waits: nothing to rewrite there (not even a stray
    # "@flow..text"), and the flows after it are still migrated
    waiting = one_set(
        [reply("@flow.name.text @flow..text")],
        [{"uuid": "q", "label": "Name", "ruleset_type": "wait_message"}],
    )
    export = {"version": "11.3", "flows": [waiting, one_set(actions, rule_sets)]}
    expected_actions = [
        reply("@step.value / @step.value / @flow.name.text / @flow.age.value / @flow.photo.text"),
        {"type": "send", "uuid": "s", "msg": {"eng": "@step.value", "fra": "", "kin": "x"}},
        {"type": "say", "uuid": "y", "msg": {"eng": "@step.value"}},
        {"type": "email", "uuid": "e", "msg": "@step.value", "subject": "@flow.age.text"},
        {"type": "save", "uuid": "v", "value": "@flow.age.text"},
        {"type": "api", "uuid": "w", "webhook": "http://x?a=@flow.age.text"},
        {"type": "reply", "uuid": "n", "msg": None},
    ]
    expected = {"version": "11.3", "flows": [copy.deepcopy(waiting), one_set(expected_actions, rule_sets)]}
    assert _v11_4(copy.deepcopy(export), counter(), "", []) == expected


def test_v11_4_flow_without_rule_sets_is_untouched() -> None:
    flow = one_set([reply("@flow.age.text")])
    assert _v11_4({"flows": [flow]}, counter(), "", []) == {"flows": [one_set([reply("@flow.age.text")])]}


# ---------------------------------------------------------------------------------- 11.5


def test_v11_5_webhook_results_became_extra() -> None:
    """11.5: @flow.x and @flow.x.value of a webhook or resthook rule set meant the webhook's
    response: they became @extra.x, in every template of the flow. A slug some other kind of rule
    set also uses is left alone (it can't be told apart), so are other properties (.category)."""
    rule_sets: list[Json] = [
        {"uuid": "rs1", "label": "Lookup", "ruleset_type": "webhook", "operand": "@step.value"},
        {"uuid": "rs2", "label": "Notify", "ruleset_type": "resthook", "operand": "@flow.lookup"},
        {"uuid": "rs3", "label": "Shared", "ruleset_type": "webhook"},
        {"uuid": "rs4", "label": "Shared", "ruleset_type": "expression"},
        {"uuid": "rs5", "label": "Name", "ruleset_type": "wait_message"},
        {"uuid": "rs6", "label": None, "ruleset_type": "webhook"},
    ]
    text = (
        "@flow.lookup and @flow.notify.value, @flow.lookup.category, @FLOW.Lookup.Value, "
        "@flow.shared, @flow.name"
    )
    migrated = (
        "@extra.lookup and @extra.notify, @flow.lookup.category, @extra.Lookup, @flow.shared, @flow.name"
    )
    # the first flow has no webhook rule set: it is left as is and the next is still migrated
    plain = one_set([reply("@flow.lookup")], [{"uuid": "p", "label": "Lookup", "ruleset_type": "expression"}])
    export = {"version": "11.4", "flows": [plain, one_set([reply(text)], rule_sets)]}
    expected_rule_sets = copy.deepcopy(rule_sets)
    expected_rule_sets[1]["operand"] = "@extra.lookup"
    expected = {
        "version": "11.4",
        "flows": [copy.deepcopy(plain), one_set([reply(migrated)], expected_rule_sets)],
    }
    assert _v11_5(copy.deepcopy(export), counter(), "", []) == expected


@pytest.mark.parametrize(
    "rule_sets",
    [
        [],
        # an unlabelled webhook has no result to refer to
        [{"uuid": "rs1", "label": None, "ruleset_type": "webhook"}],
        [{"uuid": "rs1", "label": "Lookup", "ruleset_type": "expression"}],
    ],
)
def test_v11_5_without_webhook_results_nothing_changes(rule_sets: list[Json]) -> None:
    flow = one_set([reply("@flow.lookup @flow..value")], rule_sets)
    expected = {"flows": [copy.deepcopy(flow)]}
    assert _v11_5({"flows": [flow]}, counter(), "", []) == expected


def test_replace_templates_covers_every_template_of_a_flow() -> None:
    """The templates 11.5 rewrites, as RapidPro listed them: messages of reply/send/say/email,
    a save's value, a webhook action's URL, a rule set's operand, its rules' localized test
    strings and its config's webhook URL. A flow_field rule set whose operand changed became an
    expression split (a field reference no longer). A missing template counts as ""."""
    flow = {
        "action_sets": [
            {
                "uuid": "as1",
                "actions": [
                    {"type": "reply", "msg": "old"},
                    {"type": "send", "msg": {"eng": "old one", "fra": None}},
                    {"type": "say", "msg": {"eng": "old"}},
                    {"type": "email", "msg": "old", "subject": "old"},
                    {"type": "save", "value": "old"},
                    {"type": "save", "field": "age"},
                    {"type": "api", "webhook": "http://old"},
                    {"type": "api"},
                    {"type": "add_label", "msg": "old", "labels": [{"name": "old"}]},
                    {"type": "reply", "msg": None},
                ],
            }
        ],
        "rule_sets": [
            {
                "uuid": "rs1",
                "ruleset_type": "flow_field",
                "operand": "@flow.old",
                "rules": [
                    {"test": {"type": "contains_any", "test": {"eng": "old", "fra": None}}},
                    {"test": {"type": "number"}},
                    {"test": {"type": "starts", "test": "old"}},
                    {},
                ],
                "config": {"webhook": "http://old"},
            },
            {"uuid": "rs2", "ruleset_type": "flow_field", "operand": "@flow.same"},
            {"uuid": "rs3", "ruleset_type": "wait_message", "operand": "@step.value old"},
            {"uuid": "rs4", "ruleset_type": "expression", "operand": None, "config": {"webhook": None}},
            # without an operand the rules are not looked at (RapidPro nested them that way)
            {
                "uuid": "rs5",
                "ruleset_type": "wait_message",
                "rules": [{"test": {"type": "contains_any", "test": {"eng": "old"}}}],
                "config": {},
            },
            {"uuid": "rs6", "ruleset_type": "webhook", "operand": "", "config": None},
        ],
    }
    expected = {
        "action_sets": [
            {
                "uuid": "as1",
                "actions": [
                    {"type": "reply", "msg": "new"},
                    {"type": "send", "msg": {"eng": "new one", "fra": ""}},
                    {"type": "say", "msg": {"eng": "new"}},
                    {"type": "email", "msg": "new", "subject": "old"},
                    {"type": "save", "value": "new"},
                    {"type": "save", "field": "age", "value": ""},
                    {"type": "api", "webhook": "http://new"},
                    {"type": "api", "webhook": ""},
                    {"type": "add_label", "msg": "old", "labels": [{"name": "old"}]},
                    {"type": "reply", "msg": None},
                ],
            }
        ],
        "rule_sets": [
            {
                "uuid": "rs1",
                "ruleset_type": "expression",
                "operand": "@flow.new",
                "rules": [
                    {"test": {"type": "contains_any", "test": {"eng": "new", "fra": ""}}},
                    {"test": {"type": "number"}},
                    {"test": {"type": "starts", "test": "old"}},
                    {},
                ],
                "config": {"webhook": "http://new"},
            },
            {"uuid": "rs2", "ruleset_type": "flow_field", "operand": "@flow.same"},
            {"uuid": "rs3", "ruleset_type": "wait_message", "operand": "@step.value new"},
            {"uuid": "rs4", "ruleset_type": "expression", "operand": "", "config": {"webhook": ""}},
            {
                "uuid": "rs5",
                "ruleset_type": "wait_message",
                "rules": [{"test": {"type": "contains_any", "test": {"eng": "old"}}}],
                "config": {},
            },
            {"uuid": "rs6", "ruleset_type": "webhook", "operand": "", "config": None},
        ],
    }
    _replace_templates(flow, lambda t: t.replace("old", "new"))
    assert flow == expected


# ---------------------------------------------------------------------------------- 11.7


def webhook_rule_set(
    uuid: str,
    *,
    x: int,
    y: int,
    label: str,
    rules: tuple[str, str],
    lang: str,
    dest: str | None,
    dest_type: str | None,
    config: Json,
) -> Json:
    """The rule set 11.7 put in a webhook action's place: success and failure both go on."""
    return {
        "uuid": uuid,
        "x": x,
        "y": y,
        "label": label,
        "rules": [
            {
                "uuid": rule_uuid,
                "category": {lang: category},
                "destination": dest,
                "destination_type": dest_type,
                "test": {"type": "webhook_status", "status": status},
                "label": None,
            }
            for rule_uuid, category, status in zip(
                rules, ("Success", "Failure"), ("success", "failure"), strict=True
            )
        ],
        "finished_key": None,
        "ruleset_type": "webhook",
        "response_type": "",
        "operand": "@step.value",
        "config": config,
    }


def test_v11_7_webhook_actions_become_rule_sets_splitting_their_action_set() -> None:
    """11.7: each webhook action became a webhook rule set; the actions around it stay in action
    sets of their own, chained in the old order. The first new node keeps the old uuid (what
    pointed at the old set reaches it), the last goes where the old set went. Rule sets are
    labelled "Migrated Webhook n" per flow (counted from the bottom of each set). The new nodes
    are stacked below the old position (75 per action + 75 for an action set, 100 for a rule
    set) and every node below the old set moves down by what they need beyond the old
    set's 60 per action."""
    r1 = reply({"eng": "one"}, "r1")
    r2 = reply({"eng": "two"}, "r2")
    s1 = {"type": "send", "uuid": "s1", "msg": {"eng": "three"}}
    a1 = {
        "type": "api",
        "uuid": "a1",
        "webhook": "http://x",
        "action": "GET",
        "webhook_headers": [{"name": "A", "value": "1"}],
    }
    a2 = {"type": "api", "uuid": "a2"}
    a3 = {"type": "api", "uuid": "a3", "webhook": "http://solo", "action": "POST"}
    lone = reply({"eng": "hi"}, "t")

    def aset(uuid: str, y: int, actions: list[Json], dest: str | None, x: int = 0) -> Json:
        return {
            "uuid": uuid,
            "x": x,
            "y": y,
            "actions": actions,
            "destination": dest,
            "exit_uuid": uuid + "x",
        }

    wait = {"uuid": "w", "x": 0, "y": 400, "label": "Wait", "ruleset_type": "wait_message", "rules": []}
    flow_a = {
        "base_language": "eng",
        "action_sets": [
            aset("top", 0, [lone], "s"),  # no webhook: left as it is
            aset("s", 200, [r1, a1, r2, s1, a2], "w", x=100),
            aset("beside", 200, [lone], None, x=400),  # level with the old set: stays
            aset("b201", 201, [lone], None),  # just below it: moves
            aset("solo", 800, [a3], None, x=500),
            aset("bottom", 900, [lone], None),
        ],
        "rule_sets": [wait],
    }
    # no base language, no rule sets, no position, no destination key: the defaults
    ra = {"type": "reply", "uuid": "ra", "msg": {"base": "after"}}
    flow_b = {
        "action_sets": [
            {"uuid": "o", "actions": [{"type": "api", "uuid": "ab", "webhook": "http://b"}, ra]},
            {"uuid": "n1", "x": 0, "y": 1, "actions": [lone], "destination": None},
        ],
    }
    export = {"version": "11.6", "flows": [flow_a, flow_b]}

    # the old set (200) grows from 5 actions * 60 = 300 to 150 + 100 + 225 + 100 = 575: what was
    # below it moves down 275; the new nodes sit at 200, 350, 450 and 675
    expected_a = {
        "base_language": "eng",
        "action_sets": [
            aset("top", 0, [lone], "s"),
            aset("beside", 200, [lone], None, x=400),
            aset("b201", 476, [lone], None),
            aset("bottom", 1175, [lone], None),
            {"uuid": "u4", "x": 100, "y": 450, "actions": [r2, s1], "exit_uuid": "u5", "destination": "u1"},
            {"uuid": "s", "x": 100, "y": 200, "actions": [r1], "exit_uuid": "u9", "destination": "u6"},
        ],
        "rule_sets": [
            {**wait, "y": 675},
            webhook_rule_set(
                "u1",
                x=100,
                y=675,
                label="Migrated Webhook 1",
                rules=("u2", "u3"),
                lang="eng",
                dest="w",
                dest_type="R",
                config={"webhook": "", "webhook_action": "POST", "webhook_headers": []},
            ),
            webhook_rule_set(
                "u6",
                x=100,
                y=350,
                label="Migrated Webhook 2",
                rules=("u7", "u8"),
                lang="eng",
                dest="u4",
                dest_type="A",
                config={
                    "webhook": "http://x",
                    "webhook_action": "GET",
                    "webhook_headers": [{"name": "A", "value": "1"}],
                },
            ),
            # a set holding only a webhook is replaced in place: nothing moves for it
            webhook_rule_set(
                "solo",
                x=500,
                y=1075,
                label="Migrated Webhook 3",
                rules=("u10", "u11"),
                lang="eng",
                dest=None,
                dest_type=None,
                config={"webhook": "http://solo", "webhook_action": "POST", "webhook_headers": []},
            ),
        ],
    }
    # 2 actions * 60 = 120 became 100 + 150 = 250: n1 (at 1, below the old set at 0) moves 130
    expected_b = {
        "action_sets": [
            {"uuid": "n1", "x": 0, "y": 131, "actions": [lone], "destination": None},
            {"uuid": "u12", "x": 0, "y": 100, "actions": [ra], "exit_uuid": "u13", "destination": None},
        ],
        "rule_sets": [
            webhook_rule_set(
                "o",
                x=0,
                y=0,
                label="Migrated Webhook 1",
                rules=("u14", "u15"),
                lang="base",
                dest="u12",
                dest_type="A",
                config={"webhook": "http://b", "webhook_action": "POST", "webhook_headers": []},
            )
        ],
    }
    assert _v11_7(copy.deepcopy(export), counter(), "", []) == {
        "version": "11.6",
        "flows": [expected_a, expected_b],
    }


def test_v11_7_flow_without_webhook_actions_is_untouched() -> None:
    flow = one_set([reply({"eng": "Hi"})], [{"uuid": "q", "ruleset_type": "wait_message", "rules": []}])
    expected = {"flows": [copy.deepcopy(flow)]}
    assert _v11_7({"flows": [flow]}, counter(), "", []) == expected


# ---------------------------------------------------------------------------------- 11.8


def test_v11_8_duplicate_and_missing_rule_uuids_get_fresh_ones() -> None:
    """11.8: a rule uuid seen before in the same flow, or none at all, is replaced by a new one
    (the first occurrence keeps it). Each flow is checked on its own."""
    export = {
        "version": "11.7",
        "flows": [
            {
                "rule_sets": [
                    {
                        "uuid": "rs1",
                        "rules": [{"uuid": "r1"}, {"uuid": "r1"}, {"uuid": ""}, {"category": "x"}],
                    },
                    {"uuid": "rs2", "rules": [{"uuid": "r1"}, {"uuid": "r2"}]},
                    {"uuid": "rs3"},
                ]
            },
            {"rule_sets": [{"uuid": "rs4", "rules": [{"uuid": "r1"}, {"uuid": "r2"}]}]},
        ],
    }
    expected = {
        "version": "11.7",
        "flows": [
            {
                "rule_sets": [
                    {
                        "uuid": "rs1",
                        "rules": [
                            {"uuid": "r1"},
                            {"uuid": "u1"},
                            {"uuid": "u2"},
                            {"category": "x", "uuid": "u3"},
                        ],
                    },
                    {"uuid": "rs2", "rules": [{"uuid": "u4"}, {"uuid": "r2"}]},
                    {"uuid": "rs3"},
                ]
            },
            {"rule_sets": [{"uuid": "rs4", "rules": [{"uuid": "r1"}, {"uuid": "r2"}]}]},
        ],
    }
    assert _v11_8(copy.deepcopy(export), counter(), "", []) == expected


# --------------------------------------------------------------------------------- 11.10


def test_v11_10_starting_a_flow_of_another_kind_becomes_trigger_flow() -> None:
    """11.10: a start-flow action or a subflow rule set whose flow (in the same export) is of
    another kind (voice vs messaging; messaging and the older "F" count as one) became a
    trigger-flow action starting the contact in it: the action in place, the rule set as an
    action set with its uuid, position, first rule's destination and first rule's uuid as exit.
    A flow outside the export or of unknown kind is left alone. A flow without a type is
    messaging, and gets the lists it lacked."""
    v1 = {"uuid": "v1", "name": "Voice"}
    m1 = {"uuid": "m1", "name": "Msg"}
    f1 = {"uuid": "f1", "name": "Old"}
    n1 = {"uuid": "n1", "name": "Untyped"}
    unknown = {"uuid": "zz", "name": "Elsewhere"}

    def start(uuid: str, flow: Json) -> Json:
        return {"type": "flow", "uuid": uuid, "flow": flow}

    def trigger(uuid: str, flow: Json) -> Json:
        return {
            "type": "trigger-flow",
            "uuid": uuid,
            "flow": flow,
            "contacts": [],
            "groups": [],
            "urns": [],
            "variables": [{"id": "@contact.uuid"}],
        }

    def subflow(uuid: str, flow: Json, rules: list[Json] | None = None, **over: Any) -> Json:
        rs = {"uuid": uuid, "ruleset_type": "subflow", "config": {"flow": flow}, "x": 10, "y": 20, **over}
        if rules is not None:
            rs["rules"] = rules
        return rs

    rules = [{"uuid": "e1", "destination": "d1"}, {"uuid": "e2", "destination": "d2"}]
    # a non-subflow rule set first: it is skipped, not the end of the rule sets
    not_subflow = {"uuid": "q", "ruleset_type": "wait_message", "config": {"flow": v1}}
    msg_flow = {
        "flow_type": "M",
        "metadata": m1,
        "action_sets": [
            {
                "uuid": "as1",
                "actions": [
                    {"type": "reply", "uuid": "r", "flow": v1},
                    start("a1", f1),
                    start("a2", v1),
                    start("a3", unknown),
                    start("a4", m1),
                    start("a5", n1),
                ],
            }
        ],
        "rule_sets": [
            not_subflow,
            subflow("sf1", v1, rules),
            subflow("sf2", f1, [{"uuid": "e3"}]),
            subflow("sf3", unknown, [{"uuid": "e4"}]),
            subflow("sf4", v1, x=30, y=40),
        ],
    }
    voice_flow = {
        "flow_type": "V",
        "metadata": v1,
        "action_sets": [{"uuid": "as2", "actions": [start("b1", m1), start("b2", v1)]}],
        "rule_sets": [
            subflow("sf5", f1, [{"uuid": "e5", "destination": "d5"}]),
            subflow("sf6", v1, [{"uuid": "e6"}]),
        ],
    }
    old_flow = {
        "flow_type": "F",
        "metadata": f1,
        "action_sets": [{"uuid": "as3", "actions": [start("c1", m1)]}],
    }
    untyped = {"metadata": n1}
    export = {"version": "11.9", "flows": [msg_flow, voice_flow, old_flow, untyped]}

    expected = {
        "version": "11.9",
        "flows": [
            {
                "flow_type": "M",
                "metadata": m1,
                "action_sets": [
                    {
                        "uuid": "as1",
                        "actions": [
                            {"type": "reply", "uuid": "r", "flow": v1},
                            start("a1", f1),
                            trigger("a2", v1),
                            start("a3", unknown),
                            start("a4", m1),
                            start("a5", n1),
                        ],
                    },
                    {
                        "uuid": "sf1",
                        "x": 10,
                        "y": 20,
                        "destination": "d1",
                        "actions": [trigger("u1", v1)],
                        "exit_uuid": "e1",
                    },
                    # no rules: nowhere to go, and a new exit
                    {
                        "uuid": "sf4",
                        "x": 30,
                        "y": 40,
                        "destination": None,
                        "actions": [trigger("u2", v1)],
                        "exit_uuid": "u3",
                    },
                ],
                "rule_sets": [
                    not_subflow,
                    subflow("sf2", f1, [{"uuid": "e3"}]),
                    subflow("sf3", unknown, [{"uuid": "e4"}]),
                ],
            },
            {
                "flow_type": "V",
                "metadata": v1,
                "action_sets": [
                    {"uuid": "as2", "actions": [trigger("b1", m1), start("b2", v1)]},
                    {
                        "uuid": "sf5",
                        "x": 10,
                        "y": 20,
                        "destination": "d5",
                        "actions": [trigger("u4", f1)],
                        "exit_uuid": "e5",
                    },
                ],
                "rule_sets": [subflow("sf6", v1, [{"uuid": "e6"}])],
            },
            {
                "flow_type": "F",
                "metadata": f1,
                "action_sets": [{"uuid": "as3", "actions": [start("c1", m1)]}],
                "rule_sets": [],
            },
            {"metadata": n1, "flow_type": "M", "action_sets": [], "rule_sets": []},
        ],
    }
    assert _export_v11_10(copy.deepcopy(export), counter(), "", []) == expected


# --------------------------------------------------------------------------- no-op steps


@pytest.mark.parametrize("version", ["3", "4", "11.6", "11.9", "11.11", "11.12"])
def test_steps_needing_the_exporting_site_leave_the_export_as_is(version: str) -> None:
    """11.6, 11.9, 11.11 and 11.12 remapped or dropped references against the exporting site's
    database (groups, deleted flows, labels, channels); 3 and 4 changed nothing an export holds."""
    export = {"version": version, "flows": [one_set([reply({"eng": "Hi"})])]}
    assert _STEPS[version](copy.deepcopy(export), counter(), "", []) == export
