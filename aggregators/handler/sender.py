"""Sending through a handler app: one form POST to its HANDLER, the way Bitrix calls it."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import httpx
from django.db import connections

from aggregators.handler.auth import (
    ACCESS_TOKEN_SECONDS,
    SCOPE,
    client_endpoint,
    domain,
    handler_access_token,
    reused_access_token,
    server_endpoint,
)
from channels_app.attachments import text_with_attachments
from channels_app.crypto import reveal
from channels_app.models import Channel
from channels_app.types.base import OutgoingMessage, SendResult
from channels_app.urlguard import URLNotAllowed, check_url
from channels_app.urns import split
from infra.httplog import exchange_entry

# What Bitrix24 puts in module_id for messages sent from CRM (the seed's example), and the
# binding type of a CRM contact; auth[status] "L" marks a local (not catalogue) application.
MODULE_ID = "crm"
OWNER_TYPE_CONTACT = 3
APP_STATUS = "L"


def message_id(msg: OutgoingMessage) -> str:
    """The 32-hex id the app reports statuses with (our message uuid without dashes)."""
    return uuid.UUID(msg.uuid).hex


def build_form(
    channel: Channel, msg: OutgoingMessage, *, access_token: str, now: float | None = None
) -> list[tuple[str, str]]:
    config = reveal(channel.config)  # the application token is stored encrypted
    to = split(msg.urn)[1]
    text = text_with_attachments(msg.text, msg.attachments)
    # Bitrix's documented handler payload, field for field and in its order (message-service
    # REST seed): the message is bound to its contact as CRM binds it (OWNER_TYPE_ID 3 = contact).
    return [
        ("module_id", MODULE_ID),
        ("bindings[0][OWNER_TYPE_ID]", str(OWNER_TYPE_CONTACT)),
        ("bindings[0][OWNER_ID]", str(msg.contact_id or 0)),
        ("properties[phone_number]", to),
        ("properties[message_text]", text),
        ("type", str(config.get("sender_type") or "SMS")),
        ("code", str(config.get("code") or "")),
        ("message_id", message_id(msg)),
        ("message_to", to),
        ("message_body", text),
        ("ts", str(int(now if now is not None else time.time()))),
        *auth_fields(config, access_token=access_token),
    ]


def auth_fields(config: dict[str, Any], *, access_token: str) -> list[tuple[str, str]]:
    """The auth[...] block Bitrix sends with every call to an app (handler calls and events)."""
    return [
        ("auth[access_token]", access_token),
        ("auth[expires_in]", str(ACCESS_TOKEN_SECONDS)),
        ("auth[scope]", SCOPE),
        ("auth[domain]", domain()),
        ("auth[server_endpoint]", server_endpoint()),
        ("auth[status]", APP_STATUS),
        ("auth[client_endpoint]", client_endpoint()),
        ("auth[member_id]", str(config.get("member_id") or "")),
        ("auth[user_id]", str(config.get("user_id") or 1)),
        ("auth[application_token]", str(config.get("application_token") or "")),
    ]


async def access_token_for(channel: Channel) -> str:
    """A valid access token for the channel's app; a new one is written from a worker thread."""
    app_id = _app_id(channel)
    token = reused_access_token(workspace_id=channel.workspace_id, app_id=app_id)
    if token is not None:
        return token

    def mint_in_thread() -> str:
        try:
            return handler_access_token(workspace_id=channel.workspace_id, app_id=app_id)
        finally:
            connections.close_all()  # this thread's connections only: it is not reused for queries

    return await asyncio.to_thread(mint_in_thread)


def _app_id(channel: Channel) -> int | None:
    # Kept in the config at registration so the async sender needs no database query.
    value = channel.config.get("app_id")
    return int(value) if value else None


def _log(
    url: str, body: str, response: httpx.Response | None, elapsed: float, error: str = ""
) -> dict[str, Any]:
    # the form carries live tokens: never keep them in the message log
    kept = body.split("&auth%5Baccess_token%5D=")[0]
    return exchange_entry(
        method="POST", url=url, request_body=kept, response=response, elapsed=elapsed, error=error
    )


async def send(channel: Channel, msg: OutgoingMessage, client: httpx.AsyncClient) -> SendResult:
    handler = str(channel.config.get("handler") or "")
    if not handler:
        return SendResult(ok=False, error="the sender has no HANDLER")
    try:
        await check_url(handler)
    except URLNotAllowed as exc:
        return SendResult(ok=False, error=str(exc))
    body = urlencode(build_form(channel, msg, access_token=await access_token_for(channel)))
    started = time.monotonic()
    try:
        response = await client.post(
            handler, content=body.encode(), headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
    except httpx.TransportError as exc:
        log = [_log(handler, body, None, time.monotonic() - started, repr(exc))]
        return SendResult(ok=False, retryable=True, error=f"transport error: {exc!r}", log=log)
    log = [_log(handler, body, response, time.monotonic() - started)]
    status = response.status_code
    if status == 429 or status >= 500:
        return SendResult(ok=False, retryable=True, error=f"handler answered HTTP {status}", log=log)
    if not 200 <= status < 300:
        reason = response.text.strip()[:200]
        return SendResult(ok=False, error=f"handler answered HTTP {status}: {reason}".rstrip(": "), log=log)
    return SendResult(ok=True, external_id=message_id(msg), log=log)
