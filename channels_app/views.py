"""The Django adapter of the inbound edge: /c/<type-slug>/<channel-uuid>/<action>.

It finds the type's handler, resolves the channel (channels_app.inbound.resolver), checks the
channel's inbound authentication and answers every refusal from the shared table
(channels_app.inbound.errors) — never a 500 for bad input. Receive posts on PostgreSQL are
usually answered by the ASGI fast path (channels_app.fastpath) before they reach Django.
"""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from channels_app import inbound_auth
from channels_app.inbound import errors, resolver
from channels_app.types.registry import UnknownChannelType, get_type_by_slug

error = errors.error


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
        channel = resolver.resolve(channel_type.code, channel_uuid)
        if channel is None:
            return error(f"no active {channel_type.name} channel with uuid {channel_uuid}", 404)
        if inbound_auth.mode_of(channel) != "none":  # checked before anything is read or stored
            denied = inbound_auth.check(channel, inbound_auth.from_django(request))
            if denied is not None:
                return errors.response(errors.Refusal(denied.status, denied.message, denied.headers))
        return handler(request, channel)
    except Exception as exc:
        refusal = errors.refusal_for(exc)
        if refusal is None:
            raise
        return errors.response(refusal)
