"""Webhook actions: call_webhook and call_resthook (the HTTP side is webhook_client)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..definition import Action, Flow, Node
from ..session import jsonable
from ..urns import parse_urn
from .base import (
    truncate,
)
from .registry import handler
from .webhook_client import _do_webhook, _save_webhook_result, _set_webhook, _valid_webhook_url

if TYPE_CHECKING:
    from ..runner import SprintContext
    from ..session import Run


def call_webhook(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    scope = sc.scope(run)
    url = sc.render(run, action.get("url", ""), scope).strip()
    headers = {k: sc.render(run, v, scope) for k, v in (action.get("headers") or {}).items()}
    body = sc.render(run, action.get("body", ""), scope)
    if not url:
        sc.event("error", text="Webhook URL evaluated to empty string")
        return
    if not _valid_webhook_url(url):
        shown = truncate(url, 255)
        sc.event(
            "error",
            text=f"Webhook URL evaluated to an invalid URL: '{shown}'",
            code="url:invalid",
            extra={"url": shown},
        )
        return
    method = (action.get("method") or "GET").upper()
    _do_webhook(sc, run, flow, node, method, url, headers, body, action.get("result_name"))


handler("call_webhook")(call_webhook)


def _resthook_payload(sc: SprintContext, run: Run, flow: Flow) -> dict[str, Any]:
    """What every resthook subscriber is posted (RapidPro's documented payload): the contact,
    flow, path, results, run, input and channel."""
    contact = sc.session.contact
    first_urn = next((p for p in (parse_urn(u) for u in contact.urns) if p is not None), None)
    results = {
        key: {
            "category": r.get("category"),
            "category_localized": r.get("category_localized") or r.get("category"),
            "created_on": r.get("created_on"),
            "input": r.get("input"),
            "name": r.get("name"),
            "node_uuid": r.get("node_uuid"),
            "value": r.get("value"),
        }
        for key, r in run.results.items()
    }
    path = []
    for step in run.path:
        item = {"arrived_on": step.get("arrived_on"), "node_uuid": step.get("node_uuid")}
        if step.get("exit_uuid"):
            item["exit_uuid"] = step["exit_uuid"]
        path.append(item)
    inp = sc.session.input
    input_json: dict[str, Any] | None = None
    channel = None
    if inp:
        channel = inp.get("channel") or None
        urn = parse_urn(inp.get("urn") or "") if inp.get("urn") else None
        attachments = []
        for a in inp.get("attachments") or []:
            content_type, _, url = str(a).partition(":")
            attachments.append({"content_type": content_type, "url": url})
        input_json = {
            "attachments": attachments,
            "channel": channel,
            "created_on": sc.session.input_created_on,
            "text": inp.get("text", ""),
            "type": "msg",
            "urn": (
                {"display": urn.display or urn.path, "path": urn.path, "scheme": urn.scheme} if urn else None
            ),
            "uuid": inp.get("uuid", ""),
        }
    return {
        "contact": {
            "uuid": contact.uuid,
            "name": contact.name,
            "urn": first_urn.identity if first_urn else None,
            "language": contact.language or "",
        },
        "flow": {"uuid": flow.uuid, "name": flow.name, "revision": flow.revision},
        "path": path,
        "results": results,
        "run": {"uuid": run.uuid, "created_on": run.created_on},
        "input": input_json,
        "channel": channel,
    }


def call_resthook(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    """Posts the run's payload to every subscriber of the resthook (nothing when the workspace
    has no such resthook). The call that becomes @webhook and the result: the last failure,
    else the last success, else the last 410 (subscriber gone)."""
    run.webhook = None
    sc.invalidate("webhook")
    slug = action.get("resthook", "")
    if slug not in sc.engine.assets.resthooks:
        return
    parsed_payload = jsonable(_resthook_payload(sc, run, flow))
    # sent as Go marshals it: compact, keys sorted
    payload = json.dumps(parsed_payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    sc.event("resthook_called", resthook=slug, payload=parsed_payload)
    calls: list[dict[str, Any]] = []
    for url in sc.engine.assets.resthooks.get(slug, []):
        if not _valid_webhook_url(url):
            sc.event(
                "error",
                text=f"Resthook subscriber URL is invalid: '{truncate(url, 255)}'",
                code="url:invalid",
            )
            continue
        call = _do_webhook(
            sc,
            run,
            flow,
            node,
            "POST",
            url,
            {"Content-Type": "application/json"},
            payload,
            None,
            resthook=slug,
        )
        if call is not None:
            calls.append(call)
    picked = _pick_resthook_call(calls)
    if picked is None:
        return
    _set_webhook(sc, run, picked)
    if action.get("result_name"):
        _save_webhook_result(sc, run, flow, node, action.get("result_name"), picked)


handler("call_resthook")(call_resthook)


def _pick_resthook_call(calls: list[dict[str, Any]]) -> dict[str, Any] | None:
    failure = success = gone = None
    for call in calls:
        if call["status"] == "subscriber_gone":
            gone = call
        elif call["status"] == "success":
            success = call
        else:
            failure = call
    return failure or success or gone
