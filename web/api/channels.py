from __future__ import annotations

from typing import Any

from ninja import Router

from channels_app.models import Channel
from channels_app.services import channels as channel_service
from channels_app.types.base import ConfigError
from web.api.common import get_or_404
from web.api.schemas import ChannelIn, ChannelOut, ChannelPatch, ErrorOut
from web.requests import WorkspaceRequest

router = Router(tags=["channels"])


@router.get("", response=list[ChannelOut])
def list_channels(request: WorkspaceRequest) -> list[dict[str, Any]]:
    channels = Channel.objects.filter(workspace=request.workspace, is_active=True).order_by("id")
    return [channel_service.channel_payload(c) for c in channels]


@router.post("", response={201: ChannelOut, 400: ErrorOut})
def create_channel(request: WorkspaceRequest, payload: ChannelIn) -> Any:
    try:
        channel = channel_service.create_channel(
            workspace=request.workspace,
            type_code=payload.type,
            name=payload.name,
            address=payload.address,
            country=payload.country,
            config=payload.config,
        )
    except ConfigError as exc:
        return 400, {"error": "invalid channel", "errors": exc.errors}
    return 201, channel_service.channel_payload(channel)


@router.get("/{channel_uuid}", response={200: ChannelOut, 404: ErrorOut})
def get_channel(request: WorkspaceRequest, channel_uuid: str) -> Any:
    channel = get_or_404(Channel, request, channel_uuid, is_active=True)
    return channel_service.channel_payload(channel)


@router.patch("/{channel_uuid}", response={200: ChannelOut, 400: ErrorOut, 404: ErrorOut})
def update_channel(request: WorkspaceRequest, channel_uuid: str, payload: ChannelPatch) -> Any:
    channel = get_or_404(Channel, request, channel_uuid, is_active=True)
    try:
        channel_service.update_channel(channel=channel, **payload.dict(exclude_unset=True))
    except ConfigError as exc:
        return 400, {"error": "invalid channel", "errors": exc.errors}
    return channel_service.channel_payload(channel)


@router.delete("/{channel_uuid}", response={204: None, 404: ErrorOut})
def delete_channel(request: WorkspaceRequest, channel_uuid: str) -> Any:
    channel = get_or_404(Channel, request, channel_uuid, is_active=True)
    channel_service.deactivate_channel(channel=channel)
    return 204, None
