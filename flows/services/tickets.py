"""Tickets as members work them: opened by hand (besides open_ticket in flows), answered from
the inbox on the contact's channel, notes, assignment, close and reopen.

The thread is the contact's messages since the ticket opened (so new inbound from the contact
shows in it without any copying) interleaved with the ticket's own events (notes, status and
assignment changes). Every change is published on the workspace websocket as a "ticket" event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from channels_app import realtime
from channels_app.models import Contact, Membership, Msg, Workspace
from channels_app.services.send import SendError, build_message, queue_messages
from flows.service_models import Ticket, TicketEvent, TicketStatus, Topic

FOLDERS = ("open", "mine", "closed")
MAX_TEXT = 1600


class TicketError(ValueError):
    pass


def inbox(*, workspace: Workspace, folder: str, email: str) -> QuerySet[Ticket]:
    rows = Ticket.objects.filter(workspace=workspace).select_related("contact", "topic")
    if folder == "closed":
        return rows.filter(status=TicketStatus.CLOSED).order_by("-closed_on", "-id")
    rows = rows.filter(status=TicketStatus.OPEN)
    if folder == "mine":
        rows = rows.filter(assignee__iexact=email)
    return rows.order_by("-modified_on", "-id")


def publish(ticket: Ticket, change: str) -> None:
    transaction.on_commit(
        lambda: realtime.publish(
            ticket.workspace_id,
            {
                "kind": "ticket",
                "change": change,
                "uuid": str(ticket.uuid),
                "status": ticket.status,
                "assignee": ticket.assignee or None,
                "contact": str(ticket.contact.uuid),
            },
        )
    )


def record(
    ticket: Ticket, kind: str, *, text: str = "", author: str = "", msg: Msg | None = None
) -> TicketEvent:
    event = TicketEvent.objects.create(ticket=ticket, kind=kind, text=text, author=author, msg=msg)
    Ticket.objects.filter(id=ticket.id).update(modified_on=timezone.now())
    publish(ticket, kind)
    return event


def _members(workspace: Workspace) -> set[str]:
    return {
        e.lower()
        for e in Membership.objects.filter(workspace=workspace).values_list("user__email", flat=True)
        if e
    }


def check_assignee(workspace: Workspace, assignee: str) -> str:
    assignee = (assignee or "").strip()
    if assignee and assignee.lower() not in _members(workspace):
        raise TicketError(f"{assignee} is not a member of this workspace")
    return assignee


@transaction.atomic
def open_ticket(
    *,
    workspace: Workspace,
    contact: Contact,
    topic: Topic | None,
    assignee: str = "",
    body: str = "",
    author: str = "",
) -> Ticket:
    """By hand from the contact's page; a contact has at most one open ticket (as in flows)."""
    if Ticket.objects.filter(contact=contact, status=TicketStatus.OPEN).exists():
        raise TicketError("this contact already has an open ticket")
    ticket = Ticket.objects.create(
        workspace=workspace,
        contact=contact,
        topic=topic,
        assignee=check_assignee(workspace, assignee),
        note=body[:MAX_TEXT],
    )
    record(ticket, TicketEvent.Kind.OPENED, text=body[:MAX_TEXT], author=author)
    return ticket


@transaction.atomic
def reply(*, ticket: Ticket, text: str, author: str) -> Msg:
    """Out on the contact's channel (the routing rules: affinity, then country and scheme)."""
    text = (text or "").strip()
    if not text or len(text) > MAX_TEXT:
        raise TicketError(f"a reply has 1 to {MAX_TEXT} characters")
    if ticket.status != TicketStatus.OPEN:
        raise TicketError("reopen the ticket to reply")
    contact = ticket.contact
    if contact.status != Contact.Status.ACTIVE:
        raise TicketError(f"the contact is {contact.status}: nothing can be sent to them")
    urn = contact.urns.order_by("-priority", "id").first()
    if urn is None:
        raise TicketError("the contact has no URN to reply to")
    urn.contact = contact
    try:
        msg = build_message(
            to=urn.identity,
            text=text,
            workspace_id=ticket.workspace_id,
            metadata={"source": "ticket", "ticket": str(ticket.uuid), "author": author},
            contact_urn=urn,
        )
    except SendError as exc:
        raise TicketError(str(exc)) from None
    queue_messages([msg])
    record(ticket, TicketEvent.Kind.REPLY, text=text, author=author, msg=msg)
    return msg


@transaction.atomic
def add_note(*, ticket: Ticket, text: str, author: str) -> TicketEvent:
    text = (text or "").strip()
    if not text or len(text) > MAX_TEXT:
        raise TicketError(f"a note has 1 to {MAX_TEXT} characters")
    ticket.note = text
    ticket.save(update_fields=["note", "modified_on"])
    return record(ticket, TicketEvent.Kind.NOTE, text=text, author=author)


@transaction.atomic
def set_status(*, ticket: Ticket, status: str, author: str) -> Ticket:
    if status not in (TicketStatus.OPEN, TicketStatus.CLOSED):
        raise TicketError("status is open or closed")
    if status == ticket.status:
        return ticket
    if status == TicketStatus.OPEN:
        if (
            Ticket.objects.filter(contact=ticket.contact, status=TicketStatus.OPEN)
            .exclude(id=ticket.id)
            .exists()
        ):
            raise TicketError("the contact already has an open ticket")
        ticket.status, ticket.closed_on = TicketStatus.OPEN, None
    else:
        ticket.status, ticket.closed_on = TicketStatus.CLOSED, timezone.now()
    ticket.save()
    record(
        ticket,
        TicketEvent.Kind.REOPENED if status == TicketStatus.OPEN else TicketEvent.Kind.CLOSED,
        author=author,
    )
    return ticket


@transaction.atomic
def assign(*, ticket: Ticket, assignee: str, author: str) -> Ticket:
    ticket.assignee = check_assignee(ticket.workspace, assignee)
    ticket.save(update_fields=["assignee", "modified_on"])
    record(ticket, TicketEvent.Kind.ASSIGNED, text=ticket.assignee, author=author)
    return ticket


@dataclass
class ThreadItem:
    when: dt.datetime
    kind: str  # "in" / "out" for messages, else a TicketEvent kind
    text: str
    author: str = ""
    status: str = ""
    uuid: str = ""


def thread(ticket: Ticket) -> list[ThreadItem]:
    items = [
        ThreadItem(
            when=m.created_on,
            kind="in" if m.direction == "in" else "out",
            text=m.text,
            status=m.status,
            uuid=str(m.uuid),
            author=(m.metadata or {}).get("author", "") if m.direction != "in" else "",
        )
        for m in Msg.objects.filter(
            contact=ticket.contact, created_on__gte=ticket.opened_on - dt.timedelta(minutes=5)
        ).order_by("created_on", "id")[:500]
    ]
    items += [
        ThreadItem(when=e.created_on, kind=e.kind, text=e.text, author=e.author)
        for e in ticket.events.exclude(kind=TicketEvent.Kind.REPLY)  # the reply is its message
    ]
    return sorted(items, key=lambda i: i.when)
