"""Sending through an External API channel: one HTTP request per part."""

from __future__ import annotations

import time
from typing import Any

import httpx
import phonenumbers

from aggregators.external.encoding import prepare_text, split_text
from aggregators.external.template import CONTENT_TYPES, DEFAULT_BODIES, body_format, render, render_url
from channels_app.attachments import text_with_attachments
from channels_app.crypto import reveal
from channels_app.models import Channel
from channels_app.types.base import OutgoingMessage, SendResult
from channels_app.urlguard import URLNotAllowed, check_url
from channels_app.urns import split
from infra.httplog import exchange_entry


def national_number(number: str, country: str) -> str:
    """The national significant number (`+250788383383` -> `788383383`), as courier's `use_national`."""
    try:
        parsed = phonenumbers.parse(number, country.upper() or None)
    except phonenumbers.NumberParseException:
        return number.lstrip("+")
    return phonenumbers.national_significant_number(parsed) or number.lstrip("+")


def template_values(channel: Channel, msg: OutgoingMessage, text: str) -> dict[str, str]:
    to = split(msg.urn)[1]
    sender = channel.address or ""
    to_national = national_number(to, channel.country or "")
    national = bool(channel.config.get("use_national"))
    return {
        "text": text,
        "to": to_national if national else to,
        "to_no_plus": to_national if national else to.lstrip("+"),
        "to_national": to_national,
        "from": sender,
        "from_no_plus": sender.lstrip("+"),
        "id": str(msg.id),
        "uuid": msg.uuid,
        "channel": str(channel.uuid),
    }


def build_request(
    channel: Channel, msg: OutgoingMessage, text: str, quick_replies: list[str] | None = None
) -> httpx.Request:
    """One part's request; `quick_replies` go only on the last part (the caller decides)."""
    config = reveal(channel.config)  # secrets are stored encrypted
    content_type = config.get("content_type") or "urlencoded"
    method = (config.get("method") or "POST").upper()
    values = template_values(channel, msg, text)
    replies = quick_replies or []
    url = render_url(config["send_url"], values, replies)
    headers = {str(k): str(v) for k, v in (config.get("headers") or {}).items()}
    if config.get("send_authorization"):
        headers["Authorization"] = config["send_authorization"]
    # Courier names the content type on every request, GET included; some gateways route on it.
    mime = config.get("custom_content_type") if content_type == "custom" else CONTENT_TYPES.get(content_type)
    body: bytes | None = None
    if method in ("POST", "PUT"):
        template = config.get("body") or DEFAULT_BODIES.get(content_type, "")
        fmt = body_format(content_type, config.get("custom_content_type") or "")
        body = render(template, values, fmt, replies).encode()
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
    text = text_with_attachments(prepare_text(msg.text, config.get("encoding") or "default"), msg.attachments)
    parts = split_text(text, int(config.get("max_length") or 160))
    check = config.get("mt_response_check") or ""
    log: list[dict[str, Any]] = []
    sent = msg.parts_sent
    for index, part in enumerate(parts[sent:], start=sent):
        # Quick replies ride on the last part, as courier sends them.
        last = index == len(parts) - 1
        request = build_request(channel, msg, part, msg.quick_replies if last else [])
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
            # Errored, not failed: courier and mailroom retry any non-2xx with backoff (a 401
            # after a key rotation, a 404 during a provider's deploy) before giving up.
            reason = response.text.strip()[:200]
            return SendResult(
                ok=False,
                retryable=True,
                error=f"provider answered HTTP {status}: {reason}".rstrip(": "),
                log=log,
                parts_sent=sent,
            )
        if check and check not in response.text:
            return SendResult(
                ok=False,
                retryable=True,
                error=f"provider response does not contain {check!r}",
                log=log,
                parts_sent=sent,
            )
        sent += 1
    return SendResult(ok=True, parts=len(parts), parts_sent=sent, log=log)
