"""Conformance runner over goflow's test vectors: `python -m flows.engine.conformance [goflow-dir]`.

Compares what this engine produces with the vectors, file by file, and groups the counts into
sections (expressions, routers, actions, resumes, runner, runner segments, ...). With
`--floors FILE` it is a gate: it exits 3 when a section passes fewer vectors than its floor in
FILE (the repo's `tests/floors.json`); `--raise-floors` writes today's counts back where they
went up, for the commit that makes more cases pass.

What is compared, and what is not (and why):
- events: every field, except values that depend on Go-specific generators (event/run uuids,
  timestamps, elapsed times) and the embedded run summaries/history of session_triggered;
  webhook request/response dumps are compared in full.
- action vectors: events, `webhook`, `contact_after` and `locals_after` (the run's locals).
  Not compared: `templates`, `localizables` and `inspection`. They test goflow's static
  inspection API (the list of template fields per action, the dependency/result/issue report the
  floweditor asks the engine for); Flowgate's editor computes its issues list in the browser
  and has no engine-side inspection API of that shape to compare.
- runner tests: per sprint, the events and the session status; the `segments` (the moves the
  sprint made: flow, node, exit, destination, as the engine records them in `Sprint.segments`)
  are counted as a section of their own. The segment `operand` and `time` are not compared:
  they are goflow's analytics fields (times come from goflow's test clock), and this engine does
  not record the router operand on a move.
- Random-dependent expression examples beyond the documented first values are reported as
  informative and left out of the pass rate.

Output ends with per-section counts and a summary line. Exit status: 0 when the vectors ran (and
no section fell below its floor), 1 when the runner itself crashed, 2 when there are no vectors
at the given path, 3 when a section fell below its floor.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from infra import urlguard

from .assets import Assets
from .context import TOP_LEVELS, build_context
from .definition import read_node, read_router, validate_action, validate_router
from .environment import Environment, FixedClock, SeededRandom, SeededUUIDs, SequentialClock
from .expressions import Scope
from .functions import FUNCTIONS
from .runner import Engine, ResumeError
from .services import AirtimeTransfer, LLMResponse, ServiceError
from .session import Session
from .template import evaluate_template

DEFAULT_DIR = Path(__file__).resolve().parents[3] / "shared" / "anchor_data" / "goflow"
GO_RANDOM_FIRST = [0.774856886849196, 0.5342568785221806]  # documented outputs of Go's seeded rand
DOCGEN_NOW = dt.datetime(2018, 4, 11, 18, 24, 30, 123456, tzinfo=dt.UTC)
VECTOR_START = dt.datetime(2025, 5, 4, 12, 30, 45, 123456, tzinfo=dt.UTC)
INFORMATIVE = {"function:rand_between"}

_IGNORED_KEYS = {
    "uuid",
    "created_on",
    "run_uuid",
    "parent_uuid",
    "expires_on",
    "elapsed_ms",
    "history",
    "run_summary",
    "step_uuid",
    "input_uuid",
    "arrived_on",
}


class FileResult:
    def __init__(self, name: str, section: str = "") -> None:
        self.name = name
        self.section = section
        self.passed = 0
        self.total = 0
        self.failures: list[str] = []
        self.informative = 0

    def check(self, ok: bool, label: str) -> None:
        self.total += 1
        if ok:
            self.passed += 1
        else:
            self.failures.append(label)

    @property
    def rate(self) -> float:
        return 100.0 * self.passed / self.total if self.total else 100.0


# timestamps inside HTTP dumps (e.g. a resthook payload's path) come from goflow's clock too,
_DUMP_TIME_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
_DUMP_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_DUMP_KEYS = {"request", "response"}


def normalize_event(ev: dict[str, Any]) -> dict[str, Any]:
    return {k: _strip(v, k) for k, v in ev.items() if k not in _IGNORED_KEYS}


def _strip(v: Any, key: str = "") -> Any:
    if isinstance(v, str) and key in _DUMP_KEYS:
        # and the run uuids in them from its uuid generator (all uuids, as event uuids are)
        return _DUMP_UUID_RE.sub("<uuid>", _DUMP_TIME_RE.sub("<time>", v))
    if isinstance(v, dict):
        return {k: _strip(x, k) for k, x in v.items() if k not in _IGNORED_KEYS}
    if isinstance(v, list):
        return [_strip(x) for x in v]
    return v


# ----------------------------------------------------------------------------------- excellent


def docgen_scope(base: Path) -> Scope:
    """The context goflow's docgen evaluates examples in, rebuilt from test_session.json."""
    data = json.loads((base / "extracted" / "test_session.json").read_text())
    assets = Assets.from_json(data["assets"])
    env = Environment.from_json(
        {"timezone": "America/Guayaquil", "date_format": "DD-MM-YYYY", "allowed_languages": ["eng", "spa"]},
        now=FixedClock(DOCGEN_NOW),
        random=SeededRandom(123456, prefix=GO_RANDOM_FIRST),
    )
    env.locations = assets.locations
    engine = Engine(assets, http=_mock_client({}), clock=FixedClock(DOCGEN_NOW), new_uuid=SeededUUIDs())
    session = _run_docgen_session(engine, env, data)
    run = session.runs[0]
    return Scope(build_context(session, run, assets, env), env, FUNCTIONS)


def _run_docgen_session(engine: Engine, env: Environment, data: dict[str, Any]) -> Session:
    """Starts the docgen session (Registration flow) and resumes it with the documented msg."""
    trigger = dict(data["trigger"])
    trigger["type"] = "manual"  # the flow_action trigger's run summary is exposed via @parent
    sprint = engine.start(
        data["contact"],
        dict(trigger, run_summary=data["trigger"]["run_summary"]),
        {"timezone": "America/Guayaquil", "date_format": "DD-MM-YYYY", "allowed_languages": ["eng", "spa"]},
    )
    session = sprint.session
    if session.status == "waiting":
        session = engine.resume(session, data["resume"]).session
    session.environment.random = env.random
    session.environment.now = env.now
    return session


def run_excellent(base: Path) -> FileResult:
    result = FileResult("extracted/excellent_examples.json", "expressions")
    items = json.loads((base / "extracted" / "excellent_examples.json").read_text())["items"]
    scope = docgen_scope(base)
    for key, item in items.items():
        for ex in item["examples"]:
            text, errors = evaluate_template(ex["template"], scope, TOP_LEVELS)
            got = "ERROR" if errors else text
            if key in INFORMATIVE:
                result.informative += 1
                continue
            result.check(got == ex["expected"], f"{ex['template']} -> {got!r} (expected {ex['expected']!r})")
    return result


# ----------------------------------------------------------------------------------- routers


def _mock_client(mocks: dict[str, list[dict[str, Any]]]) -> httpx.Client:
    queues = {url: list(responses) for url, responses in mocks.items()}

    def handle(request: httpx.Request) -> httpx.Response:
        queue = queues.get(str(request.url))
        r: dict[str, Any] = {"status": 200, "body": '{ "ok": "true" }'}
        if queue:
            r = queue.pop(0) if len(queue) > 1 else queue[0]
        if r.get("status", 200) == 0:
            raise httpx.ConnectError("connection error", request=request)
        body = r.get("body", "") * int(r.get("body_repeat") or 1)
        # goflow's mock server answers in HTTP/1.0
        return httpx.Response(
            r.get("status", 200),
            headers=r.get("headers") or {},
            content=body.encode(),
            extensions={"http_version": b"HTTP/1.0"},
        )

    return urlguard.client(httpx.MockTransport(handle))


def _test_contact() -> dict[str, Any]:
    return {
        "uuid": "5d76d86b-3bb9-4d5a-b822-c9d86f5d8e4f",
        "name": "Ryan Lewis",
        "language": "eng",
        "timezone": "America/Guayaquil",
        "created_on": "2018-06-20T11:40:30.123456789Z",
        "urns": [
            "tel:+12065551212?channel=57f1078f-88aa-46f4-a59a-948a5739c03d",
            "twitterid:54784326227#nyaruka",
        ],
        # goflow's test contact: a male tester, so also in the "gender = male" query group
        "groups": [
            {"uuid": "b7cf0d83-f1c9-411c-96fd-c511a4cfa86d", "name": "Testers"},
            {"uuid": "0ec97956-c451-48a0-a180-1ce766623e31", "name": "Males"},
        ],
        "fields": {"gender": {"text": "Male"}},
    }


def _forbidden_content(content: dict[str, Any]) -> str | None:
    """The content policy goflow's test engine is configured with."""
    return "forbidden_content" if "FORBIDDEN" in content.get("text", "") else None


# goflow's runner tests configure their engine with this categorize prompt
GOFLOW_TEST_PROMPTS = {
    "categorize": "Categorize the following text into one of the following categories and only "
    "return that category or <CANT> if you can't: {0}",
}
GO_RANDOM_AIRTIME_ID = "4ZJR8BT9MF"  # the first id of goflow's seeded test random (as in the vectors)


class _TestAirtime:
    """The airtime service goflow's runner tests use: RWF only, one logged provider call."""

    def transfer(
        self, *, transfer_uuid: str, sender: str, recipient: str, amounts: dict[str, Any]
    ) -> AirtimeTransfer:
        if "666" in recipient:
            raise ServiceError("invalid recipient number")
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
        if "RWF" not in amounts:
            raise ServiceError("no amount configured for transfers in RWF", [log])
        return AirtimeTransfer("RWF", amounts["RWF"], GO_RANDOM_AIRTIME_ID, [log])


class _TestLLM:
    """The LLM goflow's runner tests use: `\\error X` fails with X, categorize instructions get
    their last category back."""

    def respond(self, *, instructions: str, input: str, max_tokens: int) -> LLMResponse:
        if input.startswith("\\error "):
            raise ServiceError(input[7:])
        if input.startswith("\\return "):
            return LLMResponse(input[8:], 45, 78)
        if instructions.startswith("Categorize"):
            return LLMResponse(instructions.split()[-1].rstrip("]"), 45, 78)
        return LLMResponse(f"You asked:\n\n{instructions}\n\n{input}", 45, 78)


def _engine(assets_json: dict[str, Any], mocks: dict[str, Any] | None = None) -> Engine:
    return Engine(
        Assets.from_json(assets_json),
        http=_mock_client(mocks or {}),
        clock=SequentialClock(VECTOR_START),
        new_uuid=SeededUUIDs(),
        random=SeededRandom(123456, prefix=GO_RANDOM_FIRST[:1]),
        check_sendable=_forbidden_content,
        webhook_user_agent="goflow-testing",
        airtime=_TestAirtime(),
        llm=lambda llm: _TestLLM(),
        llm_prompts=GOFLOW_TEST_PROMPTS,
    )


def run_router_file(path: Path) -> FileResult:
    result = FileResult(str(path.relative_to(path.parents[3])), "routers")
    assets_json = json.loads((path.parent / "_assets.json").read_text())
    for case in json.loads(path.read_text()):
        label = case["description"]
        if case.get("read_error"):
            node = read_node(assets_json["flows"][0]["nodes"][0])
            errs = validate_router(read_router(case["router"]), {e.uuid for e in node.exits})
            result.check(", ".join(errs) == case["read_error"], f"{label}: got {errs}")
            continue
        a = copy.deepcopy(assets_json)
        a["flows"][0]["nodes"][0]["router"] = case["router"]
        engine = _engine(a)
        contact = dict(_test_contact(), groups=[])  # router vectors use a contact in no groups
        try:
            sprint = engine.start(contact, {"type": "manual", "flow": {"uuid": a["flows"][0]["uuid"]}})
        except Exception as e:  # an engine crash fails this vector, not the whole run
            result.check(False, f"{label}: crashed {e!r}")
            continue
        run = sprint.session.runs[0]
        got_results = {k: _result_view(v) for k, v in run.results.items()}
        want_results = {k: _result_view(v) for k, v in (case.get("results") or {}).items()}
        got_events = [
            normalize_event(e) for e in sprint.events if e["type"] not in ("run_started", "run_ended")
        ]
        want_events = [normalize_event(e) for e in case.get("events") or []]
        ok = got_results == want_results and got_events == want_events
        result.check(ok, f"{label}: results {got_results} events {got_events}")
    return result


def _result_view(r: dict[str, Any]) -> dict[str, Any]:
    return {k: r.get(k) for k in ("name", "value", "category", "input", "extra") if r.get(k) is not None}


# ----------------------------------------------------------------------------------- actions


def run_action_file(path: Path) -> FileResult:
    result = FileResult(str(path.relative_to(path.parents[3])), "actions")
    assets_json = json.loads((path.parent / "_assets.json").read_text())
    for case in json.loads(path.read_text()):
        label = case["description"]
        action = case["action"]
        if case.get("read_error"):
            from .definition import Action

            errs = validate_action(Action(action.get("uuid", ""), action.get("type", ""), action))
            result.check(", ".join(errs) == case["read_error"], f"{label}: got {errs}")
            continue
        a = copy.deepcopy(assets_json)
        flow = a["flows"][0]
        flow["nodes"][0]["actions"] = [action]
        if case.get("localization"):
            flow["localization"] = case["localization"]
        engine = _engine(a, case.get("http_mocks"))
        contact = case.get("contact") or _test_contact()
        # goflow's action tests run in Rwanda, and with a Spanish-speaking contact when the
        # vector brings translations
        env: dict[str, Any] = {"timezone": "America/Guayaquil", "default_country": "RW"}
        if case.get("localization"):
            contact = dict(contact, language="spa")
            env["allowed_languages"] = ["eng", "spa"]
        trigger = {
            "type": "msg",
            "flow": {"uuid": flow["uuid"]},
            "event": {
                "uuid": "9bf91c2b-ce58-4cef-aacc-281e03f69ab5",
                "type": "msg_received",
                "created_on": "2018-10-18T14:20:30.000123456Z",
                "msg": {"text": "Hi everybody", "urn": "tel:+12065551212"},
            },
        }
        try:
            sprint = engine.start(contact, trigger, env)
        except Exception as e:  # a crash is a failure of this vector, not of the whole run
            result.check(False, f"{label}: crashed {e!r}")
            continue
        got = [normalize_event(e) for e in sprint.events if e["type"] not in ("run_started", "run_ended")]
        want = [normalize_event(e) for e in case.get("events") or []]
        ok = got == want
        if ok and "webhook" in case:
            ok = _strip(sprint.session.runs[0].webhook) == _strip(case["webhook"])
        if ok and case.get("contact_after"):
            ok = _contact_view(sprint.session.contact.to_json()) == _contact_view(case["contact_after"])
        if ok and case.get("locals_after") is not None:
            ok = dict(sprint.session.runs[0].locals) == case["locals_after"]
        result.check(ok, f"{label}: got {got}")
    return result


def _contact_view(c: dict[str, Any]) -> dict[str, Any]:
    from .session import jsonable

    return jsonable({k: c.get(k) for k in ("name", "language", "fields", "groups", "status")})


# ----------------------------------------------------------------------------------- resumes


def run_resume_file(path: Path) -> FileResult:
    result = FileResult(str(path.relative_to(path.parents[3])), "resumes")
    assets_json = json.loads((path.parent / "_assets.json").read_text())
    for case in json.loads(path.read_text()):
        a = copy.deepcopy(assets_json)
        flow = next(f for f in a["flows"] if f["uuid"] == case["flow_uuid"])
        for node in flow["nodes"]:
            if node.get("router", {}).get("wait"):
                node["router"]["wait"] = case["wait"]
        engine = _engine(a)
        label = case["description"]
        try:
            sprint = engine.start(_test_contact(), {"type": "manual", "flow": {"uuid": flow["uuid"]}})
            sprint = engine.resume(sprint.session.to_json(), case["resume"])
            error = None
        except ResumeError as e:
            error = str(e)
        except Exception as e:  # an engine crash fails this vector, not the whole run
            result.check(False, f"{label}: crashed {e!r}")
            continue
        if case.get("resume_error"):
            result.check(error == case["resume_error"], f"{label}: got error {error!r}")
            continue
        got = [normalize_event(e) for e in sprint.events if e["type"] not in ("run_started", "run_ended")]
        want = [normalize_event(e) for e in case.get("events") or []]
        ok = got == want and sprint.session.status == case["session_status"]
        ok = ok and sprint.session.runs[0].status == case["run_status"]
        result.check(ok, f"{label}: got {got} {sprint.session.status}")
    return result


# ----------------------------------------------------------------------------------- runner sessions


def run_runner_file(path: Path) -> list[FileResult]:
    """One runner test, counted whole (section runner: every sprint matches), per sprint (events
    and session status) and per sprint's path segments."""
    name = str(path.relative_to(path.parents[4]))
    whole = FileResult(name, "runner")
    result, segments = FileResult(name, "runner_sprints"), FileResult(name, "runner_segments")
    assets_name = path.name.split(".")[0] + ".json"
    assets_json = json.loads((path.parent / assets_name).read_text())
    case = json.loads(path.read_text())
    outputs = case["outputs"]
    try:  # a definition this engine cannot load (e.g. legacy) fails the vector, not the run
        engine = _engine(assets_json, case.get("http_mocks"))
        sprint = engine.start(case["contact"], case["trigger"], case.get("environment"))
        sprints = [sprint]
        sessions = [{}, sprint.session.to_json()]
        for resume in case.get("resumes") or []:
            sprint = engine.resume(_reloaded(engine, sessions[-1]), resume)
            sprints.append(sprint)
            sessions.append(sprint.session.to_json())
    except Exception as e:  # report, don't abort the whole conformance run
        for r in (whole, result, segments):
            r.check(False, f"crashed: {e!r}")
        return [whole, result, segments]
    # uuids the engine generates (tickets, transfers...) show up in values too: compared by the
    # order they first appear in, not by value (goflow's generator can't be reproduced)
    known = set(
        _DUMP_UUID_RE.findall(
            json.dumps([assets_json, case.get("contact"), case.get("trigger"), case.get("resumes")])
        )
    )
    got_ids, want_ids = _GeneratedIds(known), _GeneratedIds(known)
    for i, out in enumerate(outputs):
        if i >= len(sprints):
            result.check(False, f"sprint {i}: missing")
            segments.check(False, f"sprint {i}: missing")
            continue
        got = got_ids.apply([normalize_event(e) for e in sprints[i].events])
        want = want_ids.apply([normalize_event(e) for e in out["events"]])
        ok = got == want and sprints[i].session.status == out["session"]["status"]
        result.check(ok, f"sprint {i}: {_first_diff(got, want)}")
        got_segments = sorted(_segment_view(s) for s in sprints[i].segments)
        want_segments = sorted(_segment_view(s) for s in out.get("segments") or [])
        segments.check(
            got_segments == want_segments, f"sprint {i}: segments {got_segments} want {want_segments}"
        )
    whole.check(result.passed == result.total == len(outputs), "; ".join(result.failures))
    return [whole, result, segments]


class _GeneratedIds:
    """Replaces uuids that aren't in a test's inputs with <id1>, <id2>... in order of appearance."""

    def __init__(self, known: set[str]) -> None:
        self.known = known
        self.names: dict[str, str] = {}

    def _name(self, m: re.Match[str]) -> str:
        u = m.group(0)
        if u in self.known:
            return u
        return self.names.setdefault(u, f"<id{len(self.names) + 1}>")

    def apply(self, v: Any) -> Any:
        if isinstance(v, str):
            return _DUMP_UUID_RE.sub(self._name, v)
        if isinstance(v, dict):
            return {k: self.apply(x) for k, x in v.items()}
        if isinstance(v, list):
            return [self.apply(x) for x in v]
        return v


def _reloaded(engine: Engine, data: dict[str, Any]) -> Session:
    """A stored session read back the way goflow's runner tests do it: they store the session
    pretty-printed (4-space indent) and a result's extra is raw JSON, so after the reload
    @legacy_extra shows each extra indented at its depth in that document (results sit 5 deep)."""
    session = Session.from_json(copy.deepcopy(data), engine.environment(data.get("environment")))
    for run in session.runs:
        for key, result in run.results.items():
            if result.get("extra") is not None:
                pretty = json.dumps(result["extra"], indent=4, ensure_ascii=False)
                run.extra_texts[key] = pretty.replace("\n", "\n" + " " * 20)
    return session


_SegmentKey = tuple[str, str, str, str]


def _segment_view(seg: dict[str, Any]) -> _SegmentKey:
    return (seg["flow_uuid"], seg["node_uuid"], seg["exit_uuid"], seg["destination_uuid"])


def _first_diff(got: list[Any], want: list[Any]) -> str:
    for i in range(max(len(got), len(want))):
        g = got[i] if i < len(got) else None
        w = want[i] if i < len(want) else None
        if g != w:
            return f"event {i}: got {json.dumps(g)[:300]} want {json.dumps(w)[:300]}"
    return "status differs"


# ----------------------------------------------------------------------------------- main


def run_all(base: Path) -> list[FileResult]:
    """Every vector set found under base (a partial copy of goflow's tree runs what it has)."""
    results = [run_excellent(base)] if (base / "extracted" / "excellent_examples.json").exists() else []
    runners: list[tuple[str, Callable[[Path], FileResult]]] = [
        ("flows/routers/testdata", run_router_file),
        ("flows/actions/testdata", run_action_file),
        ("flows/resumes/testdata", run_resume_file),
    ]
    for folder, fn in runners:
        for path in sorted((base / folder).glob("*.json")):
            if path.name != "_assets.json":
                results.append(fn(path))
    for path in sorted((base / "test" / "testdata" / "runner").glob("*.*.json")):
        results.extend(run_runner_file(path))
    results.extend(run_legacy_sections(base))
    return results


def run_legacy_sections(base: Path) -> list[FileResult]:
    """Legacy migration: definition vectors (legacy piece -> spec 13 JSON) and expression vectors."""
    from . import conformance_legacy as legacy

    out = []
    folder = base / "flows" / "definition" / "legacy" / "testdata"
    jobs: list[tuple[Path, FileResult, Callable[[Path, Any], Any]]] = [
        (
            path,
            FileResult(f"legacy definition: {path.name}", "legacy_definitions"),
            legacy.run_definition_file,
        )
        for path in sorted(folder.glob("*.json"))
    ]
    expressions = folder.parent / "expressions" / "testdata" / "legacy_tests.json"
    if expressions.exists():
        jobs.append(
            (
                expressions,
                FileResult("legacy expressions: legacy_tests.json", "legacy_expressions"),
                legacy.run_expression_vectors,
            )
        )
    for path, result, run in jobs:
        try:
            run(path, result)
        except Exception as e:  # an unreadable vector file fails that file, not the whole run
            result.check(False, f"unreadable vector file: {e!r}")
        out.append(result)
    return out


def section_counts(results: list[FileResult]) -> dict[str, tuple[int, int]]:
    """(passed, total) per section, in the order sections first appear."""
    counts: dict[str, tuple[int, int]] = {}
    for r in results:
        passed, total = counts.get(r.section, (0, 0))
        counts[r.section] = (passed + r.passed, total + r.total)
    return counts


def read_floors(path: Path, suite: str = "goflow") -> dict[str, int]:
    """The recorded floors of one suite: `{"goflow": {"runner": 21, ...}, "courier": {...}}`."""
    return dict(json.loads(path.read_text()).get(suite) or {})


def floor_failures(counts: dict[str, tuple[int, int]], floors: dict[str, int]) -> list[str]:
    """Sections that pass fewer vectors than their floor (a section that vanished counts as 0)."""
    failures = []
    for section, floor in floors.items():
        passed = counts.get(section, (0, 0))[0]
        if passed < floor:
            failures.append(f"{section}: {passed} passed, floor {floor}")
    return failures


def raise_floors(path: Path, counts: dict[str, tuple[int, int]], suite: str = "goflow") -> dict[str, int]:
    """Writes counts that went up (or new sections) back to the floors file; never lowers one."""
    data = json.loads(path.read_text()) if path.exists() else {}
    floors = dict(data.get(suite) or {})
    for section, (passed, _total) in counts.items():
        floors[section] = max(passed, floors.get(section, 0))
    data[suite] = floors
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return floors


def main(argv: list[str] | None = None) -> int:
    """Prints a line per vector file, the counts per section and a final summary line.

    Exit status: 0 when the vectors ran and no section is below its floor (`--floors FILE`);
    1 if the runner itself crashed, 2 if the vectors aren't there, 3 if a section fell below
    its floor. `--raise-floors` (with `--floors`) records counts that went up.
    """
    args = list(argv if argv is not None else sys.argv[1:])
    verbose = "-v" in args
    floors_path: Path | None = None
    if "--floors" in args:
        i = args.index("--floors")
        floors_path = Path(args[i + 1])
        del args[i : i + 2]
    paths = [a for a in args if not a.startswith("-")]
    base = Path(paths[0]) if paths else DEFAULT_DIR
    if not base.exists():
        print(f"conformance: no vectors at {base}", file=sys.stderr)
        return 2
    try:
        results = run_all(base)
    except Exception:  # a bug in the runner or unreadable vectors, not a failing vector
        traceback.print_exc()
        print("conformance: runner crashed (see traceback above)")
        return 1
    passed = total = 0
    for r in results:
        extra = f" (+{r.informative} informative)" if r.informative else ""
        print(f"{r.rate:6.1f}%  {r.passed:4d}/{r.total:<4d} {r.section + ':':<16} {r.name}{extra}")
        if verbose:
            for f in r.failures:
                print(f"          FAIL {f}")
        passed += r.passed
        total += r.total
    counts = section_counts(results)
    floors = read_floors(floors_path) if floors_path and floors_path.exists() else {}
    print("section               passed/total   floor")
    for section, (p, t) in counts.items():
        floor = floors.get(section)
        print(f"  {section:<20} {p:5d}/{t:<6d}  {'-' if floor is None else floor}")
    print(f"{100.0 * passed / max(total, 1):6.1f}%  {passed:4d}/{total:<4d} TOTAL")
    failed_files = sum(1 for r in results if r.passed < r.total)
    print(
        f"conformance: {passed}/{total} vectors passed ({100.0 * passed / max(total, 1):.1f}%), "
        f"{len(results) - failed_files}/{len(results)} files fully passing"
    )
    if floors_path and "--raise-floors" in args:
        raise_floors(floors_path, counts)
        print(f"conformance: floors recorded in {floors_path}")
        return 0
    below = floor_failures(counts, floors)
    for line in below:
        print(f"conformance: BELOW FLOOR {line}")
    return 3 if below else 0


if __name__ == "__main__":
    raise SystemExit(main())
