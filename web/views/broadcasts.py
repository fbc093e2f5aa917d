"""Broadcast screens: compose (group and contact pickers, text with translations or a template,
a preview per language), the list with the workspace's quiet hours, and a progress page with
pause / resume / cancel. The work is in flows/services/compose.py and pacing.py."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from channels_app.models import Contact, ContactGroup, MessageTemplate, Workspace
from flows.models import Broadcast, WorkspacePacing
from flows.services import compose, pacing
from web.requests import user_workspace

CONTACT_CHOICES = 500


def _compose_args(request: HttpRequest) -> dict[str, Any]:
    post = request.POST
    translations = {
        key.removeprefix("text:"): str(value)
        for key, value in post.items()
        if key.startswith("text:") and str(value).strip()
    }
    urns = [line.strip() for line in post.get("urns", "").replace(",", "\n").splitlines() if line.strip()]
    template = post.get("template", "").strip() or None
    return {
        "text": None if template else translations,
        "base_language": post.get("base_language", "").strip() or "eng",
        "template": template,
        "group_uuids": post.getlist("groups"),
        "contact_uuids": post.getlist("contacts"),
        "urns": urns,
    }


def _tz(workspace: Workspace) -> dt.tzinfo:
    config = WorkspacePacing.objects.filter(workspace=workspace).first()
    try:
        return zoneinfo.ZoneInfo(config.timezone) if config else dt.UTC
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def _send_at(request: HttpRequest, workspace: Workspace) -> dt.datetime | None:
    raw = request.POST.get("send_at", "").strip()
    if not raw:
        return None
    try:
        return dt.datetime.fromisoformat(raw).replace(tzinfo=_tz(workspace))  # the workspace's local time
    except ValueError:
        raise compose.ComposeError("the send time is not a date and time", {"send_at": "invalid"}) from None


@login_required
def broadcast_list(request: HttpRequest) -> HttpResponse:
    workspace = user_workspace(request)
    context = {
        "broadcasts": [
            (b, pacing.progress(owner=b)) for b in Broadcast.objects.filter(workspace=workspace)[:50]
        ],
        "quiet": WorkspacePacing.objects.filter(workspace=workspace).first(),
    }
    return render(request, "broadcasts/list.html", context)


@login_required
def broadcast_compose(request: HttpRequest) -> HttpResponse:
    workspace = user_workspace(request)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            spread = int(request.POST.get("spread_over_minutes") or 0)
        except ValueError:
            spread = -1
        try:
            broadcast = compose.create_broadcast(
                workspace=workspace,
                send_at=_send_at(request, workspace),
                spread_over_minutes=spread,
                **_compose_args(request),
            )
        except compose.ComposeError as exc:
            errors = {"general": str(exc), **exc.errors}
        else:
            flash.success(request, f"Broadcast scheduled for {broadcast.total} contacts.")
            return redirect("broadcast_detail", broadcast_uuid=broadcast.uuid)
    context = {
        "groups": ContactGroup.objects.filter(workspace=workspace).order_by("name"),
        "contacts": Contact.objects.filter(workspace=workspace, status="active").order_by("name", "id")[
            :CONTACT_CHOICES
        ],
        "templates": MessageTemplate.objects.filter(workspace=workspace).order_by("code"),
        "errors": errors,
        "form": request.POST,
        "base_text": request.POST.get("text:eng", ""),  # kept when the form comes back with an error
        "timezone": str(_tz(workspace)),
    }
    return render(request, "broadcasts/compose.html", context, status=400 if errors else 200)


@login_required
@require_POST
def broadcast_preview(request: HttpRequest) -> JsonResponse:
    """The compose screen's preview: each language's text and how many will read it."""
    try:
        return JsonResponse(compose.preview(workspace=user_workspace(request), **_compose_args(request)))
    except compose.ComposeError as exc:
        return JsonResponse({"error": str(exc), "errors": exc.errors}, status=400)


def _broadcast(request: HttpRequest, broadcast_uuid: Any) -> Broadcast:
    broadcast = Broadcast.objects.filter(workspace=user_workspace(request), uuid=broadcast_uuid).first()
    if broadcast is None:
        raise Http404("no such broadcast")
    return broadcast


@login_required
def broadcast_detail(request: HttpRequest, broadcast_uuid: Any) -> HttpResponse:
    broadcast = _broadcast(request, broadcast_uuid)
    return render(
        request,
        "broadcasts/detail.html",
        {"broadcast": broadcast, "progress": pacing.progress(owner=broadcast)},
    )


@login_required
@require_POST
def broadcast_control(request: HttpRequest, broadcast_uuid: Any, action: str) -> HttpResponse:
    broadcast = _broadcast(request, broadcast_uuid)
    actions = {"pause": pacing.pause, "resume": pacing.resume, "cancel": pacing.cancel}
    if action not in actions:
        raise Http404("no such action")
    try:
        actions[action](owner=broadcast)
    except pacing.PaceError as exc:
        flash.error(request, str(exc))
    else:
        flash.success(request, {"pause": "Paused.", "resume": "Resumed.", "cancel": "Cancelled."}[action])
    return redirect("broadcast_detail", broadcast_uuid=broadcast.uuid)


@login_required
@require_POST
def quiet_hours(request: HttpRequest) -> HttpResponse:
    workspace = user_workspace(request)
    try:
        start = dt.time.fromisoformat(request.POST["start"]) if request.POST.get("start") else None
        end = dt.time.fromisoformat(request.POST["end"]) if request.POST.get("end") else None
        pacing.set_quiet_hours(
            workspace_id=workspace.id,
            timezone_name=request.POST.get("timezone", "").strip(),  # empty: the workspace's
            start=start,
            end=end,
        )
    except ValueError as exc:
        flash.error(request, f"Quiet hours not saved: {exc}")
    else:
        flash.success(request, "Quiet hours saved.")
    return redirect("broadcast_list")
