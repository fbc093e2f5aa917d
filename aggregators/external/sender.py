"""Sending through an External API channel: one HTTP request per part."""

from __future__ import annotations

import time
from typing import Any

import httpx

from aggregators.external.encoding import prepare_text, split_text
from aggregators.external.template import CONTENT_TYPES, DEFAULT_BODIES, render, render_url
from channels_app.crypto import reveal
from channels_app.httplog import exchange_entry
from channels_app.models import Channel
from channels_app.types.base import OutgoingMessage, SendResult
from channels_app.urlguard import URLNotAllowed, check_url
from channels_app.urns import split


def template_values(channel: Channel, msg: OutgoingMessage, text: str) -> dict[str, str]:
    to = split(msg.urn)[1]
    sender = channel.address or ""
    return {
        "text": text,
        "to": to,
        "to_no_plus": to.lstrip("+"),
        "from": sender,
        "from_no_plus": sender.lstrip("+"),
        "id": str(msg.id),
        "uuid": msg.uuid,
        "channel": str(channel.uuid),
    }


def build_request(channel: Channel, msg: OutgoingMessage, text: str) -> httpx.Request:
    config = reveal(channel.config)  # secrets are stored encrypted
    content_type = config.get("content_type") or "urlencoded"
    method = (config.get("method") or "POST").upper()
    values = template_values(channel, msg, text)
    url = render_url(config["send_url"], values)
    headers = {str(k): str(v) for k, v in (config.get("headers") or {}).items()}
    if config.get("send_authorization"):
        headers["Authorization"] = config["send_authorization"]
    body: bytes | None = None
    if method in ("POST", "PUT"):
        template = config.get("body") or DEFAULT_BODIES.get(content_type, "")
        body = render(template, values, content_type).encode()
        mime = (
            config.get("custom_content_type") if content_type == "custom" else CONTENT_TYPES.get(content_type)
        )
        if mime and not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = mime
    return httpx.Request(method, url, headers=headers, content=body)


def _log_entry(
    request: httpx.Request, response: httpx.Response | None, elapsed: float, error: str = ""
) -> dict[str, Any]:
    return exchange_entry(
        method=request.method, url=str(request.url), request_body=(request.content or b"").decode(errors="replace"),
        response=response, elapsed=elapsed, error=error,
    )  # fmt: skip


async def send(channel: Channel, msg: OutgoingMessage, client: httpx.AsyncClient) -> SendResult:
    config = channel.config
    if not config.get("send_url"):
        return SendResult(ok=False, error="the channel has no send_url configured")
    text = prepare_text(msg.text, config.get("encoding") or "default")
    if msg.attachments:
        text = "\n".join([text, *msg.attachments]).strip()
    parts = split_text(text, int(config.get("max_length") or 160))
    check = config.get("mt_response_check") or ""
    log: list[dict[str, Any]] = []
    sent = msg.parts_sent
    for part in parts[sent:]:
        request = build_request(channel, msg, part)
        try:
            await check_url(str(request.url))
        except URLNotAllowed as exc:
            return SendResult(ok=False, error=str(exc), log=log, parts_sent=sent)
        started = time.monotonic()
        try:
            response = await client.send(request)
        except httpx.TransportError as exc:
            log.append(_log_entry(request, None, time.monotonic() - started, repr(exc)))
            return SendResult(
                ok=False, retryable=True, error=f"transport error: {exc!r}", log=log, parts_sent=sent
            )
        log.append(_log_entry(request, response, time.monotonic() - started))
        status = response.status_code
        if status == 429 or status >= 500:
            return SendResult(
                ok=False, retryable=True, error=f"provider answered HTTP {status}", log=log, parts_sent=sent
            )
        if not 200 <= status < 300:
            reason = response.text.strip()[:200]
            return SendResult(
                ok=False,
                error=f"provider answered HTTP {status}: {reason}".rstrip(": "),
                log=log,
                parts_sent=sent,
            )
        if check and check not in response.text:
            return SendResult(
                ok=False, error=f"provider response does not contain {check!r}", log=log, parts_sent=sent
            )
        sent += 1
    return SendResult(ok=True, parts=len(parts), parts_sent=sent, log=log)
