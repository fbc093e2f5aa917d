"""A ticket opened by a flow is answered from the inbox: the reply goes out on the contact's
channel to a real local aggregator, the contact's answer lands in the thread, notes stay
internal, and close/reopen work from the same screen and the API."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from channels_app.models import Contact, Msg
from flows.models import Ticket
from flows.service_models import TicketEvent
from flows.services.sessions import FlowRunner
from tests.channels_app.people.helpers import member
from tests.conftest import run_jobs
from tests.flows.test_service_actions_e2e import HAS_TEXT, _flow


def _open_by_flow(workspace: Any, contact: Contact) -> Ticket:
    action = {"uuid": str(uuid.uuid4()), "type": "open_ticket", "note": "Asked for a nurse"}
    flow = _flow(workspace, [action], "@locals._new_ticket", HAS_TEXT)
    with transaction.atomic():
        FlowRunner(workspace=workspace).start(contact=contact, flow=flow)
    return Ticket.objects.get(contact=contact)


def test_flow_ticket_answered_from_the_inbox_reaches_the_aggregator(
    workspace, ex_channel, aggregator
) -> None:
    agent = member(workspace, "agent", "agent@test.org")
    answer = agent.web.post(
        f"/c/ex/{ex_channel.uuid}/receive", {"from": "+250788123456", "text": "I need a nurse"}
    )
    assert answer.status_code == 200
    run_jobs()
    contact = Contact.objects.get(urns__identity="tel:+250788123456")
    ticket = _open_by_flow(workspace, contact)

    inbox = agent.web.get("/tickets/")
    assert inbox.status_code == 200 and str(ticket.uuid) in inbox.content.decode()
    assert str(ticket.uuid) not in agent.web.get("/tickets/?folder=mine").content.decode()
    page = agent.web.get(f"/tickets/{ticket.uuid}/").content.decode()
    assert "I need a nurse" in page and "opened" in page  # the inbound that led to it, then the opening

    assert agent.web.post(f"/tickets/{ticket.uuid}/assign", {"assignee": "agent@test.org"}).status_code == 302
    assert str(ticket.uuid) in agent.web.get("/tickets/?folder=mine").content.decode()
    assert agent.web.post(f"/tickets/{ticket.uuid}/assign", {"assignee": "stranger@x.org"}).status_code == 302
    assert Ticket.objects.get(id=ticket.id).assignee == "agent@test.org"  # not a member: refused

    before = len(aggregator.requests)
    assert (
        agent.web.post(f"/tickets/{ticket.uuid}/reply", {"text": "A nurse will call you at 3pm"}).status_code
        == 302
    )
    assert agent.web.post(f"/tickets/{ticket.uuid}/note", {"text": "checked the roster"}).status_code == 302
    run_jobs()
    sent = [r.form() for r in aggregator.requests[before:]]
    assert [(s["to"], s["text"]) for s in sent] == [("+250788123456", "A nurse will call you at 3pm")]
    reply = Msg.objects.get(direction="out", text="A nurse will call you at 3pm")
    assert reply.channel_id == ex_channel.id and reply.metadata["ticket"] == str(ticket.uuid)

    agent.web.post(f"/c/ex/{ex_channel.uuid}/receive", {"from": "+250788123456", "text": "Thank you!"})
    run_jobs()
    page = agent.web.get(f"/tickets/{ticket.uuid}/").content.decode()
    order = [
        page.index(t)
        for t in ("I need a nurse", "A nurse will call you at 3pm", "checked the roster", "Thank you!")
    ]
    assert order == sorted(order)
    # the note never went to the contact
    assert all("roster" not in r.form().get("text", "") for r in aggregator.requests)

    assert agent.web.post(f"/tickets/{ticket.uuid}/status", {"status": "closed"}).status_code == 302
    assert [t["uuid"] for t in agent.api.get("/api/v1/tickets?status=closed").json()] == [str(ticket.uuid)]
    assert str(ticket.uuid) in agent.web.get("/tickets/?folder=closed").content.decode()
    assert agent.web.post(f"/tickets/{ticket.uuid}/reply", {"text": "late"}).status_code == 302
    assert not Msg.objects.filter(text="late").exists()  # closed: reopen first
    agent.web.post(f"/tickets/{ticket.uuid}/status", {"status": "open"})
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds == ["opened", "assigned", "reply", "note", "closed", "reopened"]


def test_ticket_opened_by_hand_from_the_contact_page(workspace, ex_channel) -> None:
    editor = member(workspace, "editor")
    contact = Contact.objects.create(workspace=workspace, name="Ami")
    answer = editor.web.post(
        f"/contacts/{contact.uuid}/tickets", {"topic": "Billing", "body": "Wants a refund"}
    )
    assert answer.status_code == 302
    ticket = Ticket.objects.get(contact=contact)
    assert (ticket.topic.name, ticket.note, ticket.status) == ("Billing", "Wants a refund", "open")
    assert "Open a ticket" in editor.web.get(f"/contacts/{contact.uuid}/").content.decode()
    # a second open ticket for the same contact is refused
    editor.web.post(f"/contacts/{contact.uuid}/tickets", {"topic": "Billing"})
    assert Ticket.objects.filter(contact=contact).count() == 1
    # without a URN a reply can't go anywhere: said plainly, nothing queued
    editor.web.post(f"/tickets/{ticket.uuid}/reply", {"text": "hello"})
    assert not Msg.objects.exists()
