"""Flow tests: named scripts that drive one flow on the pure engine and check what it does.

A test is JSON (stored per flow, travelling in exports):

    {"name": "registers in English",
     "contact": {"name": "Amina", "language": "eng", "fields": {"age": "31"}, "groups": ["Farmers"]},
     "steps": [{"send": "join"}, {"expect": ["What is your name?"]}, {"send": "Amina"},
               {"expect": ["~Welcome"]}, {"expect_results": {"name": "Amina"}},
               {"webhook": {"status": 200, "body": {"ok": true}}}, {"wait_minutes": 60},
               {"expect_status": "completed"}]}

The first `send` starts the flow as a matching keyword would; later ones answer its waits. A step
other than `send`/`webhook` before any `send` starts the flow without a message (as a manual
start does). `expect` lists the replies produced since the previous `send`/`wait_minutes`, in
order: a text is matched exactly, `~text` means "contains", `/regex/` is searched, `=text` is an
exact match of a text starting with one of those marks. `wait_minutes` advances the injected
clock and fires the wait's timeout or the session's expiration when they fall due. `webhook`
queues mocked answers for the next webhook calls (nothing leaves the process; an unmocked call
fails like an unreachable server). No channel, no database: what a test sends is only compared.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from infra import urlguard

from .assets import Assets
from .contact import parse_field_value
from .definition import snakify
from .environment import Environment, SeededRandom
from .runner import Engine, ResumeError
from .session import Session
from .values import format_datetime_iso

TEST_START = dt.datetime(2024, 1, 1, 9, 0, tzinfo=dt.UTC)
TEST_URN = "tel:+12065550100"
MAX_STEPS = 500
MAX_TESTS_PER_FLOW = 200
STEP_KINDS = ("send", "expect", "expect_results", "expect_status", "wait_minutes", "webhook")
STATUSES = ("waiting", "completed", "expired", "interrupted", "failed")


class FlowTestInvalid(ValueError):
    """A test definition that can't be run; the message says which part and why."""


@dataclass
class FlowTestResult:
    name: str
    ok: bool
    diff: str = ""
    step: int | None = None  # 1-based index of the first failing step
    transcript: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "test": self.name,
            "ok": self.ok,
            "diff": self.diff,
            "step": self.step,
            "transcript": self.transcript,
        }


# ------------------------------------------------------------------------------------- validation


def _check_matcher(text: Any, where: str) -> None:
    if not isinstance(text, str):
        raise FlowTestInvalid(f"{where}: expected a text")
    if len(text) >= 2 and text.startswith("/") and text.endswith("/"):
        try:
            re.compile(text[1:-1])
        except re.error as exc:
            raise FlowTestInvalid(f"{where}: bad regex {text!r}: {exc}") from None


def validate_test(data: Any) -> dict[str, Any]:
    """A clean copy of a test definition, or FlowTestInvalid naming the first problem."""
    if not isinstance(data, dict):
        raise FlowTestInvalid("a test must be an object")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise FlowTestInvalid("name: a test needs a name")
    if len(name) > 128:
        raise FlowTestInvalid("name: at most 128 characters")
    contact = data.get("contact") or {}
    if not isinstance(contact, dict):
        raise FlowTestInvalid("contact: must be an object")
    for key in ("name", "language", "urn"):
        if key in contact and not isinstance(contact[key], str):
            raise FlowTestInvalid(f"contact.{key}: must be a text")
    if not isinstance(contact.get("fields") or {}, dict):
        raise FlowTestInvalid("contact.fields: must be an object of field key to value")
    groups = contact.get("groups") or []
    if not isinstance(groups, list) or not all(isinstance(g, str | dict) for g in groups):
        raise FlowTestInvalid("contact.groups: must be a list of group names")
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        raise FlowTestInvalid("steps: a test needs a list of steps")
    if len(steps) > MAX_STEPS:
        raise FlowTestInvalid(f"steps: at most {MAX_STEPS}")
    for i, step in enumerate(steps, start=1):
        where = f"step {i}"
        if not isinstance(step, dict) or len(step) != 1 or next(iter(step)) not in STEP_KINDS:
            kinds = ", ".join(STEP_KINDS)
            raise FlowTestInvalid(f"{where}: must be an object with one key, one of {kinds}")
        kind, value = next(iter(step.items()))
        if kind == "send" and not isinstance(value, str):
            raise FlowTestInvalid(f"{where}: send takes the text of the inbound message")
        if kind == "expect":
            if not isinstance(value, list):
                raise FlowTestInvalid(f"{where}: expect takes the list of replies expected")
            for j, text in enumerate(value, start=1):
                _check_matcher(text, f"{where} reply {j}")
        if kind == "expect_results":
            if not isinstance(value, dict):
                raise FlowTestInvalid(f"{where}: expect_results takes an object of result name to value")
            for key, v in value.items():
                if v is None:
                    continue
                if isinstance(v, dict):
                    for part in ("value", "category"):
                        if part in v:
                            _check_matcher(v[part], f"{where} result {key}.{part}")
                else:
                    _check_matcher(v, f"{where} result {key}")
        if kind == "expect_status" and value not in STATUSES:
            raise FlowTestInvalid(f"{where}: expect_status is one of {', '.join(STATUSES)}")
        if kind == "wait_minutes" and (
            isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 60 * 24 * 365
        ):
            raise FlowTestInvalid(f"{where}: wait_minutes takes a number of minutes (up to a year)")
        if kind == "webhook":
            mocks = value if isinstance(value, list) else [value]
            for mock in mocks:
                if not isinstance(mock, dict):
                    raise FlowTestInvalid(f"{where}: webhook takes {{status, body, url?}}")
                status = mock.get("status", 200)
                if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
                    raise FlowTestInvalid(f"{where}: webhook status must be an HTTP status code")
    clean = {"name": name.strip(), "contact": contact, "steps": steps}
    return clean


def validate_tests(data: Any) -> list[dict[str, Any]]:
    if not isinstance(data, list):
        raise FlowTestInvalid("tests must be a list")
    if len(data) > MAX_TESTS_PER_FLOW:
        raise FlowTestInvalid(f"at most {MAX_TESTS_PER_FLOW} tests per flow")
    tests = []
    names: set[str] = set()
    for i, t in enumerate(data, start=1):
        try:
            clean = validate_test(t)
        except FlowTestInvalid as exc:
            raise FlowTestInvalid(f"test {i}: {exc}") from None
        if clean["name"] in names:
            raise FlowTestInvalid(f"test {i}: another test is already named {clean['name']!r}")
        names.add(clean["name"])
        tests.append(clean)
    return tests


# ---------------------------------------------------------------------------------------- running


def matches(expected: str, actual: str) -> bool:
    if expected.startswith("="):
        return actual == expected[1:]
    if expected.startswith("~"):
        return expected[1:].casefold() in actual.casefold()
    if len(expected) >= 2 and expected.startswith("/") and expected.endswith("/"):
        return re.search(expected[1:-1], actual) is not None
    return actual == expected


class TestClock:
    """The injected clock: still unless a `wait_minutes` step moves it (ticks a millisecond per
    reading so events keep their order)."""

    __test__ = False  # not a pytest class

    def __init__(self, start: dt.datetime = TEST_START) -> None:
        self.current = start

    def __call__(self) -> dt.datetime:
        now = self.current
        self.current = now + dt.timedelta(milliseconds=1)
        return now

    def advance(self, minutes: float) -> None:
        self.current += dt.timedelta(minutes=minutes)


class CountingUUIDs:
    """Deterministic uuids from a counter: cheaper than random ones (a test makes dozens per
    step) and readable in a transcript."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"00000000-0000-4000-8000-{self.n:012x}"


class _WebhookMocks:
    """Answers webhook calls from the test's queued mocks, in order."""

    def __init__(self) -> None:
        self.queue: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        for i, mock in enumerate(self.queue):
            if not mock.get("url") or matches(str(mock["url"]), url):
                self.queue.pop(i)
                body = mock.get("body", "")
                content = body if isinstance(body, str) else json.dumps(body)
                headers = {"Content-Type": "application/json" if not isinstance(body, str) else "text/plain"}
                return httpx.Response(int(mock.get("status", 200)), content=content.encode(), headers=headers)
        raise httpx.ConnectError(f"no mocked answer for {url}", request=request)


def _contact_json(spec: dict[str, Any], assets: Assets) -> dict[str, Any]:
    env = Environment()
    fields: dict[str, Any] = {}
    for key, raw in (spec.get("fields") or {}).items():
        if raw in (None, ""):
            continue
        asset = assets.fields.get(key)
        parsed = parse_field_value(str(raw), asset.type if asset else "text", env)
        if parsed:
            fields[key] = parsed
    by_name = {g.name.casefold(): g for g in assets.groups.values()}
    groups = []
    for g in spec.get("groups") or []:
        if isinstance(g, dict):
            groups.append({"uuid": str(g.get("uuid") or ""), "name": str(g.get("name") or "")})
            continue
        group = by_name.get(g.casefold())
        groups.append(
            group.ref() if group else {"uuid": f"00000000-0000-4000-8000-{len(groups):012d}", "name": g}
        )
    return {
        "uuid": "a0000000-0000-4000-8000-000000000001",
        "name": spec.get("name") or "Test Contact",
        "language": spec.get("language") or "",
        "created_on": "2024-01-01T00:00:00Z",
        "urns": [spec.get("urn") or TEST_URN],
        "fields": fields,
        "groups": groups,
    }


def _iso(v: dt.datetime) -> str:
    return format_datetime_iso(v.astimezone(dt.UTC))


def _parse_iso(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _quote(texts: list[str]) -> str:
    return "[" + ", ".join(json.dumps(t, ensure_ascii=False) for t in texts) + "]" if texts else "no reply"


class _Play:
    """One test being played: the session, the clock, replies since the last input."""

    def __init__(
        self,
        test: dict[str, Any],
        *,
        assets: Assets,
        flow_uuid: str,
        environment: dict[str, Any] | None,
        engine_options: dict[str, Any],
    ) -> None:
        self.flow_uuid = flow_uuid
        self.environment = environment or {}
        self.clock = TestClock()
        self.mocks = _WebhookMocks()
        self.uuids = CountingUUIDs()
        http = urlguard.client(httpx.MockTransport(self.mocks))
        self.engine = Engine(
            assets,
            http=http,
            clock=self.clock,
            new_uuid=self.uuids,
            random=SeededRandom(20),
            **engine_options,
        )
        self.contact = _contact_json(test.get("contact") or {}, assets)
        self.session: Session | None = None
        self.started = False
        self.replies: list[str] = []
        self.transcript: list[dict[str, Any]] = []

    def _take(self, events: list[dict[str, Any]]) -> None:
        for ev in events:
            if ev.get("type") == "msg_created":
                text = str((ev.get("msg") or {}).get("text") or "")
                self.replies.append(text)
                self.transcript.append({"out": text})
            elif ev.get("type") == "error":
                self.transcript.append({"error": str(ev.get("text") or "")})

    def _msg_event(self, text: str) -> dict[str, Any]:
        now = _iso(self.clock())
        return {
            "type": "msg_received",
            "created_on": now,
            "msg": {
                "uuid": self.engine.environment().new_uuid(),
                "text": text,
                "urn": self.contact["urns"][0],
            },
        }

    def start(self, text: str | None) -> None:
        trigger: dict[str, Any] = {"type": "manual", "flow": {"uuid": self.flow_uuid, "name": ""}}
        if text is not None:
            trigger = {"type": "msg", "flow": trigger["flow"], "event": self._msg_event(text)}
            trigger["keyword_match"] = {"type": "first_word", "keyword": (text.split() or [""])[0].lower()}
        trigger["triggered_on"] = _iso(self.clock())
        sprint = self.engine.start(self.contact, trigger, self.environment)
        self.session = sprint.session
        self.started = True
        self._take(sprint.events)

    def status(self) -> str:
        """The session's status, except that a flow that ran out of time reads "expired" (the
        engine ends such a session as completed, with its run expired)."""
        if self.session is None:
            return "not started"
        runs = self.session.runs
        if self.session.status == "completed" and runs and runs[0].status == "expired":
            return "expired"
        return self.session.status

    def send(self, text: str) -> str | None:
        self.transcript.append({"in": text})
        self.replies = []
        if not self.started:
            self.start(text)
            return None
        if self.session is None or self.session.status != "waiting":
            return f'sent "{text}" but the flow is {self.status()}, not waiting for a reply'
        now = _iso(self.clock())
        resume = {"type": "msg", "resumed_on": now, "event": self._msg_event(text)}
        try:
            sprint = self.engine.resume(self.session, resume)
        except ResumeError as exc:
            return f'sent "{text}" but the flow refused it: {exc}'
        self.session = sprint.session
        self._take(sprint.events)
        return None

    def wait(self, minutes: float) -> None:
        """Moves the clock; fires the wait's timeout, then the expiration, when they fall due."""
        self.transcript.append({"wait_minutes": minutes})
        self.replies = []
        self.clock.advance(minutes)
        session = self.session
        while session is not None and session.status == "waiting":
            wait = session.wait or {}
            now = self.clock.current
            if wait.get("timeout_on") and _parse_iso(wait["timeout_on"]) <= now:
                kind = "wait_timeout"
            elif wait.get("expires_on") and _parse_iso(wait["expires_on"]) <= now:
                kind = "wait_expiration"
            else:
                return
            sprint = self.engine.resume(session, {"type": kind, "resumed_on": _iso(self.clock())})
            self.transcript.append({"fired": kind})
            self._take(sprint.events)
            session = self.session = sprint.session

    def results(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for run in self.session.runs if self.session is not None else []:
            for key, r in (run.results or {}).items():
                out[key] = r if isinstance(r, dict) else {"value": r}
        return out


def _check_results(expected: dict[str, Any], actual: dict[str, dict[str, Any]]) -> str | None:
    for name, want in expected.items():
        got = actual.get(snakify(name))
        if want is None:
            if got is not None:
                return f'expected no result "{name}", got "{got.get("value", "")}"'
            continue
        if got is None:
            known = ", ".join(sorted(actual)) or "none"
            return f'expected result "{name}", but it was not saved (results: {known})'
        parts = want if isinstance(want, dict) else {"value": want}
        for part in ("value", "category"):
            if part in parts:
                value = str(got.get(part) or "")
                if not matches(str(parts[part]), value):
                    label = f"result {name}" if part == "value" else f"result {name} category"
                    return f'{label}: expected "{parts[part]}", got "{value}"'
    return None


def _check_replies(expected: list[str], actual: list[str]) -> str | None:
    for i, want in enumerate(expected):
        if i >= len(actual):
            return f'reply {i + 1}: expected "{want}", got no reply (replies: {_quote(actual)})'
        if not matches(want, actual[i]):
            return f'reply {i + 1}: expected "{want}", got "{actual[i]}"'
    if len(actual) > len(expected):
        extra = actual[len(expected) :]
        return f"expected {len(expected)} replies, got {len(actual)}: unexpected {_quote(extra)}"
    return None


def run_test(
    test: dict[str, Any],
    *,
    assets: Assets,
    flow_uuid: str,
    environment: dict[str, Any] | None = None,
    engine_options: dict[str, Any] | None = None,
) -> FlowTestResult:
    """Plays `test` against the flow `flow_uuid` of `assets`; stops at the first difference."""
    name = str(test.get("name") or "")
    try:
        test = validate_test(test)
    except FlowTestInvalid as exc:
        return FlowTestResult(name, False, f"invalid test: {exc}")
    play = _Play(
        test,
        assets=assets,
        flow_uuid=flow_uuid,
        environment=environment,
        engine_options=engine_options or {},
    )
    for n, step in enumerate(test["steps"], start=1):
        kind, value = next(iter(step.items()))
        try:
            problem = _play_step(play, kind, value)
        except Exception as exc:  # noqa: BLE001 (a flow the engine can't run fails the test, readably)
            problem = f"the flow could not run: {type(exc).__name__}: {exc}"
        if problem:
            return FlowTestResult(name, False, f"step {n} ({kind}): {problem}", n, play.transcript)
    return FlowTestResult(name, True, "", None, play.transcript)


def _play_step(play: _Play, kind: str, value: Any) -> str | None:
    if kind == "webhook":
        play.mocks.queue.extend(value if isinstance(value, list) else [value])
        return None
    if kind == "send":
        return play.send(value)
    if not play.started:
        play.start(None)
    if kind == "expect":
        return _check_replies(value, play.replies)
    if kind == "expect_results":
        return _check_results(value, play.results())
    if kind == "expect_status":
        got = play.status()
        return None if got == value else f'expected the flow to be {value}, got "{got}"'
    if kind == "wait_minutes":
        play.wait(float(value))
        return None
    return f"unknown step {kind}"


def run_tests(
    tests: list[dict[str, Any]],
    *,
    assets: Assets,
    flow_uuid: str,
    environment: dict[str, Any] | None = None,
    engine_options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`{"passed", "failed", "results": [...]}` for every test of one flow."""
    results = [
        run_test(
            t, assets=assets, flow_uuid=flow_uuid, environment=environment, engine_options=engine_options
        )
        for t in tests
    ]
    passed = sum(1 for r in results if r.ok)
    return {"passed": passed, "failed": len(results) - passed, "results": [r.to_json() for r in results]}


# -------------------------------------------------------------------------------------- recording

Answerer = Callable[[httpx.Request], httpx.Response]


def record_test(
    *,
    name: str,
    contact: dict[str, Any] | None,
    inputs: list[Any],
    assets: Assets,
    flow_uuid: str,
    environment: dict[str, Any] | None = None,
    webhooks: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A test written from a simulator session: its inputs replayed on the test engine, with
    what the flow answered written down as the expectations.

    `inputs` are what the tester typed (texts) or `{"type": "timeout"}` / `{"type": "expiration"}`;
    a first `null` input means the simulator started the flow without a message. `webhooks` are
    the answers the simulator's webhook calls got (`{"url", "status", "body"}`), replayed as mocks.
    """
    test: dict[str, Any] = {"name": name, "contact": dict(contact or {}), "steps": []}
    validate_test({**test, "steps": [{"expect": []}]})  # name and contact, before any work
    steps: list[dict[str, Any]] = test["steps"]
    if webhooks:
        steps.append({"webhook": [dict(w) for w in webhooks]})
    play = _Play(test, assets=assets, flow_uuid=flow_uuid, environment=environment, engine_options={})
    play.mocks.queue.extend(dict(w) for w in webhooks or [])
    items = list(inputs)
    if not items or items[0] is None:
        play.start(None)
        steps.append({"expect": [_exact(t) for t in play.replies]})
        items = items[1:]
    for item in items:
        if item is None:
            continue
        if isinstance(item, dict) and item.get("type") in (
            "timeout",
            "wait_timeout",
            "expiration",
            "wait_expiration",
        ):
            minutes = _minutes_until_due(play, expiration=item["type"] in ("expiration", "wait_expiration"))
            if minutes is None:
                continue
            steps.append({"wait_minutes": minutes})
            play.wait(minutes)
        else:
            text = item.get("text") if isinstance(item, dict) else item
            if not isinstance(text, str):
                raise FlowTestInvalid("inputs: each input is a text, null or {type: timeout|expiration}")
            steps.append({"send": text})
            problem = play.send(text)
            if problem:
                raise FlowTestInvalid(f"inputs: {problem}")
        steps.append({"expect": [_exact(t) for t in play.replies]})
    results = play.results()
    if results:
        steps.append({"expect_results": {k: str(r.get("value") or "") for k, r in results.items()}})
    steps.append({"expect_status": play.status()})
    return validate_test(test)


def from_transcript(transcript: list[Any]) -> tuple[list[Any], list[dict[str, Any]]]:
    """The inputs and webhook answers of a simulator transcript: the list of what the simulator
    was sent and answered, `[{"input": text | null | {"type": "timeout"}, "events": [...]}]`.
    Webhook answers are read back from the `webhook_called` events' raw responses."""
    if not isinstance(transcript, list):
        raise FlowTestInvalid("transcript must be a list of {input, events}")
    inputs: list[Any] = []
    webhooks: list[dict[str, Any]] = []
    for i, item in enumerate(transcript, start=1):
        if not isinstance(item, dict):
            raise FlowTestInvalid(f"transcript item {i}: must be an object with input and events")
        inputs.append(item.get("input"))
        events = item.get("events") or []
        if not isinstance(events, list):
            raise FlowTestInvalid(f"transcript item {i}: events must be a list")
        for ev in events:
            if isinstance(ev, dict) and ev.get("type") == "webhook_called" and ev.get("status_code"):
                raw = str(ev.get("response") or "")
                body = raw.split("\r\n\r\n", 1)[1] if "\r\n\r\n" in raw else ""
                try:
                    parsed: Any = json.loads(body) if body else ""
                except ValueError:
                    parsed = body
                webhooks.append(
                    {
                        "url": "~" + str(ev.get("url") or "").split("?", 1)[0],
                        "status": int(ev["status_code"]),
                        "body": parsed,
                    }
                )
    return inputs, webhooks


def _exact(text: str) -> str:
    """A recorded reply as an exact matcher (escaped when it starts with a matcher mark)."""
    return "=" + text if text[:1] in ("=", "~") or (len(text) >= 2 and text[0] == text[-1] == "/") else text


def _minutes_until_due(play: _Play, *, expiration: bool) -> int | None:
    wait = (play.session.wait if play.session is not None else None) or {}
    due = wait.get("expires_on") if expiration else wait.get("timeout_on") or wait.get("expires_on")
    if not due or play.status() != "waiting":
        return None
    seconds = (_parse_iso(due) - play.clock.current).total_seconds()
    return max(1, math.ceil(seconds / 60))
