"""Sending one message through a channel's connector (called by the core send service)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from django import db
from django.conf import settings

from aggregators import services
from aggregators.connector import (
    BuildError,
    build_send_request,
    map_send_response,
    send_uses,
    split_limit,
    url_refusal,
)
from aggregators.connector.split import split_parts
from aggregators.exchange import log_entry
from aggregators.xc import token
from channels_app.attachments import attachment_url, text_with_attachments
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
    # <message_send split="N">: one request per part for providers that do not join long messages.
    try:
        limit = split_limit(connector, fields)
    except BuildError as exc:
        return SendResult(ok=False, error=f"cannot build the request: {exc}")
    # A connector that sends media apart (@body + @media) splits the bare text; else the text
    # with the attachment URLs appended, which is what @message is.
    apart = send_uses(connector, "body") or send_uses(connector, "media")
    whole = msg.text if apart else text
    parts = split_parts(whole, limit) if limit else [whole]
    media = [attachment_url(a) for a in msg.attachments or []]
    logs: list[dict[str, Any]] = []
    external_id: str | None = None
    access_token = ""
    token_was_cached = False
    if connector.provider.token is not None:  # <provider><token>: fetched (or cached) first
        outcome = await token.token_for(channel, connector, fields, client, secrets)
        logs += outcome.log
        if outcome.token is None:
            return SendResult(
                ok=False, retryable=outcome.retryable, error=outcome.error or "no token", log=logs
            )
        access_token, token_was_cached = outcome.token, outcome.cached
        secrets = [*secrets, access_token]
    for i, part in enumerate(parts):
        ctx = {
            "message": part if not apart else text,
            "body": part if apart else msg.text,
            "media": media if i == 0 else [],
            "recipients": [split(msg.urn)[1]],
            "callback": channel.type.urls(channel).get("callback", ""),
            "messageid": msg.uuid,
            # An id per part for providers that refuse a repeated one: our uuid, then uuid.2, uuid.3…
            "part_id": msg.uuid if i == 0 else f"{msg.uuid}.{i + 1}",
            "from": channel.address or "",
            "token": access_token,
        }
        result, http_status = await _send_part(connector, fields, ctx, secrets, client, logs)
        if not result.ok:
            if access_token and http_status == 401:
                await asyncio.to_thread(token.forget, channel)  # the retry fetches a fresh token
                # A cached token may have been revoked or expired early: the message is errored
                # and retried with a new one. A token fetched for this very send that is refused
                # means the credentials are wrong: the message fails like any other 4xx.
                result.retryable = result.retryable or token_was_cached
            return result
        external_id = external_id or result.external_id
    return SendResult(ok=True, external_id=external_id, log=logs)


async def _send_part(
    connector: Any,
    fields: dict[str, Any],
    ctx: dict[str, Any],
    secrets: list[str],
    client: httpx.AsyncClient,
    logs: list[dict[str, Any]],
) -> tuple[SendResult, int]:
    """One request and the HTTP status of its answer (0: none); a failure carries every exchange
    so far (earlier parts included) in its log."""
    try:
        request = build_send_request(connector, fields, ctx)
    except BuildError as exc:
        return SendResult(ok=False, error=f"cannot build the request: {exc}", log=logs), 0
    refusal = await refusal_of(str(request.url))
    if refusal:
        return SendResult(ok=False, error=f"request refused: {refusal}", log=logs), 0
    started = time.monotonic()
    try:
        response = await client.send(request)
    except httpx.TransportError as exc:
        logs.append(log_entry(request, None, secrets, time.monotonic() - started, error=repr(exc)))
        return SendResult(ok=False, retryable=True, error=f"transport error: {exc!r}", log=logs), 0
    result = map_send_response(connector, response)
    logs.append(
        log_entry(
            request,
            response,
            secrets,
            time.monotonic() - started,
            raw_status=result.raw_status,
            mapped_status=result.status,
        )
    )
    if not result.ok:
        return SendResult(
            ok=False,
            retryable=result.retryable,
            error=result.error or f"provider answered HTTP {response.status_code}",
            log=logs,
            opted_out=result.opted_out,
        ), response.status_code
    return SendResult(ok=True, external_id=result.external_id, log=logs), response.status_code
