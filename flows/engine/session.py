"""Sessions and runs: the persisted state of a contact moving through flows.

A session is a stack of runs (a parent flow and the subflows it entered) plus the current wait.
Everything serialises to plain JSON so the Django side can store one row per session and load it
again when the contact replies or a timeout/expiration job fires.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .contact import Contact
from .environment import Environment

# run/session statuses
ACTIVE = "active"
WAITING = "waiting"
COMPLETED = "completed"
EXPIRED = "expired"
INTERRUPTED = "interrupted"
FAILED = "failed"
DONE = (COMPLETED, EXPIRED, INTERRUPTED, FAILED)


@dataclass
class Run:
    uuid: str
    flow: dict[str, str]
    status: str = ACTIVE
    created_on: str = ""
    modified_on: str = ""
    exited_on: str | None = None
    expires_on: str | None = None
    path: list[dict[str, Any]] = field(default_factory=list)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    locals: dict[str, str] = field(default_factory=dict)
    parent_uuid: str | None = None
    webhook: Any = None  # last webhook response body (parsed JSON or text), for @webhook
    # result key -> the extra as the JSON text it arrived in (a webhook body verbatim), for
    # @legacy_extra; not stored: a reloaded run shows the extra re-serialised, as goflow does
    extra_texts: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def current_node(self) -> str | None:
        return self.path[-1]["node_uuid"] if self.path else None

    def visit_count(self) -> int:
        node = self.current_node
        return sum(1 for s in self.path if s["node_uuid"] == node)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "uuid": self.uuid,
            "flow": dict(self.flow),
            "status": self.status,
            "created_on": self.created_on,
            "modified_on": self.modified_on,
            "exited_on": self.exited_on,
            "path": [dict(s) for s in self.path],
        }
        if self.expires_on:
            out["expires_on"] = self.expires_on
        if self.results:
            out["results"] = jsonable(self.results)
        if self.locals:
            out["locals"] = dict(self.locals)
        if self.parent_uuid:
            out["parent_uuid"] = self.parent_uuid
        if self.webhook is not None and _small_enough(self.webhook):
            out["webhook"] = jsonable(self.webhook)
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Run:
        return cls(
            uuid=d["uuid"],
            flow=dict(d.get("flow") or {}),
            status=d.get("status", ACTIVE),
            created_on=d.get("created_on", ""),
            modified_on=d.get("modified_on", ""),
            exited_on=d.get("exited_on"),
            expires_on=d.get("expires_on"),
            path=[dict(s) for s in d.get("path") or []],
            results={k: dict(v) for k, v in (d.get("results") or {}).items()},
            locals=dict(d.get("locals") or {}),
            parent_uuid=d.get("parent_uuid"),
            webhook=d.get("webhook"),
        )


@dataclass
class Session:
    uuid: str
    contact: Contact
    environment: Environment
    trigger: dict[str, Any]
    type: str = "messaging"
    status: str = ACTIVE
    created_on: str = ""
    runs: list[Run] = field(default_factory=list)
    wait: dict[str, Any] | None = (
        None  # {"type", "timeout_seconds", "timeout_on", "expires_on", "category"...}
    )
    input: dict[str, Any] | None = None
    input_created_on: str | None = None
    last_resume: dict[str, Any] | None = None
    sprints: int = 0

    def run_by_uuid(self, uuid: str | None) -> Run | None:
        return next((r for r in self.runs if r.uuid == uuid), None)

    def active_run(self) -> Run | None:
        """The innermost run that hasn't finished: the one a resume continues."""
        for r in reversed(self.runs):
            if r.status in (ACTIVE, WAITING):
                return r
        return None

    def last_child(self, run: Run) -> Run | None:
        children = [r for r in self.runs if r.parent_uuid == run.uuid]
        return children[-1] if children else None

    def run_summary(self, run: Run) -> dict[str, Any]:
        return {
            "uuid": run.uuid,
            "flow": dict(run.flow),
            "contact": self.contact.to_json(),
            "status": run.status,
            "results": jsonable(run.results),
        }

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "uuid": self.uuid,
            "type": self.type,
            "status": self.status,
            "created_on": self.created_on,
            "environment": self.environment.to_json(),
            "trigger": self.trigger,
            "contact": self.contact.to_json(),
            "runs": [r.to_json() for r in self.runs],
            "sprints": self.sprints,
        }
        if self.wait:
            out["wait"] = dict(self.wait)
        if self.input:
            out["input"] = {"msg": self.input, "created_on": self.input_created_on}
        return jsonable(out)

    @classmethod
    def from_json(cls, d: dict[str, Any], env: Environment | None = None) -> Session:
        environment = Environment.from_json(d.get("environment"))
        if env is not None:
            # keep the injected clock/random/uuids of the caller, settings from the stored session
            env.timezone, env.date_format, env.time_format = (
                environment.timezone,
                environment.date_format,
                environment.time_format,
            )
            env.default_country = environment.default_country or env.default_country
            env.allowed_languages = environment.allowed_languages or env.allowed_languages
            environment = env
        inp = d.get("input") or {}
        return cls(
            uuid=d["uuid"],
            contact=Contact.from_json(d.get("contact") or {}),
            environment=environment,
            trigger=d.get("trigger") or {},
            type=d.get("type", "messaging"),
            status=d.get("status", ACTIVE),
            created_on=d.get("created_on", ""),
            runs=[Run.from_json(r) for r in d.get("runs") or []],
            wait=d.get("wait"),
            input=inp.get("msg"),
            input_created_on=inp.get("created_on"),
            sprints=int(d.get("sprints") or 0),
        )


MAX_STORED_WEBHOOK = 10_000  # bytes of response JSON a stored session keeps for @webhook


def _small_enough(call: Any) -> bool:
    """A call whose response is too big to store isn't kept: after a resume @webhook is null."""
    body = call.get("json") if isinstance(call, dict) else call
    return len(json.dumps(jsonable(body), default=str)) <= MAX_STORED_WEBHOOK


def jsonable(v: Any) -> Any:
    """Deep copy into JSON-safe types (Decimal numbers become int/float)."""
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [jsonable(x) for x in v]
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    return v
