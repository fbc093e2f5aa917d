"""Flow tests on the pure engine: matching, readable diffs, the injected clock, webhook mocks."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from flows.engine import Assets
from flows.engine.flowtests import FlowTestInvalid, matches, record_test, run_test, validate_test
from tests.flows.engine.helpers import CHANNEL, FIELDS, GROUPS, question_flow

FLOW_UUID = "f1000000-0000-4000-8000-000000000001"


def assets(flow: dict[str, Any] | None = None) -> Assets:
    return Assets.from_json(
        {"flows": [flow or question_flow()], "channels": [CHANNEL], "fields": FIELDS, "groups": GROUPS}
    )


def test_matchers() -> None:
    assert matches("Hello", "Hello") and not matches("Hello", "Hello!")
    assert matches("~like TEA", "Do you like tea, Amina?")
    assert matches(r"/^Do you \w+ tea/", "Do you like tea, Amina?")
    assert not matches(r"/^tea/", "Do you like tea")
    assert matches("=~odd", "~odd") and not matches("=~odd", "odd")


def test_a_passing_test_and_its_first_difference() -> None:
    test: dict[str, Any] = {
        "name": "likes tea",
        "contact": {"name": "Amina Uwase", "language": "eng"},
        "steps": [
            {"expect": ["Do you like tea, Amina?"]},
            {"send": "yes please"},
            {"expect": ["~thanks"]},
            {"expect": ["/You said Yes\\.$/"]},  # the same replies, checked again
            {"expect_results": {"Likes Tea": {"value": "yes", "category": "Yes"}}},
            {"expect_status": "completed"},
        ],
    }
    result = run_test(test, assets=assets(), flow_uuid=FLOW_UUID)
    assert result.ok, result.diff
    assert {"in": "yes please"} in result.transcript

    broken = copy.deepcopy(test)
    broken["steps"][2] = {"expect": ["Thanks! You said No."]}
    result = run_test(broken, assets=assets(), flow_uuid=FLOW_UUID)
    assert not result.ok and result.step == 3
    assert (
        result.diff
        == 'step 3 (expect): reply 1: expected "Thanks! You said No.", got "Thanks! You said Yes."'
    )


def test_translation_uses_the_contact_language() -> None:
    test = {
        "name": "french",
        "contact": {"name": "Aline Mukamana", "language": "fra"},
        "steps": [{"expect": ["Aimez-vous le thé, Aline?"]}],
    }
    environment = {"allowed_languages": ["eng", "fra"], "default_language": "eng"}
    assert run_test(test, assets=assets(), flow_uuid=FLOW_UUID, environment=environment).ok


def test_timeout_fires_on_the_injected_clock() -> None:
    test = {
        "name": "silence",
        "steps": [
            {"expect": ["~tea"]},
            {"wait_minutes": 4},  # the wait's timeout is 5 minutes: nothing yet
            {"expect": []},
            {"expect_status": "waiting"},
            {"wait_minutes": 1},
            {"expect": ["We missed you."]},
            {"expect_status": "completed"},
        ],
    }
    result = run_test(test, assets=assets(), flow_uuid=FLOW_UUID)
    assert result.ok, result.diff
    assert {"fired": "wait_timeout"} in result.transcript


def test_expiration_fires_when_there_is_no_timeout() -> None:
    flow = question_flow(timeout=None)
    flow["expire_after_minutes"] = 30
    test = {"name": "expires", "steps": [{"wait_minutes": 31}, {"expect_status": "expired"}]}
    result = run_test(test, assets=assets(flow), flow_uuid=FLOW_UUID)
    assert result.ok, result.diff


def webhook_flow() -> dict[str, Any]:
    return {
        "uuid": FLOW_UUID,
        "name": "Hook",
        "spec_version": "14.4.1",
        "language": "eng",
        "type": "messaging",
        "nodes": [
            {
                "uuid": "n-call",
                "actions": [
                    {
                        "uuid": "a-call",
                        "type": "call_webhook",
                        "method": "GET",
                        "url": "https://example.org/balance?u=@urns.tel",
                        "headers": {},
                        "body": "",
                    }
                ],
                "router": {
                    "type": "switch",
                    "operand": "@results.balance.category",
                    "result_name": "",
                    "cases": [
                        {
                            "uuid": "c1",
                            "type": "has_only_text",
                            "arguments": ["Success"],
                            "category_uuid": "k1",
                        }
                    ],
                    "categories": [
                        {"uuid": "k1", "name": "Success", "exit_uuid": "x1"},
                        {"uuid": "k2", "name": "Failure", "exit_uuid": "x2"},
                    ],
                    "default_category_uuid": "k2",
                },
                "exits": [
                    {"uuid": "x1", "destination_uuid": "n-ok"},
                    {"uuid": "x2", "destination_uuid": "n-bad"},
                ],
            },
            {
                "uuid": "n-ok",
                "actions": [{"uuid": "a-ok", "type": "send_msg", "text": "Balance: @webhook.json.balance"}],
                "exits": [{"uuid": "x3"}],
            },
            {
                "uuid": "n-bad",
                "actions": [{"uuid": "a-bad", "type": "send_msg", "text": "Try later"}],
                "exits": [{"uuid": "x4"}],
            },
        ],
    }


def test_webhook_answers_are_mocked() -> None:
    flow = webhook_flow()
    flow["nodes"][0]["actions"][0]["result_name"] = "Balance"
    flow["nodes"][0]["router"]["operand"] = "@results.balance.category"
    ok = {
        "name": "balance",
        "steps": [
            {"webhook": {"url": "~/balance", "status": 200, "body": {"balance": 42}}},
            {"send": "bal"},
            {"expect": ["Balance: 42"]},
        ],
    }
    result = run_test(ok, assets=assets(flow), flow_uuid=FLOW_UUID)
    assert result.ok, result.diff
    unmocked = {"name": "down", "steps": [{"send": "bal"}, {"expect": ["Try later"]}]}
    assert run_test(unmocked, assets=assets(flow), flow_uuid=FLOW_UUID).ok


def test_contact_fields_and_groups_are_visible_to_the_flow() -> None:
    flow = question_flow()
    flow["nodes"][0]["actions"][0]["text"] = (
        '@fields.age @(join(foreach(contact.groups, extract, "name"), ","))'
    )
    test = {
        "name": "ctx",
        "contact": {"fields": {"age": "44"}, "groups": ["Farmers"]},
        "steps": [{"expect": ["44 Farmers"]}],
    }
    result = run_test(test, assets=assets(flow), flow_uuid=FLOW_UUID)
    assert result.ok, result.diff


def test_record_then_replay_then_break() -> None:
    recorded = record_test(
        name="recorded",
        contact={"name": "Amina Uwase", "language": "eng"},
        inputs=[None, "maybe", "yes"],
        assets=assets(),
        flow_uuid=FLOW_UUID,
    )
    assert recorded["steps"][0] == {"expect": ["Do you like tea, Amina?"]}
    assert {"send": "maybe"} in recorded["steps"]
    assert recorded["steps"][-1] == {"expect_status": "completed"}
    assert run_test(recorded, assets=assets(), flow_uuid=FLOW_UUID).ok

    edited = question_flow()
    edited["nodes"][1]["actions"][0]["text"] = "Merci!"
    result = run_test(recorded, assets=assets(edited), flow_uuid=FLOW_UUID)
    assert not result.ok
    assert result.diff.startswith('step 5 (expect): reply 1: expected "Thanks! You said Yes.", got "Merci!"')


def test_record_a_timeout() -> None:
    recorded = record_test(
        name="t", contact=None, inputs=[None, {"type": "timeout"}], assets=assets(), flow_uuid=FLOW_UUID
    )
    assert {"wait_minutes": 5} in recorded["steps"]
    assert {"expect": ["We missed you."]} in recorded["steps"]
    assert run_test(recorded, assets=assets(), flow_uuid=FLOW_UUID).ok


def test_send_when_nothing_waits_is_a_difference() -> None:
    test = {"name": "late", "steps": [{"send": "yes"}, {"send": "yes"}, {"send": "again"}]}
    result = run_test(test, assets=assets(), flow_uuid=FLOW_UUID)
    assert result.step == 3 and "not waiting" in result.diff


@pytest.mark.parametrize(
    "bad,needle",
    [
        ({"name": "", "steps": [{"send": "x"}]}, "name"),
        ({"name": "a", "steps": []}, "steps"),
        ({"name": "a", "steps": [{"dance": 1}]}, "step 1"),
        ({"name": "a", "steps": [{"expect": ["/(/"]}]}, "bad regex"),
        ({"name": "a", "steps": [{"wait_minutes": -1}]}, "wait_minutes"),
        ({"name": "a", "steps": [{"expect_status": "happy"}]}, "expect_status"),
    ],
)
def test_invalid_tests_are_explained(bad: dict[str, Any], needle: str) -> None:
    with pytest.raises(FlowTestInvalid, match=needle):
        validate_test(bad)
