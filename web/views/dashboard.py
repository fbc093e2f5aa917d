"""Everyday screens: dashboard, message log and detail, channel page, triggers, API keys.

Thin: parse with a form, call a service, render. Every lookup goes through the user's workspace,
so another workspace's uuids and ids are "not found".
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from channels_app.models import APIToken, Channel, Msg, MsgEvent
from channels_app.services import channels as channel_service
from channels_app.services import tokens as token_service
from channels_app.services.glossary import describe
from channels_app.services.labels import list_labels
from channels_app.services.message_search import search_messages
from channels_app.services.resend import NOT_FOUND, resend_messages, resendable
from channels_app.services.send import SendError, queue_message
from channels_app.services.stats import dashboard_stats
from flows.models import Trigger
from flows.services import triggers as trigger_service
from web import charts, getting_started
from web.forms.dashboard import ChannelFilterForm, MessageFilterForm, TestMessageForm, TokenForm, TriggerForm
from web.requests import user_workspace

PAGE_SIZE = 100


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


# ------------------------------------------------------------------------------------ dashboard


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    workspace = user_workspace(request)
    form = ChannelFilterForm(request.GET or None, workspace=workspace)
    channel = form.cleaned_data.get("channel") if form.is_valid() else None
    stats = dashboard_stats(workspace=workspace, days=30, channel=channel)
    rates = [(r, charts.rate_segments(r)) for r in stats.channels]
    context = {
        "form": form,
        "channel": channel,
        "stats": stats,
        "totals": stats.totals,
        "chart": charts.volume_chart(stats.days),
        "rates": rates,
        "getting_started": getting_started.steps(workspace=workspace),
    }
    return render(
        request, "dashboard.html", context, status=400 if form.is_bound and not form.is_valid() else 200
    )


# ---------------------------------------------------------------------------------- message log


@login_required
def message_log(request: HttpRequest) -> HttpResponse:
    workspace = user_workspace(request)
    form = MessageFilterForm(request.GET or None, workspace=workspace)
    valid = form.is_valid() if form.is_bound else True
    filters = form.to_filter()
    msgs = list(
        search_messages(workspace=workspace, filters=filters).prefetch_related("labels")[: PAGE_SIZE + 1]
    )
    older = None
    if len(msgs) > PAGE_SIZE:
        msgs = msgs[:PAGE_SIZE]
        params = request.GET.copy()
        params["before"] = str(msgs[-1].id)
        older = params.urlencode()
    context = {
        "form": form,
        "msgs": msgs,
        "older": older,
        "filters": filters,
        "paged": filters.before_id is not None,
        "live_new": filters.shows_new_messages() and filters.before_id is None,
        "labels": list_labels(workspace=workspace),
    }
    return render(request, "messages/log.html", context, status=200 if valid else 400)


def _pretty(body: Any) -> str:
    """JSON bodies indented, anything else as sent: the log is for people reading it."""
    if not isinstance(body, str):
        return json.dumps(body, indent=2, ensure_ascii=False) if body not in (None, "") else ""
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


def present_event(event: MsgEvent) -> dict[str, Any]:
    """An event as the detail page shows it: HTTP exchanges get request/response panes."""
    data = event.data if isinstance(event.data, dict) else {}
    http = None
    if "method" in data and "url" in data:
        code = data.get("status_code")
        http = {
            "method": data.get("method"),
            "url": data.get("url"),
            "status_code": code,
            "ok": isinstance(code, int) and 200 <= code < 300,
            "elapsed_ms": data.get("elapsed_ms"),
            "request_body": _pretty(data.get("request_body")),
            "response_body": _pretty(data.get("response_body")),
            "error": data.get("error", ""),
        }
    elif isinstance(data.get("request"), dict) and "url" in data["request"]:
        return {**present_event(MsgEvent(event_type=event.event_type, data=data["request"])),
                "event": event, "extra": {k: v for k, v in data.items() if k != "request"}}  # fmt: skip
    known = {"method", "url", "status_code", "elapsed_ms", "request_body", "response_body", "error"}
    extra = {k: v for k, v in data.items() if not (http and k in known)}
    return {"event": event, "http": http, "extra": extra}


@login_required
def message_detail(request: HttpRequest, msg_uuid: str) -> HttpResponse:
    workspace = user_workspace(request)
    msg = Msg.objects.filter(workspace=workspace, uuid=msg_uuid).select_related("channel", "contact").first()
    if msg is None:
        raise Http404("no such message")
    events = [present_event(e) for e in msg.events.all()]
    context = {
        "msg": msg,
        "events": events,
        "status_description": describe(msg),
        "resendable": resendable(msg),
        "checkable": bool(msg.channel and msg.channel.channel_type == "XC" and msg.external_id),
    }
    return render(request, "messages/detail.html", context)


@login_required
@require_POST
def message_check_status(request: HttpRequest, msg_uuid: str) -> HttpResponse:
    """The message page's "Check status": one `<message_status>` request now."""
    from aggregators.xc.check import CheckError, check_status

    workspace = user_workspace(request)
    msg = Msg.objects.filter(workspace=workspace, uuid=msg_uuid).select_related("channel").first()
    if msg is None:
        raise Http404("no such message")
    try:
        result = check_status(msg=msg)
    except CheckError as exc:
        flash.error(request, f"Cannot check: {exc}.")
    else:
        said = result.provider_status or result.error or "no status"
        flash.success(request, f"The provider says: {said}. The message is {result.status}.")
    return redirect("message_detail", msg_uuid=msg.uuid)


@login_required
@require_POST
def message_resend(request: HttpRequest) -> HttpResponse:
    """The log's bulk "Resend" (and the message page's button): failed / unknown-outcome ones."""
    workspace = user_workspace(request)
    uuids = [u for u in request.POST.getlist("msgs") if _is_uuid(u)]
    if not uuids:
        flash.error(request, "Select the failed or outcome-unknown messages to resend.")
    else:
        done = resend_messages(workspace_id=workspace.id, uuids=uuids, user_id=request.user.pk)
        if done.resent:
            flash.success(request, f"{len(done.resent)} message(s) queued again.")
        # (ids not in this workspace are only counted: a flash must not echo them to later pages)
        missing = sum(why == NOT_FOUND for _, why in done.skipped)
        if missing:
            flash.error(request, f"{missing} selected message(s) not found.")
        for msg_uuid, why in [item for item in done.skipped if item[1] != NOT_FOUND][:5]:
            flash.error(request, f"{msg_uuid} not resent: {why}")
    back = request.POST.get("next", "")
    if back.startswith("/messages/") and "//" not in back:
        return redirect(back)
    return redirect("message_log")


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# ------------------------------------------------------------------------------- channel detail


def _channel(request: HttpRequest, channel_uuid: Any) -> Channel:
    channel = Channel.objects.filter(workspace=user_workspace(request), uuid=channel_uuid).first()
    if channel is None:
        raise Http404("no such channel")
    return channel


@login_required
def channel_detail(request: HttpRequest, channel_uuid: Any) -> HttpResponse:
    channel = _channel(request, channel_uuid)
    return _render_channel(request, channel, TestMessageForm())


def _config_value(value: Any) -> str:
    """A setting as a person reads it: yes/no, key: value lines, never Python or JSON syntax."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value == "":
        return "—"
    if isinstance(value, dict):
        return "\n".join(f"{k}: {_config_value(v)}" for k, v in value.items()) or "—"
    if isinstance(value, list):
        return ", ".join(_config_value(v) for v in value) or "—"
    return str(value)


def _config_rows(channel: Channel, config: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(label, value, help) of each setting, labelled as the forms label it; keys no field
    declares (older configs) keep their name."""
    from channels_app import inbound_auth

    fields = {f.name: f for f in (*channel.type.config_fields, *inbound_auth.FIELDS)}
    rows = []
    for key, value in config.items():
        f = fields.get(key)
        if f is not None and f.show_when and config.get(f.show_when[0]) not in f.show_when[1]:
            continue  # a setting that does not apply to the chosen mode
        rows.append(
            (f.label if f else key.replace("_", " ").capitalize(), _config_value(value), f.help if f else "")
        )
    return rows


def _render_channel(
    request: HttpRequest, channel: Channel, form: TestMessageForm, status: int = 200
) -> HttpResponse:
    payload = channel_service.channel_payload(channel)
    # (by workspace too: the newest messages of the workspace's index, filtered by channel)
    recent = Msg.objects.filter(workspace_id=channel.workspace_id, channel=channel).order_by("-id")[:20]
    config = _config_rows(channel, payload["config"])
    context = {"channel": channel, "payload": payload, "config": config, "recent": recent, "form": form,
               "live_status": payload.get("live_status")}  # fmt: skip
    return render(request, "screens/channel_detail.html", context, status=status)


@login_required
@require_POST
def channel_test_message(request: HttpRequest, channel_uuid: Any) -> HttpResponse:
    channel = _channel(request, channel_uuid)
    form = TestMessageForm(request.POST)
    if form.is_valid() and not channel.is_active:
        form.add_error(None, "this channel is inactive: it sends nothing")
    if form.is_valid():
        try:
            msg = queue_message(channel=channel, to=form.cleaned_data["to"], text=form.cleaned_data["text"],
                                metadata={"test": True})  # fmt: skip
        except SendError as exc:
            form.add_error("to", str(exc))
        else:
            if _wants_json(request):
                return JsonResponse({"uuid": str(msg.uuid), "status": msg.status, "urn": msg.urn,
                                     "text": msg.text, "error": msg.error}, status=201)  # fmt: skip
            flash.success(request, f"Test message to {msg.urn} queued.")
            return redirect("channel_detail", channel_uuid=channel.uuid)
    if _wants_json(request):
        return JsonResponse(
            {"error": "invalid test message", "errors": form.errors.get_json_data()}, status=400
        )
    return _render_channel(request, channel, form, status=400)


# ------------------------------------------------------------------------------------- triggers


@login_required
def trigger_list(request: HttpRequest) -> HttpResponse:
    workspace = user_workspace(request)
    form = TriggerForm(request.POST if request.method == "POST" else None, workspace=workspace)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            kind = data["trigger_type"]
            try:
                trigger_service.create_trigger(
                    workspace=workspace,
                    trigger_type=kind,
                    flow=data["flow"],
                    keywords=form.keyword_list() if kind == Trigger.Type.KEYWORD else [],
                    match_type=data.get("match_type") or Trigger.Match.STARTS,
                    channel=data.get("channel") if kind != Trigger.Type.SCHEDULE else None,
                    repeat=(data.get("repeat") if kind == Trigger.Type.SCHEDULE else None)
                    or Trigger.Repeat.NEVER,
                    weekdays="".join(data.get("weekdays") or []) if kind == Trigger.Type.SCHEDULE else "",
                    start_on=form.start_on_aware() if kind == Trigger.Type.SCHEDULE else None,
                )
            except trigger_service.TriggerError as exc:
                form.add_error(None, str(exc))
            else:
                flash.success(request, f"Trigger for {data['flow'].name} added.")
                return redirect("trigger_list")
        status = 400
    triggers = (
        Trigger.objects.filter(workspace=workspace, archived=False)
        .select_related("flow", "channel")
        .order_by("trigger_type", "id")
    )
    return render(request, "screens/triggers.html", {"form": form, "triggers": triggers}, status=status)


@login_required
@require_POST
def trigger_delete(request: HttpRequest, trigger_uuid: Any) -> HttpResponse:
    trigger = Trigger.objects.filter(
        workspace=user_workspace(request), uuid=trigger_uuid, archived=False
    ).first()
    if trigger is None:
        raise Http404("no such trigger")
    # archived rather than deleted, as the API does: runs it started keep their origin
    trigger.archived = True
    trigger.save(update_fields=["archived"])
    flash.success(request, "Trigger deleted.")
    return redirect("trigger_list")


# ------------------------------------------------------------------------------------ API keys


@login_required
@never_cache
def token_list(request: HttpRequest) -> HttpResponse:
    workspace = user_workspace(request)
    form = TokenForm(request.POST if request.method == "POST" else None)
    new_key = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                token, new_key = token_service.issue_api_token(
                    workspace=workspace, user=request.user, name=form.cleaned_data["name"]
                )
            except token_service.TokenError as exc:
                form.add_error("name", str(exc))
            else:
                # The clear key is rendered in this one response only (never_cache, no redirect
                # through the session): reloading the list shows the prefix alone.
                status, form = 201, TokenForm()
    tokens = token_service.list_api_tokens(workspace=workspace)
    return render(request, "screens/tokens.html", {"form": form, "tokens": tokens, "new_key": new_key,
                                                  "now": timezone.now()}, status=status)  # fmt: skip


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = token_service.revoke_api_token(workspace=user_workspace(request), token_id=token_id)
    except APIToken.DoesNotExist:
        raise Http404("no such API key") from None
    flash.success(request, f"Key {token.masked} ({token.name}) revoked.")
    return redirect("token_list")
