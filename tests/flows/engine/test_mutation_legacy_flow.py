"""Legacy flow migration, exactly: templates (expressions.py, v7.py) and definitions (definition.py).

The expected outputs are facts from goflow's legacy migration tests (its expression and function
migration tables, and flows/definition/legacy/testdata) and RapidPro's v7 template tests, plus
the edges of this migrator's own rules (warnings, defaults for missing keys, error messages).
Everything here is a pure function: no database, no ../shared.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest

from flows.engine.legacy.definition import (
    LEGACY_WEBHOOK_BODY,
    LegacyError,
    Migration,
    base_text,
    is_legacy_definition,
    migrate_action,
    migrate_case,
    migrate_definition,
    migrate_ruleset,
    translations,
    url_join,
)
from flows.engine.legacy.expressions import (
    MigrationError,
    Options,
    migrate,
    migrate_expression,
    migrate_path,
    migrate_template,
    scan,
)
from flows.engine.legacy.v7 import convert_filters, migrate_v7_template

MEDIA = "https://myfiles.com"


def counter(prefix: str = "gen") -> Callable[[], str]:
    """Deterministic uuids: gen-1, gen-2... in the order the migrator asks for them."""
    n = itertools.count(1)
    return lambda: f"{prefix}-{next(n)}"


def migration(lang: str = "eng") -> Migration:
    return Migration(base_language=lang, new_uuid=counter(), base_media_url=MEDIA)


# ----------------------------------------------------------------------------------- actions

BAD = "@(1 +* 2)"  # a legacy expression that can't be parsed: kept as written, with a warning


def warned(where: str, expression: str = BAD, problem: str = "unexpected '*'") -> str:
    prefix = f"{where}: " if where else ""
    return f"{prefix}expression {expression}: {problem} was kept as written"


def run_action(action: dict[str, Any], lang: str = "eng") -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    m = migration(lang)
    migrated = migrate_action(action, m)
    return migrated, m.localization, m.warnings


FRA_CITY = "Vous habitez toujours à @contact.city"

# (legacy action, migrated action, localization): goflow's testdata/actions.json where it covers a case
ACTIONS: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    (
        {
            "type": "add_group",
            "uuid": "a1",
            "groups": [{"uuid": "g1", "name": "Testers"}, {"name": "Customers"}, "@contact.district"],
        },
        {
            "type": "add_contact_groups",
            "uuid": "a1",
            "groups": [
                {"uuid": "g1", "name": "Testers"},
                {"name_match": "Customers"},
                {"name_match": "@fields.district"},
            ],
        },
        {},
    ),
    (
        # a group without a name keeps its uuid; one without either matches the empty name; a
        # plain string is a literal name, only one starting with @ is a template
        {"type": "add_group", "uuid": "a1", "groups": [{"uuid": "g2"}, {}, "VIP @flow.x", {"name": None}]},
        {
            "type": "add_contact_groups",
            "uuid": "a1",
            "groups": [
                {"uuid": "g2", "name": ""},
                {"name_match": ""},
                {"name_match": "VIP @flow.x"},
                {"name_match": ""},
            ],
        },
        {},
    ),
    (
        {
            "type": "add_label",
            "uuid": "a1",
            "labels": [{"uuid": "l1", "name": "Spam"}, {"name": "Important"}, "@contact.district"],
        },
        {
            "type": "add_input_labels",
            "uuid": "a1",
            "labels": [
                {"uuid": "l1", "name": "Spam"},
                {"name_match": "Important"},
                {"name_match": "@fields.district"},
            ],
        },
        {},
    ),
    (
        {"type": "add_label", "uuid": "a1", "labels": [{"uuid": "l2"}, {}, "Urgent @flow.x"]},
        {
            "type": "add_input_labels",
            "uuid": "a1",
            "labels": [{"uuid": "l2", "name": ""}, {"name_match": ""}, {"name_match": "Urgent @flow.x"}],
        },
        {},
    ),
    (
        {"type": "channel", "uuid": "a1", "channel": "c1", "name": "Twilio"},
        {"type": "set_contact_channel", "uuid": "a1", "channel": {"uuid": "c1", "name": "Twilio"}},
        {},
    ),
    (
        {"type": "channel", "uuid": "a1", "channel": None, "name": None},
        {"type": "set_contact_channel", "uuid": "a1", "channel": {"uuid": "", "name": ""}},
        {},
    ),
    (
        {
            "type": "del_group",
            "uuid": "a1",
            "groups": [{"uuid": "g1", "name": "Testers"}, "@contact.district"],
        },
        {
            "type": "remove_contact_groups",
            "uuid": "a1",
            "groups": [{"uuid": "g1", "name": "Testers"}, {"name_match": "@fields.district"}],
        },
        {},
    ),
    (
        {"type": "del_group", "uuid": "a1", "groups": []},
        {"type": "remove_contact_groups", "uuid": "a1", "all_groups": True},
        {},
    ),
    (
        {
            "type": "email",
            "uuid": "a1",
            "emails": ["bob@nyaruka.com", "@contact.supervisor"],
            "subject": "Subject @step.value",
            "msg": "Body @step.value",
        },
        {
            "type": "send_email",
            "uuid": "a1",
            "addresses": ["bob@nyaruka.com", "@fields.supervisor"],
            "subject": "Subject @input",
            "body": "Body @input",
        },
        {},
    ),
    (
        {"type": "email", "uuid": "a1"},
        {"type": "send_email", "uuid": "a1", "addresses": [], "subject": "", "body": ""},
        {},
    ),
    (
        # an email body is plain text; a translated one gives its base-language text
        {"type": "email", "uuid": "a1", "msg": {"fra": "Bonjour", "eng": "Hi @step.value"}},
        {"type": "send_email", "uuid": "a1", "addresses": [], "subject": "", "body": "Hi @input"},
        {},
    ),
    (
        {"type": "email", "uuid": "a1", "msg": {"fra": "Bonjour", "base": "Hello"}},
        {"type": "send_email", "uuid": "a1", "addresses": [], "subject": "", "body": "Hello"},
        {},
    ),
    (
        {"type": "email", "uuid": "a1", "msg": {"fra": "Bonjour"}},
        {"type": "send_email", "uuid": "a1", "addresses": [], "subject": "", "body": ""},
        {},
    ),
    (
        {"type": "lang", "uuid": "a1", "lang": "fra", "name": "French"},
        {"type": "set_contact_language", "uuid": "a1", "language": "fra"},
        {},
    ),
    ({"type": "lang", "uuid": "a1"}, {"type": "set_contact_language", "uuid": "a1", "language": ""}, {}),
    (
        {"type": "play", "uuid": "a1", "url": "@flow.response_1"},
        {"type": "play_audio", "uuid": "a1", "audio_url": "@results.response_1"},
        {},
    ),
    ({"type": "play", "uuid": "a1"}, {"type": "play_audio", "uuid": "a1", "audio_url": ""}, {}),
    (
        {
            "type": "reply",
            "uuid": "a1",
            "msg": {"eng": "Do you still live in @contact.city?"},
            "media": {},
            "send_all": False,
        },
        {"type": "send_msg", "uuid": "a1", "text": "Do you still live in @fields.city?"},
        {},
    ),
    (
        {
            "type": "reply",
            "uuid": "a1",
            "msg": {"eng": "Do you still live in @contact.city?", "fra": FRA_CITY},
            "media": {"eng": "bucket/test_en.jpg", "fra": "image/jpeg:bucket/test_fr.jpg"},
            "quick_replies": [{"eng": "Yes", "fra": "Oui"}, {"eng": "No", "fra": "Non"}, {"eng": "Maybe"}],
            "send_all": True,
        },
        {
            "type": "send_msg",
            "uuid": "a1",
            "text": "Do you still live in @fields.city?",
            "attachments": ["image:https://myfiles.com/bucket/test_en.jpg"],
            "quick_replies": ["Yes", "No", "Maybe"],
            "all_urns": True,
        },
        {
            "fra": {
                "a1": {
                    "attachments": ["image/jpeg:https://myfiles.com/bucket/test_fr.jpg"],
                    "quick_replies": ["Oui", "Non", ""],
                    "text": ["Vous habitez toujours à @fields.city"],
                }
            }
        },
    ),
    (
        # an attachment holding an expression is left relative; an absolute URL stays as it is
        # (only the first colon separates the media type); a text only in another language
        # leaves the base text empty
        {
            "type": "reply",
            "uuid": "a1",
            "msg": {"fra": "Salut @contact.name"},
            "media": {"eng": "image:@contact.photo", "fra": "image/jpeg:http://x.org/a.jpg"},
            "quick_replies": [{"fra": "Oui @flow.x"}],
        },
        {"type": "send_msg", "uuid": "a1", "text": "", "attachments": ["image:@fields.photo"]},
        {
            "fra": {
                "a1": {
                    "text": ["Salut @contact.name"],
                    "attachments": ["image/jpeg:http://x.org/a.jpg"],
                    "quick_replies": ["Oui @results.x"],
                }
            }
        },
    ),
    (
        {
            "type": "save",
            "uuid": "a1",
            "field": "name",
            "label": "Name",
            "value": "Bob @step.value",
        },
        {"type": "set_contact_name", "uuid": "a1", "name": "Bob @input"},
        {},
    ),
    (
        {"type": "save", "uuid": "a1", "field": "first_name", "label": "First Name", "value": "@step.value"},
        {"type": "set_contact_name", "uuid": "a1", "name": "@input @(word_slice(contact.name, 1, -1))"},
        {},
    ),
    (
        {"type": "save", "uuid": "a1", "field": "gender", "label": "Gender", "value": "@step.value"},
        {
            "type": "set_contact_field",
            "uuid": "a1",
            "field": {"key": "gender", "name": "Gender"},
            "value": "@input",
        },
        {},
    ),
    (
        {"type": "save", "uuid": "a1", "field": "gender", "label": "Gender", "value": '@("")'},
        {
            "type": "set_contact_field",
            "uuid": "a1",
            "field": {"key": "gender", "name": "Gender"},
            "value": "",
        },
        {},
    ),
    (
        {"type": "save", "uuid": "a1", "label": "Phone Number", "field": "tel", "value": "@flow.phone.text"},
        {"type": "add_contact_urn", "uuid": "a1", "scheme": "tel", "path": "@results.phone.input"},
        {},
    ),
    (
        # a number saved as tel_e164 is a tel URN
        {"type": "save", "uuid": "a1", "field": "tel_e164", "value": "@step.value"},
        {"type": "add_contact_urn", "uuid": "a1", "scheme": "tel", "path": "@input"},
        {},
    ),
    (
        {"type": "save", "uuid": "a1", "field": "whatsapp", "value": "123"},
        {"type": "add_contact_urn", "uuid": "a1", "scheme": "whatsapp", "path": "123"},
        {},
    ),
    (
        {"type": "save", "uuid": "a1"},
        {"type": "set_contact_field", "uuid": "a1", "field": {"key": "", "name": ""}, "value": ""},
        {},
    ),
    (
        {"type": "say", "uuid": "a1", "msg": {"eng": "Do you still live in @contact.city?", "fra": FRA_CITY}},
        {"type": "say_msg", "uuid": "a1", "text": "Do you still live in @fields.city?"},
        {"fra": {"a1": {"text": ["Vous habitez toujours à @fields.city"]}}},
    ),
    (
        {
            "type": "say",
            "uuid": "a1",
            "msg": {"eng": "Do you still live in @contact.city?", "fra": FRA_CITY},
            "recording": {"eng": "bucket/question1_en.m4a", "fra": "bucket/question1_fr.m4a"},
        },
        {
            "type": "say_msg",
            "uuid": "a1",
            "text": "Do you still live in @fields.city?",
            "audio_url": "https://myfiles.com/bucket/question1_en.m4a",
        },
        {
            "fra": {
                "a1": {
                    "text": ["Vous habitez toujours à @fields.city"],
                    "audio_url": ["https://myfiles.com/bucket/question1_fr.m4a"],
                }
            }
        },
    ),
    (
        {"type": "say", "uuid": "a1", "msg": {"eng": "Welcome"}, "recording": {"eng": None}},
        {"type": "say_msg", "uuid": "a1", "text": "Welcome"},
        {},
    ),
    (
        {
            "type": "send",
            "uuid": "a1",
            "msg": {"eng": "Do you still live in @contact.city?", "fra": FRA_CITY},
            "media": {
                "eng": "image/jpeg:http://foo.bar/bucket/test_en.jpg?a=@contact.age",
                "fra": "image/jpeg:http://foo.bar/bucket/test_fr.jpg?a=@contact.age",
            },
            "contacts": [{"id": 35266, "uuid": "c1", "name": "Horatio"}, {"uuid": "c2"}],
            "groups": [{"uuid": "g1", "name": "Testers"}, {"uuid": "g2", "name": "Spammers"}],
            "variables": [{"id": "@contact.support_group"}, {"id": "+12223334444"}],
        },
        {
            "type": "send_broadcast",
            "uuid": "a1",
            "text": "Do you still live in @fields.city?",
            "attachments": ["image/jpeg:http://foo.bar/bucket/test_en.jpg?a=@fields.age"],
            "contacts": [{"uuid": "c1", "name": "Horatio"}, {"uuid": "c2", "name": ""}],
            "groups": [{"uuid": "g1", "name": "Testers"}, {"uuid": "g2", "name": "Spammers"}],
            "legacy_vars": ["@fields.support_group", "+12223334444"],
        },
        {
            "fra": {
                "a1": {
                    "attachments": ["image/jpeg:http://foo.bar/bucket/test_fr.jpg?a=@fields.age"],
                    "text": ["Vous habitez toujours à @fields.city"],
                }
            }
        },
    ),
    (
        # variables may be plain strings, groups name expressions; quick replies carry over
        {
            "type": "send",
            "uuid": "a1",
            "msg": {"eng": "Hi"},
            "contacts": [{"name": "Ann"}],
            "groups": ["@contact.team"],
            "variables": ["@contact.x", "+1555"],
            "quick_replies": [{"eng": "Yes @flow.x"}],
        },
        {
            "type": "send_broadcast",
            "uuid": "a1",
            "text": "Hi",
            "quick_replies": ["Yes @results.x"],
            "contacts": [{"uuid": "", "name": "Ann"}],
            "groups": [{"name_match": "@fields.team"}],
            "legacy_vars": ["@fields.x", "+1555"],
        },
        {},
    ),
    (
        {"type": "flow", "uuid": "a1", "flow": {"uuid": "f1", "name": "Registration"}},
        {
            "type": "enter_flow",
            "uuid": "a1",
            "flow": {"uuid": "f1", "name": "Registration"},
            "terminal": True,
        },
        {},
    ),
    (
        {"type": "flow", "uuid": "a1"},
        {"type": "enter_flow", "uuid": "a1", "flow": {"uuid": "", "name": ""}, "terminal": True},
        {},
    ),
    (
        {
            "type": "trigger-flow",
            "uuid": "a1",
            "flow": {"uuid": "f1", "name": "Registration"},
            "variables": [{"id": "+12223334444"}],
        },
        {
            "type": "start_session",
            "uuid": "a1",
            "legacy_vars": ["+12223334444"],
            "flow": {"uuid": "f1", "name": "Registration"},
        },
        {},
    ),
    (
        {
            "type": "trigger-flow",
            "uuid": "a1",
            "flow": {"uuid": "f1", "name": "Registration"},
            "contacts": [{"uuid": "c1"}, {"uuid": "c2"}],
            "groups": [{"uuid": "g1", "name": "Testers"}, {"uuid": "g2", "name": "Spammers"}],
            "variables": [{"id": "@contact.support_group"}, {"id": "+12223334444"}, {"id": "@new_contact"}],
        },
        {
            "type": "start_session",
            "uuid": "a1",
            "contacts": [{"uuid": "c1", "name": ""}, {"uuid": "c2", "name": ""}],
            "groups": [{"uuid": "g1", "name": "Testers"}, {"uuid": "g2", "name": "Spammers"}],
            "legacy_vars": ["@fields.support_group", "+12223334444"],
            "flow": {"uuid": "f1", "name": "Registration"},
            "create_contact": True,
        },
        {},
    ),
    (
        # plain-string variables, an empty one, a group named by an expression
        {
            "type": "trigger-flow",
            "uuid": "a1",
            "flow": {"name": "Registration"},
            "groups": ["@contact.team"],
            "variables": ["@contact.x", {"id": None}],
        },
        {
            "type": "start_session",
            "uuid": "a1",
            "flow": {"uuid": "", "name": "Registration"},
            "groups": [{"name_match": "@fields.team"}],
            "legacy_vars": ["@fields.x", ""],
        },
        {},
    ),
    (
        {
            "type": "trigger-flow",
            "uuid": "a1",
            "flow": {"uuid": "f1", "name": "Registration"},
            "variables": ["@new_contact"],
        },
        {
            "type": "start_session",
            "uuid": "a1",
            "flow": {"uuid": "f1", "name": "Registration"},
            "create_contact": True,
        },
        {},
    ),
]


@pytest.mark.parametrize(("legacy", "expected", "localization"), ACTIONS)
def test_actions(legacy: dict[str, Any], expected: dict[str, Any], localization: dict[str, Any]) -> None:
    assert run_action(copy.deepcopy(legacy)) == (expected, localization, [])


def test_actions_without_uuid_get_a_new_one() -> None:
    assert run_action({"type": "lang", "lang": "fra"})[0] == {
        "uuid": "gen-1",
        "type": "set_contact_language",
        "language": "fra",
    }


def test_media_without_a_base_url() -> None:
    """With no base media URL an upload's path is made root-relative."""
    flow, _ = migrate_definition(
        {
            "base_language": "eng",
            "action_sets": [
                {
                    "uuid": "n1",
                    "exit_uuid": "e1",
                    "actions": [
                        {"type": "reply", "uuid": "a1", "msg": {"eng": "Hi"}, "media": {"eng": "x/a.jpg"}}
                    ],
                }
            ],
        },
        new_uuid=counter(),
    )
    assert flow["nodes"][0]["actions"] == [
        {"uuid": "a1", "type": "send_msg", "text": "Hi", "attachments": ["image:/x/a.jpg"]}
    ]


@pytest.mark.parametrize(
    ("legacy", "warnings"),
    [
        (
            {"type": "email", "uuid": "a1", "emails": [BAD], "subject": BAD + " s", "msg": BAD + " b"},
            [warned("action a1 (email)")] * 3,
        ),
        (
            {
                "type": "reply",
                "uuid": "a1",
                "msg": {"eng": BAD},
                "media": {"eng": "image:" + BAD},
                "quick_replies": [{"eng": BAD}],
            },
            [warned("action a1 (reply)")] * 3,
        ),
        (
            {"type": "send", "uuid": "a1", "msg": {"eng": BAD}, "variables": [{"id": BAD}]},
            [warned("action a1 (send)")] * 2,
        ),
        ({"type": "trigger-flow", "uuid": "a1", "variables": [BAD]}, [warned("action a1 (trigger-flow)")]),
        ({"type": "save", "uuid": "a1", "field": "age", "value": BAD}, [warned("action a1 (save)")]),
        (
            {"type": "say", "uuid": "a1", "msg": {"eng": BAD}, "recording": {"eng": "a.m4a?" + BAD}},
            [warned("action a1 (say)")] * 2,
        ),
        ({"type": "play", "uuid": "a1", "url": BAD}, [warned("action a1 (play)")]),
        # group and label names starting with @ are templates too, reported without a place
        ({"type": "add_group", "uuid": "a1", "groups": [BAD]}, [warned("")]),
        ({"type": "add_label", "uuid": "a1", "labels": [BAD]}, [warned("")]),
    ],
)
def test_action_warnings_name_the_action(legacy: dict[str, Any], warnings: list[str]) -> None:
    assert run_action(legacy)[2] == warnings


@pytest.mark.parametrize(
    ("legacy", "message"),
    [
        ({"type": "teleport", "uuid": "a1"}, "unable to migrate legacy action type: teleport"),
        ({"type": "add_group", "uuid": "a1", "groups": [5]}, "bad group reference 5"),
        (
            {"type": "add_group", "uuid": "a1", "groups": [["x" * 100]]},
            'bad group reference ["' + "x" * 78,
        ),
        ({"type": "add_label", "uuid": "a1", "labels": [None]}, "bad label reference null"),
        (
            {"type": "add_label", "uuid": "a1", "labels": [["y" * 100]]},
            'bad label reference ["' + "y" * 78,
        ),
        ({"type": "reply", "uuid": "a1", "msg": 5}, "expected a text or translations, not 5"),
    ],
)
def test_unmigratable_actions(legacy: dict[str, Any], message: str) -> None:
    """Error messages quote at most 80 characters of the offending value."""
    with pytest.raises(LegacyError) as e:
        run_action(legacy)
    assert str(e.value) == message


# ----------------------------------------------------------------------------------- rule sets


def rule(uuid: str, category: Any, test: Any, destination: str | None = None) -> dict[str, Any]:
    return {"uuid": uuid, "category": category, "test": test, "destination": destination}


OTHER = rule("r9", {"eng": "Other"}, {"type": "true"})
WEBHOOK_RULES = [
    rule("r1", {"eng": "Success"}, {"type": "webhook_status", "status": "success"}, "n1"),
    rule("r2", {"eng": "Failure"}, {"type": "webhook_status", "status": "failure"}, "n2"),
]
WEBHOOK_CATEGORIES = [
    {"uuid": "gen-1", "name": "Success", "exit_uuid": "r1"},
    {"uuid": "gen-2", "name": "Failure", "exit_uuid": "r2"},
]
WEBHOOK_CASES = [
    {"uuid": "gen-3", "type": "has_only_text", "category_uuid": "gen-1", "arguments": ["Success"]},
    {"uuid": "gen-4", "type": "has_only_text", "category_uuid": "gen-2", "arguments": ["Failure"]},
]
WEBHOOK_EXITS = [{"uuid": "r1", "destination_uuid": "n1"}, {"uuid": "r2", "destination_uuid": "n2"}]
OTHER_ONLY = {
    "categories": [{"uuid": "gen-1", "name": "Other", "exit_uuid": "r9"}],
    "cases": [],
    "default_category_uuid": "gen-1",
}


def run_ruleset(
    rs: dict[str, Any], valid: set[str] | None = None
) -> tuple[dict[str, Any], str, dict[str, Any], dict[str, Any], list[str]]:
    m = migration()
    node, ui_type, ui_config = migrate_ruleset(copy.deepcopy(rs), valid or {"n1", "n2"}, m)
    return node, ui_type, ui_config, m.localization, m.warnings


def test_rules_categories_cases_and_timeout() -> None:
    """Rule uuids become exit uuids; rules sharing a category name share its category (except
    "true" rules); the last "true" rule is the default; a timeout rule becomes the wait's
    timeout; only destinations that are nodes of the flow are kept; category names without the
    base language fall back to their "base" text."""
    rs = {
        "uuid": "rs1",
        "label": "Beer",
        "operand": "@step.value",
        "ruleset_type": "wait_message",
        "rules": [
            rule("r0", {"eng": "Other", "fra": "Autre"}, {"type": "true"}, "n2"),
            rule(
                "r1",
                {"eng": "Yes", "fra": "Oui"},
                {"type": "contains_any", "test": {"eng": "yes", "fra": "oui"}},
                "n2",
            ),
            rule("r2", {"eng": "Yes"}, {"type": "starts", "test": {"eng": "y"}}, "elsewhere"),
            rule("r3", "No Response", {"type": "timeout", "minutes": 5}, "gone"),
            rule("r4", {"eng": "Other"}, {"type": "true"}),
            rule("r5", {"base": "Maybe", "fra": "Peut-être"}, {"type": "contains", "test": {"eng": "maybe"}}),
        ],
    }
    node, ui_type, ui_config, localization, warnings = run_ruleset(rs)
    assert node == {
        "uuid": "rs1",
        "router": {
            "type": "switch",
            "wait": {"type": "msg", "timeout": {"seconds": 300, "category_uuid": "gen-3"}},
            "result_name": "Beer",
            "categories": [
                {"uuid": "gen-1", "name": "Other", "exit_uuid": "r0"},
                {"uuid": "gen-2", "name": "Yes", "exit_uuid": "r1"},
                {"uuid": "gen-3", "name": "No Response", "exit_uuid": "r3"},
                {"uuid": "gen-4", "name": "Other", "exit_uuid": "r4"},
                {"uuid": "gen-5", "name": "Maybe", "exit_uuid": "r5"},
            ],
            "operand": "@input",
            "cases": [
                {"uuid": "gen-6", "type": "has_any_word", "category_uuid": "gen-2", "arguments": ["yes"]},
                {"uuid": "gen-7", "type": "has_beginning", "category_uuid": "gen-2", "arguments": ["y"]},
                {"uuid": "gen-8", "type": "has_all_words", "category_uuid": "gen-5", "arguments": ["maybe"]},
            ],
            "default_category_uuid": "gen-4",
        },
        "exits": [
            {"uuid": "r0", "destination_uuid": "n2"},
            {"uuid": "r1", "destination_uuid": "n2"},
            {"uuid": "r3"},
            {"uuid": "r4"},
            {"uuid": "r5"},
        ],
    }
    assert (ui_type, ui_config, warnings) == ("wait_for_response", {}, [])
    assert localization == {
        "fra": {
            "gen-1": {"name": ["Autre"]},
            "gen-2": {"name": ["Oui"]},
            "gen-5": {"name": ["Peut-être"]},
            "gen-6": {"arguments": ["oui"]},
        }
    }


def test_rules_without_uuid_or_category_name() -> None:
    """A rule without a uuid gets a new exit uuid; one without a category name gets an unnamed
    category; a rule set without a type is a wait for a message (older flows)."""
    rs = {"uuid": "rs1", "rules": [{"test": {"type": "number"}}, {"uuid": "r9", "test": {"type": "true"}}]}
    node, ui_type, ui_config, _, _ = run_ruleset(rs)
    assert node == {
        "uuid": "rs1",
        "router": {
            "type": "switch",
            "wait": {"type": "msg"},
            "categories": [{"uuid": "gen-2", "exit_uuid": "gen-1"}, {"uuid": "gen-3", "exit_uuid": "r9"}],
            "operand": "@input",
            "cases": [{"uuid": "gen-4", "type": "has_number", "category_uuid": "gen-2"}],
            "default_category_uuid": "gen-3",
        },
        "exits": [{"uuid": "gen-1"}, {"uuid": "r9"}],
    }
    assert (ui_type, ui_config) == ("wait_for_response", {})


@pytest.mark.parametrize(
    ("kind", "finished_key", "hint", "operand"),
    [
        ("wait_message", None, None, "@input"),
        ("wait_audio", None, {"type": "audio"}, "@input"),
        ("wait_video", None, {"type": "video"}, "@input"),
        ("wait_photo", None, {"type": "image"}, "@input"),
        ("wait_gps", None, {"type": "location"}, "@input"),
        ("wait_recording", None, {"type": "audio"}, "@input"),
        ("wait_digit", None, {"type": "digits", "count": 1}, "@input.text"),
        ("wait_digits", "#", {"type": "digits", "terminated_by": "#"}, "@input.text"),
        ("wait_digits", None, {"type": "digits", "terminated_by": ""}, "@input.text"),
    ],
)
def test_wait_hints(kind: str, finished_key: str | None, hint: dict[str, Any] | None, operand: str) -> None:
    """Media and digit waits tell the channel what they wait for (goflow's wait hints)."""
    rs = {"uuid": "rs1", "ruleset_type": kind, "finished_key": finished_key, "rules": [OTHER]}
    node, ui_type, _, _, _ = run_ruleset(rs)
    wait: dict[str, Any] = {"type": "msg"}
    if hint is not None:
        wait["hint"] = hint
    assert node["router"] == {"type": "switch", "wait": wait, "operand": operand, **OTHER_ONLY}
    assert ui_type == "wait_for_response"


@pytest.mark.parametrize(("minutes", "timeout"), [(0, None), (None, None), (1, 60), (30, 1800)])
def test_wait_timeout_needs_minutes(minutes: int | None, timeout: int | None) -> None:
    test: dict[str, Any] = {"type": "timeout"}
    if minutes is not None:
        test["minutes"] = minutes
    rs = {"uuid": "rs1", "ruleset_type": "wait_message", "rules": [rule("r1", "Late", test), OTHER]}
    wait = run_ruleset(rs)[0]["router"]["wait"]
    assert wait == (
        {"type": "msg"}
        if timeout is None
        else {"type": "msg", "timeout": {"seconds": timeout, "category_uuid": "gen-1"}}
    )


def test_webhook_get() -> None:
    """goflow: a GET webhook rule set becomes a call_webhook action (URL expressions url-encoded)
    and a split on the result's category; the failure rule is the default."""
    rs = {
        "uuid": "rs1",
        "rules": WEBHOOK_RULES,
        "ruleset_type": "webhook",
        "label": "Response 1",
        "operand": "@step.value",
        "config": {"webhook": "http://example.com?name=@contact.name", "webhook_action": "get"},
    }
    assert run_ruleset(rs) == (
        {
            "uuid": "rs1",
            "actions": [
                {
                    "uuid": "gen-5",
                    "type": "call_webhook",
                    "method": "GET",
                    "url": "http://example.com?name=@(url_encode(contact.name))",
                    "result_name": "Response 1",
                }
            ],
            "router": {
                "type": "switch",
                "categories": WEBHOOK_CATEGORIES,
                "operand": "@results.response_1.category",
                "cases": WEBHOOK_CASES,
                "default_category_uuid": "gen-2",
            },
            "exits": WEBHOOK_EXITS,
        },
        "split_by_webhook",
        {},
        {},
        [],
    )


def test_webhook_post_with_headers() -> None:
    """goflow: POST sends the legacy JSON body with a JSON content type; header values are
    templates; headers without a name are editor leftovers and dropped; no method means POST."""
    rs = {
        "uuid": "rs1",
        "rules": WEBHOOK_RULES,
        "ruleset_type": "webhook",
        "label": "Response 1",
        "config": {
            "webhook": "http://example.com",
            "webhook_headers": [
                {"name": "User-Agent", "value": "RapidPro"},
                {"name": "Auth-Token", "value": "@contact.auth_token"},
                {"name": "", "value": "x"},
                {"name": "X-Empty"},
            ],
        },
    }
    node = run_ruleset(rs)[0]
    assert node["actions"] == [
        {
            "uuid": "gen-5",
            "type": "call_webhook",
            "method": "POST",
            "url": "http://example.com",
            "headers": {
                "Content-Type": "application/json",
                "User-Agent": "RapidPro",
                "Auth-Token": "@fields.auth_token",
                "X-Empty": "",
            },
            "body": LEGACY_WEBHOOK_BODY,
            "result_name": "Response 1",
        }
    ]


def test_webhook_without_config_or_label() -> None:
    rs = {"uuid": "rs1", "rules": WEBHOOK_RULES, "ruleset_type": "webhook"}
    node = run_ruleset(rs)[0]
    assert node["actions"] == [
        {
            "uuid": "gen-5",
            "type": "call_webhook",
            "method": "POST",
            "url": "",
            "headers": {"Content-Type": "application/json"},
            "body": LEGACY_WEBHOOK_BODY,
        }
    ]
    assert node["router"] == {
        "type": "switch",
        "categories": WEBHOOK_CATEGORIES,
        "operand": "@results..category",
        "cases": WEBHOOK_CASES,
        "default_category_uuid": "gen-2",
    }


def test_resthook() -> None:
    rs = {
        "uuid": "rs1",
        "rules": WEBHOOK_RULES,
        "ruleset_type": "resthook",
        "label": "Response 1",
        "config": {"resthook": "new-registration"},
    }
    assert run_ruleset(rs) == (
        {
            "uuid": "rs1",
            "actions": [
                {
                    "uuid": "gen-5",
                    "type": "call_resthook",
                    "resthook": "new-registration",
                    "result_name": "Response 1",
                }
            ],
            "router": {
                "type": "switch",
                "categories": WEBHOOK_CATEGORIES,
                "operand": "@results.response_1.category",
                "cases": WEBHOOK_CASES,
                "default_category_uuid": "gen-2",
            },
            "exits": WEBHOOK_EXITS,
        },
        "split_by_resthook",
        {},
        {},
        [],
    )
    rs = {"uuid": "rs1", "rules": WEBHOOK_RULES, "ruleset_type": "resthook"}
    assert run_ruleset(rs)[0]["actions"] == [{"uuid": "gen-5", "type": "call_resthook", "resthook": ""}]


def test_subflow() -> None:
    """goflow: a subflow rule set enters the flow (not terminal) and splits on the child's status."""
    rs = {
        "uuid": "rs1",
        "ruleset_type": "subflow",
        "label": "Response 1",
        "config": {"flow": {"name": "My Subflow", "uuid": "f1"}},
        "rules": [
            rule("r1", {"eng": "Completed"}, {"type": "subflow", "exit_type": "completed"}, "n1"),
            rule("r2", {"eng": "Expired"}, {"type": "subflow", "exit_type": "expired"}),
        ],
    }
    assert run_ruleset(rs)[:3] == (
        {
            "uuid": "rs1",
            "actions": [
                {"uuid": "gen-5", "type": "enter_flow", "flow": {"uuid": "f1", "name": "My Subflow"}}
            ],
            "router": {
                "type": "switch",
                "result_name": "Response 1",
                "categories": [
                    {"uuid": "gen-1", "name": "Completed", "exit_uuid": "r1"},
                    {"uuid": "gen-2", "name": "Expired", "exit_uuid": "r2"},
                ],
                "operand": "@child.status",
                "cases": [
                    {
                        "uuid": "gen-3",
                        "type": "has_only_text",
                        "category_uuid": "gen-1",
                        "arguments": ["completed"],
                    },
                    {
                        "uuid": "gen-4",
                        "type": "has_only_text",
                        "category_uuid": "gen-2",
                        "arguments": ["expired"],
                    },
                ],
                "default_category_uuid": "",
            },
            "exits": [{"uuid": "r1", "destination_uuid": "n1"}, {"uuid": "r2"}],
        },
        "split_by_subflow",
        {},
    )


@pytest.mark.parametrize(
    ("config", "operand", "router_operand", "ui_config"),
    [
        (
            {"field_index": 1, "field_delimiter": " "},
            "@flow.response_1",
            '@(field(results.response_1, 1, " "))',
            {"operand": {"id": "response_1"}, "delimiter": " ", "index": 1},
        ),
        (
            {},
            "@flow.response_1",
            '@(field(results.response_1, 0, ""))',
            {"operand": {"id": "response_1"}, "delimiter": "", "index": 0},
        ),
        # the editor's operand is the last name in the path
        (
            {"field_index": 2, "field_delimiter": "+"},
            "@extra.a.b",
            '@(field(legacy_extra.a.b, 2, "+"))',
            {"operand": {"id": "b"}, "delimiter": "+", "index": 2},
        ),
        ({"field_index": 3, "field_delimiter": ","}, "@step", '@(field(input, 3, ","))', {}),
    ],
)
def test_form_field(
    config: dict[str, Any], operand: str, router_operand: str, ui_config: dict[str, Any]
) -> None:
    """goflow: a form field rule set splits one field of a delimited value."""
    rs = {
        "uuid": "rs1",
        "ruleset_type": "form_field",
        "label": "Split",
        "operand": operand,
        "config": config,
        "rules": [OTHER],
    }
    node, ui_type, got_ui_config, _, _ = run_ruleset(rs)
    assert node["router"] == {
        "type": "switch",
        "result_name": "Split",
        "operand": router_operand,
        **OTHER_ONLY,
    }
    assert (ui_type, got_ui_config) == ("split_by_run_result_delimited", ui_config)


@pytest.mark.parametrize(
    ("kind", "operand", "router_operand", "ui_type", "ui_config"),
    [
        (
            "flow_field",
            "@flow.response_1",
            "@results.response_1",
            "split_by_run_result",
            {"operand": {"id": "response_1"}},
        ),
        (
            "flow_field",
            "@flow.a.category",
            "@results.a.category_localized",
            "split_by_run_result",
            {"operand": {"id": "category"}},
        ),
        ("flow_field", "@step", "@input", "split_by_run_result", {}),
        (
            "contact_field",
            "@contact.telegram",
            '@(default(urn_parts(urns.telegram).path, ""))',
            "split_by_contact_field",
            {"operand": {"type": "scheme", "id": "telegram"}},
        ),
        (
            "contact_field",
            "@contact.reporting_date",
            "@fields.reporting_date",
            "split_by_contact_field",
            {"operand": {"type": "field", "id": "reporting_date"}},
        ),
        ("contact_field", "@contact.groups", '@(join(contact.groups, ","))', "split_by_expression", {}),
        (
            "contact_field",
            "@contact.name",
            "@contact.name",
            "split_by_contact_field",
            {"operand": {"type": "property", "id": "name", "name": "Name"}},
        ),
        (
            "contact_field",
            "@parent.contact.age",
            "@parent.fields.age",
            "split_by_contact_field",
            {"operand": {"type": "field", "id": "age"}},
        ),
        ("contact_field", "@contact", "@contact", "split_by_contact_field", {}),
        # an expression that errors evaluates to its own text, as it did in legacy flows
        (
            "expression",
            "@contact.gender",
            '@(if(is_error(fields.gender), "@contact.gender", fields.gender))',
            "split_by_expression",
            {},
        ),
        ("expression", "@(1 + 2)", '@(if(is_error(1 + 2), "@(1 + 2)", 1 + 2))', "split_by_expression", {}),
        ("expression", "", "@input", "split_by_expression", {}),
        ("flow_field", None, "@input", "split_by_run_result", {}),
    ],
)
def test_field_and_expression_splits(
    kind: str, operand: str | None, router_operand: str, ui_type: str, ui_config: dict[str, Any]
) -> None:
    rs = {"uuid": "rs1", "ruleset_type": kind, "label": "Response 1", "operand": operand, "rules": [OTHER]}
    node, got_ui_type, got_ui_config, _, warnings = run_ruleset(rs)
    assert node["router"] == {
        "type": "switch",
        "result_name": "Response 1",
        "operand": router_operand,
        **OTHER_ONLY,
    }
    assert (got_ui_type, got_ui_config, warnings) == (ui_type, ui_config, [])


def test_group_and_random_splits() -> None:
    rs = {
        "uuid": "rs1",
        "ruleset_type": "group",
        "label": "Group Check",
        "operand": "@step.value",
        "rules": [OTHER],
    }
    node, ui_type, _, _, _ = run_ruleset(rs)
    assert node["router"] == {
        "type": "switch",
        "result_name": "Group Check",
        "operand": "@contact.groups",
        **OTHER_ONLY,
    }
    assert ui_type == "split_by_groups"
    rs = {
        "uuid": "rs1",
        "ruleset_type": "random",
        "label": "Random Split",
        "operand": "@(RAND())",
        "rules": [OTHER],
    }
    node, ui_type, _, _, _ = run_ruleset(rs)
    assert node == {
        "uuid": "rs1",
        "router": {"type": "random", "result_name": "Random Split", "categories": OTHER_ONLY["categories"]},
        "exits": [{"uuid": "r9"}],
    }
    assert ui_type == "split_by_random"
    rs = {"uuid": "rs1", "ruleset_type": "random", "rules": [OTHER]}
    assert run_ruleset(rs)[0]["router"] == {"type": "random", "categories": OTHER_ONLY["categories"]}


AIRTIME_RULES = [
    rule("r1", {"eng": "Success"}, {"type": "airtime_status", "exit_status": "success"}, "n1"),
    rule("r2", {"eng": "Failure"}, {"type": "airtime_status", "exit_status": "failed"}, "n2"),
]


def test_airtime() -> None:
    """goflow: one amount per currency; the failure rule is just the default category."""
    rs = {
        "uuid": "rs1",
        "label": "Transfer",
        "ruleset_type": "airtime",
        "rules": AIRTIME_RULES,
        "config": {
            "EC": {"currency_name": "US Dollar", "amount": 3, "code": "EC", "currency_code": "USD"},
            "BR": {"currency_name": "Brazilian Real", "amount": 2.5, "code": "BR", "currency_code": "BRL"},
            # countries sharing a currency with the same amount are fine
            "SV": {"amount": "3.0", "currency_code": "USD"},
            "notes": "not a country",
            "XX": {"amount": 1},
        },
    }
    assert run_ruleset(rs)[:3] == (
        {
            "uuid": "rs1",
            "actions": [
                {
                    "uuid": "gen-5",
                    "type": "transfer_airtime",
                    "amounts": {"USD": 3, "BRL": 2.5, "": 1},
                    "result_name": "Transfer",
                }
            ],
            "router": {
                "type": "switch",
                "categories": [
                    {"uuid": "gen-1", "name": "Success", "exit_uuid": "r1"},
                    {"uuid": "gen-2", "name": "Failure", "exit_uuid": "r2"},
                ],
                "operand": "@results.transfer",
                "cases": [
                    {
                        "uuid": "gen-3",
                        "type": "has_category",
                        "category_uuid": "gen-1",
                        "arguments": ["Success"],
                    }
                ],
                "default_category_uuid": "gen-2",
            },
            "exits": [{"uuid": "r1", "destination_uuid": "n1"}, {"uuid": "r2", "destination_uuid": "n2"}],
        },
        "split_by_airtime",
        {},
    )


def test_airtime_without_result_name() -> None:
    rs = {
        "uuid": "rs1",
        "ruleset_type": "airtime",
        "rules": AIRTIME_RULES,
        "config": {"EC": {"amount": 3, "currency_code": "USD"}},
    }
    node = run_ruleset(rs)[0]
    assert node["actions"] == [{"uuid": "gen-5", "type": "transfer_airtime", "amounts": {"USD": 3}}]
    # a whole amount is written as an integer, as goflow writes it (3 == 3.0 in Python, not in the JSON)
    assert json.dumps(node["actions"][0]["amounts"]) == '{"USD": 3}'
    assert node["router"]["operand"] == "@results."


@pytest.mark.parametrize(
    ("rs", "message"),
    [
        (
            {
                "ruleset_type": "airtime",
                "config": {
                    "EC": {"amount": 3, "currency_code": "USD"},
                    "SV": {"amount": 4, "currency_code": "USD"},
                },
            },
            "unable to migrate airtime ruleset with different amounts in same currency",
        ),
        (
            {"ruleset_type": "airtime", "config": {"EC": {"amount": "lots", "currency_code": "USD"}}},
            "airtime amount 'lots' is not a number",
        ),
        ({"ruleset_type": "subflow", "config": {}}, "subflow ruleset has no flow in its config"),
        ({"ruleset_type": "webhook", "config": ["x"]}, "rule set rs1 has a config that isn't an object"),
        ({"ruleset_type": "teleport"}, "unrecognized ruleset type: teleport"),
        ({"rules": [{"uuid": "r1", "test": {}}]}, "rule r1 has no test type"),
        ({"rules": [{"uuid": "r1", "test": None}]}, "rule r1 has no test type"),
        ({"rules": [{"uuid": "r1"}]}, "rule r1 has no test type"),
    ],
)
def test_unmigratable_rulesets(rs: dict[str, Any], message: str) -> None:
    with pytest.raises(LegacyError) as e:
        run_ruleset({"uuid": "rs1", **rs})
    assert str(e.value) == message


def test_ruleset_warnings_name_the_rule_set_or_rule() -> None:
    rs = {
        "uuid": "rs1",
        "ruleset_type": "webhook",
        "label": "Hook",
        "config": {"webhook": "http://x/" + BAD, "webhook_headers": [{"name": "A", "value": BAD}]},
        "rules": [
            rule("r1", {"eng": BAD}, {"type": "webhook_status", "status": "success"}),
            rule("r2", {"eng": "Failure"}, {"type": "webhook_status", "status": "failure"}),
        ],
    }
    assert run_ruleset(rs)[4] == [warned("rule r1"), warned("rule set rs1"), warned("rule set rs1")]
    for kind in ("form_field", "expression", "contact_field"):
        rs = {"uuid": "rs1", "ruleset_type": kind, "operand": BAD, "rules": [OTHER]}
        assert run_ruleset(rs)[4] == [warned("rule set rs1")]


# ----------------------------------------------------------------------------------- tests (cases)


def case(kind: str, arguments: list[str] | None = None) -> dict[str, Any]:
    c: dict[str, Any] = {"uuid": "gen-1", "type": kind, "category_uuid": "cat"}
    if arguments is not None:
        c["arguments"] = arguments
    return c


def run_case(test: dict[str, Any]) -> tuple[Any, Any, dict[str, Any], list[str]]:
    m = migration()
    kase, ui = migrate_case({"uuid": "r1", "test": copy.deepcopy(test)}, "cat", m)
    return kase, ui, m.localization, m.warnings


FRA_ARGS = {"fra": {"gen-1": {"arguments": ["oui"]}}}

# (legacy test, case, editor config, localization): goflow's testdata/tests.json where it covers a case
TESTS: list[tuple[dict[str, Any], dict[str, Any], Any, dict[str, Any]]] = [
    (
        {"type": "between", "min": "@contact.age", "max": "34"},
        case("has_number_between", ["@fields.age", "34"]),
        None,
        {},
    ),
    ({"type": "between", "min": 5, "max": 7.5}, case("has_number_between", ["5", "7.5"]), None, {}),
    (
        {
            "type": "contains",
            "test": {"eng": "yes yeah y'up @contact.affirmative", "fra": "oui @contact.affirmative"},
        },
        case("has_all_words", ["yes yeah y'up @fields.affirmative"]),
        None,
        {"fra": {"gen-1": {"arguments": ["oui @fields.affirmative"]}}},
    ),
    (
        {"type": "contains_any", "test": {"eng": "yes yeah", "fra": "oui"}},
        case("has_any_word", ["yes yeah"]),
        None,
        FRA_ARGS,
    ),
    (
        {"type": "contains_any", "test": "oops not a dict"},
        case("has_any_word", ["oops not a dict"]),
        None,
        {},
    ),
    # a test text only in other languages leaves the base argument empty
    ({"type": "contains_any", "test": {"fra": "oui"}}, case("has_any_word", [""]), None, FRA_ARGS),
    (
        {"type": "contains_only_phrase", "test": {"eng": "yes yeah", "fra": "oui"}},
        case("has_only_phrase", ["yes yeah"]),
        None,
        FRA_ARGS,
    ),
    (
        {"type": "contains_phrase", "test": {"eng": "yes yeah", "fra": "oui"}},
        case("has_phrase", ["yes yeah"]),
        None,
        FRA_ARGS,
    ),
    ({"type": "date"}, case("has_date"), None, {}),
    (
        {"type": "date_after", "test": "27-7-2017"},
        case("has_date_gt", ["27-7-2017"]),
        {"arguments": ["0"]},
        {},
    ),
    (
        {"type": "date_after", "test": "@date.yesterday"},
        case("has_date_gt", ['@(datetime_add(now(), -1, "D"))']),
        {"arguments": ["0"]},
        {},
    ),
    (
        {"type": "date_after", "test": "@(date.today + 10)"},
        case("has_date_gt", ['@(datetime_add(today(), 10, "D"))']),
        {"arguments": ["10"]},
        {},
    ),
    (
        {"type": "date_after", "test": "@(date.today + -10)"},
        case("has_date_gt", ['@(datetime_add(today(), -10, "D"))']),
        {"arguments": ["-10"]},
        {},
    ),
    (
        {"type": "date_before", "test": "@(date.today - 3)"},
        case("has_date_lt", ['@(datetime_add(today(), -3, "D"))']),
        {"arguments": ["-3"]},
        {},
    ),
    (
        {"type": "date_before", "test": "27-7-2017"},
        case("has_date_lt", ["27-7-2017"]),
        {"arguments": ["0"]},
        {},
    ),
    (
        {"type": "date_equal", "test": "27-7-2017"},
        case("has_date_eq", ["27-7-2017"]),
        {"arguments": ["0"]},
        {},
    ),
    ({"type": "date_equal"}, case("has_date_eq", [""]), {"arguments": ["0"]}, {}),
    ({"type": "district", "test": "@flow.state"}, case("has_district", ["@results.state"]), None, {}),
    ({"type": "district"}, case("has_district", [""]), None, {}),
    ({"type": "has_email"}, case("has_email"), None, {}),
    ({"type": "eq", "test": "@contact.age"}, case("has_number_eq", ["@fields.age"]), None, {}),
    ({"type": "eq", "test": 5}, case("has_number_eq", ["5"]), None, {}),
    ({"type": "gt", "test": "@contact.age"}, case("has_number_gt", ["@fields.age"]), None, {}),
    ({"type": "gte", "test": "@contact.age"}, case("has_number_gte", ["@fields.age"]), None, {}),
    ({"type": "lt", "test": "@contact.age"}, case("has_number_lt", ["@fields.age"]), None, {}),
    ({"type": "lte", "test": 2.5}, case("has_number_lte", ["2.5"]), None, {}),
    (
        {"type": "in_group", "test": {"uuid": "g1", "name": "Beta"}},
        case("has_group", ["g1", "Beta"]),
        None,
        {},
    ),
    ({"type": "in_group", "test": {}}, case("has_group", ["", ""]), None, {}),
    # a group given by name: a template only when it starts with @
    ({"type": "in_group", "test": "@contact.team"}, case("has_group", ["", "@fields.team"]), None, {}),
    ({"type": "in_group", "test": "Team @flow.x"}, case("has_group", ["", "Team @flow.x"]), None, {}),
    ({"type": "not_empty"}, case("has_text"), None, {}),
    ({"type": "number"}, case("has_number"), None, {}),
    ({"type": "phone"}, case("has_phone"), None, {}),
    # regexes are not templates
    (
        {"type": "regex", "test": {"eng": "[Yy]eah? \\w @flow.x", "fra": "[Oo]ui"}},
        case("has_pattern", ["[Yy]eah? \\w @flow.x"]),
        None,
        {"fra": {"gen-1": {"arguments": ["[Oo]ui"]}}},
    ),
    (
        {"type": "starts", "test": {"eng": "yes @flow.x", "fra": "oui"}},
        case("has_beginning", ["yes @results.x"]),
        None,
        FRA_ARGS,
    ),
    ({"type": "state"}, case("has_state"), None, {}),
    ({"type": "subflow", "exit_type": "completed"}, case("has_only_text", ["completed"]), None, {}),
    ({"type": "subflow", "exit_type": "expired"}, case("has_only_text", ["expired"]), None, {}),
    ({"type": "subflow"}, case("has_only_text", [""]), None, {}),
    (
        {"type": "ward", "state": "@flow.state", "district": "@flow.district"},
        case("has_ward", ["@results.district", "@results.state"]),
        None,
        {},
    ),
    ({"type": "ward"}, case("has_ward", ["", ""]), None, {}),
    ({"type": "webhook_status", "status": "success"}, case("has_only_text", ["Success"]), None, {}),
    ({"type": "webhook_status", "status": "failure"}, case("has_only_text", ["Failure"]), None, {}),
    ({"type": "airtime_status", "exit_status": "success"}, case("has_category", ["Success"]), None, {}),
]


@pytest.mark.parametrize(("test", "kase", "ui", "localization"), TESTS)
def test_tests_become_cases(
    test: dict[str, Any], kase: dict[str, Any], ui: Any, localization: dict[str, Any]
) -> None:
    assert run_case(test) == (kase, ui, localization, [])


def test_airtime_failure_is_no_case() -> None:
    assert run_case({"type": "airtime_status", "exit_status": "failed"}) == (None, None, {}, [])


def test_unparseable_test_argument_is_kept() -> None:
    """goflow: an argument whose expression can't be migrated is kept as written."""
    kase = run_case({"type": "contains_any", "test": {"eng": "@(legacy.expression.with.error.)"}})[0]
    assert kase == case("has_any_word", ["@(legacy.expression.with.error.)"])


def test_base_test_argument_warns_once_and_regexes_never() -> None:
    """The base-language argument is migrated once (one warning); a regex is not a template, so
    an @( in it is no broken expression; its translations are templates (goflow)."""
    assert run_case({"type": "contains", "test": {"eng": BAD, "fra": "x"}})[3] == [warned("rule r1")]
    assert run_case({"type": "starts", "test": BAD})[3] == [warned("rule r1")]
    kase, _, localization, warnings = run_case({"type": "regex", "test": {"eng": "a@(b", "fra": BAD}})
    assert (kase, localization) == (case("has_pattern", ["a@(b"]), {"fra": {"gen-1": {"arguments": [BAD]}}})
    assert warnings == [warned("rule r1")]
    assert run_case({"type": "regex", "test": {"eng": BAD}})[3] == []


@pytest.mark.parametrize(
    "test",
    [
        {"type": "eq", "test": BAD},
        {"type": "between", "min": BAD, "max": "1"},
        {"type": "between", "min": "1", "max": BAD},
        {"type": "date_after", "test": BAD},
        {"type": "district", "test": BAD},
        {"type": "ward", "district": BAD, "state": "x"},
        {"type": "ward", "district": "x", "state": BAD},
    ],
)
def test_case_warnings_name_the_rule(test: dict[str, Any]) -> None:
    assert run_case(test)[3] == [warned("rule r1")]


def test_translated_case_arguments_warn_per_language() -> None:
    assert run_case({"type": "contains", "test": {"eng": "x", "fra": BAD}})[3] == [warned("rule r1")]


@pytest.mark.parametrize(
    ("test", "message"),
    [
        ({"type": "eq", "test": True}, "expected string or number, not true"),
        ({"type": "eq"}, "expected string or number, not null"),
        ({"type": "between", "min": False, "max": 1}, "expected string or number, not false"),
        ({"type": "teleport"}, "migration of 'teleport' tests not supported"),
        ({"type": "true"}, "migration of 'true' tests not supported"),
        ({}, "rule r1 has no test type"),
        ({"type": ""}, "rule r1 has no test type"),
    ],
)
def test_unmigratable_tests(test: dict[str, Any], message: str) -> None:
    with pytest.raises(LegacyError) as e:
        run_case(test)
    assert str(e.value) == message


# ----------------------------------------------------------------------------------- small parts


def test_translations() -> None:
    """Legacy translatable text: a {lang: text} map, a plain string (the base text), or nothing."""
    assert translations(None) == {}
    assert translations("hi") == {"base": "hi"}
    assert translations({"eng": None, 5: "x"}) == {"eng": "", "5": "x"}
    with pytest.raises(LegacyError) as e:
        translations(7)
    assert str(e.value) == "expected a text or translations, not 7"
    with pytest.raises(LegacyError) as e:
        translations(["z" * 100])
    assert str(e.value) == 'expected a text or translations, not ["' + "z" * 78


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"eng": "hi", "base": "b", "fra": "salut"}, "hi"),
        ({"base": "b", "fra": "salut"}, "b"),
        ({"fra": "salut"}, ""),
        ("plain", "plain"),
        (None, ""),
        ({"eng": None}, ""),
        ({"eng": 5}, "5"),
    ],
)
def test_base_text(value: Any, text: str) -> None:
    """The base language's text, else the "base" text, else nothing."""
    assert base_text(value, "eng") == text


@pytest.mark.parametrize(
    ("base", "relative", "joined"),
    [
        ("https://myfiles.com", "bucket/a.jpg", "https://myfiles.com/bucket/a.jpg"),
        ("https://myfiles.com/", "/bucket/a.jpg", "https://myfiles.com/bucket/a.jpg"),
        ("https://myfiles.com/media/", "b/", "https://myfiles.com/media/b/"),
        ("/media/", "/b", "/media/b"),
        # only slashes are trimmed
        ("https://cdn.org/BOX/", "Xray.jpg", "https://cdn.org/BOX/Xray.jpg"),
        ("https://cdn.org/BOX", "/XX/", "https://cdn.org/BOX/XX/"),
        ("", "b", "/b"),
        ("https://myfiles.com", "http://other.org/a.jpg", "http://other.org/a.jpg"),
        ("https://myfiles.com", "https://other.org/a.jpg", "https://other.org/a.jpg"),
        ("https://myfiles.com", "HTTP://other.org/a.jpg", "https://myfiles.com/HTTP://other.org/a.jpg"),
    ],
)
def test_url_join(base: str, relative: str, joined: str) -> None:
    """goflow's URLJoin: absolute URLs stay, others join with one slash."""
    assert url_join(base, relative) == joined


@pytest.mark.parametrize(
    ("data", "legacy"),
    [
        ({"action_sets": []}, True),
        ({"rule_sets": []}, True),
        ({"flow_type": "F"}, True),
        ({"spec_version": "13.0.0", "nodes": []}, False),
        ({}, False),
        ([{"action_sets": []}], False),
        (None, False),
    ],
)
def test_is_legacy_definition(data: Any, legacy: bool) -> None:
    assert is_legacy_definition(data) is legacy


def test_migration_templates() -> None:
    m = migration()
    assert m.tpl(None) == ""
    assert m.tpl(5) == "5"
    assert m.tpl(2.5, where="here") == "2.5"
    assert m.tpl("@contact.gender") == "@fields.gender"
    assert m.tpl("@date.today", Options(raw_dates=True)) == "@(today())"
    assert m.tpl(BAD) == BAD
    assert m.tpl(BAD, where="there") == BAD
    assert m.warnings == [warned(""), warned("there")]


def test_migration_translate() -> None:
    """The base language's text is returned, other languages go to the localization (a "base"
    entry is neither); the base is empty when missing."""
    m = migration()
    assert m.translate("u1", "text", {"base": "b", "fra": "@contact.x", "spa": BAD}, "w") == ""
    assert m.translate("u1", "name", {"eng": "@contact.y"}, "w") == "@fields.y"
    assert m.localization == {"fra": {"u1": {"text": ["@fields.x"]}}, "spa": {"u1": {"text": [BAD]}}}
    assert m.warnings == [warned("w")]


def test_migration_translate_multi() -> None:
    m = migration()
    assert m.translate_multi("u1", "quick_replies", {"fra": ["@contact.x", BAD]}, "w") == []
    assert m.translate_multi("u2", "quick_replies", {"eng": ["a", "@contact.y"], "fra": ["b"]}, "w") == [
        "a",
        "@fields.y",
    ]
    assert m.localization == {
        "fra": {"u1": {"quick_replies": ["@fields.x", BAD]}, "u2": {"quick_replies": ["b"]}},
    }
    assert m.warnings == [warned("w")]


# ----------------------------------------------------------------------------------- definitions


def test_whole_definition() -> None:
    """Nodes: the entry first, then the rest top to bottom; exits only point at nodes of the
    flow; editor positions and stickies carry over (fractional sticky positions truncated)."""
    legacy = {
        "base_language": "eng",
        "flow_type": "V",
        "entry": "n2",
        "metadata": {
            "uuid": "f1",
            "name": "Survey",
            "revision": 7,
            "expires": 60,
            "notes": [
                {"x": 10.7, "y": 20.2, "title": "Note", "body": "Remember"},
                {},
            ],
        },
        "action_sets": [
            {
                "uuid": "n1",
                "x": 5,
                "y": 300,
                "exit_uuid": "e1",
                "destination": "missing",
                "actions": [{"type": "say", "uuid": "a1", "msg": {"eng": "Bye", "fra": "Au revoir"}}],
            },
            {"uuid": "n2", "y": 100, "exit_uuid": "e2", "destination": "n3", "actions": []},
            {"uuid": "n4", "x": 1, "destination": "n1"},
        ],
        "rule_sets": [
            {
                "uuid": "n3",
                "x": 7,
                "y": 200,
                "label": "Age",
                "ruleset_type": "wait_digits",
                "finished_key": "#",
                "rules": [
                    rule("r1", {"eng": "Number"}, {"type": "number"}, "n1"),
                    rule("r2", {"eng": "Other", "fra": "Autre"}, {"type": "true"}),
                ],
            },
            {
                "uuid": "n5",
                "ruleset_type": "form_field",
                "operand": "@flow.age",
                "config": {"field_index": 1, "field_delimiter": " "},
                "rules": [rule("r3", {"eng": "All"}, {"type": "true"})],
            },
        ],
    }
    flow, warnings = migrate_definition(legacy, base_media_url=MEDIA, new_uuid=counter())
    assert warnings == []
    assert flow == {
        "uuid": "f1",
        "name": "Survey",
        "spec_version": "13.0.0",
        "language": "eng",
        "type": "voice",
        "revision": 7,
        "expire_after_minutes": 60,
        "localization": {"fra": {"a1": {"text": ["Au revoir"]}, "gen-3": {"name": ["Autre"]}}},
        "nodes": [
            {"uuid": "n2", "exits": [{"uuid": "e2", "destination_uuid": "n3"}]},
            {"uuid": "n4", "exits": [{"uuid": "gen-1", "destination_uuid": "n1"}]},
            {
                "uuid": "n5",
                "router": {
                    "type": "switch",
                    "categories": [{"uuid": "gen-5", "name": "All", "exit_uuid": "r3"}],
                    "operand": '@(field(results.age, 1, " "))',
                    "cases": [],
                    "default_category_uuid": "gen-5",
                },
                "exits": [{"uuid": "r3"}],
            },
            {
                "uuid": "n3",
                "router": {
                    "type": "switch",
                    "wait": {"type": "msg", "hint": {"type": "digits", "terminated_by": "#"}},
                    "result_name": "Age",
                    "categories": [
                        {"uuid": "gen-2", "name": "Number", "exit_uuid": "r1"},
                        {"uuid": "gen-3", "name": "Other", "exit_uuid": "r2"},
                    ],
                    "operand": "@input.text",
                    "cases": [{"uuid": "gen-4", "type": "has_number", "category_uuid": "gen-2"}],
                    "default_category_uuid": "gen-3",
                },
                "exits": [{"uuid": "r1", "destination_uuid": "n1"}, {"uuid": "r2"}],
            },
            {
                "uuid": "n1",
                "actions": [{"uuid": "a1", "type": "say_msg", "text": "Bye"}],
                "exits": [{"uuid": "e1"}],
            },
        ],
        "_ui": {
            "nodes": {
                "n1": {"type": "execute_actions", "position": {"left": 5, "top": 300}},
                "n2": {"type": "execute_actions", "position": {"left": 0, "top": 100}},
                "n4": {"type": "execute_actions", "position": {"left": 1, "top": 0}},
                "n3": {"type": "wait_for_response", "position": {"left": 7, "top": 200}},
                "n5": {
                    "type": "split_by_run_result_delimited",
                    "position": {"left": 0, "top": 0},
                    "config": {"operand": {"id": "age"}, "delimiter": " ", "index": 1},
                },
            },
            "stickies": {
                "gen-6": {
                    "position": {"left": 10, "top": 20},
                    "title": "Note",
                    "body": "Remember",
                    "color": "yellow",
                },
                "gen-7": {"position": {"left": 0, "top": 0}, "title": "", "body": "", "color": "yellow"},
            },
        },
    }


def test_definition_defaults() -> None:
    """Name and uuid may sit at the top level (some exports); with neither, a new uuid; no
    language, no type (campaign flows) and no metadata are fine."""
    flow, warnings = migrate_definition({"uuid": "f2", "name": "Top", "action_sets": []}, new_uuid=counter())
    assert (flow, warnings) == (
        {
            "uuid": "f2",
            "name": "Top",
            "spec_version": "13.0.0",
            "language": "",
            "type": "messaging",
            "revision": 0,
            "expire_after_minutes": 0,
            "localization": {},
            "nodes": [],
            "_ui": {"nodes": {}, "stickies": {}},
        },
        [],
    )
    flow, _ = migrate_definition({"rule_sets": []}, new_uuid=counter())
    assert (flow["uuid"], flow["name"]) == ("gen-1", "")


@pytest.mark.parametrize(
    ("flow_type", "migrated", "warnings"),
    [
        ("F", "messaging", []),
        ("M", "messaging", []),
        ("V", "voice", []),
        ("S", "messaging_offline", []),
        ("", "messaging", []),
        (None, "messaging", []),
        ("Q", "messaging", ["unknown legacy flow type 'Q', migrated as messaging"]),
    ],
)
def test_flow_types(flow_type: str | None, migrated: str, warnings: list[str]) -> None:
    flow, got = migrate_definition({"flow_type": flow_type, "action_sets": []}, new_uuid=counter())
    assert (flow["type"], got) == (migrated, warnings)


def test_entry_node_sharing_a_uuid_comes_first_once() -> None:
    legacy = {
        "entry": "n1",
        "action_sets": [
            {"uuid": "n1", "y": 50, "exit_uuid": "e1"},
            {"uuid": "n1", "y": 10, "exit_uuid": "e2"},
        ],
    }
    flow, _ = migrate_definition(legacy, new_uuid=counter())
    assert flow["nodes"] == [
        {"uuid": "n1", "exits": [{"uuid": "e1"}]},
        {"uuid": "n1", "exits": [{"uuid": "e2"}]},
    ]


def test_definition_warnings_keep_their_places() -> None:
    legacy = {
        "base_language": "eng",
        "action_sets": [
            {"uuid": "n1", "exit_uuid": "e1", "actions": [{"type": "play", "uuid": "a1", "url": BAD}]}
        ],
        "rule_sets": [{"uuid": "n2", "ruleset_type": "expression", "operand": BAD, "rules": [OTHER]}],
    }
    assert migrate_definition(legacy, new_uuid=counter())[1] == [
        warned("action a1 (play)"),
        warned("rule set n2"),
    ]


@pytest.mark.parametrize(
    ("legacy", "message"),
    [
        ([], "a legacy flow definition must be an object"),
        ({"action_sets": [{"exit_uuid": "e1"}]}, "every action set and rule set needs a uuid"),
        ({"rule_sets": [{"uuid": ""}]}, "every action set and rule set needs a uuid"),
        ({"action_sets": ["n1"]}, "every action set and rule set needs a uuid"),
        (
            {"action_sets": [{"uuid": "n1", "actions": [{"type": "teleport"}]}]},
            "error migrating action[type=teleport]: unable to migrate legacy action type: teleport",
        ),
        (
            {"rule_sets": [{"uuid": "n2", "ruleset_type": "teleport"}]},
            "error migrating rule_set[uuid=n2]: unrecognized ruleset type: teleport",
        ),
        (
            {"rule_sets": [{"uuid": "n2", "rules": [{"uuid": "r1", "test": {}}]}]},
            "error migrating rule_set[uuid=n2]: rule r1 has no test type",
        ),
        (
            {"action_sets": [{"uuid": "n1", "x": "left"}]},
            "the legacy definition is not readable: ValueError(\"invalid literal for int() with base 10: 'left'\")",
        ),
    ],
)
def test_unmigratable_definitions(legacy: Any, message: str) -> None:
    with pytest.raises(LegacyError) as e:
        migrate_definition(legacy, new_uuid=counter())
    assert str(e.value) == message


def test_unreadable_definition_message_is_cut_at_300_characters() -> None:
    with pytest.raises(LegacyError) as e:
        migrate_definition({"metadata": {"notes": [{"x": "l" * 400}]}}, new_uuid=counter())
    message = (
        "the legacy definition is not readable: ValueError(\"could not convert string to float: '" + "l" * 400
    )
    assert str(e.value) == message[:300]


def test_migrate_definition_does_not_need_json_round_trips() -> None:
    """The result is plain JSON (what the export reader stores)."""
    legacy = {"base_language": "eng", "action_sets": [{"uuid": "n1", "exit_uuid": "e1", "actions": []}]}
    flow, _ = migrate_definition(legacy, new_uuid=counter())
    assert json.loads(json.dumps(flow)) == flow


# ----------------------------------------------------------------------------------- templates

# goflow's expression migration table (legacy template -> current template), one per line
GOFLOW_TEMPLATES = r"""
@contact|@contact
@CONTACT|@contact
@contact.uuid|@contact.uuid
@contact.id|@contact.id
@contact.name|@contact.name
@contact.NAME|@contact.name
@contact.first_name|@contact.first_name
@contact.gender|@fields.gender
@contact.groups|@(join(contact.groups, ","))
@contact.language|@contact.language
@contact.created_on|@contact.created_on
@contact.tel|@(format_urn(urns.tel))
@contact.tel.display|@(format_urn(urns.tel))
@contact.tel.scheme|@(urn_parts(urns.tel).scheme)
@contact.tel.path|@(urn_parts(urns.tel).path)
@contact.tel.urn|@urns.tel
@contact.tel_e164|@(default(urn_parts(urns.tel).path, ""))
@contact.twitterid|@(default(urn_parts(urns.twitterid).path, ""))
@contact.mailto|@(default(urn_parts(urns.mailto).path, ""))
@flow|@results
@flow.favorite_color|@results.favorite_color
@flow.favorite_color.category|@results.favorite_color.category_localized
@flow.favorite_color.text|@results.favorite_color.input
@flow.favorite_color.time|@results.favorite_color.created_on
@flow.favorite_color.value|@results.favorite_color.value
@flow.2factor|@(results["2factor"])
@flow.2factor.value|@(results["2factor"].value)
@flow.1|@(results["1"])
@(flow.1337)|@(results["1337"])
@(flow.1337.value)|@(results["1337"].value)
@(flow.1337.category)|@(results["1337"].category_localized)
@flow.contact|@contact
@flow.contact.name|@contact.name
@flow.contact.age|@fields.age
@child|@child.results
@child.age|@child.results.age
@child.age.value|@child.results.age.value
@child.age.category|@child.results.age.category_localized
@child.age.text|@child.results.age.input
@child.age.time|@child.results.age.created_on
@child.contact|@child.contact
@child.contact.name|@child.contact.name
@child.contact.age|@child.fields.age
@parent|@parent.results
@parent.role|@parent.results.role
@parent.role.value|@parent.results.role.value
@parent.role.category|@parent.results.role.category_localized
@parent.role.text|@parent.results.role.input
@parent.role.time|@parent.results.role.created_on
@parent.contact|@parent.contact
@parent.contact.name|@parent.contact.name
@parent.contact.groups|@(join(parent.contact.groups, ","))
@parent.contact.gender|@parent.fields.gender
@parent.contact.tel|@(format_urn(parent.urns.tel))
@parent.contact.tel.display|@(format_urn(parent.urns.tel))
@parent.contact.tel.scheme|@(urn_parts(parent.urns.tel).scheme)
@parent.contact.tel.path|@(urn_parts(parent.urns.tel).path)
@parent.contact.tel.urn|@parent.urns.tel
@parent.contact.tel_e164|@(default(urn_parts(parent.urns.tel).path, ""))
@parent.contact.twitterid|@(default(urn_parts(parent.urns.twitterid).path, ""))
@step|@input
@step.value|@input
@step.text|@input.text
@step.attachments|@(foreach(foreach(input.attachments, attachment_parts), extract, "url"))
@step.attachments.0|@(attachment_parts(input.attachments[0]).url)
@step.attachments.10|@(attachment_parts(input.attachments[10]).url)
@step.time|@input.created_on
@step.contact|@contact
@step.contact.name|@contact.name
@step.contact.age|@fields.age
@date|@(now())
@date.now|@(now())
@date.today|@(format_date(today()))
@date.tomorrow|@(format_date(datetime_add(now(), 1, "D")))
@date.yesterday|@(format_date(datetime_add(now(), -1, "D")))
@channel|@contact.channel.address
@channel.address|@contact.channel.address
@channel.tel|@contact.channel.address
@channel.tel_e164|@contact.channel.address
@channel.name|@contact.channel.name
@extra|@legacy_extra
@extra.address.state|@legacy_extra.address.state
@extra.results.1|@(legacy_extra.results["1"])
@extra.flow.role|@parent.results.role
@(contact.tel)|@(format_urn(urns.tel))
@(contact.gender)|@fields.gender
@(flow.favorite_color)|@results.favorite_color
@(TRUE)|@(true)
@(False)|@(false)
@(TRUE())|@(true)
@(FALSE())|@(false)
@(1 + 2)|@(1 + 2)
@(1 - 2)|@(1 - 2)
@(-2)|@(-2)
@(2 ^ 4)|@(2 ^ 4)
@(2 * 4)|@(2 * 4)
@(2 / 4)|@(2 / 4)
@(1 = 4)|@(1 = 4)
@(1 <> 4)|@(1 != 4)
@(1 < 4)|@(1 < 4)
@(1 <= 4)|@(1 <= 4)
@(1 > 4)|@(1 > 4)
@(1 >= 4)|@(1 >= 4)
@("")|
@(" ")|@(" ")
@(" "" ")|@(" \" ")
@("you" & " are " & contact.gender)|@("you" & " are " & fields.gender)
@(5 + 4)|@(5 + 4)
@(5 - 4)|@(5 - 4)
@(ABS(5) + MOD(7, 2))|@(abs(5) + mod(7, 2))
@(date.now + 5)|@(datetime_add(now(), 5, "D"))
@(now() + 5)|@(datetime_add(now(), 5, "D"))
@(date + 5)|@(datetime_add(now(), 5, "D"))
@(date.now + 5 + contact.age)|@(legacy_add(datetime_add(now(), 5, "D"), fields.age))
@(date.now + TIME(2, 30, 0))|@(datetime_add(now(), format_time(time_from_parts(2, 30, 0), "tt") * 60 + format_time(time_from_parts(2, 30, 0), "m"), "m"))
@(date.now - TIME(2, 30, 0))|@(datetime_add(now(), -(format_time(time_from_parts(2, 30, 0), "tt") * 60 + format_time(time_from_parts(2, 30, 0), "m")), "m"))
@(date.today + 5)|@(format_date(datetime_add(format_date(today()), 5, "D")))
@(date.yesterday - 5)|@(format_date(datetime_add(format_date(datetime_add(now(), -1, "D")), -5, "D")))
@(date.tomorrow - 3 + 10)|@(format_date(datetime_add(format_date(datetime_add(format_date(datetime_add(now(), 1, "D")), -3, "D")), 10, "D")))
@(today() + TIME(15, 30, 0))|@(replace_time(today(), time_from_parts(15, 30, 0)))
@(TODAY()+TIMEVALUE("10:30"))|@(replace_time(today(), time("10:30")))
@(DATEVALUE(date.today) + TIMEVALUE(CONCATENATE(flow.time_input, ":00")))|@(replace_time(date(format_date(today())), time(results.time_input & ":00")))
@(contact.join_date + TIME(2, 30, 0))|@(replace_time(fields.join_date, time_from_parts(2, 30, 0)))
@(contact.age + 5)|@(legacy_add(fields.age, 5))
@(contact.join_date + 5 + contact.age)|@(legacy_add(legacy_add(fields.join_date, 5), fields.age))
@(contact.age + 100 - 5)|@(legacy_add(legacy_add(fields.age, 100), -5))
@((5 + contact.age) / 2)|@((legacy_add(5, fields.age)) / 2)
@((DATEDIF(DATEVALUE("1970-01-01"), date.now, "D") * 24 * 60 * 60) + ((((HOUR(date.now)+7) * 60) + MINUTE(date.now)) * 60))|@(legacy_add((datetime_diff(date("1970-01-01"), now(), "D") * 24 * 60 * 60), ((legacy_add(((legacy_add(format_datetime(now(), "tt"), 7)) * 60), format_datetime(now(), "m"))) * 60)))
bob@nyaruka.com|bob@nyaruka.com
@twitter_handle|@twitter_handle
@|@
@contact.name...?|@contact.name...?
Hi @@@flow.favorite_color @@flow.favorite_color @flow.favorite_color @nyaruka @ @|Hi @@@results.favorite_color @@flow.favorite_color @results.favorite_color @nyaruka @ @
@(ABS(-1))|@(abs(-1))
@(Abs(5))|@(abs(5))
@(AND(contact.age > 30, flow.amount < 5))|@(and(fields.age > 30, results.amount < 5))
@(AND(contact.gender = "F", contact.age >= 18))|@(and(fields.gender = "F", fields.age >= 18))
@(AVERAGE(1, 2, 3, 4, 5))|@(mean(1, 2, 3, 4, 5))
@(CHAR(10))|@(char(10))
@(CLEAN(contact.gender))|@(clean(fields.gender))
@(CODE("A"))|@(code("A"))
@(CONCATENATE(contact.name, " ", contact.language))|@(contact.name & " " & contact.language)
@(DATE(2012, 12, 25))|@(date_from_parts(2012, 12, 25))
@(DATEDIF(contact.join_date, date.now, "M"))|@(datetime_diff(fields.join_date, now(), "M"))
@(DATEVALUE("2012-02-03"))|@(date("2012-02-03"))
@(DAY(contact.join_date))|@(format_date(fields.join_date, "D"))
@(DAYS("2016-02-28", "2015-02-28"))|@(datetime_diff("2015-02-28", "2016-02-28", "D"))
@(DAYS("2016-02-28", "2016-02-29"))|@(datetime_diff("2016-02-29", "2016-02-28", "D"))
@(EDATE("2012-02-03", 1))|@(datetime_add("2012-02-03", 1, "M"))
@(EPOCH(NOW()))|@(epoch(now()))
@(FIELD(flow.favorite_color, 2, ","))|@(field(results.favorite_color, 1, ","))
@(FIELD(flow.favorite_color, child.age, ","))|@(field(results.favorite_color, child.results.age - 1, ","))
@(FIRST_WORD(flow.favorite_color))|@(word(results.favorite_color, 0))
@(FIRST_WORD(WORD_SLICE("bee cat dog elf", 2, 4)))|@(word(word_slice("bee cat dog elf", 1, 3), 0))
@(FIXED(contact.age, 3, false))|@(format_number(fields.age, 3, false))
@(FIXED(contact.age, 3))|@(format_number(fields.age, 3))
@(FIXED(contact.age))|@(format_number(fields.age, 2))
@(HOUR(NOW()))|@(format_datetime(now(), "tt"))
@(IF(contact.gender = "M", "Sir", "Madam"))|@(if(fields.gender = "M", "Sir", "Madam"))
@(INT(contact.age))|@(round_down(fields.age))
@(LEFT(contact.name, 4))|@(text_slice(contact.name, 0, 4))
@(LEN(contact.first_name))|@(text_length(contact.first_name))
@(LOWER(contact.first_name))|@(lower(contact.first_name))
@(MAX(child.age, 10))|@(max(child.results.age, 10))
@(MIN(child.age, 10))|@(min(child.results.age, 10))
@(MINUTE(NOW()))|@(format_datetime(now(), "m"))
@(MOD(103, 4))|@(mod(103, 4))
@(MONTH(NOW()))|@(format_date(now(), "M"))
@(NOW())|@(now())
@(OR(contact.gender = "M", contact.gender = "F", contact.gender = "NB"))|@(or(fields.gender = "M", fields.gender = "F", fields.gender = "NB"))
@(POWER(2, 3))|@(2 ^ 3)
@(PROPER(contact))|@(title(contact))
@(RAND())|@(rand())
@(RANDBETWEEN(1, 10))|@(rand_between(1, 10))
@(REGEX_GROUP(flow.favorite_color, "\w(\w+)", 1))|@(regex_match(results.favorite_color, "\w(\w+)", 1))
@(REGEX_GROUP(flow.favorite_color, "\w\w+"))|@(regex_match(results.favorite_color, "\w\w+"))
@(REMOVE_FIRST_WORD(flow.favorite_color))|@(remove_first_word(results.favorite_color))
@(REPT("*", 10))|@(repeat("*", 10))
@(RIGHT(contact.name, 4))|@(text_slice(contact.name, -4))
@(ROUND(9.4378, 3))|@(round(9.4378, 3))
@(ROUND(9.4378))|@(round(9.4378))
@(ROUNDDOWN(9.4378, 3))|@(round_down(9.4378, 3))
@(ROUNDDOWN(9.4378))|@(round_down(9.4378))
@(ROUNDUP(9.4378, 3))|@(round_up(9.4378, 3))
@(ROUNDUP(9.4378))|@(round_up(9.4378))
@(SECOND(NOW()))|@(format_datetime(now(), "s"))
@(SUM(contact.age, child.age))|@(fields.age + child.results.age)
@(WEEKDAY(TODAY()))|@(weekday(today()) + 1)
@(WORD_COUNT(flow.favorite_color, FALSE))|@(word_count(results.favorite_color, NULL))
@(WORD_COUNT(flow.favorite_color, TRUE))|@(word_count(results.favorite_color, " \t"))
@(WORD_COUNT(flow.favorite_color))|@(word_count(results.favorite_color))
@(WORD_SLICE(flow.favorite_color, 2, 4, FALSE))|@(word_slice(results.favorite_color, 1, 3, NULL))
@(WORD_SLICE(flow.favorite_color, 2, 4, TRUE))|@(word_slice(results.favorite_color, 1, 3, " \t"))
@(WORD_SLICE(flow.favorite_color, 2, 4))|@(word_slice(results.favorite_color, 1, 3))
@(WORD_SLICE(flow.favorite_color, 2))|@(word_slice(results.favorite_color, 1))
@(WORD(flow.favorite_color, 1, FALSE))|@(word(results.favorite_color, 0, NULL))
@(WORD(flow.favorite_color, 1, TRUE))|@(word(results.favorite_color, 0, " \t"))
@(WORD(flow.favorite_color, 1))|@(word(results.favorite_color, 0))
@(WORD(flow.favorite_color, child.age - 22))|@(word(results.favorite_color, legacy_add(child.results.age, -22) - 1))
@(YEAR(date.now))|@(format_date(now(), "YYYY"))
@(YEAR(NOW()))|@(format_date(now(), "YYYY"))
"""  # noqa: E501

GOFLOW_PAIRS = [tuple(line.split("|", 1)) for line in GOFLOW_TEMPLATES.strip("\n").split("\n")]


@pytest.mark.parametrize(("legacy", "migrated"), GOFLOW_PAIRS)
def test_goflow_template_table(legacy: str, migrated: str) -> None:
    """goflow checks each case alone, embedded in text, and twice in the same template."""
    assert migrate_template(legacy) == (migrated, [])
    assert migrate_template(f"Embedded {legacy} text") == (f"Embedded {migrated} text", [])
    assert migrate_template(f"Replace {legacy} two {legacy} times") == (
        f"Replace {migrated} two {migrated} times",
        [],
    )


def test_goflow_default_to_self_cases() -> None:
    """With default_to_self an expression that errors renders as its own legacy source (goflow)."""
    self_opts = Options(default_to_self=True)
    assert migrate_template('@("hello")', self_opts) == (
        '@(if(is_error("hello"), "@(\\"hello\\")", "hello"))',
        [],
    )
    assert migrate_template("@extra.exists", self_opts) == (
        '@(if(is_error(legacy_extra.exists), "@extra.exists", legacy_extra.exists))',
        [],
    )


def test_default_to_self_source_is_a_go_quoted_string() -> None:
    """The legacy source is embedded as a Go string literal: quotes, backslashes, newlines, tabs
    and carriage returns are backslash-escaped."""
    template = '@("a""b\\c\n\t\r")'
    migrated = migrate_template(template, Options(default_to_self=True))
    value = '"a\\"b\\c\n\t\r"'
    assert migrated == (f'@(if(is_error({value}), "@(\\"a\\"\\"b\\\\c\\n\\t\\r\\")", {value}))', [])


def test_url_encode_and_default_to_self_wrap_expressions_and_paths() -> None:
    """Webhook URLs wrap every expression in url_encode(...); error-as-self goes inside it."""
    text = "@(1 + 2) x @contact.name"
    assert migrate_template(text, Options(url_encode=True)) == (
        "@(url_encode(1 + 2)) x @(url_encode(contact.name))",
        [],
    )
    assert migrate_template(text, Options(url_encode=True, default_to_self=True)) == (
        '@(url_encode(if(is_error(1 + 2), "@(1 + 2)", 1 + 2))) x '
        '@(url_encode(if(is_error(contact.name), "@contact.name", contact.name)))',
        [],
    )


def test_raw_dates_leave_dates_unformatted() -> None:
    """Date test arguments compare dates: @date.today etc. stay raw values there."""
    raw = Options(raw_dates=True)
    assert migrate_template("@date.today", raw) == ("@(today())", [])
    assert migrate_template("@(date.today + 5)", raw) == ('@(datetime_add(today(), 5, "D"))', [])
    assert migrate_template("@(date.tomorrow)", raw) == ('@(datetime_add(now(), 1, "D"))', [])


def test_migrate_returns_just_the_text() -> None:
    assert migrate("Hi @contact.gender @(1 +* 2)") == "Hi @fields.gender @(1 +* 2)"
    assert migrate("@contact.name", Options(url_encode=True)) == "@(url_encode(contact.name))"


@pytest.mark.parametrize(
    ("template", "migrated", "problems"),
    [
        # an expression that can't be parsed stays as written, and the rest still migrates
        ("a @(1 +* 2) b @contact.gender", "a @(1 +* 2) b @fields.gender", ["@(1 +* 2): unexpected '*'"]),
        ("@(1 $ 2)", "@(1 $ 2)", ["@(1 $ 2): unexpected character '$'"]),
        ("@(1 2)", "@(1 2)", ["@(1 2): unexpected '2'"]),
        ("@(1 +)", "@(1 +)", ["@(1 +): unexpected 'end of expression'"]),
        ("@(+1)", "@(+1)", ["@(+1): unexpected '+'"]),
        ("@((1, 2))", "@((1, 2))", ["@((1, 2)): expected ')' but found ','"]),
        ("@(ABS(1 2))", "@(ABS(1 2))", ["@(ABS(1 2)): expected ')' but found '2'"]),
        # a string's backslash-escaped quote doesn't end it while scanning for the closing paren
        ('@(LEN("a\\")b"))', '@(LEN("a\\")b"))', ['@(LEN("a\\")b")): unexpected character \'"\'']),
        ('x @(LEN(")")) y', 'x @(text_length(")")) y', []),
        # an unbalanced @( is just text
        ("Hi @(contact.name", "Hi @(contact.name", []),
        # unknown functions keep their (lowercased) name; ones whose params can't be migrated
        # become empty, as goflow does
        ("@(FOO(1, 2))", "@(foo(1, 2))", []),
        ("x @(EDATE(1)) y", "x @() y", []),
        ("@(WORD_COUNT(1, 2, 3))", "@()", []),
        # an @ that starts nothing stays, each character once
        ("a@! b@", "a@! b@", []),
        ("@ @x @.y", "@ @x @.y", []),
        # operators of equal strength are left-associative; tighter ones bind first
        ("@(1 - 2 - 3)", "@(legacy_add(1 - 2, -3))", []),
        ("@(1 + 2 * 3)", "@(legacy_add(1, 2 * 3))", []),
        ("@(2 * 3 + 1)", "@(legacy_add(2 * 3, 1))", []),
        ("@(1 - 2 * 3)", "@(legacy_add(1, -2 * 3))", []),
        ('@("a" & 1 + 2)', '@("a" & 1 + 2)', []),
        ("@(1 = 2 < 3)", "@(1 = 2 < 3)", []),
        ("@(-contact.age)", "@(-fields.age)", []),
    ],
)
def test_templates_edges(template: str, migrated: str, problems: list[str]) -> None:
    assert migrate_template(template) == (migrated, problems)


def test_empty_string_expression_is_dropped_and_the_rest_kept() -> None:
    assert migrate_template('a @("") b @("") c') == ("a  b  c", [])


def _nested(depth: int, opener: str = "(") -> str:
    return opener * depth + "1" + ")" * depth


def test_expression_nesting_limit_is_100() -> None:
    """A hundred nested parens migrate; a hundred and one are refused (and kept as written)."""
    assert migrate_expression(_nested(100)) == _nested(100)
    with pytest.raises(MigrationError, match="^expression nesting too deep$"):
        migrate_expression(_nested(101))
    deep = "@(" + _nested(101) + ")"
    assert migrate_template(deep) == (deep, [f"{deep}: expression nesting too deep"])
    # nesting counts open brackets, not text: a long flat expression is fine
    flat = " * ".join(["1"] * 120)
    assert migrate_expression(flat) == flat


@pytest.mark.parametrize(
    ("expression", "too_deep"),
    [
        # calls nest too; only the opening brackets count towards the depth
        ("ABS(" * 101 + "1" + ")" * 101, True),
        ("MAX(" * 101 + "1" + ")" * 101, True),
        ("ABS(" * 100 + "1" + ")" * 100, False),
        # closed brackets don't count
        ("ABS(1) + " + _nested(100), False),
        ("((1) + " + _nested(100) + ")", True),
        # brackets inside strings count as written (the limit guards the parser's recursion)
        ('LEN("' + "X" * 150 + '")', False),
    ],
)
def test_expression_nesting_counts_open_brackets(expression: str, too_deep: bool) -> None:
    if too_deep:
        with pytest.raises(MigrationError, match="^expression nesting too deep$"):
            migrate_expression(expression)
    else:
        migrate_expression(expression)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("(1", "expected ')' but found 'end of expression'"),
        ("(1,2)", "expected ')' but found ','"),
        ("1 2", "unexpected '2'"),
        ("*2", "unexpected '*'"),
        (")", "unexpected ')'"),
        ("1 +", "unexpected 'end of expression'"),
        ("", "unexpected 'end of expression'"),
        ("1 # 2", "unexpected character '#'"),
    ],
)
def test_expression_errors(expression: str, message: str) -> None:
    with pytest.raises(MigrationError) as e:
        migrate_expression(expression)
    assert str(e.value) == message


@pytest.mark.parametrize(
    ("path", "migrated"),
    [
        ("contact.tel", "format_urn(urns.tel)"),
        ("FLOW.Age.category", "results.age.category_localized"),
        ("date.today", "format_date(today())"),
        ("date.tomorrow", 'format_date(datetime_add(now(), 1, "D"))'),
        ("nothing.known", "nothing.known"),
    ],
)
def test_migrate_path(path: str, migrated: str) -> None:
    """A legacy context path as a current one; date values are formatted unless raw ones are asked."""
    assert migrate_path(path) == migrated
    if "date." in path:
        assert migrate_path(path, raw_dates=True) == migrated.removeprefix("format_date(")[:-1]


def test_scan_tokens() -> None:
    """Bodies, legacy identifiers (known top levels only) and @(...) expressions; @@ stays escaped."""
    assert scan("Hi @contact.name, @(1 + 2) @@flow @x @") == [
        ("body", "Hi "),
        ("identifier", "contact.name"),
        ("body", ", "),
        ("expression", "1 + 2"),
        ("body", " @@flow @x @"),
    ]
    assert scan("@FLOW.Age.category.") == [("identifier", "FLOW.Age.category"), ("body", ".")]


# ----------------------------------------------------------------------------------- v7 templates

# RapidPro's tests of the version 8 template migration
RAPIDPRO_V7 = [
    (
        "Hi @contact.name|upper_case|capitalize from @flow.chw|lower_case",
        "Hi @(PROPER(UPPER(contact.name))) from @(LOWER(flow.chw))",
    ),
    ('Hi @date.now|time_delta:"1"', "Hi @(date.now + 1)"),
    ('Hi @date.now|time_delta:"-3"', "Hi @(date.now - 3)"),
    ("Hi =contact.name", "Hi @contact.name"),
    ("Hi =(contact.name)", "Hi @(contact.name)"),
    ("Hi =NOW() =(TODAY())", "Hi @(NOW()) @(TODAY())"),
    ('Hi =LEN("@=")', 'Hi @(LEN("@="))'),
    (
        '=AND("Malkapur"= "@flow.stuff.category", 13 = @extra.Depar_city|upper_case)',
        '@(AND("Malkapur"= flow.stuff.category, 13 = UPPER(extra.Depar_city)))',
    ),
    ("Hi @contact.name from @flow.chw", "Hi @contact.name from @flow.chw"),
    ("Reply 1=Yes, 2=No", "Reply 1=Yes, 2=No"),
]


@pytest.mark.parametrize(("legacy", "migrated"), RAPIDPRO_V7)
def test_rapidpro_v7_templates(legacy: str, migrated: str) -> None:
    assert migrate_v7_template(legacy) == migrated


@pytest.mark.parametrize(
    ("legacy", "migrated"),
    [
        # nested calls and strings holding brackets stay one expression
        ("=ABS(ABS(1)) x", "@(ABS(ABS(1))) x"),
        ("=((1)) x", "@((1)) x"),
        ('=LEN("(") x', '@(LEN("(")) x'),
        ('=LEN(")") x', '@(LEN(")")) x'),
        ('=CONCATENATE("a", "b")', '@(CONCATENATE("a", "b"))'),
        ("=ABS(ABS(1), 2) x", "@(ABS(ABS(1), 2)) x"),
        ("=(ABS(1) + (2)) x", "@(ABS(1) + (2)) x"),
        # an = not followed by a word or a bracket is text
        ("1 = 2", "1 = 2"),
        ("a =", "a ="),
        # function names may hold underscores
        ('=WORD_COUNT("a b")', '@(WORD_COUNT("a b"))'),
        # an identifier that isn't a legacy top level is not an expression
        ("=contacts", "=contacts"),
        ("Hi =flowx", "Hi =flowx"),
        ("=a", "=a"),
        # a dotted path continues only while a word follows the dot
        ("=contact.name. Bye", "@contact.name. Bye"),
        ("=contact.name.", "@contact.name."),
        ("=foo.bar(1)", "@(foo.bar(1))"),
        ("=x.y(1)", "@(x.y(1))"),
        ("=foo.(1)", "=foo.(1)"),
        # an unterminated expression is left as written
        ("=ABS(1", "=ABS(1"),
        ('=LEN(")', '=LEN(")'),
    ],
)
def test_v7_equals_style_edges(legacy: str, migrated: str) -> None:
    assert migrate_v7_template(legacy) == migrated


@pytest.mark.parametrize(
    ("legacy", "migrated"),
    [
        # only a filtered expression gets parentheses
        ("@contact.name and @flow.x|upper_case", "@contact.name and @(UPPER(flow.x))"),
        ("@step.value|first_word|read_digits", "@(READ_DIGITS(FIRST_WORD(step.value)))"),
        ("@contact|title_case @flow.a|remove_first_word", "@(PROPER(contact)) @(REMOVE_FIRST_WORD(flow.a))"),
        # an unknown filter is dropped
        ("@contact.name|shout", "@(contact.name)"),
        # time_delta params may be single-quoted or bare
        ("@date.now|time_delta:'2'", "@(date.now + 2)"),
        ("@date.now|time_delta:'-12'", "@(date.now - 12)"),
    ],
)
def test_v7_filter_style(legacy: str, migrated: str) -> None:
    assert migrate_v7_template(legacy) == migrated


@pytest.mark.parametrize(
    ("expression", "converted"),
    [
        ("contact.name", "contact.name"),
        ("contact.name|upper_case", "UPPER(contact.name)"),
        ('date.now|time_delta:"-3"', "date.now - 3"),
        ('date.now|time_delta:"30"', "date.now + 30"),
        ("date.now|time_delta:'30'", "date.now + 30"),
        ("date.now|time_delta:7", "date.now + 7"),
        ("date.now|TIME_DELTA:7", "date.now + 7"),
    ],
)
def test_convert_filters(expression: str, converted: str) -> None:
    assert convert_filters(expression) == converted


def test_v7_pipes_without_at_are_text() -> None:
    assert migrate_v7_template("a|b contact.name|upper_case") == "a|b contact.name|upper_case"
