"""The single entry point for provider webhooks: /c/<type-slug>/<channel-uuid>/<action>.

It resolves the channel (cached: this is the hottest path), dispatches to the type's handler
and turns every bad-input exception into a clear 4xx JSON answer — never a 500.
"""

from __future__ import annotations

import logging
import time
import uuid

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, DataError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from channels_app import inbound_auth, spool
from channels_app.models import Channel
from channels_app.services.ingest import InvalidInbound
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


def unavailable(message: str) -> JsonResponse:
    """503 + Retry-After: the provider keeps the message and retries it later."""
    response = error(f"temporarily unable to store the message, retry: {message}", 503)
    response["Retry-After"] = str(spool.RETRY_AFTER_SECONDS)
    return response


def refuse(denied: inbound_auth.Denied) -> JsonResponse:
    response = error(denied.message, denied.status)
    for name, value in denied.headers.items():
        response[name] = value
    return response


def lookup_channel(code: str, channel_uuid: uuid.UUID) -> Channel | None:
    key = (code, channel_uuid)
    now = time.monotonic()
    cached = _channel_cache.get(key)
    if cached and cached[0] > now:
        return cached[1]
    if spool.db_recently_down():
        return spool.recall_channel(code, str(channel_uuid))
    try:
        channel = (
            Channel.objects.filter(uuid=channel_uuid, channel_type=code, is_active=True)
            .select_related("workspace")
            .first()
        )
    except DatabaseError as exc:
        if not spool.is_outage(exc):
            raise
        spool.mark_db_down()  # answer from the channels this process has seen (or 503)
        return spool.recall_channel(code, str(channel_uuid))
    if channel is not None:
        spool.remember_channel(channel)
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
    spool.forget_channel(str(channel.uuid))


@csrf_exempt
def channel_webhook(
    request: HttpRequest, type_slug: str, channel_uuid: uuid.UUID, action: str
) -> HttpResponse:
    try:
        channel_type = get_type_by_slug(type_slug)
    except UnknownChannelType:
        return error(f"page not found: unknown channel type {type_slug!r}", 404)
    handler = channel_type.views().get(action)
    if handler is None:
        return error(f"page not found: unknown action {action!r} for {channel_type.name} channels", 404)
    try:
        channel = lookup_channel(channel_type.code, channel_uuid)
        if channel is None:
            return error(f"no active {channel_type.name} channel with uuid {channel_uuid}", 404)
        if inbound_auth.mode_of(channel) != "none":  # checked before anything is read or stored
            denied = inbound_auth.check(channel, inbound_auth.from_django(request))
            if denied is not None:
                return refuse(denied)
        return handler(request, channel)
    except (spool.SpoolUnavailable, spool.UnknownDuringOutage) as exc:
        return unavailable(str(exc))
    except DataError as exc:  # e.g. a NUL byte in a value a type stores: bad input, not an outage
        logger.info("webhook input refused by the database: %s", exc)
        return error("the request holds a value that cannot be stored (a NUL character or too long)", 400)
    except DatabaseError as exc:
        if not spool.is_outage(exc):
            raise
        spool.mark_db_down()
        return unavailable("the database is unavailable")
    except RequestDataTooBig:
        return error("request body too large", 413)
    except (BadRequest, InvalidURN, InvalidInbound) as exc:
        return error(str(exc), 400)
    except MsgNotFound as exc:
        return error(str(exc), 400)
