"""Exact behaviour of the runner (flows/engine/runner.py): what start() and resume() return.

Each scenario runs small flows through an engine whose uuids count up (…-000000000001, …-2) and
whose clock advances one second per reading, then compares the whole outcome: every event, the
stored session JSON and the sprint's segments. The counters make the order of uuid/clock reads
part of what is pinned. Further tests pin the error texts of resumes the session can't accept,
the failure events of broken flows and the limits of a sprint."""

from __future__ import annotations

import copy
import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from flows.engine import Assets, Engine, ResumeError, SequentialClock, Sprint

from .builders import PARENT_UUID as PARENT
from .builders import (
    Json,
    child_router,
    enter,
    flow_def,
    node,
    parent_def,
    recorder,
    send,
    trigger,
    without_ids,
)
from .helpers import (
    GROUPS,
    START,
    contact,
    exit_,
    msg_received,
    msg_resume,
    question_flow,
    seeded_engine,
    workspace,
)
from .helpers import QUESTION_UUID as QUESTION

OTHER = "f3000000-0000-4000-8000-000000000003"


class CountingUUIDs:
    """uuids 00000000-0000-4000-8000-000000000001, …002, … in the order the engine asks."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"00000000-0000-4000-8000-{self.n:012d}"


def uid(n: int) -> str:
    """The `n`th uuid CountingUUIDs hands out."""
    return f"00000000-0000-4000-8000-{n:012d}"


def ts(seconds: int) -> str:
    """The clock reading `seconds` after the start (the clock advances 1s per reading)."""
    return (START + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def make_engine(flows: list[Json], *, groups: list[Json] = GROUPS, **kwargs: Any) -> Engine:
    """An engine on the test workspace with `flows` (and `groups`) whose uuids count up."""
    return seeded_engine(workspace(flows, groups=groups), new_uuid=CountingUUIDs(), **kwargs)


def outcome(sprint: Sprint) -> Json:
    """All a sprint returns: its events, the session's JSON and the segments."""
    return {"events": sprint.events, "session": sprint.session.to_json(), "segments": sprint.segments}


def stored(sprint: Sprint) -> Json:
    """The session as the Django side stores it."""
    return json.loads(json.dumps(sprint.session.to_json()))


def resumed_outcome(flows: list[Json], resume: Json, *, flow_uuid: str = QUESTION) -> Json:
    """Starts `flow_uuid` in an engine with `flows`, then resumes the stored session with
    `resume`: the outcome of that resume."""
    eng = make_engine(flows)
    started = eng.start(contact(), trigger(flow_uuid))
    return outcome(eng.resume(stored(started), resume))


QUESTION_REF = {"name": "Question", "uuid": QUESTION}
CONTACT_JSON = {
    "uuid": "a0000000-0000-4000-8000-00000000000a",
    "name": "Amina Uwase",
    "status": "active",
    "language": "eng",
    "created_on": "2024-01-01T00:00:00Z",
    "urns": ["tel:+250788123123"],
    "fields": {"age": {"text": "31", "number": 31}},
}
ENV_JSON = {
    "date_format": "DD-MM-YYYY",
    "time_format": "tt:mm",
    "timezone": "UTC",
    "redaction_policy": "none",
}
ASK_MSG = {
    "urn": "tel:+250788123123",
    "channel": {"name": "Test SMS", "uuid": "c1a00000-0000-4000-8000-000000000001"},
    "text": "Do you like tea, Amina?",
    "quick_replies": [{"type": "text", "text": "Yes"}, {"type": "text", "text": "No"}],
    "locale": "eng-RW",
}


# ----------------------------------------------------------------------------- a conversation


def conversation() -> list[Json]:
    """The question flow: asked, answered "maybe" twice (re-asked), then "yes"."""
    eng = make_engine([question_flow()])
    sprints = [eng.start(contact(), trigger())]
    for text in ("maybe", "maybe", "yes"):
        sprints.append(eng.resume(stored(sprints[-1]), msg_resume(text)))
    return [outcome(s) for s in sprints]


def timeout() -> Json:
    """No reply before the timeout: the timeout category, with an empty input."""
    return resumed_outcome([question_flow()], {"type": "wait_timeout", "resumed_on": ts(400)})


def run_expiration() -> Json:
    """A run_expiration ends the waiting run as expired and the session as completed."""
    return resumed_outcome([question_flow()], {"type": "run_expiration", "resumed_on": ts(400)})


# ----------------------------------------------------------------------------- subflows


def two_children_def() -> Json:
    """Enters the question flow twice in a row, whatever the first time ended like."""
    return flow_def(
        PARENT,
        "Twice",
        [
            node("t-1", [enter("t-a1", QUESTION)], [exit_("p1", "t-2"), exit_("p2", "t-2")], child_router()),
            node("t-2", [enter("t-a2", QUESTION)], [exit_("p1"), exit_("p2")], child_router()),
        ],
    )


def other_def() -> Json:
    """A flow that only says hello."""
    return flow_def(OTHER, "Other", [node("o-1", [send("o-a1", "Hello from @run.flow.name")], [exit_("o")])])


def subflow_replied() -> list[Json]:
    """The parent enters the question flow, which waits; the reply ends the child and the parent
    routes on it (the parent's run keeps the modified_on of its creation while the child waits)."""
    eng = make_engine([parent_def(), question_flow()])
    started = eng.start(contact(), trigger(PARENT))
    return [outcome(started), outcome(eng.resume(stored(started), msg_resume("no")))]


def subflow_expired() -> Json:
    """The waiting child expires: the parent goes on by its Expired category."""
    return resumed_outcome([parent_def(), question_flow()], {"type": "wait_expiration"}, flow_uuid=PARENT)


def second_child_after_reply() -> Json:
    """The parent, continued after its first child, enters a second one: it stays active."""
    return resumed_outcome([two_children_def(), question_flow()], msg_resume("yes"), flow_uuid=PARENT)


def second_child_after_expiration() -> Json:
    """As second_child_after_reply, the first child having expired."""
    return resumed_outcome(
        [two_children_def(), question_flow()], {"type": "wait_expiration"}, flow_uuid=PARENT
    )


def waiting_parent_router_after_child() -> Json:
    """A parent's router that also has a wait routes on the child's end, it doesn't wait."""
    eng = make_engine([parent_def(child=OTHER, wait=True), other_def()])
    return outcome(eng.start(contact(), trigger(PARENT)))


def waiting_parent_router_after_expired_child() -> Json:
    """As waiting_parent_router_after_child, the child having expired."""
    return resumed_outcome(
        [parent_def(wait=True), question_flow()], {"type": "wait_expiration"}, flow_uuid=PARENT
    )


def terminal_child() -> Json:
    """A terminal subflow ends the parent first; the child has no parent run."""
    parent = flow_def(
        PARENT,
        "Parent",
        [node("p-1", [enter("p-a1", QUESTION, terminal=True)], [exit_("p1"), exit_("p2")], child_router())],
    )
    eng = make_engine([parent, question_flow()])
    sprint = eng.start(contact(), trigger(PARENT))
    return {**outcome(sprint), "parent_uuids": [r.parent_uuid for r in sprint.session.runs]}


# ----------------------------------------------------------------------------- routers


def random_flow() -> Json:
    categories = [{"uuid": f"rc{i}", "name": f"Bucket {i}", "exit_uuid": f"er{i}"} for i in range(3)]
    router = {"type": "random", "result_name": "Bucket", "categories": categories}
    return flow_def(QUESTION, "Random", [node("r-1", [], [exit_(f"r{i}") for i in range(3)], router)])


def random_picks() -> list[Json]:
    """r * 3 categories, floored; a generator returning exactly 1.0 still picks the last one."""
    out = []
    for r in (0.0, 0.5, 0.999, 1.0):
        sprint = make_engine([random_flow()], random=lambda r=r: r).start(contact(), trigger())
        out.append(sprint.session.to_json()["runs"][0]["results"])
    return out


def dial_flow(phone: str) -> Json:
    router = {
        "type": "switch",
        "operand": "@resume.dial.status",
        "result_name": "Call",
        "wait": {"type": "dial", "phone": phone, "dial_limit_seconds": 20, "call_limit_seconds": 100},
        "cases": [
            {"uuid": "dc1", "type": "has_only_text", "arguments": ["answered"], "category_uuid": "dk1"}
        ],
        "categories": [
            {"uuid": "dk1", "name": "Answered", "exit_uuid": "ed1"},
            {"uuid": "dk2", "name": "Other", "exit_uuid": "ed2"},
        ],
        "default_category_uuid": "dk2",
    }
    number = {"uuid": "d-a1", "type": "set_run_result", "name": "Number", "value": "0788 555 111"}
    return flow_def(
        QUESTION,
        "Dial",
        [node("d-1", [number], [exit_("d0", "d-2")]), node("d-2", [], [exit_("d1"), exit_("d2")], router)],
        type="voice",
    )


def dial_answered() -> list[Json]:
    """A dial wait: the number comes from a result, the wait lasts the dial and call limits plus
    30s; the dial resume routes on its status and leaves no input."""
    eng = make_engine([dial_flow("@results.number")])
    started = eng.start(contact(), trigger(), {"default_country": "RW"})
    resume = {"type": "dial", "resumed_on": ts(100), "dial": {"status": "answered", "duration": 10}}
    resumed = eng.resume(stored(started), resume)
    return [outcome(started), {**outcome(resumed), "input": resumed.session.input}]


def dial_impossible_number() -> Json:
    """Not a possible number: an error, and the router routes straight on without a dial."""
    return outcome(make_engine([dial_flow("123")]).start(contact(), trigger(), {"default_country": "RW"}))


def localized_question() -> Json:
    flow = question_flow()
    flow["localization"]["fra"] = {
        **flow["localization"]["fra"],
        "case-yes": {"arguments": ["oui"]},
        "cat-yes": {"name": ["Oui"]},
        "cat-other": {"name": ["Other"]},  # the same as the flow's: not a translation
    }
    return flow


def localized_answers() -> list[Json]:
    """A French contact (French allowed) answers in French; a French contact where only
    English is allowed, and an English one, are routed on the English arguments."""
    out = []
    for language, allowed, answer in (
        ("fra", ["eng", "fra"], "oui"),
        ("fra", ["eng", "fra"], "peut-être"),
        ("fra", ["eng"], "oui"),
        ("eng", ["eng", "fra"], "oui"),
    ):
        eng = make_engine([localized_question()])
        started = eng.start(contact(language=language), trigger(), {"allowed_languages": allowed})
        sprint = eng.resume(stored(started), msg_resume(answer))
        out.append({"events": sprint.events[:1], "results": sprint.session.to_json()["runs"][0]["results"]})
    return out


def switch_flow(
    operand: str, cases: list[Json], *, default: bool = True, actions: list[Json] | None = None
) -> Json:
    """One node routing on `operand` (no wait): each case's category exits to the end."""
    categories = [{"uuid": f"sc{i}", "name": f"Case {i}", "exit_uuid": f"es{i}"} for i in range(len(cases))]
    categories.append({"uuid": "sc-other", "name": "Other", "exit_uuid": "es-other"})
    router: Json = {
        "type": "switch",
        "operand": operand,
        "result_name": "Check",
        "cases": [dict(c, uuid=f"case{i}", category_uuid=f"sc{i}") for i, c in enumerate(cases)],
        "categories": categories,
    }
    if default:
        router["default_category_uuid"] = "sc-other"
    exits = [exit_(f"s{i}") for i in range(len(cases))] + [exit_("s-other")]
    return flow_def(QUESTION, "Switch", [node("s-1", actions or [], exits, router)])


def switch(operand: str, cases: list[Json], **kwargs: Any) -> Json:
    sprint = make_engine([switch_flow(operand, cases, **kwargs)]).start(contact(), trigger())
    runs = sprint.session.to_json()["runs"]
    return {
        "events": [without_ids(e) for e in sprint.events],
        "results": runs[0].get("results"),
        "status": sprint.status,
    }


def switch_cases() -> list[Json]:
    return [
        # arguments are templates; a case whose test fails with an error is skipped
        switch(
            "@fields.age",
            [
                {"type": "has_number_between", "arguments": ["x", "y"]},
                {"type": "has_number_between", "arguments": ["@(fields.age - 1)", "@(fields.age + 1)"]},
            ],
        ),
        # an operand that fails to evaluate: the default category, value and input empty
        switch("@(1 / 0)", [{"type": "has_text", "arguments": []}]),
        # the error event names the failing expression, or the whole operand when it has several
        switch("x @(1 / 0)", []),
        switch("@(1 / 0) @(2 / 0)", []),
        # a match's extra (the pattern's groups) is saved with the result
        switch("@contact.name", [{"type": "has_pattern", "arguments": ["(\\w+) (\\w+)"]}]),
        # nothing matches and there is no default category: the run fails
        switch("@contact.name", [{"type": "has_number", "arguments": []}], default=False),
    ]


# ----------------------------------------------------------------------------- failures and limits


def loop_flow(*, enter_self: bool = False) -> Json:
    actions = [enter("l-a1", QUESTION, "Loop")] if enter_self else []
    return flow_def(QUESTION, "Loop", [node("l-1", actions, [exit_("l", "l-1")])])


def brief(sprint: Sprint, *, last: int = 3) -> Json:
    """The last events (without uuid/created_on), the run statuses and the session status."""
    return {
        "events": [without_ids(e) for e in sprint.events[-last:]],
        "runs": [r.status for r in sprint.session.runs],
        "status": sprint.status,
        "wait": sprint.session.wait,
    }


def failures() -> list[Json]:
    """Loops stopped by the step limit (the default and an engine's own); a waiting node or flow
    gone from the assets by the time of the reply."""
    out = [
        brief(make_engine([loop_flow()]).start(contact(), trigger())),
        brief(make_engine([loop_flow()], max_steps=3).start(contact(), trigger()), last=8),
    ]
    # the node a run waits at was removed from its flow before the reply came
    started = make_engine([question_flow()]).start(contact(), trigger())
    changed = question_flow()
    changed["nodes"] = [n for n in changed["nodes"] if n["uuid"] == "n-silent"]
    out.append(brief(make_engine([changed]).resume(stored(started), msg_resume("yes"))))
    # the flow a waiting run is in has gone from the assets
    started = make_engine([question_flow()]).start(contact(), trigger())
    out.append(brief(make_engine([]).resume(stored(started), msg_resume("yes"))))
    return out


def too_many_runs() -> Json:
    """A flow entering itself: the session stops at MAX_RUNS_PER_SESSION runs."""
    sprint = make_engine([loop_flow(enter_self=True)], max_steps=10_000).start(contact(), trigger())
    started = [e for e in sprint.events if e["type"] == "run_started"]
    failure = [e["text"] for e in sprint.events if e["type"] == "failure"]
    ended = [(e["run_uuid"], e["status"]) for e in sprint.events if e["type"] == "run_ended"]
    return {
        "failure": failure,
        "runs": len(sprint.session.runs),
        "started": len(started),
        "ended": [ended[0], ended[-1], len(ended)],
        "statuses": sorted({r.status for r in sprint.session.runs}),
        "status": sprint.status,
        "wait": sprint.session.wait,
    }


# ----------------------------------------------------------------------------- start


def start_settings() -> list[Json]:
    """The contact's timezone applies only where the environment sets none, and keeps the
    environment's other settings; a msg trigger's message is the session's input."""
    out = []
    for who, env in (
        (contact(timezone="Africa/Kigali"), {"timezone": "America/New_York", "date_format": "MM-DD-YYYY"}),
        (contact(timezone="Africa/Kigali"), {"date_format": "MM-DD-YYYY", "default_country": "RW"}),
        (contact(), {"date_format": "YYYY-MM-DD"}),
    ):
        out.append(
            make_engine([other_def()]).start(who, trigger(OTHER), env).session.to_json()["environment"]
        )
    msg = {"uuid": "m0", "text": "hi", "urn": "tel:+250788123123"}
    event = msg_received(msg, "2024-03-01T08:59:00Z")
    for trig in (
        trigger(OTHER, type="msg", event=event),
        trigger(OTHER, event=event),  # not a msg trigger: its event isn't input
    ):
        started = make_engine([other_def()]).start(contact(), trig).session
        out.append({"input": started.to_json().get("input"), "sprints": started.sprints})
    return out


def test_start_names_a_missing_flow() -> None:
    with pytest.raises(ValueError) as raised:
        make_engine([question_flow()]).start(contact(), trigger("nope"))
    assert str(raised.value) == "no such flow: {'uuid': 'nope'}"


# ----------------------------------------------------------------------------- resume


@pytest.mark.parametrize(
    ("setup", "resume", "message"),
    [
        ("completed", {"type": "msg"}, "only waiting sessions can be resumed, session is completed"),
        ("no_run", {"type": "msg"}, "session has no waiting run"),
        ("dial", {"type": "msg"}, "resume of type msg not accepted by wait of type dial"),
        ("msg", {"type": "dial"}, "resume of type dial not accepted by wait of type msg"),
        ("untyped", {"type": "dial"}, "resume of type dial not accepted by wait of type msg"),
        # the message names the wait's own type (here one stored by some other engine version)
        ("other_type", {"type": "dial"}, "resume of type dial not accepted by wait of type menu"),
        (
            "no_timeout",
            {"type": "wait_timeout"},
            "resume of type wait_timeout not accepted by wait of type msg",
        ),
        ("msg", {"type": "bogus"}, "resume of type bogus not accepted"),
        ("msg", {}, "resume of type  not accepted"),
    ],
)
def test_resume_refusals(setup: str, resume: Json, message: str) -> None:
    if setup == "dial":
        eng = make_engine([dial_flow("+250788555111")])
    else:
        eng = make_engine([question_flow(timeout=None if setup == "no_timeout" else 300)])
    session = stored(eng.start(contact(), trigger()))
    if setup == "completed":
        session = stored(eng.resume(session, msg_resume("yes")))
    elif setup == "no_run":
        session["runs"][0]["status"] = "completed"
    elif setup == "untyped":
        del session["wait"]["type"]
    elif setup == "other_type":
        session["wait"]["type"] = "menu"
    before = copy.deepcopy(session)
    with pytest.raises(ResumeError) as raised:
        eng.resume(session, resume)
    assert str(raised.value) == message
    assert session == before


def resume_inputs() -> list[Json]:
    """What a msg resume leaves as the session's input: the event's message and time, else the
    resume's own msg and resumed_on."""
    bare = {"type": "msg", "resumed_on": "2024-03-01T09:07:00Z", "msg": {"uuid": "m2", "text": "no"}}
    full = dict(msg_resume("no"), resumed_on="2024-03-01T09:05:30Z")
    no_time = dict(msg_resume("no"), resumed_on="2024-03-01T09:06:00Z")
    del no_time["event"]["created_on"]
    out = []
    for resume in (full, bare, no_time):
        eng = make_engine([question_flow()])
        sprint = eng.resume(stored(eng.start(contact(), trigger())), resume)
        out.append({"input": sprint.session.to_json()["input"], "first": sprint.events[0]["value"]})
    return out


def test_a_reloaded_session_keeps_its_settings_and_uses_the_engines_clock_and_uuids() -> None:
    eng = make_engine([question_flow()])
    settings = {"redaction_policy": "urns", "default_country": "RW", "allowed_languages": ["eng", "fra"]}
    started = eng.start(contact(), trigger(), settings)
    sprint = eng.resume(stored(started), msg_resume("maybe"))
    assert sprint.session.to_json()["environment"] == {
        **ENV_JSON,
        "redaction_policy": "urns",
        "allowed_languages": ["eng", "fra"],
        "default_country": "RW",
    }
    assert [(e["uuid"], e["created_on"]) for e in sprint.events] == [
        (uid(7), ts(9)),
        (uid(9), ts(12)),
        (uid(10), ts(15)),
    ]


def test_resuming_a_session_object_uses_the_engines_clock() -> None:
    eng = make_engine([question_flow()])
    session = eng.start(contact(), trigger()).session
    session.environment.now = lambda: dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    sprint = eng.resume(session, msg_resume("yes"))
    assert sprint.events[0]["created_on"] == ts(9)


def test_query_groups_are_rechecked_after_a_reply() -> None:
    """A query group changed while the contact was waiting: the reply's routing re-checks it."""
    eng = make_engine([question_flow()])
    session = stored(eng.start(contact(), trigger()))
    adults = {"uuid": "60000000-0000-4000-8000-000000000002", "name": "Adults", "query": "age >= 18"}
    sprint = make_engine([question_flow()], groups=[*GROUPS, adults]).resume(session, msg_resume("maybe"))
    assert [e["type"] for e in sprint.events] == [
        "run_result_changed",
        "contact_groups_changed",
        "msg_created",
        "msg_wait",
    ]
    assert sprint.events[1]["groups_added"] == [{"name": "Adults", "uuid": adults["uuid"]}]


def test_a_reply_that_ends_the_session_clears_the_wait() -> None:
    eng = make_engine([question_flow()])
    sprint = eng.resume(eng.start(contact(), trigger()).session, msg_resume("yes"))
    assert sprint.session.wait is None
    assert sprint.session.status == "completed"


# ----------------------------------------------------------------------------- results


def echo_flow() -> Json:
    """Asks; a yes is echoed with what was said (results and run.results) and asked again."""
    router = {
        "type": "switch",
        "operand": "@input.text",
        "result_name": "Answer",
        "wait": {"type": "msg"},
        "cases": [
            # never matches, but reads the results before the new one is saved
            {
                "uuid": "c0",
                "type": "has_phrase",
                "arguments": ["@results.answer.input @run.results.answer.input zzz"],
                "category_uuid": "k-yes",
            },
            {"uuid": "c1", "type": "has_any_word", "arguments": ["yes"], "category_uuid": "k-yes"},
            {"uuid": "c2", "type": "has_pattern", "arguments": ["^(\\d+) (\\d+)$"], "category_uuid": "k-num"},
        ],
        "categories": [
            {"uuid": "k-yes", "name": "Yes", "exit_uuid": "ey"},
            {"uuid": "k-num", "name": "Numbers", "exit_uuid": "en"},
            {"uuid": "k-other", "name": "Other", "exit_uuid": "eo"},
        ],
        "default_category_uuid": "k-other",
    }
    echo = send("a-echo", "@results.answer.input|@run.results.answer.input|@legacy_extra")
    return flow_def(
        QUESTION,
        "Echo",
        [
            node(
                "q",
                [send("a-ask", "Well?")],
                [exit_("y", "echo"), exit_("n", "echo"), exit_("o", "echo")],
                router,
            ),
            node("echo", [echo], [exit_("back", "q")]),
        ],
    )


def echoes() -> list[list[Any]]:
    """Re-saving the same value and category sends no event but the result shows the new input;
    @legacy_extra shows the extra of the result as it is now."""
    eng = make_engine([echo_flow()])
    session = stored(eng.start(contact(), trigger()))
    out = []
    for text in ("yes please", "yes sir", "12 34", "nope"):
        sprint = eng.resume(session, msg_resume(text))
        session = stored(sprint)
        out.append(
            [e.get("msg", {}).get("text") or without_ids(e) for e in sprint.events if e["type"] != "msg_wait"]
        )
    return out


def test_a_result_set_by_an_action_is_seen_by_the_next_action() -> None:
    flow = flow_def(
        QUESTION,
        "Results",
        [
            node(
                "n-1",
                [
                    send("a-1", "before: @results.score"),
                    {"uuid": "a-2", "type": "set_run_result", "name": "Score", "value": "7"},
                    send("a-3", "after: @results.score, created @contact.created_on"),
                ],
                [exit_("1")],
            )
        ],
    )
    sprint = make_engine([flow]).start(contact(), trigger())
    texts = [e["msg"]["text"] for e in sprint.events if e["type"] == "msg_created"]
    assert texts == ["before: ", "after: 7, created 2024-01-01T00:00:00.000000Z"]
    assert sprint.session.runs[0].results["score"]["node_uuid"] == "n-1"


def test_a_result_without_stored_value_or_category_reports_empty_previous_values() -> None:
    eng = make_engine([question_flow()])
    session = stored(eng.start(contact(), trigger()))
    session["runs"][0]["results"] = {"likes_tea": {"name": "Likes Tea", "node_uuid": "n-ask"}}
    sprint = eng.resume(session, msg_resume("yes"))
    assert sprint.events[0]["previous"] == {"value": "", "category": ""}


# ----------------------------------------------------------------------------- clocks and services


@pytest.fixture
def server_in_tokyo() -> Iterator[None]:
    """The server's local timezone is far from UTC: timestamps must not depend on it."""
    mp = pytest.MonkeyPatch()
    mp.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    mp.undo()
    time.tzset()


def test_timestamps_are_utc_whatever_the_clocks_timezone(server_in_tokyo: None) -> None:
    """A clock reading in another timezone is stored and reported in UTC."""
    kigali = SequentialClock(dt.datetime(2024, 3, 1, 11, 0, tzinfo=ZoneInfo("Africa/Kigali")))
    sprint = make_engine([question_flow()], clock=kigali).start(contact(), trigger())
    session = sprint.session.to_json()
    assert session["created_on"] == ts(0)
    assert [e["created_on"] for e in sprint.events] == [ts(2), ts(4), ts(7)]
    assert session["wait"] == {
        "type": "msg",
        "expires_on": "2024-03-04T09:00:05.000000Z",
        "timeout_seconds": 300,
        "timeout_on": ts(305),
    }


def test_timestamps_are_utc_on_a_server_in_another_timezone(server_in_tokyo: None) -> None:
    started = make_engine([question_flow()]).start(contact(), trigger())
    assert outcome(started) == CONVERSATION[0]
    dialled = make_engine([dial_flow("@results.number")]).start(
        contact(), trigger(), {"default_country": "RW"}
    )
    assert dialled.session.to_json()["wait"] == {"type": "dial", "expires_on": ts(158)}


def test_engine_without_a_clock_uses_the_current_time() -> None:
    before = dt.datetime.now(dt.UTC)
    session = Engine(Assets.from_json({"flows": [other_def()]})).start(contact(), trigger(OTHER)).session
    created = dt.datetime.fromisoformat(session.created_on.replace("Z", "+00:00"))
    assert before <= created <= dt.datetime.now(dt.UTC)


@pytest.mark.parametrize(("kwargs", "expected"), [({}, 10.0), ({"webhook_timeout": 2.5}, 2.5)])
def test_webhook_timeout(kwargs: Json, expected: float) -> None:
    sent, handler = recorder(httpx.Response(200, json={}))
    hook = {
        "uuid": "w-1",
        "type": "call_webhook",
        "method": "GET",
        "url": "http://example.test/",
        "result_name": "R",
    }
    flow = flow_def(QUESTION, "Hook", [node("w", [hook], [exit_("w")])])
    make_engine([flow], handler=handler, **kwargs).start(contact(), trigger())
    seen = [request.extensions["timeout"] for request in sent]
    assert seen == [{"connect": expected, "read": expected, "write": expected, "pool": expected}]


# ----------------------------------------------------------------------------- expected outcomes
# (produced by the code, then read through: see each scenario's docstring for what matters)

CONVERSATION = [
    {
        "events": [
            {
                "uuid": uid(3),
                "type": "run_started",
                "created_on": ts(2),
                "flow": QUESTION_REF,
                "run_uuid": uid(2),
            },
            {"uuid": uid(5), "type": "msg_created", "created_on": ts(4), "msg": ASK_MSG},
            {
                "uuid": uid(6),
                "type": "msg_wait",
                "created_on": ts(7),
                "expires_on": "2024-03-04T09:00:05.000000Z",
                "timeout_seconds": 300,
            },
        ],
        "session": {
            "uuid": uid(1),
            "type": "messaging",
            "status": "waiting",
            "created_on": ts(0),
            "environment": ENV_JSON,
            "trigger": {"type": "manual", "flow": {"uuid": QUESTION}},
            "contact": CONTACT_JSON,
            "runs": [
                {
                    "uuid": uid(2),
                    "flow": QUESTION_REF,
                    "status": "waiting",
                    "created_on": ts(1),
                    "modified_on": ts(6),
                    "exited_on": None,
                    "path": [{"uuid": uid(4), "node_uuid": "n-ask", "arrived_on": ts(3)}],
                    "expires_on": "2024-03-04T09:00:05.000000Z",
                },
            ],
            "sprints": 1,
            "wait": {
                "type": "msg",
                "expires_on": "2024-03-04T09:00:05.000000Z",
                "timeout_seconds": 300,
                "timeout_on": ts(305),
            },
        },
        "segments": [],
    },
    {
        "events": [
            {
                "uuid": uid(7),
                "type": "run_result_changed",
                "created_on": ts(9),
                "name": "Likes Tea",
                "value": "maybe",
                "category": "Other",
            },
            {"uuid": uid(9), "type": "msg_created", "created_on": ts(12), "msg": ASK_MSG},
            {
                "uuid": uid(10),
                "type": "msg_wait",
                "created_on": ts(15),
                "expires_on": "2024-03-04T09:00:13.000000Z",
                "timeout_seconds": 300,
            },
        ],
        "session": {
            "uuid": uid(1),
            "type": "messaging",
            "status": "waiting",
            "created_on": ts(0),
            "environment": ENV_JSON,
            "trigger": {"type": "manual", "flow": {"uuid": QUESTION}},
            "contact": CONTACT_JSON,
            "runs": [
                {
                    "uuid": uid(2),
                    "flow": QUESTION_REF,
                    "status": "waiting",
                    "created_on": ts(1),
                    "modified_on": ts(14),
                    "exited_on": None,
                    "path": [
                        {
                            "uuid": uid(4),
                            "node_uuid": "n-ask",
                            "arrived_on": ts(3),
                            "exit_uuid": "e3",
                        },
                        {"uuid": uid(8), "node_uuid": "n-ask", "arrived_on": ts(11)},
                    ],
                    "expires_on": "2024-03-04T09:00:13.000000Z",
                    "results": {
                        "likes_tea": {
                            "name": "Likes Tea",
                            "value": "maybe",
                            "category": "Other",
                            "node_uuid": "n-ask",
                            "created_on": ts(8),
                            "input": "maybe",
                        },
                    },
                },
            ],
            "sprints": 2,
            "wait": {
                "type": "msg",
                "expires_on": "2024-03-04T09:00:13.000000Z",
                "timeout_seconds": 300,
                "timeout_on": ts(313),
            },
            "input": {
                "msg": {"uuid": "m1", "text": "maybe", "urn": "tel:+250788123123"},
                "created_on": "2024-03-01T09:05:00Z",
            },
        },
        "segments": [
            {
                "flow_uuid": QUESTION,
                "node_uuid": "n-ask",
                "exit_uuid": "e3",
                "destination_uuid": "n-ask",
                "time": ts(10),
            },
        ],
    },
    {
        "events": [
            {"uuid": uid(12), "type": "msg_created", "created_on": ts(19), "msg": ASK_MSG},
            {
                "uuid": uid(13),
                "type": "msg_wait",
                "created_on": ts(22),
                "expires_on": "2024-03-04T09:00:20.000000Z",
                "timeout_seconds": 300,
            },
        ],
        "session": {
            "uuid": uid(1),
            "type": "messaging",
            "status": "waiting",
            "created_on": ts(0),
            "environment": ENV_JSON,
            "trigger": {"type": "manual", "flow": {"uuid": QUESTION}},
            "contact": CONTACT_JSON,
            "runs": [
                {
                    "uuid": uid(2),
                    "flow": QUESTION_REF,
                    "status": "waiting",
                    "created_on": ts(1),
                    "modified_on": ts(21),
                    "exited_on": None,
                    "path": [
                        {
                            "uuid": uid(4),
                            "node_uuid": "n-ask",
                            "arrived_on": ts(3),
                            "exit_uuid": "e3",
                        },
                        {
                            "uuid": uid(8),
                            "node_uuid": "n-ask",
                            "arrived_on": ts(11),
                            "exit_uuid": "e3",
                        },
                        {"uuid": uid(11), "node_uuid": "n-ask", "arrived_on": ts(18)},
                    ],
                    "expires_on": "2024-03-04T09:00:20.000000Z",
                    "results": {
                        "likes_tea": {
                            "name": "Likes Tea",
                            "value": "maybe",
                            "category": "Other",
                            "node_uuid": "n-ask",
                            "created_on": ts(16),
                            "input": "maybe",
                        },
                    },
                },
            ],
            "sprints": 3,
            "wait": {
                "type": "msg",
                "expires_on": "2024-03-04T09:00:20.000000Z",
                "timeout_seconds": 300,
                "timeout_on": ts(320),
            },
            "input": {
                "msg": {"uuid": "m1", "text": "maybe", "urn": "tel:+250788123123"},
                "created_on": "2024-03-01T09:05:00Z",
            },
        },
        "segments": [
            {
                "flow_uuid": QUESTION,
                "node_uuid": "n-ask",
                "exit_uuid": "e3",
                "destination_uuid": "n-ask",
                "time": ts(17),
            },
        ],
    },
    {
        "events": [
            {
                "uuid": uid(14),
                "type": "run_result_changed",
                "created_on": ts(24),
                "name": "Likes Tea",
                "value": "yes",
                "category": "Yes",
                "previous": {"value": "maybe", "category": "Other"},
            },
            {
                "uuid": uid(16),
                "type": "msg_created",
                "created_on": ts(27),
                "msg": {
                    "urn": "tel:+250788123123",
                    "channel": {"name": "Test SMS", "uuid": "c1a00000-0000-4000-8000-000000000001"},
                    "text": "Thanks! You said Yes.",
                    "locale": "eng-RW",
                },
            },
            {
                "uuid": uid(17),
                "type": "contact_field_changed",
                "created_on": ts(28),
                "field": {"key": "city", "name": "City"},
                "value": {"text": "Kigali"},
            },
            {
                "uuid": uid(18),
                "type": "run_ended",
                "created_on": ts(30),
                "flow": QUESTION_REF,
                "run_uuid": uid(2),
                "status": "completed",
            },
        ],
        "session": {
            "uuid": uid(1),
            "type": "messaging",
            "status": "completed",
            "created_on": ts(0),
            "environment": ENV_JSON,
            "trigger": {"type": "manual", "flow": {"uuid": QUESTION}},
            "contact": {
                "uuid": "a0000000-0000-4000-8000-00000000000a",
                "name": "Amina Uwase",
                "status": "active",
                "language": "eng",
                "created_on": "2024-01-01T00:00:00Z",
                "urns": ["tel:+250788123123"],
                "fields": {"age": {"text": "31", "number": 31}, "city": {"text": "Kigali"}},
            },
            "runs": [
                {
                    "uuid": uid(2),
                    "flow": QUESTION_REF,
                    "status": "completed",
                    "created_on": ts(1),
                    "modified_on": ts(29),
                    "exited_on": ts(29),
                    "path": [
                        {
                            "uuid": uid(4),
                            "node_uuid": "n-ask",
                            "arrived_on": ts(3),
                            "exit_uuid": "e3",
                        },
                        {
                            "uuid": uid(8),
                            "node_uuid": "n-ask",
                            "arrived_on": ts(11),
                            "exit_uuid": "e3",
                        },
                        {
                            "uuid": uid(11),
                            "node_uuid": "n-ask",
                            "arrived_on": ts(18),
                            "exit_uuid": "e1",
                        },
                        {
                            "uuid": uid(15),
                            "node_uuid": "n-thanks",
                            "arrived_on": ts(26),
                            "exit_uuid": "e5",
                        },
                    ],
                    "expires_on": "2024-03-04T09:00:20.000000Z",
                    "results": {
                        "likes_tea": {
                            "name": "Likes Tea",
                            "value": "yes",
                            "category": "Yes",
                            "node_uuid": "n-ask",
                            "created_on": ts(23),
                            "input": "yes",
                        },
                    },
                },
            ],
            "sprints": 4,
            "input": {
                "msg": {"uuid": "m1", "text": "yes", "urn": "tel:+250788123123"},
                "created_on": "2024-03-01T09:05:00Z",
            },
        },
        "segments": [
            {
                "flow_uuid": QUESTION,
                "node_uuid": "n-ask",
                "exit_uuid": "e1",
                "destination_uuid": "n-thanks",
                "time": ts(25),
            },
        ],
    },
]


TIMEOUT = {
    "events": [
        {
            "uuid": uid(7),
            "type": "run_result_changed",
            "created_on": ts(9),
            "name": "Likes Tea",
            "value": "",
            "category": "No Response",
        },
        {
            "uuid": uid(9),
            "type": "msg_created",
            "created_on": ts(12),
            "msg": {
                "urn": "tel:+250788123123",
                "channel": {"name": "Test SMS", "uuid": "c1a00000-0000-4000-8000-000000000001"},
                "text": "We missed you.",
                "locale": "eng-RW",
            },
        },
        {
            "uuid": uid(10),
            "type": "run_ended",
            "created_on": ts(14),
            "flow": QUESTION_REF,
            "run_uuid": uid(2),
            "status": "completed",
        },
    ],
    "session": {
        "uuid": uid(1),
        "type": "messaging",
        "status": "completed",
        "created_on": ts(0),
        "environment": ENV_JSON,
        "trigger": {"type": "manual", "flow": {"uuid": QUESTION}},
        "contact": CONTACT_JSON,
        "runs": [
            {
                "uuid": uid(2),
                "flow": QUESTION_REF,
                "status": "completed",
                "created_on": ts(1),
                "modified_on": ts(13),
                "exited_on": ts(13),
                "path": [
                    {"uuid": uid(4), "node_uuid": "n-ask", "arrived_on": ts(3), "exit_uuid": "e4"},
                    {
                        "uuid": uid(8),
                        "node_uuid": "n-silent",
                        "arrived_on": ts(11),
                        "exit_uuid": "e6",
                    },
                ],
                "expires_on": "2024-03-04T09:00:05.000000Z",
                "results": {
                    "likes_tea": {
                        "name": "Likes Tea",
                        "value": "",
                        "category": "No Response",
                        "node_uuid": "n-ask",
                        "created_on": ts(8),
                        "input": "",
                    },
                },
            },
        ],
        "sprints": 2,
    },
    "segments": [
        {
            "flow_uuid": QUESTION,
            "node_uuid": "n-ask",
            "exit_uuid": "e4",
            "destination_uuid": "n-silent",
            "time": ts(10),
        },
    ],
}


RUN_EXPIRATION = {
    "events": [
        {
            "uuid": uid(7),
            "type": "run_ended",
            "created_on": ts(9),
            "flow": QUESTION_REF,
            "run_uuid": uid(2),
            "status": "expired",
        },
    ],
    "session": {
        "uuid": uid(1),
        "type": "messaging",
        "status": "completed",
        "created_on": ts(0),
        "environment": ENV_JSON,
        "trigger": {"type": "manual", "flow": {"uuid": QUESTION}},
        "contact": CONTACT_JSON,
        "runs": [
            {
                "uuid": uid(2),
                "flow": QUESTION_REF,
                "status": "expired",
                "created_on": ts(1),
                "modified_on": ts(8),
                "exited_on": ts(8),
                "path": [{"uuid": uid(4), "node_uuid": "n-ask", "arrived_on": ts(3)}],
                "expires_on": "2024-03-04T09:00:05.000000Z",
            },
        ],
        "sprints": 2,
    },
    "segments": [],
}


SUBFLOW_REPLIED = [
    {
        "events": [
            {
                "uuid": uid(3),
                "type": "run_started",
                "created_on": ts(2),
                "flow": {"name": "Parent", "uuid": PARENT},
                "run_uuid": uid(2),
            },
            {
                "uuid": uid(6),
                "type": "run_started",
                "created_on": ts(5),
                "flow": QUESTION_REF,
                "run_uuid": uid(5),
                "parent_uuid": uid(2),
            },
            {"uuid": uid(8), "type": "msg_created", "created_on": ts(7), "msg": ASK_MSG},
            {
                "uuid": uid(9),
                "type": "msg_wait",
                "created_on": ts(10),
                "expires_on": "2024-03-04T09:00:08.000000Z",
                "timeout_seconds": 300,
            },
        ],
        "session": {
            "uuid": uid(1),
            "type": "messaging",
            "status": "waiting",
            "created_on": ts(0),
            "environment": ENV_JSON,
            "trigger": {"type": "manual", "flow": {"uuid": PARENT}},
            "contact": CONTACT_JSON,
            "runs": [
                {
                    "uuid": uid(2),
                    "flow": {"name": "Parent", "uuid": PARENT},
                    "status": "active",
                    "created_on": ts(1),
                    "modified_on": ts(1),
                    "exited_on": None,
                    "path": [{"uuid": uid(4), "node_uuid": "p-enter", "arrived_on": ts(3)}],
                },
                {
                    "uuid": uid(5),
                    "flow": QUESTION_REF,
                    "status": "waiting",
                    "created_on": ts(4),
                    "modified_on": ts(9),
                    "exited_on": None,
                    "path": [{"uuid": uid(7), "node_uuid": "n-ask", "arrived_on": ts(6)}],
                    "expires_on": "2024-03-04T09:00:08.000000Z",
                    "parent_uuid": uid(2),
                },
            ],
            "sprints": 1,
            "wait": {
                "type": "msg",
                "expires_on": "2024-03-04T09:00:08.000000Z",
                "timeout_seconds": 300,
                "timeout_on": ts(308),
            },
        },
        "segments": [],
    },
    {
        "events": [
            {
                "uuid": uid(10),
                "type": "run_result_changed",
                "created_on": ts(12),
                "name": "Likes Tea",
                "value": "no",
                "category": "No",
            },
            {
                "uuid": uid(12),
                "type": "msg_created",
                "created_on": ts(15),
                "msg": {
                    "urn": "tel:+250788123123",
                    "channel": {"name": "Test SMS", "uuid": "c1a00000-0000-4000-8000-000000000001"},
                    "text": "Thanks! You said No.",
                    "locale": "eng-RW",
                },
            },
            {
                "uuid": uid(13),
                "type": "contact_field_changed",
                "created_on": ts(16),
                "field": {"key": "city", "name": "City"},
                "value": {"text": "Kigali"},
            },
            {
                "uuid": uid(14),
                "type": "run_ended",
                "created_on": ts(18),
                "flow": QUESTION_REF,
                "run_uuid": uid(5),
                "status": "completed",
            },
            {
                "uuid": uid(16),
                "type": "msg_created",
                "created_on": ts(21),
                "msg": {
                    "urn": "tel:+250788123123",
                    "channel": {"name": "Test SMS", "uuid": "c1a00000-0000-4000-8000-000000000001"},
                    "text": "Child completed: no",
                    "locale": "eng-RW",
                },
            },
            {
                "uuid": uid(17),
                "type": "run_ended",
                "created_on": ts(23),
                "flow": {"name": "Parent", "uuid": PARENT},
                "run_uuid": uid(2),
                "status": "completed",
            },
        ],
        "session": {
            "uuid": uid(1),
            "type": "messaging",
            "status": "completed",
            "created_on": ts(0),
            "environment": ENV_JSON,
            "trigger": {"type": "manual", "flow": {"uuid": PARENT}},
            "contact": {
                "uuid": "a0000000-0000-4000-8000-00000000000a",
                "name": "Amina Uwase",
                "status": "active",
                "language": "eng",
                "created_on": "2024-01-01T00:00:00Z",
                "urns": ["tel:+250788123123"],
                "fields": {"age": {"text": "31", "number": 31}, "city": {"text": "Kigali"}},
            },
            "runs": [
                {
                    "uuid": uid(2),
                    "flow": {"name": "Parent", "uuid": PARENT},
                    "status": "completed",
                    "created_on": ts(1),
                    "modified_on": ts(22),
                    "exited_on": ts(22),
                    "path": [
                        {
                            "uuid": uid(4),
                            "node_uuid": "p-enter",
                            "arrived_on": ts(3),
                            "exit_uuid": "ep1",
                        },
                        {
                            "uuid": uid(15),
                            "node_uuid": "p-done",
                            "arrived_on": ts(20),
                            "exit_uuid": "ep3",
                        },
                    ],
                },
                {
                    "uuid": uid(5),
                    "flow": QUESTION_REF,
                    "status": "completed",
                    "created_on": ts(4),
                    "modified_on": ts(17),
                    "exited_on": ts(17),
                    "path": [
                        {
                            "uuid": uid(7),
                            "node_uuid": "n-ask",
                            "arrived_on": ts(6),
                            "exit_uuid": "e2",
                        },
                        {
                            "uuid": uid(11),
                            "node_uuid": "n-thanks",
                            "arrived_on": ts(14),
                            "exit_uuid": "e5",
                        },
                    ],
                    "expires_on": "2024-03-04T09:00:08.000000Z",
                    "results": {
                        "likes_tea": {
                            "name": "Likes Tea",
                            "value": "no",
                            "category": "No",
                            "node_uuid": "n-ask",
                            "created_on": ts(11),
                            "input": "no",
                        },
                    },
                    "parent_uuid": uid(2),
                },
            ],
            "sprints": 2,
            "input": {
                "msg": {"uuid": "m1", "text": "no", "urn": "tel:+250788123123"},
                "created_on": "2024-03-01T09:05:00Z",
            },
        },
        "segments": [
            {
                "flow_uuid": QUESTION,
                "node_uuid": "n-ask",
                "exit_uuid": "e2",
                "destination_uuid": "n-thanks",
                "time": ts(13),
            },
            {
                "flow_uuid": PARENT,
                "node_uuid": "n-thanks",
                "exit_uuid": "ep1",
                "destination_uuid": "p-done",
                "time": ts(19),
            },
        ],
    },
]


SUBFLOW_EXPIRED = {
    "events": [
        {
            "uuid": uid(10),
            "type": "run_ended",
            "created_on": ts(12),
            "flow": QUESTION_REF,
            "run_uuid": uid(5),
            "status": "expired",
        },
        {
            "uuid": uid(11),
            "type": "run_ended",
            "created_on": ts(14),
            "flow": {"name": "Parent", "uuid": PARENT},
            "run_uuid": uid(2),
            "status": "completed",
        },
    ],
    "session": {
        "uuid": uid(1),
        "type": "messaging",
        "status": "completed",
        "created_on": ts(0),
        "environment": ENV_JSON,
        "trigger": {"type": "manual", "flow": {"uuid": PARENT}},
        "contact": CONTACT_JSON,
        "runs": [
            {
                "uuid": uid(2),
                "flow": {"name": "Parent", "uuid": PARENT},
                "status": "completed",
                "created_on": ts(1),
                "modified_on": ts(13),
                "exited_on": ts(13),
                "path": [
                    {
                        "uuid": uid(4),
                        "node_uuid": "p-enter",
                        "arrived_on": ts(3),
                        "exit_uuid": "ep2",
                    },
                ],
            },
            {
                "uuid": uid(5),
                "flow": QUESTION_REF,
                "status": "expired",
                "created_on": ts(4),
                "modified_on": ts(11),
                "exited_on": ts(11),
                "path": [{"uuid": uid(7), "node_uuid": "n-ask", "arrived_on": ts(6)}],
                "expires_on": "2024-03-04T09:00:08.000000Z",
                "parent_uuid": uid(2),
            },
        ],
        "sprints": 2,
    },
    "segments": [],
}


SECOND_CHILD_AFTER_REPLY = {
    "events": [
        {
            "uuid": uid(10),
            "type": "run_result_changed",
            "created_on": ts(12),
            "name": "Likes Tea",
            "value": "yes",
            "category": "Yes",
        },
        {
            "uuid": uid(12),
            "type": "msg_created",
            "created_on": ts(15),
            "msg": {
                "urn": "tel:+250788123123",
                "channel": {"name": "Test SMS", "uuid": "c1a00000-0000-4000-8000-000000000001"},
                "text": "Thanks! You said Yes.",
                "locale": "eng-RW",
            },
        },
        {
            "uuid": uid(13),
            "type": "contact_field_changed",
            "created_on": ts(16),
            "field": {"key": "city", "name": "City"},
            "value": {"text": "Kigali"},
        },
        {
            "uuid": uid(14),
            "type": "run_ended",
            "created_on": ts(18),
            "flow": QUESTION_REF,
            "run_uuid": uid(5),
            "status": "completed",
        },
        {
            "uuid": uid(17),
            "type": "run_started",
            "created_on": ts(22),
            "flow": QUESTION_REF,
            "run_uuid": uid(16),
            "parent_uuid": uid(2),
        },
        {"uuid": uid(19), "type": "msg_created", "created_on": ts(24), "msg": ASK_MSG},
        {
            "uuid": uid(20),
            "type": "msg_wait",
            "created_on": ts(27),
            "expires_on": "2024-03-04T09:00:25.000000Z",
            "timeout_seconds": 300,
        },
    ],
    "session": {
        "uuid": uid(1),
        "type": "messaging",
        "status": "waiting",
        "created_on": ts(0),
        "environment": ENV_JSON,
        "trigger": {"type": "manual", "flow": {"uuid": PARENT}},
        "contact": {
            "uuid": "a0000000-0000-4000-8000-00000000000a",
            "name": "Amina Uwase",
            "status": "active",
            "language": "eng",
            "created_on": "2024-01-01T00:00:00Z",
            "urns": ["tel:+250788123123"],
            "fields": {"age": {"text": "31", "number": 31}, "city": {"text": "Kigali"}},
        },
        "runs": [
            {
                "uuid": uid(2),
                "flow": {"name": "Twice", "uuid": PARENT},
                "status": "active",
                "created_on": ts(1),
                "modified_on": ts(1),
                "exited_on": None,
                "path": [
                    {"uuid": uid(4), "node_uuid": "t-1", "arrived_on": ts(3), "exit_uuid": "ep1"},
                    {"uuid": uid(15), "node_uuid": "t-2", "arrived_on": ts(20)},
                ],
            },
            {
                "uuid": uid(5),
                "flow": QUESTION_REF,
                "status": "completed",
                "created_on": ts(4),
                "modified_on": ts(17),
                "exited_on": ts(17),
                "path": [
                    {"uuid": uid(7), "node_uuid": "n-ask", "arrived_on": ts(6), "exit_uuid": "e1"},
                    {
                        "uuid": uid(11),
                        "node_uuid": "n-thanks",
                        "arrived_on": ts(14),
                        "exit_uuid": "e5",
                    },
                ],
                "expires_on": "2024-03-04T09:00:08.000000Z",
                "results": {
                    "likes_tea": {
                        "name": "Likes Tea",
                        "value": "yes",
                        "category": "Yes",
                        "node_uuid": "n-ask",
                        "created_on": ts(11),
                        "input": "yes",
                    },
                },
                "parent_uuid": uid(2),
            },
            {
                "uuid": uid(16),
                "flow": QUESTION_REF,
                "status": "waiting",
                "created_on": ts(21),
                "modified_on": ts(26),
                "exited_on": None,
                "path": [{"uuid": uid(18), "node_uuid": "n-ask", "arrived_on": ts(23)}],
                "expires_on": "2024-03-04T09:00:25.000000Z",
                "parent_uuid": uid(2),
            },
        ],
        "sprints": 2,
        "wait": {
            "type": "msg",
            "expires_on": "2024-03-04T09:00:25.000000Z",
            "timeout_seconds": 300,
            "timeout_on": ts(325),
        },
        "input": {
            "msg": {"uuid": "m1", "text": "yes", "urn": "tel:+250788123123"},
            "created_on": "2024-03-01T09:05:00Z",
        },
    },
    "segments": [
        {
            "flow_uuid": QUESTION,
            "node_uuid": "n-ask",
            "exit_uuid": "e1",
            "destination_uuid": "n-thanks",
            "time": ts(13),
        },
        {
            "flow_uuid": PARENT,
            "node_uuid": "n-thanks",
            "exit_uuid": "ep1",
            "destination_uuid": "t-2",
            "time": ts(19),
        },
    ],
}


SECOND_CHILD_AFTER_EXPIRATION = {
    "events": [
        {
            "uuid": uid(10),
            "type": "run_ended",
            "created_on": ts(12),
            "flow": QUESTION_REF,
            "run_uuid": uid(5),
            "status": "expired",
        },
        {
            "uuid": uid(13),
            "type": "run_started",
            "created_on": ts(16),
            "flow": QUESTION_REF,
            "run_uuid": uid(12),
            "parent_uuid": uid(2),
        },
        {"uuid": uid(15), "type": "msg_created", "created_on": ts(18), "msg": ASK_MSG},
        {
            "uuid": uid(16),
            "type": "msg_wait",
            "created_on": ts(21),
            "expires_on": "2024-03-04T09:00:19.000000Z",
            "timeout_seconds": 300,
        },
    ],
    "session": {
        "uuid": uid(1),
        "type": "messaging",
        "status": "waiting",
        "created_on": ts(0),
        "environment": ENV_JSON,
        "trigger": {"type": "manual", "flow": {"uuid": PARENT}},
        "contact": CONTACT_JSON,
        "runs": [
            {
                "uuid": uid(2),
                "flow": {"name": "Twice", "uuid": PARENT},
                "status": "active",
                "created_on": ts(1),
                "modified_on": ts(1),
                "exited_on": None,
                "path": [
                    {"uuid": uid(4), "node_uuid": "t-1", "arrived_on": ts(3), "exit_uuid": "ep2"},
                    {"uuid": uid(11), "node_uuid": "t-2", "arrived_on": ts(14)},
                ],
            },
            {
                "uuid": uid(5),
                "flow": QUESTION_REF,
                "status": "expired",
                "created_on": ts(4),
                "modified_on": ts(11),
                "exited_on": ts(11),
                "path": [{"uuid": uid(7), "node_uuid": "n-ask", "arrived_on": ts(6)}],
                "expires_on": "2024-03-04T09:00:08.000000Z",
                "parent_uuid": uid(2),
            },
            {
                "uuid": uid(12),
                "flow": QUESTION_REF,
                "status": "waiting",
                "created_on": ts(15),
                "modified_on": ts(20),
                "exited_on": None,
                "path": [{"uuid": uid(14), "node_uuid": "n-ask", "arrived_on": ts(17)}],
                "expires_on": "2024-03-04T09:00:19.000000Z",
                "parent_uuid": uid(2),
            },
        ],
        "sprints": 2,
        "wait": {
            "type": "msg",
            "expires_on": "2024-03-04T09:00:19.000000Z",
            "timeout_seconds": 300,
            "timeout_on": ts(319),
        },
    },
    "segments": [
        {
            "flow_uuid": PARENT,
            "node_uuid": "n-ask",
            "exit_uuid": "ep2",
            "destination_uuid": "t-2",
            "time": ts(13),
        },
    ],
}


WAITING_PARENT_ROUTER_AFTER_CHILD = {
    "events": [
        {
            "uuid": uid(3),
            "type": "run_started",
            "created_on": ts(2),
            "flow": {"name": "Parent", "uuid": PARENT},
            "run_uuid": uid(2),
        },
        {
            "uuid": uid(6),
            "type": "run_started",
            "created_on": ts(5),
            "flow": {"name": "Other", "uuid": OTHER},
            "run_uuid": uid(5),
            "parent_uuid": uid(2),
        },
        {
            "uuid": uid(8),
            "type": "msg_created",
            "created_on": ts(7),
            "msg": {
                "urn": "tel:+250788123123",
                "channel": {"name": "Test SMS", "uuid": "c1a00000-0000-4000-8000-000000000001"},
                "text": "Hello from Other",
                "locale": "eng-RW",
            },
        },
        {
            "uuid": uid(9),
            "type": "run_ended",
            "created_on": ts(9),
            "flow": {"name": "Other", "uuid": OTHER},
            "run_uuid": uid(5),
            "status": "completed",
        },
        {
            "uuid": uid(11),
            "type": "error",
            "created_on": ts(12),
            "text": "Error evaluating expression: object has no property 'likes_tea'",
            "code": "expression",
            "extra": {"expression": "@child.results.likes_tea.value"},
        },
        {
            "uuid": uid(12),
            "type": "msg_created",
            "created_on": ts(13),
            "msg": {
                "urn": "tel:+250788123123",
                "channel": {"name": "Test SMS", "uuid": "c1a00000-0000-4000-8000-000000000001"},
                "text": "Child completed: ",
                "locale": "eng-RW",
            },
        },
        {
            "uuid": uid(13),
            "type": "run_ended",
            "created_on": ts(15),
            "flow": {"name": "Parent", "uuid": PARENT},
            "run_uuid": uid(2),
            "status": "completed",
        },
    ],
    "session": {
        "uuid": uid(1),
        "type": "messaging",
        "status": "completed",
        "created_on": ts(0),
        "environment": ENV_JSON,
        "trigger": {"type": "manual", "flow": {"uuid": PARENT}},
        "contact": CONTACT_JSON,
        "runs": [
            {
                "uuid": uid(2),
                "flow": {"name": "Parent", "uuid": PARENT},
                "status": "completed",
                "created_on": ts(1),
                "modified_on": ts(14),
                "exited_on": ts(14),
                "path": [
                    {
                        "uuid": uid(4),
                        "node_uuid": "p-enter",
                        "arrived_on": ts(3),
                        "exit_uuid": "ep1",
                    },
                    {
                        "uuid": uid(10),
                        "node_uuid": "p-done",
                        "arrived_on": ts(11),
                        "exit_uuid": "ep3",
                    },
                ],
            },
            {
                "uuid": uid(5),
                "flow": {"name": "Other", "uuid": OTHER},
                "status": "completed",
                "created_on": ts(4),
                "modified_on": ts(8),
                "exited_on": ts(8),
                "path": [{"uuid": uid(7), "node_uuid": "o-1", "arrived_on": ts(6), "exit_uuid": "eo"}],
                "parent_uuid": uid(2),
            },
        ],
        "sprints": 1,
    },
    "segments": [
        {
            "flow_uuid": PARENT,
            "node_uuid": "o-1",
            "exit_uuid": "ep1",
            "destination_uuid": "p-done",
            "time": ts(10),
        },
    ],
}


WAITING_PARENT_ROUTER_AFTER_EXPIRED_CHILD = {
    "events": [
        {
            "uuid": uid(10),
            "type": "run_ended",
            "created_on": ts(12),
            "flow": QUESTION_REF,
            "run_uuid": uid(5),
            "status": "expired",
        },
        {
            "uuid": uid(11),
            "type": "run_ended",
            "created_on": ts(14),
            "flow": {"name": "Parent", "uuid": PARENT},
            "run_uuid": uid(2),
            "status": "completed",
        },
    ],
    "session": {
        "uuid": uid(1),
        "type": "messaging",
        "status": "completed",
        "created_on": ts(0),
        "environment": ENV_JSON,
        "trigger": {"type": "manual", "flow": {"uuid": PARENT}},
        "contact": CONTACT_JSON,
        "runs": [
            {
                "uuid": uid(2),
                "flow": {"name": "Parent", "uuid": PARENT},
                "status": "completed",
                "created_on": ts(1),
                "modified_on": ts(13),
                "exited_on": ts(13),
                "path": [
                    {
                        "uuid": uid(4),
                        "node_uuid": "p-enter",
                        "arrived_on": ts(3),
                        "exit_uuid": "ep2",
                    },
                ],
            },
            {
                "uuid": uid(5),
                "flow": QUESTION_REF,
                "status": "expired",
                "created_on": ts(4),
                "modified_on": ts(11),
                "exited_on": ts(11),
                "path": [{"uuid": uid(7), "node_uuid": "n-ask", "arrived_on": ts(6)}],
                "expires_on": "2024-03-04T09:00:08.000000Z",
                "parent_uuid": uid(2),
            },
        ],
        "sprints": 2,
    },
    "segments": [],
}


TERMINAL_CHILD = {
    "events": [
        {
            "uuid": uid(3),
            "type": "run_started",
            "created_on": ts(2),
            "flow": {"name": "Parent", "uuid": PARENT},
            "run_uuid": uid(2),
        },
        {
            "uuid": uid(5),
            "type": "run_ended",
            "created_on": ts(5),
            "flow": {"name": "Parent", "uuid": PARENT},
            "run_uuid": uid(2),
            "status": "completed",
        },
        {
            "uuid": uid(7),
            "type": "run_started",
            "created_on": ts(7),
            "flow": QUESTION_REF,
            "run_uuid": uid(6),
            "parent_uuid": uid(2),
            "terminal": True,
        },
        {"uuid": uid(9), "type": "msg_created", "created_on": ts(9), "msg": ASK_MSG},
        {
            "uuid": uid(10),
            "type": "msg_wait",
            "created_on": ts(12),
            "expires_on": "2024-03-04T09:00:10.000000Z",
            "timeout_seconds": 300,
        },
    ],
    "session": {
        "uuid": uid(1),
        "type": "messaging",
        "status": "waiting",
        "created_on": ts(0),
        "environment": ENV_JSON,
        "trigger": {"type": "manual", "flow": {"uuid": PARENT}},
        "contact": CONTACT_JSON,
        "runs": [
            {
                "uuid": uid(2),
                "flow": {"name": "Parent", "uuid": PARENT},
                "status": "completed",
                "created_on": ts(1),
                "modified_on": ts(4),
                "exited_on": ts(4),
                "path": [{"uuid": uid(4), "node_uuid": "p-1", "arrived_on": ts(3)}],
            },
            {
                "uuid": uid(6),
                "flow": QUESTION_REF,
                "status": "waiting",
                "created_on": ts(6),
                "modified_on": ts(11),
                "exited_on": None,
                "path": [{"uuid": uid(8), "node_uuid": "n-ask", "arrived_on": ts(8)}],
                "expires_on": "2024-03-04T09:00:10.000000Z",
            },
        ],
        "sprints": 1,
        "wait": {
            "type": "msg",
            "expires_on": "2024-03-04T09:00:10.000000Z",
            "timeout_seconds": 300,
            "timeout_on": ts(310),
        },
    },
    "segments": [],
    "parent_uuids": [None, None],
}


RANDOM_PICKS = [
    {
        "bucket": {
            "name": "Bucket",
            "value": "0",
            "category": "Bucket 0",
            "node_uuid": "r-1",
            "created_on": ts(4),
            "input": "0.0",
        },
    },
    {
        "bucket": {
            "name": "Bucket",
            "value": "1",
            "category": "Bucket 1",
            "node_uuid": "r-1",
            "created_on": ts(4),
            "input": "0.5",
        },
    },
    {
        "bucket": {
            "name": "Bucket",
            "value": "2",
            "category": "Bucket 2",
            "node_uuid": "r-1",
            "created_on": ts(4),
            "input": "0.999",
        },
    },
    {
        "bucket": {
            "name": "Bucket",
            "value": "2",
            "category": "Bucket 2",
            "node_uuid": "r-1",
            "created_on": ts(4),
            "input": "1.0",
        },
    },
]


DIAL_ANSWERED = [
    {
        "events": [
            {
                "uuid": uid(3),
                "type": "run_started",
                "created_on": ts(2),
                "flow": {"name": "Dial", "uuid": QUESTION},
                "run_uuid": uid(2),
            },
            {
                "uuid": uid(5),
                "type": "run_result_changed",
                "created_on": ts(5),
                "name": "Number",
                "value": "0788 555 111",
                "category": "",
            },
            {
                "uuid": uid(7),
                "type": "dial_wait",
                "created_on": ts(10),
                "urn": "tel:+250788555111",
                "dial_limit_seconds": 20,
                "call_limit_seconds": 100,
                "expires_on": ts(158),
            },
        ],
        "session": {
            "uuid": uid(1),
            "type": "voice",
            "status": "waiting",
            "created_on": ts(0),
            "environment": {
                "date_format": "DD-MM-YYYY",
                "time_format": "tt:mm",
                "timezone": "UTC",
                "redaction_policy": "none",
                "default_country": "RW",
            },
            "trigger": {"type": "manual", "flow": {"uuid": QUESTION}},
            "contact": CONTACT_JSON,
            "runs": [
                {
                    "uuid": uid(2),
                    "flow": {"name": "Dial", "uuid": QUESTION},
                    "status": "waiting",
                    "created_on": ts(1),
                    "modified_on": ts(9),
                    "exited_on": None,
                    "path": [
                        {
                            "uuid": uid(4),
                            "node_uuid": "d-1",
                            "arrived_on": ts(3),
                            "exit_uuid": "ed0",
                        },
                        {"uuid": uid(6), "node_uuid": "d-2", "arrived_on": ts(7)},
                    ],
                    "expires_on": ts(158),
                    "results": {
                        "number": {
                            "name": "Number",
                            "value": "0788 555 111",
                            "category": "",
                            "node_uuid": "d-1",
                            "created_on": ts(4),
                        },
                    },
                },
            ],
            "sprints": 1,
            "wait": {"type": "dial", "expires_on": ts(158)},
        },
        "segments": [
            {
                "flow_uuid": QUESTION,
                "node_uuid": "d-1",
                "exit_uuid": "ed0",
                "destination_uuid": "d-2",
                "time": ts(6),
            },
        ],
    },
    {
        "events": [
            {
                "uuid": uid(8),
                "type": "run_result_changed",
                "created_on": ts(12),
                "name": "Call",
                "value": "answered",
                "category": "Answered",
            },
            {
                "uuid": uid(9),
                "type": "run_ended",
                "created_on": ts(14),
                "flow": {"name": "Dial", "uuid": QUESTION},
                "run_uuid": uid(2),
                "status": "completed",
            },
        ],
        "session": {
            "uuid": uid(1),
            "type": "voice",
            "status": "completed",
            "created_on": ts(0),
            "environment": {
                "date_format": "DD-MM-YYYY",
                "time_format": "tt:mm",
                "timezone": "UTC",
                "redaction_policy": "none",
                "default_country": "RW",
            },
            "trigger": {"type": "manual", "flow": {"uuid": QUESTION}},
            "contact": CONTACT_JSON,
            "runs": [
                {
                    "uuid": uid(2),
                    "flow": {"name": "Dial", "uuid": QUESTION},
                    "status": "completed",
                    "created_on": ts(1),
                    "modified_on": ts(13),
                    "exited_on": ts(13),
                    "path": [
                        {
                            "uuid": uid(4),
                            "node_uuid": "d-1",
                            "arrived_on": ts(3),
                            "exit_uuid": "ed0",
                        },
                        {
                            "uuid": uid(6),
                            "node_uuid": "d-2",
                            "arrived_on": ts(7),
                            "exit_uuid": "ed1",
                        },
                    ],
                    "expires_on": ts(158),
                    "results": {
                        "number": {
                            "name": "Number",
                            "value": "0788 555 111",
                            "category": "",
                            "node_uuid": "d-1",
                            "created_on": ts(4),
                        },
                        "call": {
                            "name": "Call",
                            "value": "answered",
                            "category": "Answered",
                            "node_uuid": "d-2",
                            "created_on": ts(11),
                            "input": "answered",
                        },
                    },
                },
            ],
            "sprints": 2,
        },
        "segments": [],
        "input": None,
    },
]


DIAL_IMPOSSIBLE_NUMBER = {
    "events": [
        {
            "uuid": uid(3),
            "type": "run_started",
            "created_on": ts(2),
            "flow": {"name": "Dial", "uuid": QUESTION},
            "run_uuid": uid(2),
        },
        {
            "uuid": uid(5),
            "type": "run_result_changed",
            "created_on": ts(5),
            "name": "Number",
            "value": "0788 555 111",
            "category": "",
        },
        {"uuid": uid(7), "type": "error", "created_on": ts(8), "text": "not a possible number"},
        {
            "uuid": uid(8),
            "type": "error",
            "created_on": ts(9),
            "text": "Error evaluating expression: null doesn't support lookups",
            "code": "expression",
            "extra": {"expression": "@resume.dial.status"},
        },
        {
            "uuid": uid(9),
            "type": "error",
            "created_on": ts(10),
            "text": "error calling has_only_text: null doesn't support lookups",
        },
        {
            "uuid": uid(10),
            "type": "run_result_changed",
            "created_on": ts(12),
            "name": "Call",
            "value": "",
            "category": "Other",
        },
        {
            "uuid": uid(11),
            "type": "run_ended",
            "created_on": ts(14),
            "flow": {"name": "Dial", "uuid": QUESTION},
            "run_uuid": uid(2),
            "status": "completed",
        },
    ],
    "session": {
        "uuid": uid(1),
        "type": "voice",
        "status": "completed",
        "created_on": ts(0),
        "environment": {
            "date_format": "DD-MM-YYYY",
            "time_format": "tt:mm",
            "timezone": "UTC",
            "redaction_policy": "none",
            "default_country": "RW",
        },
        "trigger": {"type": "manual", "flow": {"uuid": QUESTION}},
        "contact": CONTACT_JSON,
        "runs": [
            {
                "uuid": uid(2),
                "flow": {"name": "Dial", "uuid": QUESTION},
                "status": "completed",
                "created_on": ts(1),
                "modified_on": ts(13),
                "exited_on": ts(13),
                "path": [
                    {"uuid": uid(4), "node_uuid": "d-1", "arrived_on": ts(3), "exit_uuid": "ed0"},
                    {"uuid": uid(6), "node_uuid": "d-2", "arrived_on": ts(7), "exit_uuid": "ed2"},
                ],
                "results": {
                    "number": {
                        "name": "Number",
                        "value": "0788 555 111",
                        "category": "",
                        "node_uuid": "d-1",
                        "created_on": ts(4),
                    },
                    "call": {
                        "name": "Call",
                        "value": "",
                        "category": "Other",
                        "node_uuid": "d-2",
                        "created_on": ts(11),
                        "input": "",
                    },
                },
            },
        ],
        "sprints": 1,
    },
    "segments": [
        {
            "flow_uuid": QUESTION,
            "node_uuid": "d-1",
            "exit_uuid": "ed0",
            "destination_uuid": "d-2",
            "time": ts(6),
        },
    ],
}


LOCALIZED_ANSWERS = [
    {
        "events": [
            {
                "uuid": uid(7),
                "type": "run_result_changed",
                "created_on": ts(9),
                "name": "Likes Tea",
                "value": "oui",
                "category": "Yes",
                "category_localized": "Oui",
            },
        ],
        "results": {
            "likes_tea": {
                "name": "Likes Tea",
                "value": "oui",
                "category": "Yes",
                "node_uuid": "n-ask",
                "created_on": ts(8),
                "input": "oui",
                "category_localized": "Oui",
            },
        },
    },
    {
        "events": [
            {
                "uuid": uid(7),
                "type": "run_result_changed",
                "created_on": ts(9),
                "name": "Likes Tea",
                "value": "peut-être",
                "category": "Other",
            },
        ],
        "results": {
            "likes_tea": {
                "name": "Likes Tea",
                "value": "peut-être",
                "category": "Other",
                "node_uuid": "n-ask",
                "created_on": ts(8),
                "input": "peut-être",
            },
        },
    },
    {
        "events": [
            {
                "uuid": uid(7),
                "type": "run_result_changed",
                "created_on": ts(9),
                "name": "Likes Tea",
                "value": "oui",
                "category": "Other",
            },
        ],
        "results": {
            "likes_tea": {
                "name": "Likes Tea",
                "value": "oui",
                "category": "Other",
                "node_uuid": "n-ask",
                "created_on": ts(8),
                "input": "oui",
            },
        },
    },
    {
        "events": [
            {
                "uuid": uid(7),
                "type": "run_result_changed",
                "created_on": ts(9),
                "name": "Likes Tea",
                "value": "oui",
                "category": "Other",
            },
        ],
        "results": {
            "likes_tea": {
                "name": "Likes Tea",
                "value": "oui",
                "category": "Other",
                "node_uuid": "n-ask",
                "created_on": ts(8),
                "input": "oui",
            },
        },
    },
]


SWITCH_CASES = [
    {
        "events": [
            {
                "type": "run_started",
                "flow": {"name": "Switch", "uuid": QUESTION},
                "run_uuid": uid(2),
            },
            {
                "type": "error",
                "text": "error calling has_number_between: has_number_between must be called with number arguments",
            },
            {"type": "run_result_changed", "name": "Check", "value": "31", "category": "Case 1"},
            {
                "type": "run_ended",
                "flow": {"name": "Switch", "uuid": QUESTION},
                "run_uuid": uid(2),
                "status": "completed",
            },
        ],
        "results": {
            "check": {
                "name": "Check",
                "value": "31",
                "category": "Case 1",
                "node_uuid": "s-1",
                "created_on": ts(5),
                "input": "31",
            },
        },
        "status": "completed",
    },
    {
        "events": [
            {
                "type": "run_started",
                "flow": {"name": "Switch", "uuid": QUESTION},
                "run_uuid": uid(2),
            },
            {
                "type": "error",
                "text": "Error evaluating expression: division by zero",
                "code": "expression",
                "extra": {"expression": "@(1 / 0)"},
            },
            {"type": "error", "text": "error calling has_text: division by zero"},
            {"type": "run_result_changed", "name": "Check", "value": "", "category": "Other"},
            {
                "type": "run_ended",
                "flow": {"name": "Switch", "uuid": QUESTION},
                "run_uuid": uid(2),
                "status": "completed",
            },
        ],
        "results": {
            "check": {
                "name": "Check",
                "value": "",
                "category": "Other",
                "node_uuid": "s-1",
                "created_on": ts(6),
                "input": "",
            },
        },
        "status": "completed",
    },
    {
        "events": [
            {
                "type": "run_started",
                "flow": {"name": "Switch", "uuid": QUESTION},
                "run_uuid": uid(2),
            },
            {
                "type": "error",
                "text": "Error evaluating expression: division by zero",
                "code": "expression",
                "extra": {"expression": "@(1 / 0)"},
            },
            {"type": "run_result_changed", "name": "Check", "value": "", "category": "Other"},
            {
                "type": "run_ended",
                "flow": {"name": "Switch", "uuid": QUESTION},
                "run_uuid": uid(2),
                "status": "completed",
            },
        ],
        "results": {
            "check": {
                "name": "Check",
                "value": "",
                "category": "Other",
                "node_uuid": "s-1",
                "created_on": ts(5),
                "input": "",
            },
        },
        "status": "completed",
    },
    {
        "events": [
            {
                "type": "run_started",
                "flow": {"name": "Switch", "uuid": QUESTION},
                "run_uuid": uid(2),
            },
            {
                "type": "error",
                "text": "Error evaluating expression: division by zero",
                "code": "expression",
                "extra": {"expression": "@(1 / 0) @(2 / 0)"},
            },
            {"type": "run_result_changed", "name": "Check", "value": "", "category": "Other"},
            {
                "type": "run_ended",
                "flow": {"name": "Switch", "uuid": QUESTION},
                "run_uuid": uid(2),
                "status": "completed",
            },
        ],
        "results": {
            "check": {
                "name": "Check",
                "value": "",
                "category": "Other",
                "node_uuid": "s-1",
                "created_on": ts(5),
                "input": "",
            },
        },
        "status": "completed",
    },
    {
        "events": [
            {
                "type": "run_started",
                "flow": {"name": "Switch", "uuid": QUESTION},
                "run_uuid": uid(2),
            },
            {
                "type": "run_result_changed",
                "name": "Check",
                "value": "Amina Uwase",
                "category": "Case 0",
                "extra": {"0": "Amina Uwase", "1": "Amina", "2": "Uwase"},
            },
            {
                "type": "run_ended",
                "flow": {"name": "Switch", "uuid": QUESTION},
                "run_uuid": uid(2),
                "status": "completed",
            },
        ],
        "results": {
            "check": {
                "name": "Check",
                "value": "Amina Uwase",
                "category": "Case 0",
                "node_uuid": "s-1",
                "created_on": ts(4),
                "input": "Amina Uwase",
                "extra": {"0": "Amina Uwase", "1": "Amina", "2": "Uwase"},
            },
        },
        "status": "completed",
    },
    {
        "events": [
            {
                "type": "run_started",
                "flow": {"name": "Switch", "uuid": QUESTION},
                "run_uuid": uid(2),
            },
            {"type": "failure", "text": "Router failed to pick a category"},
            {
                "type": "run_ended",
                "flow": {"name": "Switch", "uuid": QUESTION},
                "run_uuid": uid(2),
                "status": "failed",
            },
        ],
        "results": None,
        "status": "failed",
    },
]


FAILURES = [
    {
        "events": [
            {"type": "run_started", "flow": {"name": "Loop", "uuid": QUESTION}, "run_uuid": uid(2)},
            {"type": "failure", "text": "Reached maximum number of steps per sprint (100)"},
            {
                "type": "run_ended",
                "flow": {"name": "Loop", "uuid": QUESTION},
                "run_uuid": uid(2),
                "status": "failed",
            },
        ],
        "runs": ["failed"],
        "status": "failed",
        "wait": None,
    },
    {
        "events": [
            {"type": "run_started", "flow": {"name": "Loop", "uuid": QUESTION}, "run_uuid": uid(2)},
            {"type": "failure", "text": "Reached maximum number of steps per sprint (3)"},
            {
                "type": "run_ended",
                "flow": {"name": "Loop", "uuid": QUESTION},
                "run_uuid": uid(2),
                "status": "failed",
            },
        ],
        "runs": ["failed"],
        "status": "failed",
        "wait": None,
    },
    {
        "events": [
            {"type": "failure", "text": "node n-ask doesn't exist"},
            {"type": "run_ended", "flow": QUESTION_REF, "run_uuid": uid(2), "status": "failed"},
        ],
        "runs": ["failed"],
        "status": "failed",
        "wait": None,
    },
    {
        "events": [
            {
                "type": "failure",
                "text": "flow f1000000-0000-4000-8000-000000000001 is not available",
            },
            {"type": "run_ended", "flow": QUESTION_REF, "run_uuid": uid(2), "status": "failed"},
        ],
        "runs": ["failed"],
        "status": "failed",
        "wait": None,
    },
]


TOO_MANY_RUNS = {
    "failure": ["Reached maximum number of runs per session (500)"],
    "runs": 500,
    "started": 500,
    "ended": [
        ("00000000-0000-4000-8000-000000001499", "failed"),
        ("00000000-0000-4000-8000-000000000002", "failed"),
        500,
    ],
    "statuses": ["failed"],
    "status": "failed",
    "wait": None,
}


START_SETTINGS = [
    {
        "date_format": "MM-DD-YYYY",
        "time_format": "tt:mm",
        "timezone": "America/New_York",
        "redaction_policy": "none",
    },
    {
        "date_format": "MM-DD-YYYY",
        "time_format": "tt:mm",
        "timezone": "Africa/Kigali",
        "redaction_policy": "none",
        "default_country": "RW",
    },
    {
        "date_format": "YYYY-MM-DD",
        "time_format": "tt:mm",
        "timezone": "UTC",
        "redaction_policy": "none",
    },
    {
        "input": {
            "msg": {"uuid": "m0", "text": "hi", "urn": "tel:+250788123123"},
            "created_on": "2024-03-01T08:59:00Z",
        },
        "sprints": 1,
    },
    {"input": None, "sprints": 1},
]


RESUME_INPUTS = [
    {
        "input": {
            "msg": {"uuid": "m1", "text": "no", "urn": "tel:+250788123123"},
            "created_on": "2024-03-01T09:05:00Z",
        },
        "first": "no",
    },
    {
        "input": {"msg": {"uuid": "m2", "text": "no"}, "created_on": "2024-03-01T09:07:00Z"},
        "first": "no",
    },
    {
        "input": {
            "msg": {"uuid": "m1", "text": "no", "urn": "tel:+250788123123"},
            "created_on": "2024-03-01T09:06:00Z",
        },
        "first": "no",
    },
]


ECHOES = [
    [
        {
            "type": "error",
            "text": "Error evaluating expression: object has no property 'answer'",
            "code": "expression",
            "extra": {"expression": "@results.answer.input"},
        },
        {
            "type": "error",
            "text": "Error evaluating expression: object has no property 'answer'",
            "code": "expression",
            "extra": {"expression": "@run.results.answer.input"},
        },
        {"type": "run_result_changed", "name": "Answer", "value": "yes", "category": "Yes"},
        {"type": "warning", "text": "@legacy_extra is deprecated", "code": "context:deprecated"},
        "yes please|yes please|{}",
        "Well?",
    ],
    [
        {"type": "warning", "text": "@legacy_extra is deprecated", "code": "context:deprecated"},
        "yes sir|yes sir|{}",
        "Well?",
    ],
    [
        {
            "type": "run_result_changed",
            "name": "Answer",
            "value": "12 34",
            "category": "Numbers",
            "extra": {"0": "12 34", "1": "12", "2": "34"},
            "previous": {"value": "yes", "category": "Yes"},
        },
        {"type": "warning", "text": "@legacy_extra is deprecated", "code": "context:deprecated"},
        '12 34|12 34|{0: 12 34, 1: 12, 2: 34, answer: {"0":"12 34","1":"12","2":"34"}}',
        "Well?",
    ],
    [
        {
            "type": "run_result_changed",
            "name": "Answer",
            "value": "nope",
            "category": "Other",
            "previous": {"value": "12 34", "category": "Numbers"},
        },
        {"type": "warning", "text": "@legacy_extra is deprecated", "code": "context:deprecated"},
        "nope|nope|{}",
        "Well?",
    ],
]


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        (conversation, CONVERSATION),
        (timeout, TIMEOUT),
        (run_expiration, RUN_EXPIRATION),
        (subflow_replied, SUBFLOW_REPLIED),
        (subflow_expired, SUBFLOW_EXPIRED),
        (second_child_after_reply, SECOND_CHILD_AFTER_REPLY),
        (second_child_after_expiration, SECOND_CHILD_AFTER_EXPIRATION),
        (waiting_parent_router_after_child, WAITING_PARENT_ROUTER_AFTER_CHILD),
        (waiting_parent_router_after_expired_child, WAITING_PARENT_ROUTER_AFTER_EXPIRED_CHILD),
        (terminal_child, TERMINAL_CHILD),
        (random_picks, RANDOM_PICKS),
        (dial_answered, DIAL_ANSWERED),
        (dial_impossible_number, DIAL_IMPOSSIBLE_NUMBER),
        (localized_answers, LOCALIZED_ANSWERS),
        (switch_cases, SWITCH_CASES),
        (failures, FAILURES),
        (too_many_runs, TOO_MANY_RUNS),
        (start_settings, START_SETTINGS),
        (resume_inputs, RESUME_INPUTS),
        (echoes, ECHOES),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_scenario(scenario: Callable[[], Any], expected: Any) -> None:
    assert scenario() == expected
