"""Actions calling workspace services: open_ticket, transfer_airtime, call_llm."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ..definition import Action, Flow, Node
from ..urns import parse_urn
from .base import (
    _missing_dependency,
)
from .messages import _sendable_destinations
from .registry import handler

if TYPE_CHECKING:
    from ..runner import SprintContext
    from ..session import Run


def open_ticket(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    """Opens a ticket (topic, optional assignee and note) unless the contact already has an open
    one; the new ticket's uuid (or "") goes in the `_new_ticket` local for the node to split on."""
    run.locals["_new_ticket"] = ""
    sc.invalidate("locals")
    topic_ref = action.get("topic") or None
    topic = sc.engine.assets.topics.get(topic_ref.get("uuid", "")) if topic_ref else None
    if topic_ref and topic is None:
        _missing_dependency(sc, "topic", topic_ref)
        return
    note = sc.render(run, action.get("note") or action.get("body") or "").strip()
    contact = sc.session.contact
    open_tickets = contact.extra.setdefault("tickets", [])
    if open_tickets:
        return  # one open ticket per contact
    ticket: dict[str, Any] = {"uuid": sc.env.new_uuid(), "topic": dict(topic) if topic else None}
    assignee = action.get("assignee") or None
    ticket["assignee"] = dict(assignee) if assignee else None
    open_tickets.append(ticket)
    event_ticket: dict[str, Any] = {"uuid": ticket["uuid"], "status": "open"}
    if topic:
        event_ticket["topic"] = dict(topic)
    if assignee:
        event_ticket["assignee"] = dict(assignee)
    sc.event("ticket_opened", ticket=event_ticket)
    if note:
        sc.event("ticket_note_added", ticket_uuid=ticket["uuid"], note=note)
    run.locals["_new_ticket"] = ticket["uuid"]
    sc.invalidate("locals")


handler("open_ticket")(open_ticket)


def transfer_airtime(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    """Sends airtime to the contact's first phone number through the workspace's airtime
    service; airtime_created on success, an error event otherwise. The event uuid (or "") goes in
    the `_new_transfer` local."""
    from ..services import ServiceError

    run.locals["_new_transfer"] = ""
    sc.invalidate("locals")
    contact = sc.session.contact
    recipient = next((p for p in (parse_urn(u) for u in contact.urns) if p and p.scheme == "tel"), None)
    if recipient is None:
        sc.event("error", text="can't transfer airtime to contact without a phone number")
        return
    sender = ""
    preferred = _sendable_destinations(sc, all_urns=False)
    if preferred and preferred[0][1]:
        channel = sc.engine.assets.channels.get(preferred[0][1]["uuid"])
        if channel is not None and "tel" in channel.schemes and channel.address:
            sender = f"tel:{channel.address}"
    service = sc.engine.airtime
    if service is None:
        sc.event("error", text="no airtime service configured")
        return
    transfer_uuid = sc.env.new_uuid()
    try:
        transfer = service.transfer(
            transfer_uuid=transfer_uuid,
            sender=sender,
            recipient=recipient.identity,
            amounts=dict(action.get("amounts") or {}),
        )
    except ServiceError as e:
        sc.event("error", text=str(e))
        return
    ev = sc.event(
        "airtime_created",
        external_id=transfer.external_id,
        sender=sender,
        recipient=recipient.identity,
        currency=transfer.currency,
        amount=transfer.amount,
        http_logs=list(transfer.http_logs),
    )
    ev["uuid"] = transfer_uuid  # the provider was given this uuid as its reference
    run.locals["_new_transfer"] = transfer_uuid
    sc.invalidate("locals")


handler("transfer_airtime")(transfer_airtime)


LLM_MAX_TOKENS = 2500
LLM_ERROR_OUTPUT = "<ERROR>"


def call_llm(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    """Asks the workspace's LLM: llm_called with the output and token counts, the output in the
    action's output local ("<ERROR>" when the call couldn't be made)."""
    from ..services import ServiceError

    local = action.get("output_local") or "_llm_output"
    output = LLM_ERROR_OUTPUT
    try:
        ref = action.get("llm") or {}
        llm = sc.engine.assets.llms.get(ref.get("uuid", ""))
        if llm is None:
            _missing_dependency(sc, "llm", ref)
            return
        if "engine" not in (llm.get("roles") or ["engine"]):
            sc.event("error", text=f"LLM {ref.get('uuid', '')} does not have the engine role")
            return
        scope = sc.scope(run)
        instructions = sc.render(run, action.get("instructions") or "", scope)
        text = sc.render(run, action.get("input") or "", scope)
        service = sc.engine.llm(llm) if sc.engine.llm is not None else None
        if service is None:
            sc.event("error", text="no LLM service configured")
            return
        started = time.monotonic()
        try:
            resp = service.respond(instructions=instructions, input=text, max_tokens=LLM_MAX_TOKENS)
        except ServiceError as e:
            sc.event("error", text=str(e))
            return
        sc.event(
            "llm_called",
            llm={"uuid": llm["uuid"], "name": llm.get("name", "")},
            instructions=instructions,
            input=text,
            output=resp.output,
            tokens={"input": resp.tokens_in, "output": resp.tokens_out},
            elapsed_ms=int((time.monotonic() - started) * 1000),
        )
        output = resp.output
    finally:
        run.locals[local] = output
        sc.invalidate("locals")


handler("call_llm")(call_llm)
