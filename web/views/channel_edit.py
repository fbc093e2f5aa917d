"""The channel page's Edit (name, address, country, settings, active) and Release, through the
same services as `PATCH`/`DELETE /api/v1/channels/<uuid>`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from channels_app.models import Channel
from channels_app.services import channels as channel_service
from channels_app.types.base import ConfigError
from web.forms.channels import channel_form, config_from_form
from web.requests import current_workspace


def _active_channel(request: HttpRequest, channel_uuid: Any) -> Channel:
    workspace = current_workspace(request)
    channel = Channel.objects.filter(workspace=workspace, uuid=channel_uuid, is_active=True).first()
    if workspace is None or channel is None:
        raise Http404("no such channel")
    return channel


@login_required
def channel_edit(request: HttpRequest, channel_uuid: Any) -> HttpResponse:
    channel = _active_channel(request, channel_uuid)
    form = channel_form(
        channel.type, data=request.POST if request.method == "POST" else None, initial_config=channel.config
    )
    form.fields["name"].initial = channel.name
    form.fields["address"].initial = channel.address
    form.fields["country"].initial = channel.country
    form.fields["is_active"] = forms.BooleanField(
        label="Active",
        required=False,
        initial=True,
        help_text="An inactive channel sends and receives nothing; its queued messages move to another channel",
    )
    if request.method == "POST" and form.is_valid():
        try:
            channel_service.update_channel(
                channel=channel,
                name=form.cleaned_data["name"],
                address=form.cleaned_data["address"],
                country=form.cleaned_data["country"],
                config=config_from_form(channel.type, form.cleaned_data),
                is_active=form.cleaned_data["is_active"],
            )
        except ConfigError as exc:
            for name, message in exc.errors.items():
                key = name if name in form.fields else f"config_{name}"
                form.add_error(key if key in form.fields else None, message)
        else:
            flash.success(request, f"Channel {channel.name} saved.")
            return redirect("channel_detail", channel_uuid=channel.uuid)
    return render(request, "channels/edit.html", {"form": form, "channel": channel})


@login_required
@require_POST
def channel_release(request: HttpRequest, channel_uuid: Any) -> HttpResponse:
    channel = _active_channel(request, channel_uuid)
    moved = channel_service.deactivate_channel(channel=channel)
    rerouted, failed = moved.get("rerouted", 0), moved.get("failed", 0)
    detail = (
        f" {rerouted} queued message(s) moved to another channel, {failed} failed."
        if rerouted or failed
        else ""
    )
    flash.success(request, f"Channel {channel.name} released: its history is kept.{detail}")
    return redirect("channel_list")
