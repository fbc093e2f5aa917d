"""The tickets inbox (open / mine / closed), a ticket's thread with reply, note, assign and
close/reopen, and opening a ticket by hand from a contact's page. Who may do this (agents
included) is web.permissions' table; the work is flows.services.tickets."""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from channels_app.models import Contact, Membership
from flows.service_models import Ticket, Topic
from flows.services import tickets as svc
from web.permissions import can, request_role
from web.requests import user_workspace


def _ticket(request: HttpRequest, ticket_uuid: Any) -> Ticket:
    found = (
        Ticket.objects.filter(workspace=user_workspace(request), uuid=ticket_uuid)
        .select_related("contact", "topic", "workspace")
        .first()
    )
    if found is None:
        raise Http404("no such ticket")
    return found


def _email(request: HttpRequest) -> str:
    return str(getattr(request.user, "email", "") or getattr(request.user, "username", ""))


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    workspace = user_workspace(request)
    folder = request.GET.get("folder", "open")
    if folder not in svc.FOLDERS:
        folder = "open"
    tickets = list(svc.inbox(workspace=workspace, folder=folder, email=_email(request))[:200])
    return render(
        request, "tickets/inbox.html", {"tickets": tickets, "folder": folder, "folders": svc.FOLDERS}
    )


@login_required
def ticket_detail(request: HttpRequest, ticket_uuid: Any) -> HttpResponse:
    ticket = _ticket(request, ticket_uuid)
    members = (
        Membership.objects.filter(workspace=ticket.workspace).select_related("user").order_by("user__email")
    )
    context = {
        "ticket": ticket,
        "thread": svc.thread(ticket),
        "urns": " ".join(u.identity for u in ticket.contact.urns.all()),
        "members": [m.user.email for m in members if m.user.email],
        "may_answer": can(request_role(request), "tickets"),
    }
    return render(request, "tickets/detail.html", context)


def _act(request: HttpRequest, ticket: Ticket, action: Any, done: str) -> HttpResponse:
    try:
        action()
        flash.success(request, done)
    except svc.TicketError as exc:
        flash.error(request, str(exc))
    return redirect("ticket_detail", ticket_uuid=ticket.uuid)


@login_required
@require_POST
def ticket_reply(request: HttpRequest, ticket_uuid: Any) -> HttpResponse:
    ticket = _ticket(request, ticket_uuid)
    text = request.POST.get("text", "")
    return _act(
        request, ticket, lambda: svc.reply(ticket=ticket, text=text, author=_email(request)), "Reply queued."
    )


@login_required
@require_POST
def ticket_note(request: HttpRequest, ticket_uuid: Any) -> HttpResponse:
    ticket = _ticket(request, ticket_uuid)
    text = request.POST.get("text", "")
    return _act(
        request, ticket, lambda: svc.add_note(ticket=ticket, text=text, author=_email(request)), "Note added."
    )


@login_required
@require_POST
def ticket_status(request: HttpRequest, ticket_uuid: Any) -> HttpResponse:
    ticket = _ticket(request, ticket_uuid)
    status = request.POST.get("status", "")
    done = "Ticket closed." if status == "closed" else "Ticket reopened."
    return _act(
        request, ticket, lambda: svc.set_status(ticket=ticket, status=status, author=_email(request)), done
    )


@login_required
@require_POST
def ticket_assign(request: HttpRequest, ticket_uuid: Any) -> HttpResponse:
    ticket = _ticket(request, ticket_uuid)
    assignee = request.POST.get("assignee", "")
    return _act(
        request,
        ticket,
        lambda: svc.assign(ticket=ticket, assignee=assignee, author=_email(request)),
        "Assigned.",
    )


@login_required
@require_POST
def ticket_open(request: HttpRequest, contact_uuid: Any) -> HttpResponse:
    workspace = user_workspace(request)
    contact = Contact.objects.filter(workspace=workspace, uuid=contact_uuid).first()
    if contact is None:
        raise Http404("no such contact")
    topic_name = " ".join(request.POST.get("topic", "").split())[:64]
    topic = None
    if topic_name:
        topic, _ = Topic.objects.get_or_create(workspace=workspace, name=topic_name)
    try:
        ticket = svc.open_ticket(
            workspace=workspace,
            contact=contact,
            topic=topic,
            assignee=request.POST.get("assignee", ""),
            body=request.POST.get("body", ""),
            author=_email(request),
        )
    except svc.TicketError as exc:
        flash.error(request, str(exc))
        return redirect("contact_detail", contact_uuid=contact.uuid)
    flash.success(request, "Ticket opened.")
    return redirect("ticket_detail", ticket_uuid=ticket.uuid)
