"""Sending one message through a channel's connector (called by the core send service)."""

from __future__ import annotations

import asyncio
import time

import httpx
from django import db
from django.conf import settings

from aggregators import services
from aggregators.connector import BuildError, build_send_request, map_send_response, url_refusal
from aggregators.exchange import log_entry
from channels_app.attachments import text_with_attachments
from channels_app.crypto import reveal
from channels_app.models import Channel
from channels_app.types.base import OutgoingMessage, SendResult
from channels_app.urns import split


def _resolve_in_thread(workspace_id: int, ref: str) -> services.ResolvedConnector:
    # Runs in an executor thread: give its DB connection back, or every batch would leak one.
    try:
        return services.resolve_cached(workspace_id=workspace_id, ref=ref)
    finally:
        db.connection.close()


async def resolve(channel: Channel) -> services.ResolvedConnector:
    ref = str(channel.config.get("connector") or "")
    hit = services.cached_only(workspace_id=channel.workspace_id, ref=ref)
    if hit is not None:
        return hit
    return await asyncio.to_thread(_resolve_in_thread, channel.workspace_id, ref)


async def refusal_of(url: str) -> str | None:
    """Why the URL may not be requested (SSRF guard); resolution runs off the event loop."""
    if settings.FLOWGATE_ALLOW_PRIVATE_URLS:
        return url_refusal(url, True)  # no DNS needed: only the scheme and host are checked
    return await asyncio.to_thread(url_refusal, url, False)


async def send(channel: Channel, msg: OutgoingMessage, client: httpx.AsyncClient) -> SendResult:
    try:
        resolved = await resolve(channel)
    except services.ConnectorNotFound as exc:
        return SendResult(ok=False, error=f"connector unavailable: {exc}")
    connector = resolved.parsed
    fields = reveal(channel.config.get("fields") or {})  # stored encrypted
    secrets = services.secret_values(connector, fields)
    text = text_with_attachments(msg.text, msg.attachments)
    ctx = {
        "message": text,
        "recipients": [split(msg.urn)[1]],
        "callback": channel.type.urls(channel).get("callback", ""),
        "messageid": msg.uuid,
        "from": channel.address or "",
    }
    try:
        request = build_send_request(connector, fields, ctx)
    except BuildError as exc:
        return SendResult(ok=False, error=f"cannot build the request: {exc}")
    refusal = await refusal_of(str(request.url))
    if refusal:
        return SendResult(ok=False, error=f"request refused: {refusal}")
    started = time.monotonic()
    try:
        response = await client.send(request)
    except httpx.TransportError as exc:
        entry = log_entry(request, None, secrets, time.monotonic() - started, error=repr(exc))
        return SendResult(ok=False, retryable=True, error=f"transport error: {exc!r}", log=[entry])
    result = map_send_response(connector, response)
    entry = log_entry(
        request,
        response,
        secrets,
        time.monotonic() - started,
        raw_status=result.raw_status,
        mapped_status=result.status,
    )
    if not result.ok:
        return SendResult(
            ok=False,
            retryable=result.retryable,
            error=result.error or f"provider answered HTTP {response.status_code}",
            log=[entry],
            opted_out=result.opted_out,
        )
    return SendResult(ok=True, external_id=result.external_id, log=[entry])
