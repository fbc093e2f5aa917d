"""Contact actions one at a time: the exact events each emits (errors included, with their
texts) and the contact left behind; also the shared dispatch and missing-dependency errors."""

from __future__ import annotations

from typing import Any

import pytest

from .builders import action_events, without_ids
from .helpers import contact, engine
from .test_actions import TRIGGER, one_node

FARMERS = {"name": "Farmers", "uuid": "60000000-0000-4000-8000-000000000001"}
TRADERS = {"name": "Traders", "uuid": "60000000-0000-4000-8000-000000000002"}
ADULTS = {"name": "Kigalians", "uuid": "60000000-0000-4000-8000-000000000003"}
GROUPS = [
    {**TRADERS},
    {**ADULTS, "query": 'city = "Kigali"'},
    {**FARMERS},
]
IVR_TEL_UUID = "c2000000-0000-4000-8000-000000000002"
IVR_TEL = {"uuid": IVR_TEL_UUID, "name": "Phone", "schemes": ["tel"]}
TWITTER = {"uuid": "c3000000-0000-4000-8000-000000000003", "name": "Tweets", "schemes": ["twitter"]}


def run(
    action: dict[str, Any], who: dict[str, Any] | None = None, **assets: Any
) -> tuple[list[dict[str, Any]], Any]:
    """Runs one action; the events (without run_started/run_ended, uuid or timestamp) and contact."""
    assets.setdefault("groups", GROUPS)
    sprint = engine([one_node(action)], **assets).start(who or contact(), TRIGGER)
    return [without_ids(e) for e in action_events(sprint)], sprint.session.contact


def err(text: str) -> dict[str, Any]:
    return {"type": "error", "text": text}


# ------------------------------------------------------------------------------- dispatch


def test_an_unsupported_action_type_is_a_warning() -> None:
    from flows.engine.actions.base import execute_action

    calls: list[tuple[str, dict[str, Any]]] = []

    class SC:
        def event(self, kind: str, **data: Any) -> None:
            calls.append((kind, data))

    class Act:
        type = "launch_rocket"

    execute_action(SC(), None, None, None, Act())  # type: ignore[arg-type]
    assert calls == [("warning", {"text": "action type launch_rocket is not supported by this engine"})]


def test_dispatch_passes_the_node_to_the_handler() -> None:
    from flows.engine.actions import base

    seen: list[Any] = []
    base.HANDLERS["x_probe"] = lambda sc, run, flow, node, action: seen.append((sc, run, flow, node, action))
    try:

        class Act:
            type = "x_probe"

        act = Act()
        base.execute_action("sc", "run", "flow", "node", act)  # type: ignore[arg-type]
    finally:
        del base.HANDLERS["x_probe"]
    assert seen == [("sc", "run", "flow", "node", act)]


@pytest.mark.parametrize(
    ("text", "limit", "out"),
    [("abcde", 5, "abcde"), ("abcdef", 5, "ab..."), ("abcd", 5, "abcd")],
)
def test_truncate_keeps_text_at_the_limit(text: str, limit: int, out: str) -> None:
    from flows.engine.actions.base import truncate

    assert truncate(text, limit) == out


# ------------------------------------------------------------------------------- name


def test_set_contact_name_renders_strips_and_cuts_at_128() -> None:
    events, c = run({"type": "set_contact_name", "name": ' @(repeat("ab", 70)) '})
    assert events == [{"type": "contact_name_changed", "name": "ab" * 64}]
    assert c.name == "ab" * 64


def test_set_contact_name_without_a_name_clears_it() -> None:
    events, c = run({"type": "set_contact_name"})
    assert events == [{"type": "contact_name_changed", "name": ""}]
    assert c.name == ""


def test_a_name_change_of_a_blocked_contact_drops_its_static_groups() -> None:
    who = contact(status="blocked", groups=[FARMERS])
    events, c = run({"type": "set_contact_name", "name": "Bob"}, who)
    assert events == [
        {"type": "contact_name_changed", "name": "Bob"},
        {"type": "contact_groups_changed", "groups_removed": [FARMERS]},
    ]
    assert c.groups == []


# ------------------------------------------------------------------------------- language


@pytest.mark.parametrize("lang", ["en", "fren"])
def test_set_contact_language_rejects_codes_not_three_letters(lang: str) -> None:
    events, c = run({"type": "set_contact_language", "language": lang})
    assert events == [err(f"'{lang}' is not a valid language code")]
    assert c.language == "eng"


def test_set_contact_language_changes_and_can_clear() -> None:
    events, c = run({"type": "set_contact_language", "language": ' @("fra") '})
    assert events == [{"type": "contact_language_changed", "language": "fra"}]
    assert c.language == "fra"
    events, c = run({"type": "set_contact_language"})
    assert events == [{"type": "contact_language_changed", "language": ""}]
    assert c.language == ""


def test_a_language_change_of_a_blocked_contact_drops_its_static_groups() -> None:
    events, c = run(
        {"type": "set_contact_language", "language": "fra"}, contact(status="blocked", groups=[FARMERS])
    )
    assert events == [
        {"type": "contact_language_changed", "language": "fra"},
        {"type": "contact_groups_changed", "groups_removed": [FARMERS]},
    ]
    assert c.groups == []


# ------------------------------------------------------------------------------- status


@pytest.mark.parametrize("status", ["blocked", "stopped", "archived"])
def test_set_contact_status_to_an_inactive_status_leaves_all_groups(status: str) -> None:
    who = contact(groups=[FARMERS, ADULTS], fields={"city": {"text": "Kigali"}})
    events, c = run({"type": "set_contact_status", "status": status}, who)
    assert events == [
        {"type": "contact_status_changed", "status": status},
        {"type": "contact_groups_changed", "groups_removed": [ADULTS, FARMERS]},
    ]
    assert c.status == status
    assert c.groups == []


def test_set_contact_status_active_again_rejoins_query_groups() -> None:
    events, c = run(
        {"type": "set_contact_status", "status": "active"},
        contact(status="stopped", fields={"city": {"text": "Kigali"}}),
    )
    assert events == [
        {"type": "contact_status_changed", "status": "active"},
        {"type": "contact_groups_changed", "groups_added": [ADULTS]},
    ]
    assert c.status == "active"


@pytest.mark.parametrize(("action", "shown"), [({"status": "gone"}, "gone"), ({}, "")])
def test_set_contact_status_rejects_unknown_statuses(action: dict[str, Any], shown: str) -> None:
    events, c = run({"type": "set_contact_status", **action})
    assert events == [err(f"'{shown}' is not a valid contact status")]
    assert c.status == "active"


# ------------------------------------------------------------------------------- timezone


def test_set_contact_timezone_changes_validates_and_clears() -> None:
    events, c = run({"type": "set_contact_timezone", "timezone": ' Africa/@("Kigali") '})
    assert events == [{"type": "contact_timezone_changed", "timezone": "Africa/Kigali"}]
    assert c.timezone == "Africa/Kigali"
    events, c = run({"type": "set_contact_timezone", "timezone": "Mars/Base"})
    assert events == [err("unrecognized timezone: 'Mars/Base'")]
    assert c.timezone == ""
    events, c = run({"type": "set_contact_timezone"}, contact(timezone="Africa/Kigali"))
    assert events == [{"type": "contact_timezone_changed", "timezone": ""}]
    assert c.timezone == ""


# ------------------------------------------------------------------------------- channel


def test_set_contact_channel_moves_the_first_matching_urn_to_the_front() -> None:
    who = contact(urns=["twitter:amina", "tel:+250788123123", "tel:+250788999999"])
    events, c = run(
        {"type": "set_contact_channel", "channel": {"uuid": IVR_TEL_UUID, "name": "Phone"}},
        who,
        channels=[IVR_TEL, TWITTER],
    )
    urns = ["tel:+250788123123?channel=" + IVR_TEL_UUID, "twitter:amina", "tel:+250788999999"]
    assert events == [{"type": "contact_urns_changed", "urns": urns}]
    assert c.urns == urns


def test_set_contact_channel_without_a_matching_urn_changes_nothing() -> None:
    events, c = run({"type": "set_contact_channel", "channel": {"uuid": TWITTER["uuid"]}}, channels=[TWITTER])
    assert events == []
    assert c.urns == ["tel:+250788123123"]


def test_set_contact_channel_without_a_uuid_looks_up_the_empty_uuid() -> None:
    events, _ = run({"type": "set_contact_channel", "channel": {}}, channels=[{**IVR_TEL, "uuid": ""}])
    assert events == [{"type": "contact_urns_changed", "urns": ["tel:+250788123123?channel="]}]


@pytest.mark.parametrize(
    ("ref", "text", "identity"),
    [
        ({"uuid": "c9", "name": "Gone"}, "Missing dependency: channel[uuid=c9,name=Gone]", "c9"),
        ({"uuid": "c9"}, "Missing dependency: channel[uuid=c9,name=]", "c9"),
    ],
)
def test_set_contact_channel_with_a_missing_channel(ref: dict[str, Any], text: str, identity: str) -> None:
    events, _ = run({"type": "set_contact_channel", "channel": ref}, channels=[{**IVR_TEL, "uuid": ""}])
    assert events == [
        {
            "type": "error",
            "text": text,
            "code": "dependency:missing",
            "extra": {"identity": identity, "type": "channel"},
        }
    ]


# ------------------------------------------------------------------------------- URNs


def test_add_contact_urn_normalizes_phone_numbers() -> None:
    sprint = engine(
        [one_node({"type": "add_contact_urn", "scheme": "tel", "path": " 0788 555 111 "})], groups=GROUPS
    )
    sprint_ = sprint.start(contact(), TRIGGER, {"default_country": "RW"})
    assert sprint_.session.contact.urns == ["tel:+250788123123", "tel:+250788555111"]


def test_add_contact_urn_adds_once() -> None:
    events, c = run({"type": "add_contact_urn", "scheme": "twitter", "path": '@("amina")'})
    assert events == [{"type": "contact_urns_changed", "urns": ["tel:+250788123123", "twitter:amina"]}]
    assert c.urns == ["tel:+250788123123", "twitter:amina"]
    events, c = run({"type": "add_contact_urn", "scheme": "tel", "path": "+250788123123"})
    assert events == []


@pytest.mark.parametrize(
    ("action", "text"),
    [
        ({"scheme": "tel", "path": "  "}, "can't add URN with empty path"),
        ({"scheme": "tel", "path": '@("")'}, "can't add URN with empty path"),
        ({"scheme": "Twitter", "path": "amina"}, "'Twitter:amina' is not a valid URN"),
    ],
)
def test_add_contact_urn_errors(action: dict[str, Any], text: str) -> None:
    events, c = run({"type": "add_contact_urn", **action})
    assert events == [err(text)]
    assert c.urns == ["tel:+250788123123"]


def test_add_contact_urn_to_a_blocked_contact_drops_its_static_groups() -> None:
    who = contact(status="blocked", groups=[FARMERS])
    events, c = run({"type": "add_contact_urn", "scheme": "twitter", "path": "amina"}, who)
    assert events == [
        {"type": "contact_urns_changed", "urns": ["tel:+250788123123", "twitter:amina"]},
        {"type": "contact_groups_changed", "groups_removed": [FARMERS]},
    ]


# ------------------------------------------------------------------------------- groups


def test_add_contact_groups_by_uuid_and_by_name_match() -> None:
    events, c = run(
        {
            "type": "add_contact_groups",
            "groups": [
                {"uuid": FARMERS["uuid"], "name": "Farmers"},
                {"name_match": '@(upper("traders"))'},
                {"uuid": FARMERS["uuid"]},
            ],
        },
        contact(groups=[]),
    )
    assert events == [{"type": "contact_groups_changed", "groups_added": [FARMERS, TRADERS]}]
    assert c.groups == [FARMERS, TRADERS]


def test_add_contact_groups_skips_groups_already_in() -> None:
    events, c = run({"type": "add_contact_groups", "groups": [FARMERS, TRADERS]}, contact(groups=[FARMERS]))
    assert events == [{"type": "contact_groups_changed", "groups_added": [TRADERS]}]
    assert c.groups == [FARMERS, TRADERS]


@pytest.mark.parametrize("kind", ["add_contact_groups", "remove_contact_groups"])
def test_group_actions_report_missing_and_query_groups(kind: str) -> None:
    events, c = run(
        {
            "type": kind,
            "groups": [
                {"uuid": "6-gone", "name": "Gone"},
                {"name_match": "Nobody"},
                {"uuid": ADULTS["uuid"], "name": "Kigalians"},
                {"uuid": FARMERS["uuid"]},
            ],
        },
        contact(groups=[] if kind == "add_contact_groups" else [FARMERS]),
    )
    change = "groups_added" if kind == "add_contact_groups" else "groups_removed"
    assert events == [
        {
            "type": "error",
            "text": "Missing dependency: group[uuid=6-gone,name=Gone]",
            "code": "dependency:missing",
            "extra": {"identity": "6-gone", "type": "group"},
        },
        {
            "type": "error",
            "text": "Missing dependency: group[uuid=,name=]",
            "code": "dependency:missing",
            "extra": {"identity": "", "type": "group"},
        },
        err("can't add or remove contacts from query based group 'Kigalians'"),
        {"type": "contact_groups_changed", change: [FARMERS]},
    ]
    assert c.groups == ([FARMERS] if kind == "add_contact_groups" else [])


def test_remove_contact_groups_named_by_expression() -> None:
    events, c = run(
        {"type": "remove_contact_groups", "groups": [{"name_match": '@("Farm" & "ers")'}]},
        contact(groups=[TRADERS, FARMERS]),
    )
    assert events == [{"type": "contact_groups_changed", "groups_removed": [FARMERS]}]
    assert c.groups == [TRADERS]


def test_remove_all_groups_keeps_query_groups_and_uses_asset_order() -> None:
    unknown = {"name": "Old", "uuid": "6-old"}
    who = contact(groups=[FARMERS, unknown, ADULTS, TRADERS], fields={"city": {"text": "Kigali"}})
    events, c = run({"type": "remove_contact_groups", "all_groups": True}, who)
    assert events == [{"type": "contact_groups_changed", "groups_removed": [TRADERS, FARMERS, unknown]}]
    assert c.groups == [ADULTS]


# ------------------------------------------------------------------------------- fields


def test_set_contact_field_sets_and_clears() -> None:
    ref = {"key": "city", "name": "City"}
    events, c = run({"type": "set_contact_field", "field": ref, "value": ' @("Kigali") '})
    assert events == [
        {"type": "contact_field_changed", "field": ref, "value": {"text": "Kigali"}},
        {"type": "contact_groups_changed", "groups_added": [ADULTS]},
    ]
    assert c.fields["city"] == {"text": "Kigali"}
    assert c.groups == [ADULTS]
    age = {"key": "age", "name": "Age"}
    events, c = run({"type": "set_contact_field", "field": age})
    assert events == [{"type": "contact_field_changed", "field": age, "value": None}]
    assert "age" not in c.fields


def test_set_contact_field_of_a_blocked_contact_drops_its_static_groups() -> None:
    ref = {"key": "city", "name": "City"}
    events, c = run(
        {"type": "set_contact_field", "field": ref, "value": "Kigali"},
        contact(status="blocked", groups=[FARMERS]),
    )
    assert events == [
        {"type": "contact_field_changed", "field": ref, "value": {"text": "Kigali"}},
        {"type": "contact_groups_changed", "groups_removed": [FARMERS]},
    ]


def test_set_contact_field_with_a_missing_field() -> None:
    events, _ = run({"type": "set_contact_field", "field": {"key": "shoe"}, "value": "4"})
    assert events == [
        {
            "type": "error",
            "text": "Missing dependency: field[key=shoe,name=]",
            "code": "dependency:missing",
            "extra": {"identity": "shoe", "type": "field"},
        }
    ]


def test_missing_dependency_names_by_uuid_by_default() -> None:
    events, _ = run({"type": "enter_flow", "flow": {"uuid": "f-gone", "name": "Gone"}})
    assert events[0] == {
        "type": "error",
        "text": "Missing dependency: flow[uuid=f-gone,name=Gone]",
        "code": "dependency:missing",
        "extra": {"identity": "f-gone", "type": "flow"},
    }
