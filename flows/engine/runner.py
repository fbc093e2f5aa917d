"""The flow runner: starts sessions, walks nodes until a wait or the end, resumes on input.

The runner is a loop over a stack of runs rather than recursion, so a subflow that waits can be
resumed later from stored JSON and then hand control back to its parent's router.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from . import functions as _functions  # noqa: F401  (registers builtins)
from . import routertests as _routertests  # noqa: F401  (registers router tests)
from .actions import contact_country, execute_action, reevaluate_query_groups
from .assets import Assets
from .contact import Contact
from .context import TOP_LEVELS, build_context, compact_json, deprecated_references
from .definition import Flow, Node, Router, snakify
from .environment import Environment, SeededRandom, utcnow
from .expressions import Scope
from .functions import FUNCTIONS
from .services import AirtimeService, LLMService
from .session import ACTIVE, COMPLETED, DONE, EXPIRED, FAILED, WAITING, Run, Session
from .template import evaluate_template_sourced, evaluate_template_value, template_expressions
from .urns import normalize_tel
from .values import XError, XObject, deref, format_datetime_iso, to_json_value, to_text

# goflow's limits: a flow that loops without a wait fails after this many node visits in a sprint,
# and flows entering each other (even through waits) fail when the session holds this many runs
MAX_STEPS_PER_SPRINT = 100
MAX_RUNS_PER_SESSION = 500
DEFAULT_EXPIRE_MINUTES = 60 * 24 * 3
RESUME_KINDS = ("msg", "wait_timeout", "dial")  # resumes that route the waiting node
# webhooks may not call these (messaging APIs whose calls must go through channels)
DEFAULT_BLOCKED_HOSTS = ("graph.facebook.com",)


def utc_iso(v: dt.datetime) -> str:
    """A clock reading as a goflow-style UTC timestamp."""
    return format_datetime_iso(v if v.tzinfo is dt.UTC else v.astimezone(dt.UTC))


class ResumeError(ValueError):
    """A resume that the session can't accept (wrong type, nothing waiting...)."""


@dataclass
class Sprint:
    """The outcome of one start/resume: the updated session and the events it produced."""

    session: Session
    events: list[dict[str, Any]] = field(default_factory=list)
    # the exit -> destination moves this sprint made, in order (goflow's path segments; what an
    # editor's per-connection counts are built from)
    segments: list[dict[str, Any]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.session.status


# events that change nothing an expression can see (everything else resets the whole context)
_CONTEXT_NEUTRAL_EVENTS = frozenset(
    {
        "msg_created",
        "msg_wait",
        "error",
        "warning",
        "broadcast_created",
        "email_sent",
        "session_triggered",
        "ivr_created",
        "input_labels_added",
        "webhook_called",
    }
)
# events whose effect is confined to a few top-level context keys
_CONTEXT_KEYS_BY_EVENT: dict[str, tuple[str, ...]] = {"run_result_changed": ("results", "run")}


class SprintContext:
    """Per-sprint state shared by the runner and actions."""

    def __init__(self, engine: Engine, session: Session) -> None:
        self.engine = engine
        self.session = session
        self.events: list[dict[str, Any]] = []
        self.steps = 0
        self.segments: list[dict[str, Any]] = []
        # the node this sprint last stood on, across runs: goflow records a parent's move after
        # its subflow ended as leaving the subflow's last node, and so do we
        waiting = session.active_run()
        self.last_node_uuid: str | None = waiting.current_node if waiting else None
        self.child_to_start: tuple[Flow, bool] | None = None
        # the expression context of one run, kept across node visits: its top-level properties
        # are lazy and memoised, and a state change resets just the ones it affects
        self._scope: tuple[Run, Scope, dict[str, Any]] | None = None

    @property
    def env(self) -> Environment:
        return self.session.environment

    def now_iso(self) -> str:
        return utc_iso(self.env.now())

    def event(self, type_: str, **data: Any) -> dict[str, Any]:
        env = self.session.environment
        ev = {"uuid": env.new_uuid(), "type": type_, "created_on": utc_iso(env.now())}
        ev.update(data)  # callers pass JSON-safe data (see jsonable for contact field values)
        self.events.append(ev)
        if type_ not in _CONTEXT_NEUTRAL_EVENTS:
            self.invalidate(*_CONTEXT_KEYS_BY_EVENT.get(type_, ()))
        return ev

    def invalidate(self, *keys: str) -> None:
        """Marks context properties stale (all of them when no keys are given)."""
        if self._scope is None:
            return
        if not keys:
            self._scope = None
            return
        ctx = self._scope[1].context
        factories = self._scope[2]
        for key in keys:
            ctx.reset(key, factories[key])

    def scope(self, run: Run) -> Scope:
        """The expression scope for `run`, reused until something it shows changes."""
        cached = self._scope
        if cached is not None and cached[0] is run:
            return cached[1]
        self.env.contact_country = contact_country(self)
        ctx = build_context(self.session, run, self.engine.assets, self.env)
        scope = Scope(ctx, self.env, FUNCTIONS)
        self._scope = (run, scope, dict(ctx.items_unresolved()))
        return scope

    def expression_error(self, source: str, error: XError) -> None:
        self.event(
            "error",
            text=f"Error evaluating expression: {error.message}",
            code="expression",
            extra={"expression": source},
        )

    def warn_deprecated(self, template: str) -> None:
        """Logs a warning for each deprecated context reference a template uses."""
        refs = _DEPRECATED_CACHE.get(template)
        if refs is None:
            refs = []
            for expression, _ in template_expressions(template, TOP_LEVELS):
                refs.extend(deprecated_references(expression))
            if len(_DEPRECATED_CACHE) > 10_000:
                _DEPRECATED_CACHE.clear()
            _DEPRECATED_CACHE[template] = refs
        for text in refs:
            self.event("warning", text=text, code="context:deprecated")

    def evaluate(self, run: Run, template: str, scope: Scope | None = None) -> tuple[str, bool]:
        """Renders a template, logging an error event for each failed expression.
        Returns the text and whether it rendered without errors."""
        if "@" not in template:
            return template, True
        self.warn_deprecated(template)
        text, errors = evaluate_template_sourced(template, scope or self.scope(run), TOP_LEVELS)
        for source, e in errors:
            self.expression_error(source, e)
        return text, not errors

    def render(self, run: Run, template: str, scope: Scope | None = None) -> str:
        """Evaluates a template, logging an error event for each failed expression."""
        if "@" not in template:
            return template
        return self.evaluate(run, template, scope)[0]

    def render_value(self, run: Run, template: str, scope: Scope | None = None) -> Any:
        """A template's value (not just text when it's a single expression), logging errors."""
        if "@" not in template:
            return template
        self.warn_deprecated(template)
        value = evaluate_template_value(template, scope or self.scope(run), TOP_LEVELS)
        if isinstance(value, XError):
            sources = template_expressions(template, TOP_LEVELS)
            self.expression_error(sources[0][1] if len(sources) == 1 else template, value)
        return value


_DEPRECATED_CACHE: dict[str, list[str]] = {}


class Engine:
    """Entry point for the Django side: `start()` and `resume()` return a Sprint.

    `http` is the httpx.Client used by call_webhook (tests pass one with a MockTransport);
    `clock`, `new_uuid` and `random` make runs reproducible. `check_sendable` is an optional
    content policy returning an unsendable reason for a message's content (or None);
    `webhook_user_agent` and `webhook_blocked_hosts` configure call_webhook.
    """

    def __init__(
        self,
        assets: Assets,
        *,
        http: httpx.Client | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        new_uuid: Callable[[], str] | None = None,
        random: Callable[[], float] | None = None,
        webhook_timeout: float = 10.0,
        max_steps: int = MAX_STEPS_PER_SPRINT,
        check_sendable: Callable[[dict[str, Any]], str | None] | None = None,
        webhook_user_agent: str = "Flowgate",
        webhook_blocked_hosts: Iterable[str] = DEFAULT_BLOCKED_HOSTS,
        airtime: AirtimeService | None = None,
        llm: Callable[[dict[str, Any]], LLMService | None] | None = None,
        llm_prompts: dict[str, str] | None = None,
    ) -> None:
        self.assets = assets
        self.http = http
        self.clock = clock or utcnow
        self.new_uuid = new_uuid
        self.random = random
        self.webhook_timeout = webhook_timeout
        self.max_steps = max_steps
        # optional content policy: returns an unsendable reason (e.g. "forbidden_content") or None
        self.check_sendable = check_sendable
        self.webhook_user_agent = webhook_user_agent
        self.webhook_blocked_hosts = frozenset(h.lower() for h in webhook_blocked_hosts)
        # outside services (see services.py): the workspace's airtime service, and the LLM
        # service for an llm asset; prompt() templates can be replaced per engine
        self.airtime = airtime
        self.llm = llm
        self.llm_prompts = llm_prompts

    # ------------------------------------------------------------------------------- environment

    def environment(self, data: dict[str, Any] | None = None) -> Environment:
        env = Environment.from_json(data, now=self.clock)
        if self.new_uuid:
            env.new_uuid = self.new_uuid
        env.random = self.random or SeededRandom(None)  # type: ignore[arg-type]
        env.locations = self.assets.locations
        env.llm_prompts = self.llm_prompts
        return env

    # ------------------------------------------------------------------------------- public API

    def start(
        self,
        contact: Contact | dict[str, Any],
        trigger: dict[str, Any],
        environment: dict[str, Any] | None = None,
    ) -> Sprint:
        """Starts a new session for `contact` in the flow named by `trigger["flow"]`."""
        if isinstance(contact, dict):
            contact = Contact.from_json(contact)
        if contact.timezone and not (environment or {}).get("timezone"):
            # like goflow, a contact's own timezone applies when the environment doesn't set one
            environment = dict(environment or {}, timezone=contact.timezone)
        env = self.environment(environment)
        flow = self.assets.get_flow((trigger.get("flow") or {}).get("uuid", ""))
        if flow is None:
            raise ValueError(f"no such flow: {trigger.get('flow')}")
        session = Session(
            uuid=env.new_uuid(),
            contact=contact,
            environment=env,
            trigger=trigger,
            type=flow.type,
            created_on=format_datetime_iso(env.now().astimezone(dt.UTC)),
        )
        sc = SprintContext(self, session)
        msg_event = trigger.get("event") if trigger.get("type") == "msg" else None
        if msg_event:
            session.input = dict(msg_event.get("msg") or {})
            session.input_created_on = msg_event.get("created_on")
        session.sprints += 1
        # the contact's query-based groups are made right before anything runs (goflow)
        reevaluate_query_groups(sc)
        run = self._new_run(sc, flow, parent=None)
        self._drive(sc, run, flow.nodes[0].uuid if flow.nodes else None, skip_actions=False)
        return Sprint(session, sc.events, sc.segments)

    def resume(self, session: Session | dict[str, Any], resume: dict[str, Any]) -> Sprint:
        """Continues a waiting session with a msg, a wait timeout or an expiration."""
        if isinstance(session, dict):
            session = Session.from_json(session, self.environment(session.get("environment")))
        else:
            session.environment.now = self.clock
        if session.status != WAITING:
            raise ResumeError(f"only waiting sessions can be resumed, session is {session.status}")
        run = session.active_run()
        if run is None:
            raise ResumeError("session has no waiting run")
        kind = resume.get("type", "")
        wait = session.wait or {}
        sc = SprintContext(self, session)
        if kind == "msg":
            if wait.get("type") == "dial":
                raise ResumeError("resume of type msg not accepted by wait of type dial")
            event = resume.get("event") or {}
            session.input = dict(event.get("msg") or resume.get("msg") or {})
            session.input_created_on = event.get("created_on") or resume.get("resumed_on")
        elif kind == "wait_timeout":
            if not wait.get("timeout_seconds"):
                raise ResumeError("resume of type wait_timeout not accepted by wait of type msg")
        elif kind in ("wait_expiration", "run_expiration"):
            pass
        elif kind == "dial":
            if wait.get("type") != "dial":
                raise ResumeError(
                    f"resume of type dial not accepted by wait of type {wait.get('type', 'msg')}"
                )
            session.input = None  # a dial resume carries no message
        else:
            raise ResumeError(f"resume of type {kind} not accepted")
        session.sprints += 1
        session.last_resume = resume
        session.wait = None
        session.status = ACTIVE
        if kind in ("wait_expiration", "run_expiration"):
            self._end_run(sc, run, EXPIRED)
            reevaluate_query_groups(sc)
            self._continue_parents(sc, run)
        else:
            run.status = ACTIVE
            self._drive(sc, run, run.current_node, skip_actions=True, resume_kind=kind)
        return Sprint(session, sc.events, sc.segments)

    # ------------------------------------------------------------------------------- internals

    def _new_run(self, sc: SprintContext, flow: Flow, parent: Run | None, terminal: bool = False) -> Run:
        now = sc.now_iso()
        run = Run(
            uuid=sc.env.new_uuid(),
            flow=flow.ref(),
            created_on=now,
            modified_on=now,
            parent_uuid=parent.uuid if parent else None,
        )
        sc.session.runs.append(run)
        data: dict[str, Any] = {"flow": flow.ref(), "run_uuid": run.uuid}
        if parent:
            data["parent_uuid"] = parent.uuid
        if terminal:
            data["terminal"] = True
        sc.event("run_started", **data)
        return run

    def _drive(
        self,
        sc: SprintContext,
        run: Run,
        node_uuid: str | None,
        *,
        skip_actions: bool,
        resume_kind: str | None = None,
    ) -> None:
        """Runs `run` from a node; when it finishes, hands control back up the parent chain."""
        outcome = self._walk(sc, run, node_uuid, skip_actions=skip_actions, resume_kind=resume_kind)
        while True:
            if outcome == "child":
                assert sc.child_to_start is not None
                flow, terminal = sc.child_to_start
                sc.child_to_start = None
                if len(sc.session.runs) >= MAX_RUNS_PER_SESSION:
                    # usually flows entering each other in a loop
                    sc.event(
                        "failure", text=f"Reached maximum number of runs per session ({MAX_RUNS_PER_SESSION})"
                    )
                    self._end_run(sc, run, FAILED)
                    outcome = "ended"
                    continue
                if terminal:
                    # a terminal subflow replaces every run still going: none of them resumes
                    for other in sc.session.runs:
                        if other.status in (ACTIVE, WAITING):
                            self._end_run(sc, other, COMPLETED)
                child = self._new_run(sc, flow, parent=run, terminal=terminal)
                if terminal:
                    child.parent_uuid = None
                run = child
                outcome = self._walk(sc, run, flow.nodes[0].uuid if flow.nodes else None, skip_actions=False)
                continue
            if outcome == "waiting":
                return
            # the run ended: continue its parent at the node that entered the subflow
            parent = sc.session.run_by_uuid(run.parent_uuid)
            if parent is None or parent.status in DONE:
                self._finish_session(sc)
                return
            if run.status == FAILED:
                # a failed subflow fails its parent, and so on up
                self._end_run(sc, parent, FAILED)
                run = parent
                continue
            run = parent
            parent.status = ACTIVE
            outcome = self._walk(sc, run, run.current_node, skip_actions=True, resume_kind="child")

    def _continue_parents(self, sc: SprintContext, ended: Run) -> None:
        parent = sc.session.run_by_uuid(ended.parent_uuid)
        if parent is None or parent.status in DONE:
            self._finish_session(sc)
            return
        parent.status = ACTIVE
        self._drive(sc, parent, parent.current_node, skip_actions=True, resume_kind="child")

    def _finish_session(self, sc: SprintContext) -> None:
        statuses = {r.status for r in sc.session.runs}
        sc.session.status = FAILED if FAILED in statuses else COMPLETED
        sc.session.wait = None

    def _end_run(self, sc: SprintContext, run: Run, status: str) -> None:
        run.status = status
        run.exited_on = run.modified_on = sc.now_iso()
        sc.event("run_ended", flow=dict(run.flow), run_uuid=run.uuid, status=status)

    def _walk(
        self,
        sc: SprintContext,
        run: Run,
        node_uuid: str | None,
        *,
        skip_actions: bool,
        resume_kind: str | None = None,
    ) -> str:
        """Walks nodes of one run. Returns "waiting", "child" (enter a subflow) or "ended"."""
        flow = self.assets.get_flow(run.flow["uuid"])
        if flow is None:
            sc.event("failure", text=f"flow {run.flow.get('uuid')} is not available")
            self._end_run(sc, run, FAILED)
            return "ended"
        while node_uuid:
            node = flow.node(node_uuid)
            if node is None:
                sc.event("failure", text=f"node {node_uuid} doesn't exist")
                self._end_run(sc, run, FAILED)
                return "ended"
            if not skip_actions:
                sc.steps += 1
                if sc.steps > self.max_steps:
                    sc.event("failure", text=f"Reached maximum number of steps per sprint ({self.max_steps})")
                    self._end_run(sc, run, FAILED)
                    return "ended"
                run.path.append(
                    {"uuid": sc.env.new_uuid(), "node_uuid": node.uuid, "arrived_on": sc.now_iso()}
                )
                sc.last_node_uuid = node.uuid
                sc.invalidate("node")
                for action in node.actions:
                    execute_action(sc, run, flow, node, action)
                    if run.status in DONE:
                        return "ended"
                if sc.child_to_start is not None:
                    # a subflow starts once the node's other actions have run
                    return "child"
            skip_actions = False
            exit_uuid = None
            if node.router:
                router = node.router
                if router.wait and resume_kind is None:
                    if not node.actions and self._trigger_answers_wait(sc, run, router):
                        resume_kind = "trigger"
                    elif router.wait.type == "dial" and not self._begin_dial(sc, run, flow, router):
                        resume_kind = "dial_failed"  # no number to dial: route straight on
                    elif router.wait.type == "dial":
                        return "waiting"
                    else:
                        self._begin_wait(sc, run, flow, router)
                        return "waiting"
                exit_uuid = self._route(sc, run, flow, node, router, resume_kind)
                if resume_kind in RESUME_KINDS:
                    # input may change what query-based groups see (goflow re-checks on resume)
                    reevaluate_query_groups(sc)
                resume_kind = None
                if exit_uuid is None:
                    self._end_run(sc, run, FAILED)
                    return "ended"
            elif node.exits:
                exit_uuid = node.exits[0].uuid
            ex = node.exit(exit_uuid) if exit_uuid else None
            if run.path:
                run.path[-1]["exit_uuid"] = exit_uuid
            node_uuid = ex.destination_uuid if ex else None
            if ex and node_uuid:
                sc.segments.append(
                    {
                        "flow_uuid": flow.uuid,
                        "node_uuid": sc.last_node_uuid or node.uuid,
                        "exit_uuid": ex.uuid,
                        "destination_uuid": node_uuid,
                        "time": sc.now_iso(),
                    }
                )
        self._end_run(sc, run, COMPLETED)
        return "ended"

    @staticmethod
    def _trigger_answers_wait(sc: SprintContext, run: Run, router: Router) -> bool:
        """A message that started the session answers a msg wait on the very first node (goflow:
        the wait skips itself when nothing else has happened yet). Only a bare wait node: where
        the first node also sends something (a question), that question is what gets answered,
        so Flowgate's own flows keep waiting for the reply."""
        return (
            router.wait is not None
            and router.wait.type == "msg"
            and sc.session.trigger.get("type") == "msg"
            and len(sc.session.runs) == 1
            and len(run.path) == 1
        )

    def _begin_dial(self, sc: SprintContext, run: Run, flow: Flow, router: Router) -> bool:
        """A dial wait forwards the call to a number; False (with an error event) when the
        number isn't a possible phone number, and the router then routes without a dial."""
        assert router.wait is not None
        wait = router.wait
        phone = sc.render(run, wait.phone).strip()
        e164 = normalize_tel(phone, sc.env.country) if phone else None
        urn = f"tel:{e164}" if e164 else None
        if urn is None:
            sc.event("error", text="not a possible number")
            return False
        now = sc.env.now()
        # the contact is away in the forwarded call: don't expire before the call can end
        limit = wait.dial_limit_seconds + wait.call_limit_seconds + 30
        expires_on = format_datetime_iso((now + dt.timedelta(seconds=limit)).astimezone(dt.UTC))
        run.status = WAITING
        run.expires_on = expires_on
        run.modified_on = sc.now_iso()
        sc.session.status = WAITING
        sc.session.wait = {"type": "dial", "expires_on": expires_on}
        sc.event(
            "dial_wait",
            urn=urn,
            dial_limit_seconds=wait.dial_limit_seconds,
            call_limit_seconds=wait.call_limit_seconds,
            expires_on=expires_on,
        )
        return True

    def _begin_wait(self, sc: SprintContext, run: Run, flow: Flow, router: Router) -> None:
        assert router.wait is not None
        now = sc.env.now()
        minutes = flow.expire_after_minutes or DEFAULT_EXPIRE_MINUTES
        expires_on = format_datetime_iso((now + dt.timedelta(minutes=minutes)).astimezone(dt.UTC))
        data: dict[str, Any] = {"expires_on": expires_on}
        wait: dict[str, Any] = {"type": router.wait.type, "expires_on": expires_on}
        if router.wait.timeout:
            secs = router.wait.timeout.seconds
            data["timeout_seconds"] = secs
            wait["timeout_seconds"] = secs
            wait["timeout_on"] = format_datetime_iso((now + dt.timedelta(seconds=secs)).astimezone(dt.UTC))
        if router.wait.hint:
            data["hint"] = router.wait.hint
        run.status = WAITING
        run.expires_on = expires_on
        run.modified_on = sc.now_iso()
        sc.session.status = WAITING
        sc.session.wait = wait
        sc.event("msg_wait", **data)

    def _route(
        self, sc: SprintContext, run: Run, flow: Flow, node: Node, router: Router, resume_kind: str | None
    ) -> str | None:
        """Picks a category, saves the result; returns the exit uuid (None if routing failed)."""
        category = None
        value = ""
        operand_text = ""
        extra = None
        lang = _contact_language(sc, flow)
        if resume_kind == "wait_timeout" and router.wait and router.wait.timeout:
            category = router.category(router.wait.timeout.category_uuid)
        elif router.type == "random":
            r = sc.env.random()
            idx = min(int(math.floor(r * len(router.categories))), len(router.categories) - 1)
            category = router.categories[idx]
            value = str(idx)
            operand_text = repr(r)
        else:
            scope = sc.scope(run)
            operand = sc.render_value(run, router.operand, scope)
            rendered = to_text(deref(operand))
            operand_text = "" if isinstance(rendered, XError) else rendered
            for case in router.cases:
                args = flow.localized(lang, case.uuid, "arguments") or case.arguments
                fn = FUNCTIONS.get(case.type)
                if fn is None:
                    continue
                evaluated = [a if "@" not in a else sc.render(run, a, scope) for a in args]
                result = fn.fn(scope, operand, *evaluated)
                if isinstance(result, XError):
                    sc.event("error", text=f"error calling {case.type}: {result.message}")
                    continue
                if isinstance(result, XObject) and result.default is True:
                    category = router.category(case.category_uuid)
                    match = result.get("match")
                    m_text = to_text(match)
                    value = m_text if isinstance(m_text, str) else ""
                    ex = result.get("extra")
                    extra = to_json_value(ex) if isinstance(ex, XObject) else None
                    break
            if category is None:
                category = (
                    router.category(router.default_category_uuid) if router.default_category_uuid else None
                )
                value = operand_text
        if category is None:
            sc.event("failure", text="Router failed to pick a category")
            return None
        if router.result_name:
            self.save_result(
                sc,
                run,
                flow,
                node,
                router.result_name,
                value,
                category.name,
                category.uuid,
                operand_text,
                extra,
                lang=lang,
            )
        return category.exit_uuid

    def save_result(
        self,
        sc: SprintContext,
        run: Run,
        flow: Flow,
        node: Node | None,
        name: str,
        value: str,
        category: str,
        category_uuid: str | None,
        input_text: str | None,
        extra: Any = None,
        *,
        lang: str | None = None,
        extra_text: str | None = None,
    ) -> None:
        if lang is None:
            lang = _contact_language(sc, flow)
        localized = None
        if category_uuid:
            names = flow.localized(lang, category_uuid, "name")
            if names:
                localized = names[0]
        result: dict[str, Any] = {
            "name": name,
            "value": value,
            "category": category,
            "node_uuid": node.uuid if node else "",
            "created_on": sc.now_iso(),
        }
        if input_text is not None:
            result["input"] = input_text
        if localized and localized != category:
            result["category_localized"] = localized
        if extra is not None:
            result["extra"] = extra
        key = snakify(name)
        previous = run.results.get(key)
        run.results[key] = result
        if extra is not None:
            run.extra_texts[key] = extra_text if extra_text is not None else compact_json(extra)
        else:
            run.extra_texts.pop(key, None)
        sc.invalidate("legacy_extra")
        if previous is not None and (previous.get("value"), previous.get("category")) == (value, category):
            # like goflow, re-saving the same value and category changes nothing worth an event
            sc.invalidate("results", "run")
            return
        ev: dict[str, Any] = {"name": name, "value": value, "category": category}
        if localized and localized != category:
            ev["category_localized"] = localized
        if extra is not None:
            ev["extra"] = extra
        if previous is not None:
            ev["previous"] = {"value": previous.get("value", ""), "category": previous.get("category", "")}
        sc.event("run_result_changed", **ev)


def _contact_language(sc: SprintContext, flow: Flow) -> str:
    lang = sc.session.contact.language
    allowed = sc.env.allowed_languages
    if lang and lang in allowed:
        return lang
    return flow.language
