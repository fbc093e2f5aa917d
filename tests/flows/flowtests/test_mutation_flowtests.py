"""Flow tests end to end, compared whole: the exact validation errors, the exact verdicts and diffs
of passing and failing tests, what the flow sees of the test contact, trigger, clock and webhook
mocks, recorded tests and the inputs read back from a simulator transcript. No database."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from typing import Any

import pytest

from flows.engine import Assets
from flows.engine.flowtests import (
    FlowTestInvalid,
    from_transcript,
    matches,
    record_test,
    run_test,
    run_tests,
    validate_test,
    validate_tests,
)
from tests.flows.engine.builders import flow_def, node, send
from tests.flows.engine.helpers import CHANNEL, FIELDS, GROUPS, QUESTION_UUID, question_flow

FLOW = QUESTION_UUID
Json = dict[str, Any]
BORN = {"uuid": "f0000000-0000-4000-8000-000000000003", "key": "born", "name": "Born", "type": "datetime"}


def assets(*flows: Json) -> Assets:
    return Assets.from_json(
        {
            "flows": list(flows) or [question_flow()],
            "channels": [CHANNEL],
            "fields": [*FIELDS, BORN],
            "groups": GROUPS,
        }
    )


def wait_router(result_name: str, timeout: int | None = None) -> Json:
    """Waits for a message and saves it as `result_name`, one category (or No Response)."""
    router: Json = {
        "type": "switch",
        "operand": "@input.text",
        "result_name": result_name,
        "wait": {"type": "msg"},
        "cases": [],
        "categories": [{"uuid": "k1", "name": "All", "exit_uuid": "x1"}],
        "default_category_uuid": "k1",
    }
    if timeout:
        router["wait"]["timeout"] = {"seconds": timeout, "category_uuid": "k2"}
        router["categories"].append({"uuid": "k2", "name": "No Response", "exit_uuid": "x9"})
    return router


def probe_flow() -> Json:
    """Says what it was started by and with, then what the answer to its wait was."""
    return flow_def(
        FLOW,
        "Probe",
        [
            node(
                "n1",
                [
                    send(
                        "a1",
                        "@trigger.type|@input.text|@input.uuid|@input.created_on|@input.urn|@run.created_on|@(rand())",
                    )
                ],
                [{"uuid": "x1", "destination_uuid": "n2"}],
                wait_router("Answer"),
            ),
            node(
                "n2",
                [send("a2", "@input.text|@input.uuid|@input.created_on|@results.answer.created_on")],
                [{"uuid": "x2"}],
            ),
        ],
    )


def echo_flow() -> Json:
    """Repeats every message it gets, forever."""
    return flow_def(
        FLOW,
        "Echo",
        [
            node("n1", [], [{"uuid": "x1", "destination_uuid": "n2"}], wait_router("Said")),
            node("n2", [send("a1", "@input.text")], [{"uuid": "x2", "destination_uuid": "n1"}]),
        ],
    )


def webhook_flow() -> Json:
    """Calls two webhooks, saying what each answered."""
    said = "@webhook.status|@webhook.headers|@webhook.json|@results.{0}.value|@results.{0}.category"
    return flow_def(
        FLOW,
        "Hooks",
        [
            node(
                "n1",
                [
                    {
                        "uuid": "w1",
                        "type": "call_webhook",
                        "method": "GET",
                        "url": "https://example.org/a?x=1",
                        "headers": {},
                        "body": "",
                        "result_name": "First",
                    },
                    send("s1", said.format("first")),
                ],
                [{"uuid": "x1", "destination_uuid": "n2"}],
            ),
            node(
                "n2",
                [
                    {
                        "uuid": "w2",
                        "type": "call_webhook",
                        "method": "GET",
                        "url": "https://example.org/b",
                        "headers": {},
                        "body": "",
                        "result_name": "Second",
                    },
                    send("s2", said.format("second")),
                ],
                [{"uuid": "x2"}],
            ),
        ],
    )


def two_results_flow() -> Json:
    """Saves "Zeta" on the way in, then "Alpha" from the answer: two results, saved out of order."""
    return flow_def(
        FLOW,
        "Two",
        [
            node(
                "n1",
                [{"uuid": "r1", "type": "set_run_result", "name": "Zeta", "value": "z", "category": "Zc"}],
                [{"uuid": "x1", "destination_uuid": "n2"}],
                wait_router("Alpha"),
            ),
            node("n2", [send("a1", "Got @results.alpha")], [{"uuid": "x2"}]),
        ],
    )


# ------------------------------------------------------------------------------------ validation

VALID_STEPS: list[Json] = [
    {"webhook": [{"status": 100, "url": "~/a"}, {"status": 599, "body": {"x": 1}}, {}]},
    {"send": "join"},
    {"expect": ["Hi", "~hi", "/h./", "//", "=/x/"]},
    {"expect_results": {"a": None, "b": "x", "c": {"value": "/v+/"}, "d": {"category": "C"}}},
    {"expect_status": "waiting"},
    {"wait_minutes": 60 * 24 * 365},
    {"wait_minutes": 0.5},
    {"webhook": {"status": 404}},
]


def test_a_valid_test_is_returned_clean() -> None:
    contact = {
        "name": "A",
        "language": "eng",
        "urn": "tel:+1",
        "fields": {"age": "3"},
        "groups": ["G", {"uuid": "u"}],
    }
    data = {"name": "  padded  ", "contact": contact, "steps": VALID_STEPS, "extra": 1}
    assert validate_test(data) == {"name": "padded", "contact": contact, "steps": VALID_STEPS}
    assert validate_test({"name": "x" * 128, "contact": None, "steps": [{"send": "a"}] * 500}) == {
        "name": "x" * 128,
        "contact": {},
        "steps": [{"send": "a"}] * 500,
    }


KINDS = "send, expect, expect_results, expect_status, wait_minutes, webhook"


def steps(*s: Any) -> Json:
    return {"name": "t", "steps": list(s)}


@pytest.mark.parametrize(
    "data,message",
    [
        ([], "a test must be an object"),
        ({"steps": [{"send": "a"}]}, "name: a test needs a name"),
        ({"name": "  ", "steps": [{"send": "a"}]}, "name: a test needs a name"),
        ({"name": "x" * 129, "steps": [{"send": "a"}]}, "name: at most 128 characters"),
        ({"name": "t", "contact": [1], "steps": [{"send": "a"}]}, "contact: must be an object"),
        ({"name": "t", "contact": {"name": 1}, "steps": [{"send": "a"}]}, "contact.name: must be a text"),
        (
            {"name": "t", "contact": {"language": 1}, "steps": [{"send": "a"}]},
            "contact.language: must be a text",
        ),
        ({"name": "t", "contact": {"urn": 1}, "steps": [{"send": "a"}]}, "contact.urn: must be a text"),
        (
            {"name": "t", "contact": {"fields": [1]}, "steps": [{"send": "a"}]},
            "contact.fields: must be an object of field key to value",
        ),
        (
            {"name": "t", "contact": {"groups": "G"}, "steps": [{"send": "a"}]},
            "contact.groups: must be a list of group names",
        ),
        (
            {"name": "t", "contact": {"groups": [1]}, "steps": [{"send": "a"}]},
            "contact.groups: must be a list of group names",
        ),
        ({"name": "t"}, "steps: a test needs a list of steps"),
        ({"name": "t", "steps": {"send": "a"}}, "steps: a test needs a list of steps"),
        ({"name": "t", "steps": [{"send": "a"}] * 501}, "steps: at most 500"),
        (steps({"send": "a"}, "send"), f"step 2: must be an object with one key, one of {KINDS}"),
        (steps({"send": "a", "expect": []}), f"step 1: must be an object with one key, one of {KINDS}"),
        (steps({"dance": 1}), f"step 1: must be an object with one key, one of {KINDS}"),
        (steps({"send": 1}), "step 1: send takes the text of the inbound message"),
        (steps({"expect": "Hi"}), "step 1: expect takes the list of replies expected"),
        (steps({"expect": ["a", 2]}), "step 1 reply 2: expected a text"),
        (
            steps({"expect": ["a(/", "/(/"]}),
            "step 1 reply 2: bad regex '/(/': missing ), unterminated subpattern at position 0",
        ),
        (steps({"expect": ["x(y"]}), None),
        (steps({"expect_results": ["a"]}), "step 1: expect_results takes an object of result name to value"),
        (steps({"expect_results": {"a": None, "b": 3}}), "step 1 result b: expected a text"),
        (
            steps({"expect_results": {"a": {"value": "ok", "category": 3}}}),
            "step 1 result a.category: expected a text",
        ),
        (steps({"expect_results": {"a": {"value": 3}}}), "step 1 result a.value: expected a text"),
        (
            steps({"expect_status": "happy"}),
            "step 1: expect_status is one of waiting, completed, expired, interrupted, failed",
        ),
        (steps({"wait_minutes": 0}), "step 1: wait_minutes takes a number of minutes (up to a year)"),
        (steps({"wait_minutes": True}), "step 1: wait_minutes takes a number of minutes (up to a year)"),
        (steps({"wait_minutes": "5"}), "step 1: wait_minutes takes a number of minutes (up to a year)"),
        (steps({"wait_minutes": 525601}), "step 1: wait_minutes takes a number of minutes (up to a year)"),
        (steps({"webhook": [{}, "x"]}), "step 1: webhook takes {status, body, url?}"),
        (steps({"webhook": {"status": True}}), "step 1: webhook status must be an HTTP status code"),
        (steps({"webhook": {"status": "200"}}), "step 1: webhook status must be an HTTP status code"),
        (steps({"webhook": [{}, {"status": 99}]}), "step 1: webhook status must be an HTTP status code"),
        (steps({"webhook": {"status": 600}}), "step 1: webhook status must be an HTTP status code"),
    ],
)
def test_an_invalid_test_names_its_first_problem(data: Any, message: str | None) -> None:
    if message is None:  # not a regex (it has no closing slash): taken as a plain text
        assert validate_test(data)["steps"] == data["steps"]
        return
    with pytest.raises(FlowTestInvalid) as info:
        validate_test(data)
    assert str(info.value) == message


def test_validate_tests() -> None:
    one, two = {"name": "one", "steps": [{"send": "a"}]}, {"name": " two", "steps": [{"send": "b"}]}
    assert validate_tests([one, two]) == [
        {"name": "one", "contact": {}, "steps": [{"send": "a"}]},
        {"name": "two", "contact": {}, "steps": [{"send": "b"}]},
    ]
    assert validate_tests([]) == []
    assert len(validate_tests([dict(one, name=f"t{i}") for i in range(200)])) == 200
    for data, message in [
        ({"name": "one"}, "tests must be a list"),
        ([dict(one, name=f"t{i}") for i in range(201)], "at most 200 tests per flow"),
        ([one, {"name": ""}], "test 2: name: a test needs a name"),
        ([None], "test 1: a test must be an object"),
        ([one, two, dict(two, name="two ")], "test 3: another test is already named 'two'"),
    ]:
        with pytest.raises(FlowTestInvalid) as info:
            validate_tests(data)
        assert str(info.value) == message


def test_matchers_at_their_edges() -> None:
    assert matches("//", "anything") and matches("/", "/") and not matches("/", "x")
    assert matches("/abc/", "xabcx") and not matches("/abc/", "abd")
    assert not matches("/x", "x") and matches("/x", "/x")
    assert matches("~XAB", "yxaby") and not matches("~xab", "ab")
    assert matches("=", "") and matches("=/a/", "/a/") and not matches("=/a/", "a")


# --------------------------------------------------------------------------------------- running


def test_what_the_flow_sees_of_a_keyword_start_and_an_answer() -> None:
    test = {"name": "probe", "steps": [{"send": "Join Now"}, {"send": "ok"}, {"expect_status": "completed"}]}
    result = run_test(test, assets=assets(probe_flow()), flow_uuid=FLOW)
    assert result.to_json() == {
        "test": "probe",
        "ok": True,
        "diff": "",
        "step": None,
        "transcript": [
            {"in": "Join Now"},
            {
                "out": "msg|Join Now|00000000-0000-4000-8000-000000000001|2024-01-01T09:00:00.000000Z"
                "|tel:+12065550100|2024-01-01T09:00:00.003000Z|0.9056396761745207"
            },
            {"in": "ok"},
            {
                "out": "ok|00000000-0000-4000-8000-000000000008|2024-01-01T09:00:00.011000Z"
                "|2024-01-01T09:00:00.012000Z"
            },
        ],
    }


def test_a_start_without_a_message_is_manual_and_its_errors_are_in_the_transcript() -> None:
    test = {
        "name": "manual",
        "contact": {"urn": "tel:+250788000001"},
        "steps": [{"expect_status": "waiting"}],
    }
    result = run_test(test, assets=assets(probe_flow()), flow_uuid=FLOW)
    lookup = {"error": "Error evaluating expression: null doesn't support lookups"}
    assert result.to_json() == {
        "test": "manual",
        "ok": True,
        "diff": "",
        "step": None,
        "transcript": [
            lookup,
            lookup,
            lookup,
            lookup,
            {"out": "manual|||||2024-01-01T09:00:00.002000Z|0.9056396761745207"},
        ],
    }
    # the engine's options reach it: a sprint allowed no step does nothing
    assert run_test(
        test, assets=assets(probe_flow()), flow_uuid=FLOW, engine_options={"max_steps": 0}
    ).to_json() == {
        "test": "manual",
        "ok": False,
        "diff": 'step 1 (expect_status): expected the flow to be waiting, got "failed"',
        "step": 1,
        "transcript": [],
    }


def test_what_the_flow_sees_of_the_test_contact() -> None:
    flow = flow_def(
        FLOW,
        "Ctx",
        [
            node(
                "n1",
                [
                    send(
                        "a1",
                        "@contact.uuid|@contact.name|@contact.language|@contact.created_on|@contact.urns|@contact.groups|@(json(contact.fields))",
                    )
                ],
                [{"uuid": "x1"}],
            )
        ],
    )
    contact = {
        "name": "Ana B",
        "language": "fra",
        "urn": "tel:+250788000001",
        "fields": {"age": None, "city": "", "born": "2024-01-05", "nick": "Ami"},
        "groups": [{"uuid": "u1", "name": "Dict"}, {}, "farmers", "Unknown"],
    }
    test = {
        "name": "c",
        "contact": contact,
        "steps": [
            {
                "expect": [
                    "a0000000-0000-4000-8000-000000000001|Ana B|fra|2024-01-01T00:00:00.000000Z|[tel:+250788000001]"
                    "|[{name: Dict, uuid: u1}, {name: , uuid: }, {name: Farmers, uuid: 60000000-0000-4000-8000-000000000001},"
                    ' {name: Unknown, uuid: 00000000-0000-4000-8000-000000000003}]|{"age":null,"born":"2024-01-05T00:00:00.000000Z","city":null}'
                ]
            }
        ],
    }
    result = run_test(test, assets=assets(flow), flow_uuid=FLOW)
    assert (result.ok, result.diff) == (True, "")
    default = {
        "name": "d",
        "steps": [
            {
                "expect": [
                    "a0000000-0000-4000-8000-000000000001|Test Contact||2024-01-01T00:00:00.000000Z|[tel:+12065550100]|[]"
                    '|{"age":null,"born":null,"city":null}'
                ]
            }
        ],
    }
    result = run_test(default, assets=assets(flow), flow_uuid=FLOW)
    assert (result.ok, result.diff) == (True, "")


def test_webhook_mocks_answer_in_order_by_url() -> None:
    test = {
        "name": "hooks",
        "steps": [
            # the first mock is for /b only: /a takes the second, the one for any url
            {"webhook": [{"url": "~/b", "status": 201, "body": "plain"}, {"body": {"n": 1}}]},
            {
                "expect": [
                    "200|{Content-Type: application/json}|{n: 1}|200|Success",
                    "201|{Content-Type: text/plain}||201|Success",
                ]
            },
        ],
    }
    result = run_test(test, assets=assets(webhook_flow()), flow_uuid=FLOW)
    assert (result.ok, result.diff) == (True, "")
    # a mock without a body answers an empty text; an unmocked call fails like a server that is down
    test = {
        "name": "down",
        "steps": [
            {"webhook": {"url": "/example.org/a/", "status": 404}},
            {"expect": ["404|{Content-Type: text/plain}||404|Failure", "0|||0|Failure"]},
        ],
    }
    result = run_test(test, assets=assets(webhook_flow()), flow_uuid=FLOW)
    assert (result.ok, result.diff) == (True, "")
    test = {
        "name": "null",
        "steps": [
            {"webhook": [{"body": None}, {"status": 500}]},
            {
                "expect": [
                    "200|{Content-Type: application/json}||200|Success",
                    "500|{Content-Type: text/plain}||500|Failure",
                ]
            },
        ],
    }
    result = run_test(test, assets=assets(webhook_flow()), flow_uuid=FLOW)
    assert (result.ok, result.diff) == (True, "")


def test_replies_that_differ_fail_with_the_reason() -> None:
    def diff(*step: Json, flow: Json | None = None) -> tuple[bool, str, int | None]:
        r = run_test(
            {"name": "t", "steps": list(step)}, assets=assets(flow or question_flow()), flow_uuid=FLOW
        )
        return r.ok, r.diff, r.step

    ask = "Do you like tea, Test?"
    assert diff({"expect": [ask]}) == (True, "", None)
    assert diff({"expect": [ask, "More"]}) == (
        False,
        'step 1 (expect): reply 2: expected "More", got no reply (replies: ["Do you like tea, Test?"])',
        1,
    )
    assert diff({"send": "hi"}, {"send": "yes"}, {"expect": ["~thanks", "x", "y"]}) == (
        False,
        'step 3 (expect): reply 2: expected "x", got no reply (replies: ["Thanks! You said Yes."])',
        3,
    )
    assert diff({"expect": ["~tea"]}, {"wait_minutes": 1}, {"expect": ["x"]}) == (
        False,
        'step 3 (expect): reply 1: expected "x", got no reply (replies: no reply)',
        3,
    )
    assert diff({"expect": []}) == (
        False,
        'step 1 (expect): expected 0 replies, got 1: unexpected ["Do you like tea, Test?"]',
        1,
    )
    thé = flow_def(
        FLOW,
        "Thé",
        [node("n1", [send("a1", "Thé"), send("a2", "Café ☕"), send("a3", "x")], [{"uuid": "x1"}])],
    )
    assert diff({"expect": ["Thé"]}, flow=thé) == (
        False,
        'step 1 (expect): expected 1 replies, got 3: unexpected ["Café ☕", "x"]',
        1,
    )
    assert diff({"send": "yes"}, {"send": "yes"}, {"send": "again"}) == (
        False,
        'step 3 (send): sent "again" but the flow is completed, not waiting for a reply',
        3,
    )


def test_results_that_differ_fail_with_the_reason() -> None:
    def diff(want: Json, *answers: str, flow: Json | None = None) -> str:
        sends = [{"send": a} for a in answers]
        r = run_test(
            {"name": "t", "steps": [*sends, {"expect_results": want}]},
            assets=assets(flow or question_flow()),
            flow_uuid=FLOW,
        )
        return r.diff

    assert diff({"Likes Tea": None}, "hi") == ""
    assert (
        diff({"Likes Tea": None}, "hi", "yes")
        == 'step 3 (expect_results): expected no result "Likes Tea", got "yes"'
    )
    assert diff({"Other": None, "Likes Tea": "no"}, "hi", "yes") == (
        'step 3 (expect_results): result Likes Tea: expected "no", got "yes"'
    )
    assert diff({"likes_tea": {"value": "~YE", "category": "Yes"}}, "hi", "yes") == ""
    assert diff({"Likes Tea": {"category": "No"}}, "hi", "yes") == (
        'step 3 (expect_results): result Likes Tea category: expected "No", got "Yes"'
    )
    assert diff({"Likes Tea": {"value": "/^n/"}}, "hi", "yes") == (
        'step 3 (expect_results): result Likes Tea: expected "/^n/", got "yes"'
    )
    assert (
        diff({"Nope": "x"}, "hi")
        == 'step 2 (expect_results): expected result "Nope", but it was not saved (results: none)'
    )
    assert (
        diff({"Zeta": {"value": "z", "category": "Zc"}, "Alpha": "a"}, "go", "a", flow=two_results_flow())
        == ""
    )
    assert diff({"Nope": "x"}, "go", "a", flow=two_results_flow()) == (
        'step 3 (expect_results): expected result "Nope", but it was not saved (results: alpha, zeta)'
    )


def test_run_tests_reports_every_test() -> None:
    tests: list[Json] = [
        {"name": "passes", "steps": [{"expect": ["~tea"]}]},
        {"name": "fails", "steps": [{"expect_status": "completed"}]},
        {"steps": []},
        {"name": 5, "steps": [{"send": "x"}]},
        {"name": "no flow", "steps": [{"send": "x"}]},
    ]
    report = run_tests(tests[:4], assets=assets(), flow_uuid=FLOW)
    ask = {"out": "Do you like tea, Test?"}
    assert report == {
        "passed": 1,
        "failed": 3,
        "results": [
            {"test": "passes", "ok": True, "diff": "", "step": None, "transcript": [ask]},
            {
                "test": "fails",
                "ok": False,
                "diff": 'step 1 (expect_status): expected the flow to be completed, got "waiting"',
                "step": 1,
                "transcript": [ask],
            },
            {
                "test": "",
                "ok": False,
                "diff": "invalid test: name: a test needs a name",
                "step": None,
                "transcript": [],
            },
            {
                "test": "5",
                "ok": False,
                "diff": "invalid test: name: a test needs a name",
                "step": None,
                "transcript": [],
            },
        ],
    }
    french: Json = {
        "name": "fr",
        "contact": {"name": "Aline M", "language": "fra"},
        "steps": [{"expect": ["Aimez-vous le thé, Aline?"]}],
    }
    environment = {"allowed_languages": ["eng", "fra"], "default_language": "eng"}
    assert (
        run_tests([french, french], assets=assets(), flow_uuid=FLOW, environment=environment)["passed"] == 2
    )
    assert run_tests([tests[0]], assets=assets(), flow_uuid=FLOW, engine_options={"max_steps": 0}) == {
        "passed": 0,
        "failed": 1,
        "results": [
            {
                "test": "passes",
                "ok": False,
                "diff": 'step 1 (expect): reply 1: expected "~tea", got no reply (replies: no reply)',
                "step": 1,
                "transcript": [],
            }
        ],
    }
    missing = "f9000000-0000-4000-8000-000000000009"
    assert run_tests([tests[4]], assets=assets(), flow_uuid=missing)["results"] == [
        {
            "test": "no flow",
            "ok": False,
            "diff": f"step 1 (send): the flow could not run: ValueError: no such flow: {{'uuid': '{missing}', 'name': ''}}",
            "step": 1,
            "transcript": [{"in": "x"}],
        }
    ]


def test_waits_fire_on_the_test_clock() -> None:
    flow = question_flow(timeout=None)
    flow["expire_after_minutes"] = 30
    test = {
        "name": "expires",
        "steps": [
            {"send": "hi"},
            {"wait_minutes": 29},
            {"expect_status": "waiting"},
            {"wait_minutes": 1},
            {"expect_status": "expired"},
            {"wait_minutes": 60},
            {"expect": []},
        ],
    }
    result = run_test(test, assets=assets(flow), flow_uuid=FLOW)
    assert result.to_json() == {
        "test": "expires",
        "ok": True,
        "diff": "",
        "step": None,
        "transcript": [
            {"in": "hi"},
            {"out": "Do you like tea, Test?"},
            {"wait_minutes": 29.0},
            {"wait_minutes": 1.0},
            {"fired": "wait_expiration"},
            {"wait_minutes": 60.0},
        ],
    }


# ------------------------------------------------------------------------------------- recording


def test_recording_escapes_replies_that_look_like_matchers_and_replays() -> None:
    texts = ["=x", "~y", "/z/", "//", "/", "a/", "/a", "aba", "plain"]
    recorded = record_test(
        name="echo", contact=None, inputs=["go", *texts], assets=assets(echo_flow()), flow_uuid=FLOW
    )
    expected = ["==x", "=~y", "=/z/", "=//", "/", "a/", "/a", "aba", "plain"]
    sends: list[Json] = [{"send": "go"}, {"expect": ["go"]}]  # the wait takes the starting message
    for t, e in zip(texts, expected, strict=True):
        sends += [{"send": t}, {"expect": [e]}]
    assert recorded == {
        "name": "echo",
        "contact": {},
        "steps": [*sends, {"expect_results": {"said": "plain"}}, {"expect_status": "waiting"}],
    }
    assert run_test(recorded, assets=assets(echo_flow()), flow_uuid=FLOW).ok


def test_recording_with_webhooks_text_inputs_and_waits() -> None:
    hooks: list[Json] = [
        {"url": "~https://example.org/b", "status": 201, "body": "plain"},
        {"body": {"n": 1}},
    ]
    recorded = record_test(
        name="hooks",
        contact={"name": "Ana B"},
        inputs=[],
        assets=assets(webhook_flow()),
        flow_uuid=FLOW,
        webhooks=hooks,
    )
    assert recorded == {
        "name": "hooks",
        "contact": {"name": "Ana B"},
        "steps": [
            {"webhook": hooks},
            {
                "expect": [
                    "200|{Content-Type: application/json}|{n: 1}|200|Success",
                    "201|{Content-Type: text/plain}||201|Success",
                ]
            },
            {"expect_results": {"first": "200", "second": "201"}},
            {"expect_status": "completed"},
        ],
    }
    assert run_test(recorded, assets=assets(webhook_flow()), flow_uuid=FLOW).ok

    recorded = record_test(
        name="text first", contact=None, inputs=["hi", None, {"text": "yes"}], assets=assets(), flow_uuid=FLOW
    )
    assert recorded["steps"] == [
        {"send": "hi"},
        {"expect": ["Do you like tea, Test?"]},
        {"send": "yes"},
        {"expect": ["Thanks! You said Yes."]},
        {"expect_results": {"likes_tea": "yes"}},
        {"expect_status": "completed"},
    ]


@pytest.mark.parametrize(
    "timeout,expire,item,minutes,status",
    [
        (300, 30, {"type": "timeout"}, 5, "completed"),
        (300, 30, {"type": "wait_timeout"}, 5, "completed"),
        # waiting until the expiration passes the timeout first
        (300, 30, {"type": "expiration"}, 30, "completed"),
        (300, 30, {"type": "wait_expiration"}, 30, "completed"),
        (None, 45, {"type": "expiration"}, 45, "expired"),
        (None, 30, {"type": "timeout"}, 30, "expired"),
        (30, 30, {"type": "timeout"}, 1, "completed"),  # due in under a minute: at least one
        (61, 30, {"type": "timeout"}, 2, "completed"),  # a little over a minute: two
    ],
)
def test_recording_a_wait(timeout: int | None, expire: int, item: Json, minutes: int, status: str) -> None:
    flow = question_flow(timeout=timeout)
    flow["expire_after_minutes"] = expire
    recorded = record_test(
        name="w", contact=None, inputs=[None, None, item], assets=assets(flow), flow_uuid=FLOW
    )
    replies = ["We missed you."] if status == "completed" else []
    results = [{"expect_results": {"likes_tea": ""}}] if status == "completed" else []
    assert recorded["steps"] == [
        {"expect": ["Do you like tea, Test?"]},
        {"wait_minutes": minutes},
        {"expect": replies},
        *results,
        {"expect_status": status},
    ]
    assert run_test(recorded, assets=assets(flow), flow_uuid=FLOW).ok


def test_recording_stops_at_an_input_it_cannot_play() -> None:
    environment = {"allowed_languages": ["eng", "fra"], "default_language": "eng"}
    recorded = record_test(
        name="fr",
        contact={"name": "Aline M", "language": "fra"},
        inputs=[None],
        assets=assets(),
        flow_uuid=FLOW,
        environment=environment,
    )
    assert recorded["steps"] == [{"expect": ["Aimez-vous le thé, Aline?"]}, {"expect_status": "waiting"}]
    bad_inputs: list[tuple[list[Any], str]] = [
        ([None, 5], "inputs: each input is a text, null or {type: timeout|expiration}"),
        ([None, {"type": "other"}], "inputs: each input is a text, null or {type: timeout|expiration}"),
        (
            [None, "yes", {"type": "timeout"}, "again"],
            'inputs: sent "again" but the flow is completed, not waiting for a reply',
        ),
    ]
    for inputs, message in bad_inputs:
        with pytest.raises(FlowTestInvalid) as info:
            record_test(name="bad", contact=None, inputs=inputs, assets=assets(), flow_uuid=FLOW)
        assert str(info.value) == message
    with pytest.raises(FlowTestInvalid) as info:
        record_test(name="", contact=None, inputs=[None], assets=assets(), flow_uuid=FLOW)
    assert str(info.value) == "name: a test needs a name"


# ---------------------------------------------------------------------------------- transcripts

RAW_JSON = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"balance": 42}'


def test_inputs_and_webhook_answers_read_back_from_a_transcript() -> None:
    transcript = [
        {
            "input": None,
            "events": [
                {
                    "type": "webhook_called",
                    "url": "https://x.org/a?b=c?d",
                    "status_code": 200,
                    "response": RAW_JSON,
                },
                "not an event",
                {"type": "msg_created", "status_code": 200, "response": RAW_JSON},
                {"type": "webhook_called", "url": "https://x.org/down", "status_code": 0, "response": ""},
            ],
        },
        {"input": "hi", "events": None},
        {"input": {"type": "timeout"}},
        {
            "input": "yes",
            "events": [
                {
                    "type": "webhook_called",
                    "status_code": "503",
                    "response": "HTTP/1.1 503\r\n\r\nline1\r\n\r\nline2",
                },
                {
                    "type": "webhook_called",
                    "url": "https://x.org/e",
                    "status_code": 204,
                    "response": "HTTP/1.1 204\r\n\r\n",
                },
                {"type": "webhook_called", "url": "https://x.org/n", "status_code": 200},
            ],
        },
    ]
    assert from_transcript(transcript) == (
        [None, "hi", {"type": "timeout"}, "yes"],
        [
            {"url": "~https://x.org/a", "status": 200, "body": {"balance": 42}},
            {"url": "~", "status": 503, "body": "line1\r\n\r\nline2"},
            {"url": "~https://x.org/e", "status": 204, "body": ""},
            {"url": "~https://x.org/n", "status": 200, "body": ""},
        ],
    )
    assert from_transcript([]) == ([], [])
    bad_transcripts: list[tuple[Any, str]] = [
        ({"input": "hi"}, "transcript must be a list of {input, events}"),
        ([{"input": "a"}, "b"], "transcript item 2: must be an object with input and events"),
        (
            [{"input": "a"}, {"input": "b", "events": {"type": "x"}}],
            "transcript item 2: events must be a list",
        ),
    ]
    for data, message in bad_transcripts:
        with pytest.raises(FlowTestInvalid) as info:
            from_transcript(data)
        assert str(info.value) == message


def test_a_transcript_recorded_and_replayed() -> None:
    inputs, webhooks = from_transcript(
        [
            {
                "input": None,
                "events": [
                    {
                        "type": "webhook_called",
                        "url": "https://example.org/a?x=1",
                        "status_code": 200,
                        "response": RAW_JSON,
                    },
                    {
                        "type": "webhook_called",
                        "url": "https://example.org/b",
                        "status_code": 500,
                        "response": "HTTP/1.1 500\r\n\r\noops",
                    },
                ],
            }
        ]
    )
    recorded = record_test(
        name="r",
        contact=None,
        inputs=inputs,
        assets=assets(webhook_flow()),
        flow_uuid=FLOW,
        webhooks=webhooks,
    )
    assert recorded["steps"][1] == {
        "expect": [
            "200|{Content-Type: application/json}|{balance: 42}|200|Success",
            "500|{Content-Type: text/plain}||500|Failure",
        ]
    }
    assert run_test(recorded, assets=assets(webhook_flow()), flow_uuid=FLOW).ok
    edited = copy.deepcopy(recorded)
    edited["steps"][0]["webhook"][0]["status"] = 404  # the service now answers /a differently
    result = run_test(edited, assets=assets(webhook_flow()), flow_uuid=FLOW)
    assert (result.ok, result.step) == (False, 2)
    assert result.diff.startswith(
        'step 2 (expect): reply 1: expected "200|{Content-Type: application/json}|{balance: 42}|200|Success", got "404|'
    )


def test_an_empty_reply_is_a_reply() -> None:
    flow = flow_def(FLOW, "Empty", [node("n1", [send("a1", "@fields.city")], [{"uuid": "x1"}])])
    result = run_test({"name": "e", "steps": [{"expect": [""]}]}, assets=assets(flow), flow_uuid=FLOW)
    assert result.to_json() == {
        "test": "e",
        "ok": True,
        "diff": "",
        "step": None,
        "transcript": [{"out": ""}],
    }


@pytest.mark.parametrize("timeout,minutes", [(300, 5), (None, 30)])
def test_a_wait_fires_when_the_clock_reaches_it_exactly(timeout: int | None, minutes: int) -> None:
    flow = question_flow(timeout=timeout)
    flow["expire_after_minutes"] = 30
    # The test clock ticks a millisecond per reading: the wait began 3 ms before where the clock
    # stands once the question is asked, so it falls due 3 ms short of the whole minutes.
    due = minutes - 0.003 / 60
    fired = (
        [{"expect": ["We missed you."]}, {"expect_status": "completed"}]
        if timeout
        else [{"expect_status": "expired"}]
    )
    early = {
        "name": "early",
        "steps": [{"expect": ["~tea"]}, {"wait_minutes": due - 0.001 / 60}, {"expect_status": "waiting"}],
    }
    assert run_test(early, assets=assets(flow), flow_uuid=FLOW).diff == ""
    exact = {"name": "exact", "steps": [{"expect": ["~tea"]}, {"wait_minutes": due}, *fired]}
    assert run_test(exact, assets=assets(flow), flow_uuid=FLOW).diff == ""


def resume_flow() -> Json:
    """Says how it was resumed (the resume as the engine was given it): by the answer or by the
    wait's timeout."""
    said = "@(json(resume))"
    return flow_def(
        FLOW,
        "Resume",
        [
            node(
                "n1",
                [],
                [{"uuid": "x1", "destination_uuid": "n2"}, {"uuid": "x9", "destination_uuid": "n2"}],
                wait_router("Answer", timeout=60),
            ),
            node("n2", [send("a1", said)], [{"uuid": "x2"}]),
        ],
    )


@pytest.fixture
def kigali_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local time two hours ahead of UTC (as on a server in Kigali)."""
    monkeypatch.setenv("TZ", "Africa/Kigali")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_resumes_the_flow_sees_are_in_utc(kigali_time: None) -> None:
    answered = {
        "name": "answer",
        "steps": [
            {"expect": []},
            {"send": "fine"},
            {
                "expect": [
                    '{"event":{"created_on":"2024-01-01T09:00:00.009000Z","msg":{"text":"fine","urn":"tel:+12065550100",'
                    '"uuid":"00000000-0000-4000-8000-000000000006"},"type":"msg_received"},'
                    '"resumed_on":"2024-01-01T09:00:00.008000Z","type":"msg"}'
                ]
            },
        ],
    }
    assert run_test(answered, assets=assets(resume_flow()), flow_uuid=FLOW).diff == ""
    silent = {
        "name": "silent",
        "steps": [
            {"wait_minutes": 1},
            {"expect": ['{"resumed_on":"2024-01-01T09:01:00.008000Z","type":"wait_timeout"}']},
        ],
    }
    assert run_test(silent, assets=assets(resume_flow()), flow_uuid=FLOW).diff == ""
