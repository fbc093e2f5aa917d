"""The simulator: run a flow for a made-up contact without touching contacts or channels.

Nothing is stored; the editor keeps the returned session JSON and posts it back to continue.
"""

from __future__ import annotations

import uuid
from typing import Any

from channels_app.models import Workspace
from flows.engine import ResumeError, Sprint
from flows.models import Flow
from flows.services.assets import build_assets, environment_for, make_engine

SIMULATOR_URN = "tel:+12065550100"
MAX_INPUTS = 100


class SimulateError(ValueError):
    pass


def _resume_for(item: Any, now_iso: str) -> dict[str, Any]:
    if isinstance(item, str):
        item = {"type": "msg", "text": item}
    if not isinstance(item, dict):
        raise SimulateError("each input is a text or an object with a type")
    kind = item.get("type", "msg")
    if kind in ("timeout", "wait_timeout"):
        return {"type": "wait_timeout", "resumed_on": now_iso}
    if kind in ("expiration", "wait_expiration"):
        return {"type": "wait_expiration", "resumed_on": now_iso}
    if kind != "msg":
        raise SimulateError(f"unknown input type {kind!r}")
    msg = {
        "uuid": str(uuid.uuid4()),
        "text": str(item.get("text") or ""),
        "urn": SIMULATOR_URN,
        "attachments": list(item.get("attachments") or []),
    }
    return {
        "type": "msg",
        "resumed_on": now_iso,
        "event": {"type": "msg_received", "created_on": now_iso, "msg": msg},
    }


def simulate(
    *,
    workspace: Workspace,
    flow: Flow | None = None,
    definition: dict[str, Any] | None = None,
    session: dict[str, Any] | None = None,
    inputs: list[Any] | None = None,
    contact: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Start `flow` (or continue `session`), then resume once per input while it waits."""
    inputs = list(inputs or [])
    if len(inputs) > MAX_INPUTS:
        raise SimulateError(f"at most {MAX_INPUTS} inputs")
    overrides = {str(definition["uuid"]): definition} if definition and definition.get("uuid") else None
    engine = make_engine(build_assets(workspace=workspace, overrides=overrides))
    events: list[dict[str, Any]] = []
    sprint: Sprint
    if session is not None:
        if not isinstance(session, dict) or not session.get("runs"):
            raise SimulateError("session must be the session JSON a previous simulation returned")
        for run in session["runs"]:
            if (run.get("flow") or {}).get("uuid") not in engine.assets.raw_flows:
                raise SimulateError("the session refers to a flow that isn't in this workspace")
        current: dict[str, Any] = session
    else:
        flow_uuid = str(flow.uuid) if flow is not None else str((definition or {}).get("uuid") or "")
        flow_name = flow.name if flow is not None else str((definition or {}).get("name") or "")
        c = contact or {}
        contact_data = {
            "uuid": str(uuid.uuid4()),
            "name": str(c.get("name") or "Test Contact"),
            "language": str(c.get("language") or ""),
            "created_on": "2024-01-01T00:00:00Z",
            "urns": [str(c.get("urn") or SIMULATOR_URN)],
            "fields": {
                k: {"text": str(v)} for k, v in (c.get("fields") or {}).items() if v not in (None, "")
            },
            "groups": list(c.get("groups") or []),
        }
        try:
            sprint = engine.start(
                contact_data,
                {"type": "manual", "flow": {"uuid": flow_uuid, "name": flow_name}},
                environment_for(workspace=workspace),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise SimulateError(f"the flow can't be started: {exc}") from None
        events.extend(sprint.events)
        current = sprint.session.to_json()
    ignored = 0
    for item in inputs:
        if current.get("status") != "waiting":
            ignored += 1
            continue
        now_iso = engine.clock().isoformat().replace("+00:00", "Z")
        try:
            sprint = engine.resume(current, _resume_for(item, now_iso))
        except ResumeError as exc:
            raise SimulateError(str(exc)) from None
        except (KeyError, TypeError) as exc:
            raise SimulateError(f"the session can't be resumed: {exc}") from None
        events.extend(sprint.events)
        current = sprint.session.to_json()
    results: dict[str, Any] = {}
    for run in current.get("runs") or []:
        results.update(run.get("results") or {})
    return {
        "events": events,
        "results": results,
        "contact": current.get("contact") or {},
        "status": current.get("status"),
        "wait": current.get("wait"),
        "session": current,
        "ignored_inputs": ignored,
    }
