"""Call log, call detail, the agent's own phone, and contacts with a click-to-call button."""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from aggregators.voice import placing, services
from channels_app.models import Call, Channel, Contact
from web.requests import user_workspace


@login_required
def call_log(request: HttpRequest) -> HttpResponse:
    workspace = user_workspace(request)
    qs = Call.objects.filter(workspace=workspace).select_related("channel", "contact", "user").order_by("-id")
    direction, status = request.GET.get("direction", ""), request.GET.get("status", "")
    if direction in ("in", "out"):
        qs = qs.filter(direction=direction)
    if status:
        qs = qs.filter(status=status)
    context = {
        "calls": qs[:200],
        "direction": direction,
        "status": status,
        "statuses": Call.Status.values,
        "phone": services.agent_phone(request.user),
    }
    return render(request, "calls/log.html", context)


@login_required
def call_detail(request: HttpRequest, call_uuid: str) -> HttpResponse:
    workspace = user_workspace(request)
    call = (
        Call.objects.filter(workspace=workspace, uuid=call_uuid)
        .select_related("channel", "contact", "user")
        .first()
    )
    if call is None:
        raise Http404("no such call")
    return render(request, "calls/detail.html", {"call": call, "events": call.events.all()})


@login_required
@require_POST
def agent_phone(request: HttpRequest) -> HttpResponse:
    user_workspace(request)
    try:
        services.set_agent_phone(
            user=request.user,
            extension=request.POST.get("extension", ""),
            phone_home=request.POST.get("phone_home", ""),
            takes_incoming=request.POST.get("takes_incoming") == "on",
        )
        flash.success(request, "Your phone is saved.")
    except services.CallError as exc:
        flash.error(request, str(exc))
    return redirect("call_log")


def _contact(request: HttpRequest, contact_uuid: str) -> Contact:
    contact = Contact.objects.filter(workspace=user_workspace(request), uuid=contact_uuid).first()
    if contact is None:
        raise Http404("no such contact")
    return contact


@login_required
@require_POST
def contact_call(request: HttpRequest, contact_uuid: str) -> HttpResponse:
    """The click-to-call button: ring the agent, then the contact, and show the call."""
    contact = _contact(request, contact_uuid)
    raw = request.POST.get("channel", "")
    channels = Channel.objects.filter(workspace_id=contact.workspace_id, is_active=True)
    channel = channels.filter(uuid=raw).first() if _is_uuid(raw) else None
    if channel is None:
        flash.error(request, "Choose a phone channel.")
        return redirect("contact_detail", contact_uuid=contact.uuid)
    to = request.POST.get("to", "")
    if to not in [u.identity for u in contact.urns.all()]:
        flash.error(request, "Choose one of this contact's phone numbers.")
        return redirect("contact_detail", contact_uuid=contact.uuid)
    try:
        call = placing.place_call(
            channel=channel, to=to, user=request.user, extension=request.POST.get("extension", "")
        )
    except services.CallError as exc:
        flash.error(request, str(exc))
        return redirect("contact_detail", contact_uuid=contact.uuid)
    if call.status == Call.Status.FAILED:
        flash.error(request, f"The provider refused the call: {call.error}")
    else:
        flash.success(request, "Calling: your phone rings first, then the contact's.")
    return redirect("call_detail", call_uuid=call.uuid)


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
