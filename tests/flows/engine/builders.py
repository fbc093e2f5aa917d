"""Builders of what the flow-engine tests feed the engine: flow definitions (flows, nodes, actions,
routers), triggers, and a recording HTTP handler; and the two views of a sprint's events the tests
compare (without run start/end, without the counters' uuid and time). The test workspace itself
(assets, contact, engines, resumes) is in helpers.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from flows.engine import Sprint

from .helpers import QUESTION_UUID, exit_

Json = dict[str, Any]
Handler = Callable[[httpx.Request], httpx.Response]

PARENT_UUID = "f2000000-0000-4000-8000-000000000002"


# ----------------------------------------------------------------------------- flow definitions


def flow_def(uuid: str, name: str, nodes: list[Json], **over: Any) -> Json:
    """A flow definition of `nodes` (spec 14.4.1, English, messaging); `over` adds or replaces keys."""
    return {
        "uuid": uuid,
        "name": name,
        "spec_version": "14.4.1",
        "language": "eng",
        "type": "messaging",
        "nodes": nodes,
        **over,
    }


def node(uuid: str, actions: list[Json], exits: list[Json], router: Json | None = None) -> Json:
    """A node: its actions, then its router if it has one, and the exits it leaves by."""
    out: Json = {"uuid": uuid, "actions": actions, "exits": exits}
    if router is not None:
        out["router"] = router
    return out


def numbered(actions: tuple[Json, ...] | list[Json]) -> list[Json]:
    """Copies of `actions` with the uuids a0, a1, … in order (in place of any they have)."""
    return [dict(a, uuid=f"a{i}") for i, a in enumerate(actions)]


def send(uuid: str, text: str) -> Json:
    """A send_msg action of `text`."""
    return {"uuid": uuid, "type": "send_msg", "text": text}


def enter(uuid: str, flow_uuid: str, name: str = "Question", terminal: bool = False) -> Json:
    """An enter_flow action into `flow_uuid` (referenced by `name`), terminal when asked."""
    action: Json = {"uuid": uuid, "type": "enter_flow", "flow": {"uuid": flow_uuid, "name": name}}
    if terminal:
        action["terminal"] = True
    return action


def child_router(wait: bool = False) -> Json:
    """Routes on how the subflow ended: Complete or Expired (an optional msg wait)."""
    router: Json = {
        "type": "switch",
        "operand": "@child.status",
        "cases": [
            {"uuid": "pc1", "type": "has_only_text", "arguments": ["completed"], "category_uuid": "pk1"}
        ],
        "categories": [
            {"uuid": "pk1", "name": "Complete", "exit_uuid": "ep1"},
            {"uuid": "pk2", "name": "Expired", "exit_uuid": "ep2"},
        ],
        "default_category_uuid": "pk2",
    }
    if wait:
        router["wait"] = {"type": "msg"}
    return router


def parent_def(
    child: str = QUESTION_UUID,
    *,
    wait: bool = False,
    says: str = "Child @child.status: @child.results.likes_tea.value",
) -> Json:
    """The flow "Parent" (PARENT_UUID): enters `child`, then routes on how it ended; Complete
    sends `says`, Expired ends."""
    return flow_def(
        PARENT_UUID,
        "Parent",
        [
            node("p-enter", [enter("p-a1", child)], [exit_("p1", "p-done"), exit_("p2")], child_router(wait)),
            node("p-done", [send("p-a2", says)], [exit_("p3")]),
        ],
    )


# ----------------------------------------------------------------------------- triggers


def trigger(flow_uuid: str = QUESTION_UUID, **over: Any) -> Json:
    """A manual trigger of `flow_uuid`; `over` adds keys or replaces them (e.g. type="msg")."""
    return {"type": "manual", "flow": {"uuid": flow_uuid}, **over}


# ----------------------------------------------------------------------------- events


def action_events(sprint: Sprint) -> list[Json]:
    """The sprint's events but run_started and run_ended: what its actions and routers emitted."""
    return [e for e in sprint.events if e["type"] not in ("run_started", "run_ended")]


def without_ids(event: Json) -> Json:
    """The event without its uuid and created_on (what the engine's uuid and clock counters set)."""
    return {k: v for k, v in event.items() if k not in ("uuid", "created_on")}


# ----------------------------------------------------------------------------- HTTP


def recorder(response: httpx.Response | Callable[[], httpx.Response]) -> tuple[list[httpx.Request], Handler]:
    """A handler answering every request with `response` (or what calling it returns), and the
    list of the requests it was sent, read."""
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        sent.append(request)
        return response() if callable(response) else response

    return sent, handler
