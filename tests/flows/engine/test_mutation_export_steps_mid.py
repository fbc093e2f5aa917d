"""The middle steps of bringing an old RapidPro export up to date (flows.engine.legacy.exports).

Each step is fed a small export and the whole result is compared, so a renamed or dropped key
fails: version 9 (integer ids became uuids; @extra.flow/@extra.contact became @parent), 10 (webhook
rule sets got success and failure rules and their settings moved into `config`), 10.1 to 10.4
(actions and action sets got the uuids goflow's migration needs; unlocalized replies became
{language: text}), 11.0 (dates and locations in messages got format_date/format_location), 11.1
and 11.2 (language codes moved from ISO 639-2 to ISO 639-3), and the language code mapping.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from typing import Any

import pytest

from flows.engine.legacy.exports import (
    _export_v9,
    _export_v11_0,
    _export_v11_1,
    _export_v11_2,
    _v10,
    _v10_1,
    _v10_2,
    _v10_3,
    _v10_4,
    iso639_3,
)

Json = dict[str, Any]


def counter() -> Callable[[], str]:
    """Deterministic uuids: u1, u2, ... in the order the migration asks for them."""
    n = itertools.count(1)
    return lambda: f"u{next(n)}"


def flow(actions: list[Json], **over: Any) -> Json:
    """A flow as exports from version 7 on hold it (no nested definition), one action set."""
    return {
        "base_language": "base",
        "action_sets": [{"uuid": "as1", "x": 0, "y": 0, "actions": actions}],
        "rule_sets": [],
        "entry": "as1",
        **over,
    }


def actions_of(export: Json, i: int = 0) -> list[Json]:
    return [a for s in export["flows"][i]["action_sets"] for a in s["actions"]]


# ------------------------------------------------------------------------------------ v9


def v9(export: Json) -> Json:
    return _export_v9(export, counter(), "", [])


@pytest.mark.parametrize(
    ("text", "migrated"),
    [
        ("Hi @extra.flow.name", "Hi @parent.name"),
        ("Hi @extra.contact.name", "Hi @parent.contact.name"),
        ("@(UPPER(extra.flow.name))", "@(UPPER(parent.name))"),
        ("@(UPPER(extra.contact.name))", "@(UPPER(parent.contact.name))"),
        # every reference inside one expression, not only the first
        (
            "@(CONCAT(extra.contact.name, extra.contact.tel))",
            "@(CONCAT(parent.contact.name, parent.contact.tel))",
        ),
        ("@(CONCAT(extra.flow.a, extra.flow.b))", "@(CONCAT(parent.a, parent.b))"),
        # outside an expression and without "@" it is just text
        ("read extra.flow and extra.contact", "read extra.flow and extra.contact"),
        ("@extra.other", "@extra.other"),
    ],
)
def test_v9_extra_flow_and_contact_became_parent(text: str, migrated: str) -> None:
    """Version 9: what a parent flow passed down (@extra.flow, @extra.contact) became @parent."""
    export = {"version": "8", "flows": [flow([{"type": "reply", "msg": {"base": text}}])]}
    assert actions_of(v9(export)) == [{"type": "reply", "msg": {"base": migrated}}]


def test_v9_group_references_became_uuids() -> None:
    """Groups by id got a uuid (one per id, the same everywhere); groups by name became
    {"name": ...}; @expressions naming a group stayed as written; groups already by uuid kept it."""
    actions: list[Json] = [
        {
            "type": "add_group",
            "groups": [
                {"id": 5, "name": "Farmers"},
                "Buyers",
                "@step.value",
                {"uuid": "g-known", "name": "Known"},
                {"id": 6},
            ],
        },
        {"type": "del_group", "group": {"id": 5, "name": "Farmers"}},
        {
            "type": "send",
            "msg": {"base": "Hi"},
            "groups": [{"id": 5, "name": "Farmers"}, {"id": 7}],
            "contacts": [],
            "variables": [],
        },
        {
            "type": "trigger-flow",
            "groups": ["Sellers"],
            "contacts": [],
            "variables": [],
            "flow": {"uuid": "f-x", "name": "X"},
        },
    ]
    export = {"version": "8", "flows": [flow(actions)]}
    assert actions_of(v9(export)) == [
        {
            "type": "add_group",
            "groups": [
                {"uuid": "u1", "name": "Farmers"},
                {"name": "Buyers"},
                "@step.value",
                # group actions are cleansed first: a group without a name is "Unknown"
                {"uuid": "g-known", "name": "Known"},
                {"uuid": "u2", "name": "Unknown"},
            ],
        },
        # del_group's single `group` became a list (the same cleansing)
        {"type": "del_group", "groups": [{"uuid": "u1", "name": "Farmers"}]},
        {
            "type": "send",
            "msg": {"base": "Hi"},
            "groups": [{"uuid": "u1", "name": "Farmers"}, {"uuid": "u3"}],
            "contacts": [],
            "variables": [],
        },
        {
            "type": "trigger-flow",
            "groups": [{"name": "Sellers"}],
            "contacts": [],
            "variables": [],
            "flow": {"uuid": "f-x", "name": "X"},
        },
    ]


def test_v9_groups_and_flows_only_in_their_actions() -> None:
    """Only group, send and trigger-flow actions name groups, only flow and trigger-flow actions
    name flows: others are left as they are."""
    other = {
        "type": "reply",
        "msg": {"base": "Hi"},
        "groups": ["Buyers", {"id": 5, "name": "Farmers"}],
        "flow": {"id": 2, "name": "Second"},
    }
    export = {"version": "8", "flows": [flow([copy.deepcopy(other)])]}
    assert actions_of(v9(export)) == [other]


def test_v9_empty_group_list_stays_as_it_was() -> None:
    export = {
        "version": "8",
        "flows": [flow([{"type": "send", "msg": {"base": "Hi"}, "groups": [], "contacts": []}])],
    }
    assert actions_of(v9(export)) == [{"type": "send", "msg": {"base": "Hi"}, "groups": [], "contacts": []}]


def test_v9_contacts_and_labels_became_uuids() -> None:
    """Contacts of send/trigger-flow actions and labels of add_label actions: ids became uuids."""
    actions: list[Json] = [
        {
            "type": "send",
            "msg": {"base": "Hi"},
            "contacts": [{"id": 7, "name": "Bob"}, {"uuid": "c-ann", "name": "Ann"}],
        },
        {
            "type": "trigger-flow",
            "contacts": [{"id": 7, "name": "Bob"}, {"id": 8}],
            "flow": {"uuid": "f-x", "name": "X"},
        },
        {
            "type": "add_label",
            "labels": [{"id": 7, "name": "Important"}, {"uuid": "l-known", "name": "Known"}],
        },
        {"type": "add_label", "labels": [{"id": 7, "name": "Important"}]},
    ]
    export = {"version": "8", "flows": [flow(actions)]}
    assert actions_of(v9(export)) == [
        {
            "type": "send",
            "msg": {"base": "Hi"},
            "contacts": [{"uuid": "u1", "name": "Bob"}, {"uuid": "c-ann", "name": "Ann"}],
        },
        {
            "type": "trigger-flow",
            "contacts": [{"uuid": "u1", "name": "Bob"}, {"uuid": "u2"}],
            "flow": {"uuid": "f-x", "name": "X"},
        },
        # the same id for a label is another object than contact 7
        {
            "type": "add_label",
            "labels": [{"uuid": "u3", "name": "Important"}, {"uuid": "l-known", "name": "Known"}],
        },
        {"type": "add_label", "labels": [{"uuid": "u3", "name": "Important"}]},
    ]


def test_v9_contacts_only_in_send_and_trigger_flow() -> None:
    other = {"type": "add_label", "contacts": [{"id": 7, "name": "Bob"}], "labels": []}
    export = {"version": "8", "flows": [flow([copy.deepcopy(other)])]}
    assert actions_of(v9(export)) == [other]


def test_v9_flow_references_became_uuids() -> None:
    """Subflow actions named their flow by id at the action's top level: it moved into `flow`
    as {uuid, name}. A flow's own id (metadata) gives the uuid every reference to it uses, even
    from flows listed before it; a flow without a uuid of its own gets the one its references got."""
    actions: list[Json] = [
        {"type": "flow", "id": 2, "name": "Second"},
        {"type": "trigger-flow", "id": 3, "name": "Third", "contacts": [], "groups": [], "variables": []},
        {"type": "flow", "flow": {"id": 2, "name": "Second"}},
        {"type": "trigger-flow", "flow": {"id": 3, "name": "Third"}, "contacts": [], "groups": []},
        {"type": "flow", "id": 9},
    ]
    export = {
        "version": "8",
        "flows": [
            flow(actions, metadata={"id": 1, "uuid": "f-first", "name": "First"}),
            flow(
                [{"type": "flow", "id": 1, "name": "First"}],
                metadata={"id": 2, "uuid": "f-second", "name": "Second"},
            ),
            flow([{"type": "reply", "msg": {"base": "Hi"}}], metadata={"id": 3, "name": "Third"}),
            flow([{"type": "reply", "msg": {"base": "Hi"}}], metadata={"id": None, "name": "No id"}),
        ],
    }
    got = v9(export)
    assert actions_of(got, 0) == [
        {"type": "flow", "flow": {"uuid": "f-second", "name": "Second"}},
        {
            "type": "trigger-flow",
            "contacts": [],
            "groups": [],
            "variables": [],
            "flow": {"uuid": "u1", "name": "Third"},
        },
        {"type": "flow", "flow": {"uuid": "f-second", "name": "Second"}},
        {"type": "trigger-flow", "flow": {"uuid": "u1", "name": "Third"}, "contacts": [], "groups": []},
        {"type": "flow", "flow": {"uuid": "u2"}},
    ]
    assert actions_of(got, 1) == [{"type": "flow", "flow": {"uuid": "f-first", "name": "First"}}]
    # the ids are gone from the metadata; a missing uuid is the one the references used
    assert [f["metadata"] for f in got["flows"]] == [
        {"uuid": "f-first", "name": "First"},
        {"uuid": "f-second", "name": "Second"},
        {"uuid": "u1", "name": "Third"},
        {"name": "No id"},
    ]


def test_v9_flow_without_uuid_referenced_later() -> None:
    """A flow without a uuid of its own met before any reference to it: its new uuid is the one
    later references (actions, triggers, campaign events) use."""
    export = {
        "version": "8",
        "flows": [
            flow([{"type": "reply", "msg": {"base": "Hi"}}], metadata={"id": 4, "name": "Fourth"}),
            flow([{"type": "flow", "id": 4, "name": "Fourth"}], metadata={"id": 5, "name": "Fifth"}),
        ],
        "triggers": [
            {"trigger_type": "K", "keyword": "go", "flow": {"id": 4, "name": "Fourth"}, "groups": []}
        ],
    }
    got = v9(export)
    assert [f["metadata"] for f in got["flows"]] == [
        {"uuid": "u1", "name": "Fourth"},
        {"uuid": "u2", "name": "Fifth"},
    ]
    assert actions_of(got, 1) == [{"type": "flow", "flow": {"uuid": "u1", "name": "Fourth"}}]
    assert got["triggers"] == [
        {"trigger_type": "K", "keyword": "go", "flow": {"uuid": "u1", "name": "Fourth"}, "groups": []}
    ]


def test_v9_a_flow_keeps_its_own_uuid() -> None:
    """A flow's own uuid is never replaced, even when another flow of the export claims its id."""
    export = {
        "version": "8",
        "flows": [
            flow([{"type": "reply", "msg": {"base": "Hi"}}], metadata={"id": 1, "uuid": "f-a", "name": "A"}),
            flow([{"type": "reply", "msg": {"base": "Hi"}}], metadata={"id": 1, "uuid": "f-b", "name": "B"}),
        ],
    }
    got = v9(export)
    assert [f["metadata"] for f in got["flows"]] == [
        {"uuid": "f-a", "name": "A"},
        {"uuid": "f-b", "name": "B"},
    ]


def test_v9_flow_without_metadata() -> None:
    export = {"version": "8", "flows": [flow([{"type": "flow", "id": 2, "name": "Second"}])]}
    got = v9(export)
    assert "metadata" not in got["flows"][0]
    assert actions_of(got) == [{"type": "flow", "flow": {"uuid": "u1", "name": "Second"}}]


def test_v9_triggers() -> None:
    """Triggers: their flow and groups by id got uuids (the same ones the flows use)."""
    export = {
        "version": "8",
        "flows": [
            flow(
                [{"type": "add_group", "groups": [{"id": 5, "name": "Farmers"}]}],
                metadata={"id": 1, "uuid": "f-first", "name": "First"},
            )
        ],
        "triggers": [
            {
                "trigger_type": "K",
                "keyword": "join",
                "flow": {"id": 1, "name": "First"},
                "groups": [{"id": 5, "name": "Farmers"}, "Buyers", {"id": 6, "name": "Sellers"}],
                "channel": None,
            },
            {"trigger_type": "M", "flow": {"id": 2, "name": "Missing"}},
            {"trigger_type": "C", "flow": None, "groups": []},
        ],
    }
    got = v9(export)
    assert actions_of(got) == [{"type": "add_group", "groups": [{"uuid": "u1", "name": "Farmers"}]}]
    assert got["triggers"] == [
        {
            "trigger_type": "K",
            "keyword": "join",
            "flow": {"uuid": "f-first", "name": "First"},
            "groups": [
                {"uuid": "u1", "name": "Farmers"},
                {"name": "Buyers"},
                {"uuid": "u2", "name": "Sellers"},
            ],
            "channel": None,
        },
        {"trigger_type": "M", "flow": {"uuid": "u3", "name": "Missing"}, "groups": []},
        {"trigger_type": "C", "flow": None, "groups": []},
    ]


def test_v9_campaigns() -> None:
    """Campaigns, their group, their events and the events' flows: ids became uuids; an event's
    `relative_to` field lost its id (fields are matched by key)."""
    export = {
        "version": "8",
        "flows": [
            flow(
                [{"type": "add_group", "groups": [{"id": 5, "name": "Farmers"}]}],
                metadata={"id": 1, "uuid": "f-first", "name": "First"},
            )
        ],
        "campaigns": [
            {
                "id": 5,
                "name": "Reminders",
                "group": {"id": 5, "name": "Farmers"},
                "events": [
                    {
                        "id": 5,
                        "offset": 1,
                        "unit": "D",
                        "event_type": "F",
                        "relative_to": {"id": 3, "key": "planted_on", "label": "Planted On"},
                        "flow": {"id": 1, "name": "First"},
                    },
                    {
                        "id": 6,
                        "offset": 2,
                        "event_type": "M",
                        "relative_to": "planted_on",
                        "flow": None,
                        "message": "Hi",
                    },
                    {
                        "id": 8,
                        "offset": 3,
                        "event_type": "M",
                        "relative_to": {"key": "created_on"},
                        "message": "Yo",
                    },
                ],
            },
            {"id": 5, "name": "Reminders again", "group": "Buyers", "events": []},
            {"id": 7, "name": "Old", "group": "@contact.groups"},
        ],
    }
    got = v9(export)
    assert got["campaigns"] == [
        {
            "uuid": "u2",
            "name": "Reminders",
            "group": {"uuid": "u1", "name": "Farmers"},
            "events": [
                {
                    "uuid": "u3",
                    "offset": 1,
                    "unit": "D",
                    "event_type": "F",
                    "relative_to": {"key": "planted_on", "label": "Planted On"},
                    "flow": {"uuid": "f-first", "name": "First"},
                },
                {
                    "uuid": "u4",
                    "offset": 2,
                    "event_type": "M",
                    "relative_to": "planted_on",
                    "flow": None,
                    "message": "Hi",
                },
                {
                    "uuid": "u5",
                    "offset": 3,
                    "event_type": "M",
                    "relative_to": {"key": "created_on"},
                    "message": "Yo",
                },
            ],
        },
        {"uuid": "u2", "name": "Reminders again", "group": {"name": "Buyers"}, "events": []},
        {"uuid": "u6", "name": "Old", "group": "@contact.groups"},
    ]


# ----------------------------------------------------------------------------------- v10


def test_v10_webhook_rule_sets_got_success_and_failure_rules() -> None:
    """Version 10: a webhook rule set routes on the call's status; its single old rule became a
    success rule (keeping its uuid) and a failure rule, both going where the old one went; the
    webhook's url and method moved into `config`."""
    webhook = {
        "uuid": "rs1",
        "ruleset_type": "webhook",
        "label": "Lookup",
        "webhook": "http://example.com/lookup",
        "webhook_action": "POST",
        "config": {"extra": 1},
        "rules": [
            {
                "uuid": "r1",
                "destination": "as2",
                "destination_type": "A",
                "test": {"type": "true"},
                "category": {"eng": "All Responses"},
            },
            {
                "uuid": "r2",
                "destination": "as3",
                "destination_type": "R",
                "test": {"type": "true"},
                "category": {"eng": "Other"},
            },
        ],
    }
    export = {
        "version": "9",
        "flows": [flow([{"type": "reply", "msg": {"eng": "Hi"}}], base_language="eng", rule_sets=[webhook])],
    }
    got = _v10(export, counter(), "", [])
    assert got["flows"][0]["rule_sets"] == [
        {
            "uuid": "rs1",
            "ruleset_type": "webhook",
            "label": "Lookup",
            "config": {"extra": 1, "webhook": "http://example.com/lookup", "webhook_action": "POST"},
            "rules": [
                {
                    "test": {"status": "success", "type": "webhook_status"},
                    "category": {"eng": "Success"},
                    "uuid": "r1",
                    "destination": "as2",
                    "destination_type": "A",
                },
                {
                    "test": {"status": "failure", "type": "webhook_status"},
                    "category": {"eng": "Failure"},
                    "uuid": "u1",
                    "destination": "as2",
                    "destination_type": "A",
                },
            ],
        }
    ]


def test_v10_other_rule_sets_lose_webhook_leftovers() -> None:
    """Rule sets of other types lost any webhook settings; a webhook rule set after them is still
    migrated; without a base language, categories are under "base"; a rule without a uuid or a
    destination gives rules without them (fresh uuids, no destination)."""
    rule_sets = [
        {
            "uuid": "rs0",
            "ruleset_type": "wait_message",
            "webhook": "http://old",
            "webhook_action": "GET",
            "rules": [],
        },
        {"uuid": "rs1", "ruleset_type": "webhook", "rules": [{"test": {"type": "true"}}]},
        {"uuid": "rs2", "ruleset_type": "webhook", "webhook": "http://x", "webhook_action": "GET"},
    ]
    export = {"version": "9", "flows": [{"action_sets": [], "rule_sets": rule_sets}]}
    got = _v10(export, counter(), "", [])
    assert got["flows"][0]["rule_sets"] == [
        {"uuid": "rs0", "ruleset_type": "wait_message", "rules": []},
        {
            "uuid": "rs1",
            "ruleset_type": "webhook",
            "config": {"webhook": None, "webhook_action": None},
            "rules": [
                {
                    "test": {"status": "success", "type": "webhook_status"},
                    "category": {"base": "Success"},
                    "uuid": "u1",
                },
                {
                    "test": {"status": "failure", "type": "webhook_status"},
                    "category": {"base": "Failure"},
                    "uuid": "u2",
                },
            ],
        },
        {
            "uuid": "rs2",
            "ruleset_type": "webhook",
            "config": {"webhook": "http://x", "webhook_action": "GET"},
            "rules": [
                {
                    "test": {"status": "success", "type": "webhook_status"},
                    "category": {"base": "Success"},
                    "uuid": "u3",
                },
                {
                    "test": {"status": "failure", "type": "webhook_status"},
                    "category": {"base": "Failure"},
                    "uuid": "u4",
                },
            ],
        },
    ]


def test_v10_cleanses_group_actions() -> None:
    export = {
        "version": "9",
        "flows": [flow([{"type": "add_group", "group": {"uuid": "g1", "name": " Padded"}}])],
    }
    got = _v10(export, counter(), "", [])
    assert actions_of(got) == [{"type": "add_group", "groups": [{"uuid": "g1", "name": "Contacts  Padded"}]}]


# ------------------------------------------------------------------------------ v10.1-10.4


def test_v10_1_every_action_has_a_uuid() -> None:
    """Version 10.1: actions without a uuid got one; those with one kept it."""
    actions: list[Json] = [
        {"type": "reply", "msg": {"base": "a"}},
        {"type": "reply", "uuid": "a2", "msg": {"base": "b"}},
        {"type": "reply", "uuid": "", "msg": {"base": "c"}},
    ]
    got = _v10_1({"version": "10", "flows": [flow(actions)]}, counter(), "", [])
    assert actions_of(got) == [
        {"type": "reply", "msg": {"base": "a"}, "uuid": "u1"},
        {"type": "reply", "uuid": "a2", "msg": {"base": "b"}},
        {"type": "reply", "uuid": "u2", "msg": {"base": "c"}},
    ]


@pytest.mark.parametrize(
    ("base_language", "lang"),
    [(None, "base"), ("", "base"), ("eng", "eng")],
)
def test_v10_2_unlocalized_replies(base_language: str | None, lang: str) -> None:
    """Version 10.2: malformed single message flows had a reply whose text wasn't a
    {language: text} map: it became one under the base language ("base" when there was none)."""
    actions: list[Json] = [
        {"type": "reply", "msg": "Hi"},
        {"type": "reply", "msg": {"fra": "Salut"}},
        {"type": "send", "msg": "Not a reply"},
        {"type": "add_group", "groups": [{"uuid": "g1", "name": "Farmers"}]},
    ]
    d = flow(actions)
    if base_language is None:
        del d["base_language"]
    else:
        d["base_language"] = base_language
    got = _v10_2({"version": "10.1", "flows": [d]}, counter(), "", [])
    assert got["flows"][0]["base_language"] == lang
    assert actions_of(got) == [
        {"type": "reply", "msg": {lang: "Hi"}},
        {"type": "reply", "msg": {"fra": "Salut"}},
        {"type": "send", "msg": "Not a reply"},
        {"type": "add_group", "groups": [{"uuid": "g1", "name": "Farmers"}]},
    ]


def test_v10_3_every_action_set_got_a_fresh_exit_uuid() -> None:
    """Version 10.3: action sets got an exit uuid (replacing any), so that goflow's migration of
    them is deterministic."""
    d = flow([])
    d["action_sets"] = [{"uuid": "as1", "actions": []}, {"uuid": "as2", "exit_uuid": "old", "actions": []}]
    got = _v10_3({"version": "10.2", "flows": [d]}, counter(), "", [])
    assert got["flows"][0]["action_sets"] == [
        {"uuid": "as1", "actions": [], "exit_uuid": "u1"},
        {"uuid": "as2", "exit_uuid": "u2", "actions": []},
    ]


def test_v10_4_missing_exit_and_action_uuids() -> None:
    """Version 10.4: action sets without an exit uuid and actions without a uuid got one; the
    ones already there were kept."""
    d = flow([])
    d["action_sets"] = [
        {"uuid": "as1", "actions": [{"type": "reply"}, {"type": "reply", "uuid": "a2"}]},
        {"uuid": "as2", "exit_uuid": "e2", "actions": [{"type": "reply", "uuid": ""}]},
    ]
    got = _v10_4({"version": "10.3", "flows": [d]}, counter(), "", [])
    assert got["flows"][0]["action_sets"] == [
        {
            "uuid": "as1",
            "exit_uuid": "u1",
            "actions": [{"type": "reply", "uuid": "u2"}, {"type": "reply", "uuid": "a2"}],
        },
        {"uuid": "as2", "exit_uuid": "e2", "actions": [{"type": "reply", "uuid": "u3"}]},
    ]


# ---------------------------------------------------------------------------------- v11.0


def v11_0(msg: Any, rule_sets: list[Json] | None = None, kind: str = "reply") -> tuple[list[Json], list[str]]:
    warnings: list[str] = []
    export = {"version": "10.4", "flows": [flow([{"type": kind, "msg": msg}], rule_sets=rule_sets or [])]}
    got = _export_v11_0(export, counter(), "", warnings)
    return actions_of(got), warnings


@pytest.mark.parametrize(
    ("text", "migrated"),
    [
        ("Today is @date", "Today is @(format_date(date))"),
        ("Today is @date.", "Today is @(format_date(date))."),
        ("@date. Bye", "@(format_date(date)). Bye"),
        ("@date, bye", "@(format_date(date)), bye"),
        ("@date\nbye", "@(format_date(date))\nbye"),
        ("Now: @date.now", "Now: @(format_date(date.now))"),
        # other properties of @date, and longer names, aren't the date itself
        ("@date.today", "@date.today"),
        ("@dates", "@dates"),
        ("@dateX", "@dateX"),
        ("@date7", "@date7"),
        ("@DATE", "@DATE"),
    ],
)
def test_v11_0_date_became_format_date(text: str, migrated: str) -> None:
    """Version 11.0: @date and @date.now in messages got an explicit format_date."""
    assert v11_0({"base": text}) == ([{"type": "reply", "msg": {"base": migrated}}], [])


def rs(label: str | None, *types: str | None) -> Json:
    return {"uuid": "rs", "label": label, "rules": [{"test": {"type": t} if t else {}} for t in types]}


@pytest.mark.parametrize(
    ("types", "fn"),
    [
        (("date",), "format_date"),
        (("date_before",), "format_date"),
        (("date_after",), "format_date"),
        (("date_equal",), "format_date"),
        (("state",), "format_location"),
        (("district",), "format_location"),
        (("ward",), "format_location"),
        (("date", "date"), "format_date"),
        # "all responses" (true) and untyped rules don't decide the type
        (("true", "date"), "format_date"),
        ((None, "ward", "true"), "format_location"),
        # rules of mixed types: the result is neither a date nor a location
        (("date", "state"), None),
        (("date", "state", "date"), None),
        (("number",), None),
        (("true",), None),
        ((), None),
    ],
)
def test_v11_0_results_by_rule_type(types: tuple[str | None, ...], fn: str | None) -> None:
    """Results of rule sets testing dates became format_date(...), of locations
    format_location(...); any result's .time became format_date(...)."""
    text = "@flow.birth_date, @flow.birth_date.time and @flow.birth_date.category"
    value = f"@({fn}(flow.birth_date))" if fn else "@flow.birth_date"
    migrated = f"{value}, @(format_date(flow.birth_date.time)) and @flow.birth_date.category"
    assert v11_0({"base": text}, [rs("Birth Date", *types)]) == (
        [{"type": "reply", "msg": {"base": migrated}}],
        [],
    )


def test_v11_0_rule_sets_without_label_are_skipped() -> None:
    """A rule set without a label has no result to refer to; rule sets after it still count."""
    rule_sets = [rs(None, "date"), rs("Where", "state")]
    text = "@flow.where @flow. @flow.time"
    got = v11_0({"base": text}, rule_sets)
    assert got == (
        [{"type": "reply", "msg": {"base": "@(format_location(flow.where)) @flow. @flow.time"}}],
        [],
    )


def test_v11_0_rule_without_test() -> None:
    rule_sets = [
        {
            "uuid": "rs",
            "label": "When",
            "rules": [{"test": None}, {"category": {}}, {"test": {"type": "date"}}],
        }
    ]
    assert v11_0({"base": "@flow.when"}, rule_sets) == (
        [{"type": "reply", "msg": {"base": "@(format_date(flow.when))"}}],
        [],
    )


@pytest.mark.parametrize("kind", ["reply", "send", "say"])
def test_v11_0_message_actions(kind: str) -> None:
    """Every message action: replies, sends and IVR says, in every language."""
    msg = {"base": "@date", "fra": "Le @date"}
    assert v11_0(msg, kind=kind) == (
        [{"type": kind, "msg": {"base": "@(format_date(date))", "fra": "Le @(format_date(date))"}}],
        [],
    )


def test_v11_0_leaves_other_actions_and_texts() -> None:
    """Other actions, messages that aren't {language: text} maps and texts that aren't strings
    are left alone; a text nested one level deeper (some single message flows) is unwrapped."""
    assert v11_0({"base": "@date"}, kind="email") == ([{"type": "email", "msg": {"base": "@date"}}], [])
    assert v11_0("@date", kind="send") == ([{"type": "send", "msg": "@date"}], [])
    assert v11_0({"base": None}) == ([{"type": "reply", "msg": {"base": None}}], [])
    assert v11_0({"base": {"base": "@date"}}) == (
        [{"type": "reply", "msg": {"base": "@(format_date(date))"}}],
        [],
    )
    assert v11_0({"base": {}}) == ([{"type": "reply", "msg": {"base": ""}}], [])


def test_v11_0_results_are_per_flow() -> None:
    """A flow's @flow refers to its own results: another flow's date rule set changes nothing
    (as when RapidPro migrated a flow on its own)."""
    export = {
        "version": "10.4",
        "flows": [
            flow([{"type": "reply", "msg": {"base": "@flow.when"}}], rule_sets=[rs("When", "date")]),
            flow([{"type": "reply", "msg": {"base": "@flow.when"}}], rule_sets=[rs("When", "number")]),
        ],
    }
    got = _export_v11_0(export, counter(), "", [])
    assert actions_of(got, 0) == [{"type": "reply", "msg": {"base": "@(format_date(flow.when))"}}]
    assert actions_of(got, 1) == [{"type": "reply", "msg": {"base": "@flow.when"}}]


FIELDS_WARNING = (
    "export older than 11.0: contact fields holding dates or locations are not wrapped in "
    "format_date/format_location (the exporting site's field types are unknown)"
)


@pytest.mark.parametrize(
    ("text", "warned"),
    [
        ("Born @contact.birthday", True),
        ("Hi @contact.name, @contact.first_name @contact.tel @contact.tel_e164", False),
        ("@contact.uuid @contact.groups @contact.language", False),
        ("@contact.names", True),
        ("no fields", False),
    ],
)
def test_v11_0_warns_about_contact_fields(text: str, warned: bool) -> None:
    """RapidPro wrapped contact fields by their type on the exporting site, which an export
    doesn't carry: referring to a contact field (not a built-in attribute) is reported."""
    got, warnings = v11_0({"base": text})
    assert got == [{"type": "reply", "msg": {"base": text}}]
    assert warnings == ([FIELDS_WARNING] if warned else [])


def test_v11_0_field_warning_only_for_actions() -> None:
    """Rule sets' operands aren't rewritten by this step, so they aren't reported either."""
    rule_sets = [{"uuid": "rs", "label": "Age", "operand": "@contact.age", "rules": []}]
    assert v11_0({"base": "Hi"}, rule_sets)[1] == []


# ---------------------------------------------------------------------------- v11.1, 11.2


@pytest.mark.parametrize(
    ("code", "country", "iso3"),
    [
        ("fre", "", "fra"),
        ("FRE", "", "fra"),
        (" ger ", "", "deu"),
        ("eng", "", "eng"),
        ("kin", "RW", "kin"),
        ("cpe", "", "pcm"),
        ("cpe", "NG", "pcm"),
        ("cpe", "LR", "lir"),
        ("cpe", "NI", "bzk"),
        ("mkh", "", "khm"),
        ("mkh", "KH", "khm"),
        ("base", "", "base"),
        ("", "", ""),
        (None, "", None),
        (7, "", 7),
    ],
)
def test_iso639_3(code: Any, country: str, iso3: Any) -> None:
    """ISO 639-2 bibliographic codes became their ISO 639-3 codes; collective codes became the
    language RapidPro chose for them (for creoles, per country); "base" and non-codes stay."""
    assert iso639_3(code, country) == iso3


def test_iso639_3_default_country() -> None:
    assert iso639_3("cpe") == "pcm"


def test_v11_1_translation_codes() -> None:
    """Version 11.1: the language keys of every translation map, and `lang` values, became
    ISO 639-3 codes (per the site's country); "base" stayed; other objects are walked into."""
    d = {
        "base_language": "fre",
        "action_sets": [
            {
                "uuid": "as1",
                "actions": [
                    {"type": "reply", "msg": {"base": "Hi", "fre": "Salut", "cpe": "Hello", "eng": "Hello"}},
                    {"type": "lang", "lang": "ger", "name": "German"},
                    {"type": "lang", "lang": "cpe", "name": "Creole"},
                ],
            }
        ],
        "rule_sets": [
            {
                "uuid": "rs1",
                "rules": [
                    {
                        "category": {"fre": "Oui", "base": "Yes"},
                        "test": {"type": "contains_any", "test": {"fre": "oui"}},
                    }
                ],
            }
        ],
        "metadata": {"notes": [], "empty": {}, "only_base": {"base": "Hi"}},
    }
    export = {"version": "11.0", "flows": [d], "triggers": [{"keyword": {"fre": "oui"}}]}
    got = _export_v11_1(export, counter(), "LR", [])
    assert got == {
        "version": "11.0",
        "flows": [
            {
                # the base language is version 11.2's
                "base_language": "fre",
                "action_sets": [
                    {
                        "uuid": "as1",
                        "actions": [
                            {
                                "type": "reply",
                                "msg": {"base": "Hi", "fra": "Salut", "lir": "Hello", "eng": "Hello"},
                            },
                            {"type": "lang", "lang": "deu", "name": "German"},
                            {"type": "lang", "lang": "lir", "name": "Creole"},
                        ],
                    }
                ],
                "rule_sets": [
                    {
                        "uuid": "rs1",
                        "rules": [
                            {
                                "category": {"fra": "Oui", "base": "Yes"},
                                "test": {"type": "contains_any", "test": {"fra": "oui"}},
                            }
                        ],
                    }
                ],
                "metadata": {"notes": [], "empty": {}, "only_base": {"base": "Hi"}},
            }
        ],
        # only flows are migrated
        "triggers": [{"keyword": {"fre": "oui"}}],
    }


def test_v11_1_base_lang_object_is_walked() -> None:
    """An object whose `lang` is "base" keeps it, and what it holds is migrated like the rest
    (no RapidPro export has translations inside such an object: this pins the walk, not a format)."""
    d = {"lang": "base", "texts": {"fre": "Salut"}}
    got = _export_v11_1({"version": "11.0", "flows": [d]}, counter(), "", [])
    assert got["flows"] == [{"lang": "base", "texts": {"fra": "Salut"}}]


@pytest.mark.parametrize(
    ("base_language", "country", "migrated"),
    [
        ("fre", "", "fra"),
        ("eng", "", "eng"),
        ("cpe", "LR", "lir"),
        ("base", "", "base"),
        ("", "", ""),
        (None, "", None),
    ],
)
def test_v11_2_base_language(base_language: str | None, country: str, migrated: str | None) -> None:
    """Version 11.2: a flow's base language became its ISO 639-3 code."""
    d: Json = {"base_language": base_language, "action_sets": [], "rule_sets": []}
    got = _export_v11_2({"version": "11.1", "flows": [d]}, counter(), country, [])
    assert got["flows"] == [{"base_language": migrated, "action_sets": [], "rule_sets": []}]


def test_v11_2_flow_without_base_language() -> None:
    got = _export_v11_2({"version": "11.1", "flows": [{"action_sets": []}]}, counter(), "", [])
    assert got["flows"] == [{"action_sets": []}]
