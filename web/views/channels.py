from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt

from channels_app.models import Channel
from channels_app.services import channels as channel_service
from channels_app.types.base import ConfigError
from channels_app.types.registry import UnknownChannelType, all_types, get_type
from web import demo
from web.forms.channels import channel_form, config_from_form, inbound_auth_form, inbound_auth_from_form
from web.requests import user_workspace


def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"ok": True})


@login_required
def channel_list(request: HttpRequest) -> HttpResponse:
    workspace = user_workspace(request)
    channels = Channel.objects.filter(workspace=workspace, is_active=True).order_by("name")
    return render(request, "channels/list.html", {"channels": channels})


@login_required
def channel_type_list(request: HttpRequest) -> HttpResponse:
    from aggregators.connector.builtin import builtin_connectors

    # phone-call providers are XML connectors too: listed here so they are found like SMS types
    voice = [(slug, c.name) for slug, c in sorted(builtin_connectors().items()) if c.kind != "sms"]
    types = [t for t in all_types() if t.user_creatable]
    return render(request, "channels/types.html", {"types": types, "voice": voice})


@login_required
def channel_create(request: HttpRequest, type_code: str) -> HttpResponse:
    workspace = user_workspace(request)
    try:
        channel_type = get_type(type_code)
    except UnknownChannelType:
        raise Http404("unknown channel type") from None
    form = channel_form(channel_type, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            channel = channel_service.create_channel(
                workspace=workspace,
                type_code=channel_type.code,
                name=form.cleaned_data["name"],
                address=form.cleaned_data["address"],
                country=form.cleaned_data["country"],
                config=config_from_form(channel_type, form.cleaned_data),
            )
        except ConfigError as exc:
            for name, message in exc.errors.items():
                key = name if name in form.fields else f"config_{name}"
                form.add_error(key if key in form.fields else None, message)
        else:
            flash.success(request, f"Channel {channel.name} added.")
            return redirect("channel_detail", channel_uuid=channel.uuid)
    return render(request, "channels/create.html", {"form": form, "channel_type": channel_type})


@login_required
def channel_security(request: HttpRequest, channel_uuid: str) -> HttpResponse:
    """Edit a channel's inbound authentication (basic auth, shared-secret header, signature)."""
    channel = Channel.objects.filter(
        workspace=user_workspace(request), uuid=channel_uuid, is_active=True
    ).first()
    if channel is None:
        raise Http404("no such channel")
    form = inbound_auth_form(
        request.POST if request.method == "POST" else None, initial_config=channel.config
    )
    if request.method == "POST" and form.is_valid():
        try:
            channel_service.update_channel(channel=channel, config=inbound_auth_from_form(form.cleaned_data))
        except ConfigError as exc:
            for name, message in exc.errors.items():
                key = f"config_{name}"
                form.add_error(key if key in form.fields else None, message)
        else:
            flash.success(request, "Inbound security saved.")
            return redirect("channel_detail", channel_uuid=channel.uuid)
    return render(request, "channels/security.html", {"form": form, "channel": channel})


@csrf_exempt  # plays a provider: no session is read; the channel's random key authenticates it
def demo_aggregator_send(request: HttpRequest) -> HttpResponse:
    if not demo.is_available():
        return JsonResponse({"error": "the demo aggregator runs only in the embedded demo"}, status=404)
    if request.method != "POST":
        return JsonResponse({"error": "POST a message"}, status=405)
    params = {k: str(v) for k, v in request.POST.items()}
    problem = demo.refusal(params, request.GET.get("key", ""))
    if problem:
        return JsonResponse({"error": problem}, status=403)
    demo.accept(params)
    return JsonResponse({"status": "accepted"})
