"""The conformance harness reports a wrong engine result as a failure with a readable reason, and
counts right: driven on small vector files in goflow's layout written here (no /work/shared)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from flows.engine import conformance as c
from flows.engine import conformance_legacy as legacy
from flows.engine.services import ServiceError

FLOW = "0b6a4c0e-6f0a-4f6e-9d0c-1c4b2a7e5a01"
ACTION = "0b6a4c0e-6f0a-4f6e-9d0c-1c4b2a7e5a40"
CONTACT = "0b6a4c0e-6f0a-4f6e-9d0c-1c4b2a7e5300"


def U(n: int) -> str:
    return f"0b6a4c0e-6f0a-4f6e-9d0c-1c4b2a7e5{n:03x}"


def _write(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


# a flow asking a question: send, wait for a msg (result "Color"), then call a webhook on "red"
ASK_FLOW: dict[str, Any] = {
    "uuid": FLOW,
    "name": "Ask",
    "spec_version": "13.0.0",
    "language": "eng",
    "type": "messaging",
    "revision": 1,
    "nodes": [
        {
            "uuid": U(0x100),
            "actions": [{"type": "send_msg", "uuid": U(0x101), "text": "Color?"}],
            "exits": [{"uuid": U(0x102), "destination_uuid": U(0x110)}],
        },
        {
            "uuid": U(0x110),
            "actions": [],
            "router": {
                "type": "switch",
                "wait": {"type": "msg"},
                "result_name": "Color",
                "operand": "@input.text",
                "categories": [
                    {"uuid": U(0x111), "name": "Red", "exit_uuid": U(0x113)},
                    {"uuid": U(0x112), "name": "Other", "exit_uuid": U(0x114)},
                ],
                "cases": [
                    {
                        "uuid": U(0x115),
                        "type": "has_any_word",
                        "arguments": ["red"],
                        "category_uuid": U(0x111),
                    }
                ],
                "default_category_uuid": U(0x112),
            },
            "exits": [{"uuid": U(0x113), "destination_uuid": U(0x120)}, {"uuid": U(0x114)}],
        },
        {
            "uuid": U(0x120),
            "actions": [
                {
                    "type": "call_webhook",
                    "uuid": U(0x121),
                    "method": "GET",
                    "url": "http://example.com/t?c=@contact.uuid",
                    "result_name": "T",
                }
            ],
            "exits": [{"uuid": U(0x122)}],
        },
    ],
}

MSG_RESUME: dict[str, Any] = {
    "type": "msg",
    "resumed_on": "2000-01-01T00:00:00Z",
    "event": {
        "uuid": U(0x200),
        "type": "msg_received",
        "created_on": "2000-01-01T00:00:00Z",
        "msg": {"urn": "tel:+12065551212", "text": "red"},
    },
}


# ----------------------------------------------------------------------------------- events


def test_normalize_event_drops_generated_values_and_masks_dumps() -> None:
    ev = {
        "uuid": "u",
        "type": "webhook_called",
        "created_on": "t",
        "elapsed_ms": 3,
        "request": f"GET /x?t=2025-05-04T12:30:45.123Z&u={U(1)} HTTP/1.1",
        "response": "Date: 2019-10-16T13:59:30+02:00",
        "extra": {"run_uuid": "r", "step_uuid": "s", "keep": [{"arrived_on": "a", "x": 1}], "request": U(2)},
        "list": ["2025-05-04T12:30:45Z"],
    }
    assert c.normalize_event(ev) == {
        "type": "webhook_called",
        "request": "GET /x?t=<time>&u=<uuid> HTTP/1.1",
        "response": "Date: <time>",
        "extra": {"keep": [{"x": 1}], "request": "<uuid>"},
        "list": ["2025-05-04T12:30:45Z"],
    }


def test_first_diff_names_the_first_differing_event() -> None:
    assert c._first_diff([{"a": 1}, {"b": 2}], [{"a": 1}, {"b": 3}]) == 'event 1: got {"b": 2} want {"b": 3}'
    assert c._first_diff([{"a": 1}], []) == 'event 0: got {"a": 1} want null'
    assert c._first_diff([], ["x"]) == 'event 0: got null want "x"'
    assert c._first_diff(["x"], ["x"]) == "status differs"
    long = "y" * 400
    assert c._first_diff([long], ["z"]) == f'event 0: got "{long[:299]} want "z"'
    assert c._first_diff(["z"], [long]) == f'event 0: got "z" want "{long[:299]}'


# ----------------------------------------------------------------------------------- mock services


def test_mock_client_replays_responses_then_repeats_the_last() -> None:
    client = c._mock_client(
        {
            "http://example.com/a": [
                {"status": 201, "body": "ab", "body_repeat": 3, "headers": {"X-A": "1"}},
                {"body": "second"},
                {"status": 0},
            ],
            "http://example.com/e": [{"status": 404}],
        }
    )
    first = client.get("http://example.com/a")
    assert (first.status_code, first.text, first.headers["x-a"], first.http_version) == (
        201,
        "ababab",
        "1",
        "HTTP/1.0",
    )
    second = client.get("http://example.com/a")
    assert (second.status_code, second.text) == (200, "second")
    for _ in range(2):  # the last response stays
        with pytest.raises(httpx.ConnectError) as err:
            client.get("http://example.com/a")
        assert str(err.value) == "connection error"
        assert str(err.value.request.url) == "http://example.com/a"
    for _ in range(2):
        empty = client.get("http://example.com/e")
        assert (empty.status_code, empty.text) == (404, "")
    other = client.get("http://example.com/nothing")
    assert (other.status_code, other.text, other.http_version) == (200, '{ "ok": "true" }', "HTTP/1.0")


def test_test_airtime_and_llm_doubles() -> None:
    airtime = c._TestAirtime()
    with pytest.raises(ServiceError) as err:
        airtime.transfer(transfer_uuid="t", sender="s", recipient="tel:+250666", amounts={"RWF": 1})
    assert str(err.value) == "invalid recipient number"
    with pytest.raises(ServiceError) as err:
        airtime.transfer(transfer_uuid="t", sender="s", recipient="tel:+250788", amounts={"USD": 1})
    assert str(err.value) == "no amount configured for transfers in RWF"
    log = {
        "url": "http://send.airtime.com",
        "status_code": 200,
        "status": "success",
        "request": "GET / HTTP/1.1\r\nHost: send.airtime.com\r\nUser-Agent: Go-http-client/1.1\r\n"
        "Accept-Encoding: gzip\r\n\r\n",
        "response": 'HTTP/1.0 200 OK\r\nContent-Length: 15\r\n\r\n{"status":"ok"}',
        "elapsed_ms": 0,
        "retries": 0,
        "sizes": {"request": 0, "response": 0},
        "created_on": "2019-10-16T13:59:30.123456789Z",
    }
    assert err.value.http_logs == [log]  # type: ignore[attr-defined]
    t = airtime.transfer(
        transfer_uuid="t", sender="s", recipient="tel:+250788", amounts={"RWF": 500, "USD": 1}
    )
    assert (t.currency, t.amount, t.external_id, t.http_logs) == ("RWF", 500, "4ZJR8BT9MF", [log])

    llm = c._TestLLM()
    with pytest.raises(ServiceError) as err:
        llm.respond(instructions="x", input="\\error boom", max_tokens=1)
    assert str(err.value) == "boom"
    r = llm.respond(instructions="x", input="\\return yes", max_tokens=1)
    assert (r.output, r.tokens_in, r.tokens_out) == ("yes", 45, 78)
    r = llm.respond(instructions="Categorize into [Red, Blue]", input="hi", max_tokens=1)
    assert (r.output, r.tokens_in, r.tokens_out) == ("Blue", 45, 78)
    assert llm.respond(instructions="Categorize: [Red, BlueX]", input="hi", max_tokens=1).output == "BlueX"
    r = llm.respond(instructions="Say", input="hi", max_tokens=1)
    assert (r.output, r.tokens_in, r.tokens_out) == ("You asked:\n\nSay\n\nhi", 45, 78)
    assert c._forbidden_content({"text": "a FORBIDDEN word"}) == "forbidden_content"
    assert c._forbidden_content({"text": "fine"}) is None
    assert c._forbidden_content({}) is None


# ----------------------------------------------------------------------------------- actions

ONE_NODE_ASSETS: dict[str, Any] = {
    "flows": [
        {
            "uuid": FLOW,
            "name": "Vector Flow",
            "spec_version": "13.0.0",
            "language": "eng",
            "type": "messaging",
            "revision": 1,
            "nodes": [{"uuid": U(0xA02), "actions": [], "exits": [{"uuid": U(0xA03)}]}],
        }
    ],
    "fields": [{"uuid": U(0xA10), "key": "age", "name": "Age", "type": "number"}],
    "groups": [],
}


def _msg(text: str, locale: str = "eng-US") -> dict[str, Any]:
    # uuid and created_on come from goflow's generators: never compared
    return {
        "uuid": "01969b47-0000-7000-8000-000000000000",
        "type": "msg_created",
        "created_on": "2025-05-04T12:30:46Z",
        "msg": {"text": text, "locale": locale, "unsendable_reason": "no_route"},
    }


def _send(text: str) -> dict[str, Any]:
    return {"type": "send_msg", "uuid": ACTION, "text": text}


HOOK_EVENTS: list[dict[str, Any]] = [
    {
        "type": "webhook_called",
        "url": "http://example.com/hook",
        "status_code": 200,
        "request": "GET /hook HTTP/1.1\r\nHost: example.com\r\nUser-Agent: goflow-testing\r\n"
        "Accept-Encoding: gzip\r\n\r\n",
        "response": 'HTTP/1.0 200 OK\r\nContent-Length: 8\r\n\r\n{"a": 1}',
        "elapsed_ms": 12,
        "retries": 0,
        "sizes": {"request": 92, "response": 46},
        "status": "success",
    },
    {"type": "run_result_changed", "name": "Hook", "value": "200", "category": "Success", "extra": {"a": 1}},
]
HOOK_ACTION = {
    "type": "call_webhook",
    "uuid": ACTION,
    "method": "GET",
    "url": "http://example.com/hook",
    "result_name": "Hook",
}
HOOK_MOCKS = {"http://example.com/hook": [{"status": 200, "body": '{"a": 1}'}]}
HOOK_WEBHOOK = {
    "__default__": "GET http://example.com/hook",
    "status": 200,
    "json": {"a": 1},
    "headers": {"Content-Length": "8"},
}


GROUPS = [
    {"uuid": "b7cf0d83-f1c9-411c-96fd-c511a4cfa86d", "name": "Testers"},
    {"uuid": "0ec97956-c451-48a0-a180-1ce766623e31", "name": "Males"},
]
# the test contact after set_contact_name: uuid and urns are not compared
BOB = {
    "uuid": "other",
    "name": "Bob",
    "language": "eng",
    "status": "active",
    "fields": {"gender": {"text": "Male"}},
    "groups": GROUPS,
    "urns": ["ignored"],
}
SET_NAME = {"type": "set_contact_name", "uuid": ACTION, "name": "Bob"}
NAME_EVENTS = [{"type": "contact_name_changed", "name": "Bob"}]
INCREMENT = {"type": "set_run_local", "uuid": ACTION, "local": "n", "value": "3", "operation": "increment"}
INPUT_TEXT = "@trigger.type|@input.text|@input.urn|@input.created_on"


def _action_cases() -> list[dict[str, Any]]:
    spa = {"spa": {ACTION: {"text": ["Hola @contact.name"]}}}
    wrong_after = [
        ("name", "Rob"),
        ("language", "spa"),
        ("fields", {}),
        ("groups", GROUPS[:1]),
        ("status", "blocked"),
    ]
    return [
        # passing vectors
        {
            "description": "send",
            "action": _send("Hi @contact.name @(now())"),
            "events": [_msg("Hi Ryan Lewis 2025-05-04T07:30:49.123456-05:00")],
        },
        {"description": "crash", "action": _send("Hi"), "contact": ["not a contact"], "events": []},
        {
            "description": "input",
            "action": _send(INPUT_TEXT),
            "events": [_msg("msg|Hi everybody|tel:+12065551212|2018-10-18T14:20:30.000123Z")],
        },
        {
            "description": "translated",
            "action": _send("Hi"),
            "localization": spa,
            "events": [_msg("Hola Ryan Lewis", "spa-US")],
        },
        {
            "description": "own contact",
            "action": _send("@contact.name @(rand()) @(now()) @run.uuid @(rand())"),
            "contact": {"uuid": CONTACT, "name": "Ann", "created_on": "2018-06-20T11:40:30Z"},
            "events": [
                _msg(
                    "Ann 0.774856886849196 2025-05-04T07:30:49.123456-05:00 "
                    "f456188c-2cb6-47da-8ce3-1fd107887241 0.8056271362589",
                    "eng-RW",
                )
            ],
        },
        {"description": "hook", "action": HOOK_ACTION, "http_mocks": HOOK_MOCKS, "events": HOOK_EVENTS},
        {"description": "name", "action": SET_NAME, "events": NAME_EVENTS, "contact_after": BOB},
        {"description": "local", "action": INCREMENT, "events": [], "locals_after": {"n": "3"}},
        {
            "description": "read error",
            "action": {"type": "send_msg"},
            "read_error": "field 'uuid' is required, field 'text' is required",
        },
        {
            "description": "typeless",
            "action": {"uuid": ACTION},
            "read_error": "'' is not a valid action type",
        },
        # wrong expectations: each must fail
        {"description": "bad read", "action": {"type": "send_msg", "text": "x"}, "read_error": "ERR"},
        {"description": "wrong text", "action": _send("Hi"), "events": [_msg("Hello")]},
        {
            "description": "wrong locale",
            "action": _send("Hi"),
            "localization": spa,
            "events": [_msg("Hola Ryan Lewis", "eng-US")],
        },
        {
            "description": "wrong hook",
            "action": HOOK_ACTION,
            "http_mocks": HOOK_MOCKS,
            "events": HOOK_EVENTS,
            "webhook": dict(HOOK_WEBHOOK, status=201),
        },
        *[
            {
                "description": f"wrong {key} after",
                "action": SET_NAME,
                "events": NAME_EVENTS,
                "contact_after": dict(BOB, **{key: value}),
            }
            for key, value in wrong_after
        ],
        {"description": "wrong local", "action": INCREMENT, "events": [], "locals_after": {}},
        {"description": "missing events", "action": _send("Hi")},
    ]


def test_action_file_counts_passes_and_reports_each_wrong_expectation(tmp_path: Path) -> None:
    folder = tmp_path / "goflow" / "flows" / "actions" / "testdata"
    _write(folder / "_assets.json", ONE_NODE_ASSETS)
    path = _write(folder / "send.json", _action_cases())
    result = c.run_action_file(path)
    assert (result.name, result.section) == ("flows/actions/testdata/send.json", "actions")
    hi = "[{'type': 'msg_created', 'msg': {'text': 'Hi', 'locale': 'eng-US', 'unsendable_reason': 'no_route'}}]"
    assert result.failures[0].startswith("crash: crashed ")
    assert result.failures[1:] == [
        "bad read: got [\"field 'uuid' is required\"]",
        f"wrong text: got {hi}",
        "wrong locale: got [{'type': 'msg_created', 'msg': {'text': 'Hola Ryan Lewis', 'locale': 'spa-US', "
        "'unsendable_reason': 'no_route'}}]",
        "wrong hook: got " + repr([c.normalize_event(e) for e in HOOK_EVENTS]),
        *[
            f"wrong {key} after: got [{{'type': 'contact_name_changed', 'name': 'Bob'}}]"
            for key in ("name", "language", "fields", "groups", "status")
        ],
        "wrong local: got []",
        f"missing events: got {hi}",
    ]
    assert (result.passed, result.total) == (9, 21)


# ----------------------------------------------------------------------------------- routers

ROUTER_ASSETS = copy.deepcopy(ONE_NODE_ASSETS)
ROUTER_ASSETS["flows"][0]["nodes"][0]["exits"] = [{"uuid": U(0xA03)}, {"uuid": U(0xA04)}]


def _router(operand: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "switch",
        "result_name": "Age Check",
        "categories": [
            {"uuid": U(0xA20), "name": "In Range", "exit_uuid": U(0xA03)},
            {"uuid": U(0xA21), "name": "Other", "exit_uuid": U(0xA04)},
        ],
        "operand": operand,
        "cases": [
            {
                "uuid": U(0xA30),
                "type": "has_number_between",
                "arguments": ["18", "65"],
                "category_uuid": U(0xA20),
            }
        ],
        "default_category_uuid": U(0xA21),
        **extra,
    }


def _age(value: str, category: str, **extra: Any) -> dict[str, Any]:
    return {"name": "Age Check", "value": value, "category": category, **extra}


def test_router_file_compares_results_and_events(tmp_path: Path) -> None:
    folder = tmp_path / "goflow" / "flows" / "routers" / "testdata"
    _write(folder / "_assets.json", ROUTER_ASSETS)
    changed = {"uuid": "x", "created_on": "y", "type": "run_result_changed", **_age("18", "In Range")}
    cases = [
        {
            "description": "in range",
            "router": _router("18"),
            "results": {
                "age_check": {**_age("18", "In Range", input="18"), "node_uuid": "n", "created_on": "t"}
            },
            "events": [changed],
        },
        {
            "description": "groups",
            "router": _router("@(count(contact.groups))"),
            "results": {"age_check": _age("0", "Other", input="0")},
            "events": [{"type": "run_result_changed", **_age("0", "Other")}],
        },
        {"description": "crash", "router": {"type": "switch", "categories": "nope"}, "results": {}},
        {
            "description": "trigger",
            "router": _router("@trigger.type @contact.name"),
            "results": {"age_check": _age("manual Ryan Lewis", "Other", input="manual Ryan Lewis")},
            "events": [{"type": "run_result_changed", **_age("manual Ryan Lewis", "Other")}],
        },
        {
            "description": "bad exits",
            "router": _router(
                "1",
                categories=[
                    {"uuid": U(0xA20), "name": "In Range", "exit_uuid": U(0xA98)},
                    {"uuid": U(0xA21), "name": "Other", "exit_uuid": U(0xA99)},
                ],
            ),
            "read_error": f"category {U(0xA20)} has an exit {U(0xA98)} which isn't a node exit, "
            f"category {U(0xA21)} has an exit {U(0xA99)} which isn't a node exit",
        },
        {
            "description": "read error",
            "router": _router("1", default_category_uuid=U(0xA99)),
            "read_error": f"default category {U(0xA99)} is not a valid category",
        },
        {"description": "wrong read error", "router": _router("1", type="nope"), "read_error": "x"},
        {
            "description": "wrong category",
            "router": _router("17"),
            "results": {"age_check": _age("17", "In Range", input="17")},
            "events": [{"type": "run_result_changed", **_age("17", "In Range")}],
        },
        {
            "description": "wrong input",
            "router": _router("17"),
            "results": {"age_check": _age("17", "Other", input="18")},
            "events": [{"type": "run_result_changed", **_age("17", "Other")}],
        },
        {
            "description": "wrong extra",
            "router": _router("17"),
            "results": {"age_check": _age("17", "Other", input="17", extra={"a": 1})},
            "events": [{"type": "run_result_changed", **_age("17", "Other")}],
        },
        {
            "description": "wrong events",
            "router": _router("17"),
            "results": {"age_check": _age("17", "Other", input="17")},
        },
    ]
    result = c.run_router_file(_write(folder / "switch.json", cases))
    assert (result.name, result.section) == ("flows/routers/testdata/switch.json", "routers")
    got17 = (
        "results {'age_check': {'name': 'Age Check', 'value': '17', 'category': 'Other', 'input': '17'}} "
        "events [{'type': 'run_result_changed', 'name': 'Age Check', 'value': '17', 'category': 'Other'}]"
    )
    assert result.failures[0].startswith("crash: crashed ")
    assert result.failures[1:] == [
        "wrong read error: got [\"'nope' is not a valid router type\"]",
        f"wrong category: {got17}",
        f"wrong input: {got17}",
        f"wrong extra: {got17}",
        f"wrong events: {got17}",
    ]
    assert (result.passed, result.total) == (5, 11)
    assert c._result_view(
        {"name": "A", "value": "", "category": None, "input": "i", "extra": {}, "x": 1}
    ) == {
        "name": "A",
        "value": "",
        "input": "i",
        "extra": {},
    }


# ----------------------------------------------------------------------------------- resumes

OTHER_FLOW = {**ONE_NODE_ASSETS["flows"][0], "uuid": U(0xB01), "name": "Other"}
# the question without the webhook: a "red" answer ends the flow
RESUME_FLOW = copy.deepcopy(ASK_FLOW)
del RESUME_FLOW["nodes"][2]
del RESUME_FLOW["nodes"][1]["exits"][0]["destination_uuid"]
# the same question in another flow, which then shows what it was started with
SHOW_FLOW = json.loads(
    json.dumps(RESUME_FLOW).replace("0b6a4c0e-6f0a-4f6e-9d0c-1c4b2a7e5", "1b6a4c0e-6f0a-4f6e-9d0c-1c4b2a7e5")
)
SHOW_FLOW["nodes"][1]["exits"][0]["destination_uuid"] = U(0xD00)
SHOW_FLOW["nodes"].append(
    {
        "uuid": U(0xD00),
        "actions": [
            {
                "type": "send_msg",
                "uuid": U(0xD01),
                "text": '@trigger.type|@contact.uuid|@(now())|@(join(contact.urns, " "))',
            }
        ],
        "exits": [{"uuid": U(0xD02)}],
    }
)
RESUME_ASSETS = {"flows": [OTHER_FLOW, RESUME_FLOW, SHOW_FLOW]}
RED_CHANGED = {"uuid": "u", "type": "run_result_changed", "name": "Color", "value": "red", "category": "Red"}


def _resume_case(description: str, **extra: Any) -> dict[str, Any]:
    return {
        "description": description,
        "flow_uuid": FLOW,
        "wait": {"type": "msg", "timeout": {"seconds": 600, "category_uuid": U(0x112)}},
        "resume": MSG_RESUME,
        "run_status": "active",
        "session_status": "waiting",
        **extra,
    }


def test_resume_file_compares_events_statuses_and_errors(tmp_path: Path) -> None:
    folder = tmp_path / "goflow" / "flows" / "resumes" / "testdata"
    _write(folder / "_assets.json", RESUME_ASSETS)
    timeout = {"type": "wait_timeout", "resumed_on": "2000-01-01T00:00:00Z"}
    no_timeout_error = "resume of type wait_timeout not accepted by wait of type msg"
    hook = [RED_CHANGED]
    other = {"type": "run_result_changed", "name": "Color", "value": "", "category": "Other"}
    cases = [
        _resume_case("resumed", events=hook, run_status="completed", session_status="completed"),
        _resume_case(
            "timed out", resume=timeout, events=[other], run_status="completed", session_status="completed"
        ),
        _resume_case("no timeout", wait={"type": "msg"}, resume=timeout, resume_error=no_timeout_error),
        _resume_case("crash", resume="garbage"),
        _resume_case("wrong error", resume=timeout, wait={"type": "msg"}, resume_error="nope"),
        _resume_case("no error", resume_error="nope"),
        _resume_case("wrong events", events=[other], run_status="completed", session_status="completed"),
        _resume_case("wrong session status", events=hook, run_status="completed", session_status="waiting"),
        _resume_case("wrong run status", events=hook, run_status="active", session_status="completed"),
        _resume_case(
            "show",
            flow_uuid=SHOW_FLOW["uuid"],
            run_status="completed",
            session_status="completed",
            wait={"type": "msg"},
            events=[
                RED_CHANGED,
                _msg(
                    "manual|5d76d86b-3bb9-4d5a-b822-c9d86f5d8e4f|"
                    "2025-05-04T07:30:59.123456-05:00|tel:+12065551212 "
                    "twitterid:54784326227#nyaruka"
                ),
            ],
        ),
    ]
    result = c.run_resume_file(_write(folder / "msg.json", cases))
    assert (result.name, result.section) == ("flows/resumes/testdata/msg.json", "resumes")
    red = "[{'type': 'run_result_changed', 'name': 'Color', 'value': 'red', 'category': 'Red'}]"
    assert result.failures[0].startswith("crash: crashed ")
    assert result.failures[1:] == [
        f"wrong error: got error {no_timeout_error!r}",
        "no error: got error None",
        f"wrong events: got {red} completed",
        f"wrong session status: got {red} completed",
        f"wrong run status: got {red} completed",
    ]
    assert (result.passed, result.total) == (4, 10)


# ----------------------------------------------------------------------------------- runner tests

# asks a color, calls a webhook on "red", waits again, then shows the webhook's extra
RUNNER_FLOW = copy.deepcopy(ASK_FLOW)
RUNNER_FLOW["nodes"][2]["exits"][0]["destination_uuid"] = U(0x130)
RUNNER_FLOW["nodes"] += [
    {
        "uuid": U(0x130),
        "actions": [],
        "router": {
            "type": "switch",
            "wait": {"type": "msg"},
            "result_name": "Again",
            "operand": "@input.text",
            "categories": [{"uuid": U(0x131), "name": "All", "exit_uuid": U(0x132)}],
            "cases": [],
            "default_category_uuid": U(0x131),
        },
        "exits": [{"uuid": U(0x132), "destination_uuid": U(0x140)}],
    },
    {
        "uuid": U(0x140),
        "actions": [
            {"type": "send_msg", "uuid": U(0x141), "text": "@legacy_extra.t|@(now())|@trigger.params.ref"}
        ],
        "exits": [{"uuid": U(0x142)}],
    },
]
GEN_A, GEN_B = "11111111-2222-4333-8444-555555555555", "66666666-7777-4888-9999-aaaaaaaaaaaa"
# the same generated ids as goflow would have made them: other values, same places
WANT_A, WANT_B = "aaaaaaaa-2222-4333-8444-555555555555", "bbbbbbbb-7777-4888-9999-aaaaaaaaaaaa"
HOOK_URL = f"http://example.com/t?c={CONTACT}"
TRIGGER_REF, RESUME_REF = "cccccccc-2222-4333-8444-555555555555", "dddddddd-2222-4333-8444-555555555555"


def _resume(text: str) -> dict[str, Any]:
    r = copy.deepcopy(MSG_RESUME)
    r["event"]["msg"]["text"] = text
    return r


def _seg(node: int, exit_: int, dest: int) -> dict[str, Any]:
    return {
        "flow_uuid": FLOW,
        "node_uuid": U(node),
        "exit_uuid": U(exit_),
        "destination_uuid": U(dest),
        "operand": "ignored",
        "time": "2000-01-01T00:00:00Z",
    }


def _outputs(
    a: str = WANT_A,
    b: str = WANT_B,
    contact: str = CONTACT,
    trigger: str = TRIGGER_REF,
    resume: str = RESUME_REF,
) -> list[dict[str, Any]]:
    flow = {"uuid": FLOW, "name": "Ask", "revision": 1}
    pretty = (
        f'{{\n                        "id": "{a}",\n                        "ref": "{b}",\n'
        '                        "name": "José"\n                    }'
    )
    return [
        {
            "events": [
                {"uuid": "x", "type": "run_started", "flow": flow, "run_uuid": "r"},
                _msg("Color?"),
                {"type": "msg_wait", "expires_on": "2000-01-01T00:00:00Z"},
            ],
            "segments": [_seg(0x100, 0x102, 0x110)],
            "session": {"status": "waiting"},
        },
        {
            "events": [
                RED_CHANGED,
                {
                    "type": "webhook_called",
                    "url": f"http://example.com/t?c={contact}",
                    "status_code": 200,
                    "request": f"GET /t?c={contact} HTTP/1.1\r\nHost: example.com\r\nUser-Agent: goflow-testing\r\n"
                    "Accept-Encoding: gzip\r\n\r\n",
                    "response": f'HTTP/1.0 200 OK\r\nContent-Length: 114\r\n\r\n{{"id": "{a}", "ref": "{b}", '
                    '"name": "Jos\\u00e9"}',
                    "retries": 0,
                    "sizes": {"request": 128, "response": 154},
                    "status": "success",
                },
                {
                    "type": "run_result_changed",
                    "name": "T",
                    "value": "200",
                    "category": "Success",
                    "extra": {"id": a, "ref": b, "name": "José"},
                },
                {"type": "msg_wait"},
            ],
            "segments": [_seg(0x120, 0x122, 0x130), _seg(0x110, 0x113, 0x120)],  # any order
            "session": {"status": "waiting"},
        },
        {
            "events": [
                {
                    "type": "run_result_changed",
                    "name": "Again",
                    "value": f"again {resume}",
                    "category": "All",
                },
                {"type": "warning", "text": "@legacy_extra is deprecated", "code": "context:deprecated"},
                _msg(f"{pretty}|2025-05-04T14:31:12.123456+02:00|{trigger}"),
                {"type": "run_ended", "flow": flow, "status": "completed"},
            ],
            "segments": [_seg(0x130, 0x132, 0x140)],
            "session": {"status": "completed"},
        },
    ]


def _runner_test(folder: Path, name: str, outputs: list[dict[str, Any]]) -> Path:
    return _write(
        folder / f"ask.{name}.json",
        {
            "contact": {
                "uuid": CONTACT,
                "name": "Ann",
                "created_on": "2018-06-20T11:40:30Z",
                "urns": ["tel:+12065551212"],
            },
            "trigger": {
                "type": "manual",
                "flow": {"uuid": FLOW, "name": "Ask"},
                "triggered_on": "2000-01-01T00:00:00Z",
                "params": {"ref": TRIGGER_REF},
            },
            "environment": {"timezone": "Africa/Kigali"},
            "http_mocks": {
                HOOK_URL: [{"status": 200, "body": json.dumps({"id": GEN_A, "ref": GEN_B, "name": "José"})}]
            },
            "resumes": [_resume("red"), _resume(f"again {RESUME_REF}")],
            "outputs": outputs,
        },
    )


def _counts(results: list[c.FileResult]) -> list[tuple[str, str, int, int, list[str]]]:
    return [(r.name, r.section, r.passed, r.total, r.failures) for r in results]


@pytest.fixture
def runner_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "goflow" / "test" / "testdata" / "runner"
    _write(folder / "ask.json", {"flows": [RUNNER_FLOW]})
    return folder


def test_runner_file_passes_a_matching_session(runner_dir: Path) -> None:
    name = "goflow/test/testdata/runner/ask.test.json"
    assert _counts(c.run_runner_file(_runner_test(runner_dir, "test", _outputs()))) == [
        (name, "runner", 1, 1, []),
        (name, "runner_sprints", 3, 3, []),
        (name, "runner_segments", 3, 3, []),
    ]


def test_runner_file_reports_missing_sprints_and_wrong_statuses(runner_dir: Path) -> None:
    outputs = _outputs()
    outputs[0]["session"]["status"] = "completed"
    outputs[2]["segments"] = [_seg(0x130, 0x132, 0x100)]
    extra = {"events": [], "segments": [], "session": {"status": "completed"}}
    name = "goflow/test/testdata/runner/ask.test_more.json"
    seg_got = [(FLOW, U(0x130), U(0x132), U(0x140))]
    seg_want = [(FLOW, U(0x130), U(0x132), U(0x100))]
    sprint_failures = ["sprint 0: status differs", "sprint 3: missing", "sprint 4: missing"]
    assert _counts(c.run_runner_file(_runner_test(runner_dir, "test_more", [*outputs, extra, extra]))) == [
        (name, "runner", 0, 1, ["; ".join(sprint_failures)]),
        (name, "runner_sprints", 2, 5, sprint_failures),
        (
            name,
            "runner_segments",
            2,
            5,
            [f"sprint 2: segments {seg_got} want {seg_want}", "sprint 3: missing", "sprint 4: missing"],
        ),
    ]


def test_runner_file_compares_known_uuids_and_generated_ones_by_order(runner_dir: Path) -> None:
    other = FLOW  # an input's uuid, so not a generated one: a wrong value
    wrong_contact = c.run_runner_file(_runner_test(runner_dir, "test_contact", _outputs(contact=other)))
    event = _outputs()[1]["events"][1]
    got = c.normalize_event(event)
    want = c.normalize_event(_outputs(contact=other)[1]["events"][1])
    assert _counts(wrong_contact)[1][2:] == (
        2,
        3,
        [f"sprint 1: event 1: got {json.dumps(got)[:300]} want {json.dumps(want)[:300]}"],
    )
    # uuids from the trigger and the resumes are inputs: another value in their place is a difference
    for i, outputs in enumerate([_outputs(trigger=U(0xE01)), _outputs(resume=U(0xE02))]):
        assert _counts(c.run_runner_file(_runner_test(runner_dir, f"test_input{i}", outputs)))[1][2:4] == (
            2,
            3,
        )
    # goflow generated one id where the engine made two: that is a difference
    same = c.run_runner_file(_runner_test(runner_dir, "test_same", _outputs(b=WANT_A)))
    got_extra = {
        "type": "run_result_changed",
        "name": "T",
        "value": "200",
        "category": "Success",
        "extra": {"id": "<id1>", "ref": "<id2>", "name": "José"},
    }
    want_extra = dict(got_extra, extra={"id": "<id1>", "ref": "<id1>", "name": "José"})
    assert _counts(same)[1][2:] == (
        1,
        3,
        [
            f"sprint 1: event 2: got {json.dumps(got_extra)} want {json.dumps(want_extra)}",
            "sprint 2: event 2: got "
            + json.dumps(
                c.normalize_event(_msg(_outputs(a="<id1>", b="<id2>")[2]["events"][2]["msg"]["text"]))
            )[:300]
            + " want "
            + json.dumps(
                c.normalize_event(_msg(_outputs(a="<id1>", b="<id1>")[2]["events"][2]["msg"]["text"]))
            )[:300],
        ],
    )


# ----------------------------------------------------------------------------------- excellent

DOCGEN_FLOW = copy.deepcopy(RESUME_FLOW)
DOCGEN_FLOW["name"] = "Registration"
DOCGEN_FLOW["localization"] = {"spa": {U(0x111): {"name": ["Rojo"]}}}
DOCGEN_SESSION = {
    "assets": {"flows": [DOCGEN_FLOW]},
    "contact": {
        "uuid": CONTACT,
        "name": "Ann",
        "language": "spa",
        "created_on": "2018-06-20T11:40:30Z",
        "urns": ["tel:+12065551212"],
    },
    "trigger": {
        "type": "flow_action",
        "triggered_on": "2017-12-31T11:31:15Z",
        "flow": {"uuid": FLOW, "name": "Registration"},
        "run_summary": {
            "uuid": U(0x400),
            "contact": {"uuid": U(0x401), "name": "Jasmine", "created_on": "2018-01-01T12:00:00Z"},
            "flow": {"uuid": U(0x402), "name": "Parent Flow"},
            "results": {},
            "status": "active",
        },
    },
    "resume": MSG_RESUME,
}
RUN_JSON = (
    '{"contact":{"channel":null,"created_on":"2018-06-20T11:40:30.000000Z","fields":{},"first_name":"Ann",'
    '"groups":[],"id":"","language":"spa","last_seen_on":null,"name":"Ann","status":"active","tickets":[],'
    f'"timezone":"","urn":null,"urns":["tel:+12065551212"],"uuid":"{CONTACT}"}},'
    '"created_on":"2018-04-11T18:24:30.123456Z","exited_on":"2018-04-11T18:24:30.123456Z",'
    f'"flow":{{"name":"Registration","revision":1,"uuid":"{FLOW}"}},'
    f'"path":[{{"arrived_on":"2018-04-11T18:24:30.123456Z","node_uuid":"{U(0x100)}"}},'
    f'{{"arrived_on":"2018-04-11T18:24:30.123456Z","node_uuid":"{U(0x110)}"}}],'
    '"results":{"color":{"category":"Red","category_localized":"Rojo","created_on":"2018-04-11T18:24:30.123456Z",'
    f'"extra":null,"input":"red","name":"Color","node_uuid":"{U(0x110)}","value":"red"}}}},'
    '"status":"completed","uuid":"f456188c-2cb6-47da-8ce3-1fd107887241"}'
)


def _examples(*pairs: tuple[str, str]) -> dict[str, Any]:
    return {"examples": [{"template": t, "expected": e} for t, e in pairs]}


EXCELLENT = {
    "items": {
        "function:rand": _examples(
            ("@(rand())", "0.774856886849196"),
            ("@(rand())", "0.5342568785221806"),
            ("@(rand())", "0.8056271362589"),
        ),
        # Go's seeded values past the documented ones can't be reproduced: counted apart
        "function:rand_between": _examples(("@(rand_between(1, 10))", "7"), ("@(rand_between(1, 10))", "2")),
        "context": _examples(
            ("@contact.name / @results.color / @input.text", "Ann / red / red"),
            ("@parent.contact.name @trigger.type", "Jasmine manual"),
            ('@(now()) @(format_date("2018-01-02"))', "2018-04-11T13:24:30.123456-05:00 02-01-2018"),
            ("@(json(run))", RUN_JSON),
            ("@(1 / 0)", "ERROR"),
            ("@contact.name", "Bob"),
            ("@(1 / 0)", "0"),
        ),
    }
}


def _goflow_tree(base: Path) -> Path:
    _write(base / "extracted" / "test_session.json", DOCGEN_SESSION)
    _write(base / "extracted" / "excellent_examples.json", EXCELLENT)
    return base


def test_excellent_examples_run_in_the_docgen_session(tmp_path: Path) -> None:
    result = c.run_excellent(_goflow_tree(tmp_path))
    assert (result.name, result.section) == ("extracted/excellent_examples.json", "expressions")
    assert (result.passed, result.total, result.informative) == (8, 10, 2)
    assert result.failures == [
        "@contact.name -> 'Ann' (expected 'Bob')",
        "@(1 / 0) -> 'ERROR' (expected '0')",
    ]


# ----------------------------------------------------------------------------------- main


def _cli_tree(base: Path) -> Path:
    _goflow_tree(base)
    routers = base / "flows" / "routers" / "testdata"
    _write(routers / "_assets.json", ROUTER_ASSETS)
    _write(
        routers / "switch.json",
        [
            {
                "description": "in range",
                "router": _router("18"),
                "results": {"age_check": _age("18", "In Range", input="18")},
                "events": [{"type": "run_result_changed", **_age("18", "In Range")}],
            },
            {"description": "wrong", "router": _router("17"), "results": {}},
        ],
    )
    resumes = base / "flows" / "resumes" / "testdata"
    _write(resumes / "_assets.json", RESUME_ASSETS)
    _write(
        resumes / "msg.json",
        [_resume_case("resumed", events=[RED_CHANGED], run_status="completed", session_status="completed")],
    )
    return base


WRONG_ROUTER = (
    "          FAIL wrong: results {'age_check': {'name': 'Age Check', 'value': '17', 'category': 'Other', "
    "'input': '17'}} events [{'type': 'run_result_changed', 'name': 'Age Check', 'value': '17', "
    "'category': 'Other'}]"
)
FILE_LINES = [
    "  80.0%     8/10   expressions:     extracted/excellent_examples.json (+2 informative)",
    "  50.0%     1/2    routers:         flows/routers/testdata/switch.json",
    " 100.0%     1/1    resumes:         flows/resumes/testdata/msg.json",
]


def _summary(floors: tuple[str, str, str]) -> list[str]:
    return [
        "section               passed/total   floor",
        f"  expressions              8/10      {floors[0]}",
        f"  routers                  1/2       {floors[1]}",
        f"  resumes                  1/1       {floors[2]}",
        "  76.9%    10/13   TOTAL",
        "conformance: 10/13 vectors passed (76.9%), 1/3 files fully passing",
    ]


def test_main_prints_files_failures_sections_and_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = _cli_tree(tmp_path / "goflow")
    assert c.main([str(base), "-v"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        FILE_LINES[0],
        "          FAIL @contact.name -> 'Ann' (expected 'Bob')",
        "          FAIL @(1 / 0) -> 'ERROR' (expected '0')",
        FILE_LINES[1],
        WRONG_ROUTER,
        FILE_LINES[2],
        *_summary(("-", "-", "-")),
    ]
    # without -v: no failure lines; a floors file that isn't there is no floor
    assert c.main([str(base), "--floors", str(tmp_path / "none.json")]) == 0
    assert capsys.readouterr().out.splitlines() == [*FILE_LINES, *_summary(("-", "-", "-"))]


def test_main_gates_on_floors_and_raises_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = _cli_tree(tmp_path / "goflow")
    floors = _write(
        tmp_path / "floors.json",
        {"goflow": {"routers": 2, "expressions": 7, "runner": 1}, "courier": {"x": 1}},
    )
    assert c.main([str(base), "--floors", str(floors)]) == 3
    assert capsys.readouterr().out.splitlines() == [
        *FILE_LINES,
        *_summary(("7", "2", "-")),
        "conformance: BELOW FLOOR routers: 1 passed, floor 2",
        "conformance: BELOW FLOOR runner: 0 passed, floor 1",
    ]
    assert c.main([str(base), "--raise-floors", "--floors", str(floors)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"conformance: floors recorded in {floors}"
    assert floors.read_text() == (
        json.dumps(
            {"courier": {"x": 1}, "goflow": {"expressions": 8, "resumes": 1, "routers": 2, "runner": 1}},
            indent=2,
            sort_keys=True,
        )
        + "\n"
    )
    assert c.main([str(base), "--floors", str(floors)]) == 3  # raising never lowers a floor
    fresh = tmp_path / "new" / "floors.json"
    fresh.parent.mkdir()
    assert c.raise_floors(fresh, {"a": (2, 3)}) == {"a": 2}
    assert json.loads(fresh.read_text()) == {"goflow": {"a": 2}}
    assert c.raise_floors(fresh, {"a": (1, 3)}, suite="courier") == {"a": 1}
    assert json.loads(fresh.read_text()) == {"goflow": {"a": 2}, "courier": {"a": 1}}
    assert c.floor_failures({"a": (3, 4)}, {"a": 3, "b": 0}) == []


def test_main_exit_codes_for_missing_vectors_and_crashes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert c.main([str(tmp_path / "absent")]) == 2
    assert capsys.readouterr().err == f"conformance: no vectors at {tmp_path / 'absent'}\n"
    monkeypatch.setattr(c, "DEFAULT_DIR", tmp_path / "default-absent")
    assert c.main(["-v"]) == 2
    assert capsys.readouterr().err == f"conformance: no vectors at {tmp_path / 'default-absent'}\n"
    bad = _write(tmp_path / "bad" / "extracted" / "excellent_examples.json", {"items": {}})
    assert c.main([str(bad.parents[1])]) == 1  # no test_session.json: the runner itself fails
    out = capsys.readouterr()
    assert out.out == "conformance: runner crashed (see traceback above)\n"
    assert "FileNotFoundError" in out.err
    # options may come before the path; argv defaults to the command line
    one = tmp_path / "one"
    resumes = one / "flows" / "resumes" / "testdata"
    _write(resumes / "_assets.json", RESUME_ASSETS)
    _write(
        resumes / "msg.json",
        [_resume_case("resumed", events=[RED_CHANGED], run_status="completed", session_status="completed")],
    )
    floors = _write(tmp_path / "floors.json", {"goflow": {"resumes": 2}})
    monkeypatch.setattr("sys.argv", ["conformance", "--floors", str(floors), str(one)])
    assert c.main() == 3
    assert capsys.readouterr().out.splitlines() == [
        " 100.0%     1/1    resumes:         flows/resumes/testdata/msg.json",
        "section               passed/total   floor",
        "  resumes                  1/1       2",
        " 100.0%     1/1    TOTAL",
        "conformance: 1/1 vectors passed (100.0%), 1/1 files fully passing",
        "conformance: BELOW FLOOR resumes: 1 passed, floor 2",
    ]
    # an empty tree runs: nothing to count, nothing failed
    (tmp_path / "empty").mkdir()
    assert c.main([str(tmp_path / "empty")]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "section               passed/total   floor",
        "   0.0%     0/0    TOTAL",
        "conformance: 0/0 vectors passed (0.0%), 0/0 files fully passing",
    ]


# ----------------------------------------------------------------------------------- legacy

LEGACY_CONTEXT: dict[str, Any] = {
    "variables": {
        "Contact": {"Name": "Bob", "*": "Bob (+250)", "AGE": "33"},
        "Flow": {"Color": "red"},
        "Step": {"Value": {"A": "v"}},
    },
    "timezone": "Africa/Kigali",
    "now": "2018-01-02T03:04:05.000000Z",
}


def test_legacy_variables_become_a_current_context() -> None:
    assert legacy._legacy_variables(LEGACY_CONTEXT["variables"]) == {
        "fields": {},
        "results": {},
        "contact": {"fields": {"age": "33"}, "name": "Bob", "*": "Bob (+250)"},
        "run": {"results": {"color": "red"}},
        "step": {"value": {"a": "v"}},
    }
    assert legacy._legacy_variables({"CONTACT": "text", "Step": {"Value": {"A": 1}}}) == {
        "fields": {},
        "results": {},
        "contact": "text",
        "step": {"value": {"a": 1}},
    }
    assert legacy._lower_keys([{"A": 1}]) == [{"A": 1}]


def test_legacy_expression_vectors(tmp_path: Path) -> None:
    cases = [
        {"template": "Hi", "context": {"variables": {}}, "output": "Hi", "errors": []},
        {"template": "@(1 / 0)", "output": "", "errors": ["division by zero"]},
        {"template": "@('x')", "output": "@('x')", "errors": ["bad"]},
        {"template": "@(0 / )", "output": "@(0 /)", "errors": []},
        {
            "template": "@contact|@contact.name|@(contact.fields.age)|@(run.results.color)|@(step.value.a)|@(now())",
            "context": LEGACY_CONTEXT,
            "output": "",
            "errors": ["expected, but nothing fails"],
        },
        {"template": "@(now())", "context": {"now": "2018-01-02T03:04:05Z"}, "output": "", "errors": ["x"]},
        {"template": None, "output": "", "errors": []},
        {"template": "@(now())", "context": {"now": "garbage"}, "output": "", "errors": []},
        {"template": "last", "output": "last", "errors": []},
    ]
    path = _write(tmp_path / "legacy_tests.json", cases)
    result = legacy.run_expression_vectors(path, c.FileResult("e", "legacy_expressions"))
    assert result.failures == [
        "'@(0 / )': migration failed (@(0 / ): unexpected 'end of expression') and gave '@(0 / )'",
        "'@contact|@contact.name|@(contact.fields.age)|@(run.results.color)|@(step.value.a)|@(now())': "
        "migrated to '@contact|@contact.name|@contact.fields.age|@run.results.color|@(step.value.a)|@(now())', "
        "expected an error, got '{*: Bob (+250), fields: {age: 33}, name: Bob}|Bob|33|red|v|"
        "2018-01-02T05:04:05.000000+02:00'",
        "'@(now())': migrated to '@(now())', expected an error, got '2018-01-02T03:04:05.000000Z'",
        "None: crashed TypeError(\"object of type 'NoneType' has no len()\")",
        "'@(now())': crashed ValueError(\"Invalid isoformat string: 'garbage'\")",
    ]
    assert (result.passed, result.total) == (4, 9)


REPLY = "9d0c1c4b-2a7e-4f6e-8a01-0b6a4c0e6f0a"
GEN1, GEN2 = "aaaaaaaa-0000-4000-8000-000000000001", "aaaaaaaa-0000-4000-8000-000000000002"
RULESET: dict[str, Any] = {
    "uuid": "5b977652-91e3-48be-8e86-7c8094b4aa8f",
    "rules": [
        {
            "test": {"type": "true"},
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
UI = {"type": "wait_for_response", "position": {"left": 100, "top": 0}}


def test_legacy_definition_vectors(tmp_path: Path) -> None:
    folder = tmp_path / "flows" / "definition" / "legacy" / "testdata"
    reply = {"type": "reply", "uuid": REPLY, "msg": {"eng": "Hi", "fra": "Salut"}}
    send = {"uuid": REPLY, "type": "send_msg", "text": "Hi"}
    _write(
        folder / "actions.json",
        [
            {
                "description": "reply",
                "legacy_action": reply,
                "expected_action": send,
                "expected_localization": {"fra": {REPLY: {"text": ["Salut"]}}},
            },
            {
                "legacy_action": reply,
                "legacy_flow_type": "M",
                "expected_action": dict(send, text="Hello"),
                "expected_localization": {"fra": {REPLY: {"text": ["Salut"]}}},
            },
            {"description": "no localization expected", "legacy_action": reply, "expected_action": send},
        ],
    )
    case = {"uuid": GEN1, "type": "has_all_words", "category_uuid": GEN2, "arguments": ["red"]}
    contains = {"type": "contains", "test": {"eng": "red", "fra": "rouge"}}
    loc = {"fra": {GEN1: {"arguments": ["rouge"]}}}
    _write(
        folder / "tests.json",
        [
            {
                "description": "contains",
                "legacy_test": contains,
                "expected_case": case,
                "expected_localization": loc,
            },
            {
                "description": "ui",
                "legacy_test": contains,
                "expected_case": case,
                "expected_localization": loc,
                "expected_ui": {"arguments": ["red"]},
            },
            # the generated case uuid is used twice: naming another one in the localization is a difference
            {
                "description": "uuids",
                "legacy_test": contains,
                "expected_case": case,
                "expected_localization": {"fra": {GEN2: {"arguments": ["rouge"]}}},
            },
        ],
    )
    node = {"uuid": RULESET["uuid"], "exits": [{"uuid": "cfcf5cef-49f9-41a6-886b-f466575a3045"}]}
    _write(
        folder / "rulesets.json",
        [
            {"description": "ruleset", "legacy_ruleset": RULESET, "expected_node": node, "expected_ui": UI},
            {
                "description": "ruleset ui",
                "legacy_ruleset": RULESET,
                "expected_node": node,
                "expected_ui": dict(UI, type="wait_for_menu"),
            },
            {
                "description": "ruleset uuid",
                "legacy_ruleset": RULESET,
                "expected_node": dict(node, uuid=GEN1),
                "expected_ui": UI,
            },
        ],
    )
    _write(folder / "other.json", [{"description": "what"}])
    expressions = tmp_path / "flows" / "definition" / "legacy" / "expressions" / "testdata"
    _write(expressions / "legacy_tests.json", [{"template": "Hi", "output": "Hi", "errors": []}])
    results = c.run_legacy_sections(tmp_path)
    assert [(r.name, r.section, r.passed, r.total, r.failures) for r in results] == [
        (
            "legacy definition: actions.json",
            "legacy_definitions",
            1,
            3,
            [
                'actions[1]: [0].text: got "Hi" want "Hello"',
                f'no localization expected: [1].fra: unexpected {{"{REPLY}": {{"text": ["Salut"]}}}}',
            ],
        ),
        ("legacy definition: other.json", "legacy_definitions", 0, 1, ["what: unknown vector file other"]),
        (
            "legacy definition: rulesets.json",
            "legacy_definitions",
            1,
            3,
            [
                'ruleset ui: [2].type: got "wait_for_response" want "wait_for_menu"',
                f'ruleset uuid: [0].uuid: got "{RULESET["uuid"]}" want "GEN-1"',
            ],
        ),
        (
            "legacy definition: tests.json",
            "legacy_definitions",
            1,
            3,
            ['ui: [2]: got null want {"arguments": ["red"]}', "uuids: [1].fra.GEN-1: missing"],
        ),
        ("legacy expressions: legacy_tests.json", "legacy_expressions", 1, 1, []),
    ]
    (folder / "tests.json").write_text("not json")
    assert [(r.passed, r.total, r.failures[:1]) for r in c.run_legacy_sections(tmp_path)][3] == (
        0,
        1,
        ["unreadable vector file: JSONDecodeError('Expecting value: line 1 column 1 (char 0)')"],
    )


def test_canonical_renames_generated_uuids_by_first_appearance() -> None:
    known = legacy._uuids_in({REPLY: [GEN1, "x"], "a": {"b": "not-a-uuid"}}, set())
    assert known == {REPLY, GEN1}
    g1, g2, g3 = U(0xC01), U(0xC02), U(0xC03)
    piece = {
        "z": g2,
        "nodes": [{"uuid": g1}],  # nodes are walked first, whatever their key's place
        "a": REPLY,
        "_a": g2,
        "_ui": {g3: {"y": {"b": 2, "a": 1}}, g1: {"n": 1}, g2: {"x": 0}},
    }
    assert legacy.canonical([piece], {REPLY}) == [
        {
            "nodes": [{"uuid": "GEN-1"}],
            "_a": "GEN-2",
            "_ui": {"GEN-1": {"n": 1}, "GEN-2": {"x": 0}, "GEN-3": {"y": {"a": 1, "b": 2}}},
            "a": REPLY,
            "z": "GEN-2",
        }
    ]
    # keys of generated uuids not seen yet go last, ordered by their content
    assert legacy.canonical([{g2: {"b": 1, "a": 2}, g1: {"a": 3}, "k": 1}], set()) == [
        {"k": 1, "GEN-1": {"a": 2, "b": 1}, "GEN-2": {"a": 3}}  # by content: '{"a": 2' < '{"a": 3'
    ]
    assert legacy.canonical([{g2: 1, g1: "x"}], set()) == [{"GEN-1": "x", "GEN-2": 1}]  # "x" < 1 in JSON text
    assert (
        legacy._compare([{"a": g1, "b": g1}], [{"a": g2, "b": g3}], {}) == '[0].b: got "GEN-1" want "GEN-2"'
    )
    assert legacy._compare([{"a": REPLY}], [{"a": g2}], {"x": REPLY}) == (
        f'[0].a: got "{REPLY}" want "GEN-1"'
    )


def test_legacy_first_diff_paths() -> None:
    d = legacy._first_diff
    assert d({"a": 1, "b": 2}, {"a": 1.0, "c": 2}) == ".b: unexpected 2"
    assert d({"a": 1}, {"a": 1, "b": 2}) == ".b: missing"
    assert d({"a": "x" * 200}, {}) == '.a: unexpected "' + "x" * 119
    assert d([1, [2, 3]], [1, [2, 4]]) == "[1][1]: got 3 want 4"
    assert d([1], [1, 2]) == ": 1 items, expected 2"
    assert d({"a": [1]}, {"a": {"0": 1}}) == '.a: got [1] want {"0": 1}'
    assert d([1], {"0": 1}) == ': got [1] want {"0": 1}'
    assert d("y" * 200, "z" * 200) == ': got "' + "y" * 159 + ' want "' + "z" * 159
    assert d({"a": [{"b": 1}]}, {"a": [{"b": 1}]}) == ""
