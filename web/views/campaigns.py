"""Campaign screens: the list, a campaign's page (its events, each with upcoming and past
fires), and the forms that create and change campaigns and events. Changes go through
campaigns.services.editing; who may make them is decided by web.permissions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from campaigns.models import Campaign, CampaignEvent, EventFire
from campaigns.services import editing
from channels_app.models import ContactField, ContactGroup
from flows.models import Flow
from web.permissions import can, request_role
from web.requests import user_workspace

SHOWN_FIRES = 20


def _campaign(request: HttpRequest, campaign_uuid: Any) -> Campaign:
    found = editing.find_campaign(workspace=user_workspace(request), ref=campaign_uuid)
    if found is None:
        raise Http404("no such campaign")
    return found


def _event(request: HttpRequest, event_uuid: Any) -> CampaignEvent:
    found = editing.find_event(workspace=user_workspace(request), ref=event_uuid)
    if found is None:
        raise Http404("no such event")
    return found


def event_data(post: QueryDict) -> dict[str, Any]:
    """The event form as the service's API-shaped input. Translations are one per line,
    `fra: Bonjour`, besides the base language's text."""
    data: dict[str, Any] = {
        "relative_to": post.get("relative_to", ""),
        "unit": post.get("unit", "days"),
        "start_mode": post.get("start_mode", "interrupt"),
    }
    for name in ("offset", "delivery_hour"):
        raw = post.get(name, "").strip()
        try:
            data[name] = int(raw) if raw else (0 if name == "offset" else -1)
        except ValueError:
            data[name] = raw  # the service names the problem
    if post.get("kind") == "flow":
        data["flow"] = post.get("flow", "")
    else:
        base = (post.get("base_language") or "eng").strip()
        message = {base: post.get("message", "")}
        for line in post.get("translations", "").splitlines():
            lang, sep, text = line.partition(":")
            if sep and text.strip():
                message[lang.strip()] = text.strip()
        data["message"], data["base_language"] = message, base
    return data


def _form_context(workspace: Any) -> dict[str, Any]:
    return {
        "date_fields": ContactField.objects.filter(workspace=workspace, value_type="datetime").order_by(
            "name"
        ),
        "flows": Flow.objects.filter(workspace=workspace, archived=False).order_by("name"),
        "groups": ContactGroup.objects.filter(workspace=workspace).order_by("name"),
        "units": editing.UNITS,
        "start_modes": editing.START_MODES,
        "hours": range(24),
    }


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    workspace = user_workspace(request)
    error, status = "", 200
    if request.method == "POST":
        try:
            campaign = editing.create_campaign(
                workspace=workspace, name=request.POST.get("name", ""), group=request.POST.get("group", "")
            )
        except editing.CampaignError as exc:
            error, status = str(exc), 400
        else:
            flash.success(request, f"Campaign {campaign.name} created: add its events.")
            return redirect("campaign_detail", campaign_uuid=campaign.uuid)
    campaigns = Campaign.objects.filter(workspace=workspace).select_related("group")
    context = {"campaigns": campaigns, "error": error, "may_edit": can(request_role(request), "edit")}
    context.update(_form_context(workspace))
    return render(request, "campaigns/list.html", context, status=status)


@login_required
def campaign_detail(request: HttpRequest, campaign_uuid: Any) -> HttpResponse:
    campaign = _campaign(request, campaign_uuid)
    events = []
    for event in campaign.events.filter(is_active=True).select_related("relative_to", "flow"):
        fires = EventFire.objects.filter(event=event).select_related("contact")
        events.append(
            {
                "event": event,
                "upcoming": list(
                    fires.filter(fired_on__isnull=True).order_by("scheduled", "id")[:SHOWN_FIRES]
                ),
                "upcoming_count": fires.filter(fired_on__isnull=True).count(),
                "past": list(fires.filter(fired_on__isnull=False).order_by("-fired_on", "-id")[:SHOWN_FIRES]),
                "past_count": fires.filter(fired_on__isnull=False).count(),
            }
        )
    context = {
        "campaign": campaign,
        "events": events,
        "error": request.session.pop("campaign_error", ""),
        "may_edit": can(request_role(request), "edit"),
    }
    context.update(_form_context(campaign.workspace))
    return render(request, "campaigns/detail.html", context)


@login_required
@require_POST
def campaign_edit(request: HttpRequest, campaign_uuid: Any) -> HttpResponse:
    campaign = _campaign(request, campaign_uuid)
    try:
        editing.update_campaign(
            campaign=campaign,
            name=request.POST.get("name"),
            group=request.POST.get("group") or None,
            archived=request.POST.get("archived") == "on",
        )
        flash.success(request, "Campaign saved.")
    except editing.CampaignError as exc:
        flash.error(request, str(exc))
    return redirect("campaign_detail", campaign_uuid=campaign.uuid)


@login_required
@require_POST
def event_create(request: HttpRequest, campaign_uuid: Any) -> HttpResponse:
    campaign = _campaign(request, campaign_uuid)
    try:
        editing.create_event(workspace=campaign.workspace, campaign=campaign, data=event_data(request.POST))
        flash.success(request, "Event added: everyone in the group is being scheduled.")
    except editing.CampaignError as exc:
        flash.error(request, str(exc))
    return redirect("campaign_detail", campaign_uuid=campaign.uuid)


@login_required
@require_POST
def event_edit(request: HttpRequest, event_uuid: Any) -> HttpResponse:
    event = _event(request, event_uuid)
    try:
        editing.update_event(event=event, data=event_data(request.POST))
        flash.success(request, "Event saved: fires are being rescheduled.")
    except editing.CampaignError as exc:
        flash.error(request, str(exc))
    return redirect("campaign_detail", campaign_uuid=event.campaign.uuid)


@login_required
@require_POST
def event_delete(request: HttpRequest, event_uuid: Any) -> HttpResponse:
    event = _event(request, event_uuid)
    editing.delete_event(event=event)
    flash.success(request, "Event deleted; its past fires stay listed in the API.")
    return redirect("campaign_detail", campaign_uuid=event.campaign.uuid)
