"""Run state and flow actions: results, locals, labels, enter_flow, start_session."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..definition import Action, Flow, Node
from ..session import jsonable
from .base import (
    MAX_RESULT_VALUE,
    _missing_dependency,
)
from .registry import handler

if TYPE_CHECKING:
    from ..runner import SprintContext
    from ..session import Run


def set_run_result(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    value, ok = sc.evaluate(run, action.get("value", ""))
    if not ok:
        return
    category = action.get("category", "") or ""
    # No category uuid, so no category_localized: goflow saves this action's category as written.
    # Its translations (localization[lang][action uuid]["category"]) are for the editor only,
    # as goflow's set_run_result.json ("Category can be localized") shows.
    sc.engine.save_result(
        sc,
        run,
        flow,
        node,
        action.get("name", ""),
        value.strip()[:MAX_RESULT_VALUE],
        category,
        None,
        None,
    )


handler("set_run_result")(set_run_result)


def set_run_local(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    key = action.get("local", "")
    value = sc.render(run, action.get("value", ""))
    op = action.get("operation", "set")
    if op == "increment":
        try:
            value = str(int(run.locals.get(key, "0") or 0) + int(value or 0))
        except ValueError:
            sc.event("error", text="increment requires numeric values")
            return
    elif op == "clear":
        run.locals.pop(key, None)
        sc.invalidate("locals")  # locals change without an event
        return
    run.locals[key] = value
    sc.invalidate("locals")


handler("set_run_local")(set_run_local)


def add_input_labels(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    inp = sc.session.input
    if not inp:
        return
    labels = []
    for ref in action.get("labels") or []:
        label = sc.engine.assets.labels.get(ref.get("uuid", ""))
        if label is None and ref.get("name_match"):
            name = sc.render(run, ref["name_match"]).strip().lower()
            label = next((lb for lb in sc.engine.assets.labels.values() if lb["name"].lower() == name), None)
        if label is None:
            _missing_dependency(sc, "label", ref, "uuid")
            continue
        labels.append(dict(label))
    if labels:
        sc.event("input_labels_added", input_uuid=inp.get("uuid", ""), labels=labels)


handler("add_input_labels")(add_input_labels)


# ----------------------------------------------------------------------------------- flows


def enter_flow(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    ref = action.get("flow") or {}
    child = sc.engine.assets.get_flow(ref.get("uuid", ""))
    if child is None:
        _missing_dependency(sc, "flow", ref, "uuid")
        return
    # flows may enter each other, even in a loop: the runner's step and run limits stop the ones
    # that never wait (like goflow)
    if sc.child_to_start is None:  # one subflow per node: the first enter_flow wins
        sc.child_to_start = (child, bool(action.get("terminal")))


handler("enter_flow")(enter_flow)


def start_session(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    ref = action.get("flow") or {}
    target = sc.engine.assets.get_flow(ref.get("uuid", ""))
    if target is None:
        _missing_dependency(sc, "flow", ref)
        return
    data: dict[str, Any] = {"flow": {"name": target.name, "uuid": target.uuid}}
    for key in ("groups", "contacts"):
        if action.get(key):
            data[key] = action.get(key)
    urns = [sc.render(run, u) for u in action.get("urns") or []]
    if urns:
        data["urns"] = urns
    if action.get("contact_query"):
        data["contact_query"] = sc.render(run, action.get("contact_query"))
    if action.get("create_contact"):
        data["create_contact"] = True
    data["exclusions"] = dict(action.get("exclusions") or {})
    data["run_summary"] = jsonable(sc.session.run_summary(run))
    data["history"] = {"parent_uuid": sc.session.uuid, "ancestors": 1, "ancestors_since_input": 0}
    sc.event("session_triggered", **data)


handler("start_session")(start_session)
