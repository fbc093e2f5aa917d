"""The single entry point for provider webhooks: /c/<type-slug>/<channel-uuid>/<action>.

It resolves the channel (cached: this is the hottest path), dispatches to the type's handler
and turns every bad-input exception into a clear 4xx JSON answer — never a 500.
"""

from __future__ import annotations

import logging
import time
import uuid

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from channels_app.models import Channel
from channels_app.services.status import MsgNotFound
from channels_app.types.registry import UnknownChannelType, get_type_by_slug
from channels_app.urns import InvalidURN

logger = logging.getLogger(__name__)

_CACHE_SECONDS = 10.0
_channel_cache: dict[tuple[str, uuid.UUID], tuple[float, Channel | None]] = {}


class BadRequest(ValueError):
    """Raised by type handlers for input they cannot accept; becomes a 400 JSON error."""


def error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def lookup_channel(code: str, channel_uuid: uuid.UUID) -> Channel | None:
    key = (code, channel_uuid)
    now = time.monotonic()
    cached = _channel_cache.get(key)
    if cached and cached[0] > now:
        return cached[1]
    channel = (
        Channel.objects.filter(uuid=channel_uuid, channel_type=code, is_active=True)
        .select_related("workspace")
        .first()
    )
    if len(_channel_cache) > 10_000:
        _channel_cache.clear()
    _channel_cache[key] = (now + _CACHE_SECONDS, channel)
    return channel


def forget_channel(channel: Channel) -> None:
    """Evict a changed channel from this process's caches (others expire within seconds)."""
    from channels_app import fastpath

    for key in [k for k in _channel_cache if k[1] == channel.uuid]:
        _channel_cache.pop(key, None)
    fastpath.forget_channel(str(channel.uuid))


@csrf_exempt
def channel_webhook(
    request: HttpRequest, type_slug: str, channel_uuid: uuid.UUID, action: str
) -> HttpResponse:
    try:
        channel_type = get_type_by_slug(type_slug)
    except UnknownChannelType:
        return error(f"unknown channel type {type_slug!r}", 404)
    handler = channel_type.views().get(action)
    if handler is None:
        return error(f"unknown action {action!r} for {channel_type.name} channels", 404)
    channel = lookup_channel(channel_type.code, channel_uuid)
    if channel is None:
        return error(f"no active {channel_type.name} channel with uuid {channel_uuid}", 404)
    try:
        return handler(request, channel)
    except RequestDataTooBig:
        return error("request body too large", 413)
    except (BadRequest, InvalidURN) as exc:
        return error(str(exc), 400)
    except MsgNotFound as exc:
        return error(str(exc), 400)
