"""Access tokens of connectors with a `<provider><token>` request, cached per channel in Redis.

Providers such as Hormuud and MTN want a bearer token obtained from a token endpoint before any
send. The token is fetched on first use, kept until a little before it expires, and shared by
every worker; a send answered 401 forgets it, so the retry fetches a fresh one. The cache key
holds a digest of the token request (URL and body), so changed credentials never reuse an old
token.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from aggregators.connector import BuildError, build_token_request, map_token_response
from aggregators.exchange import log_entry
from channels_app import queue
from channels_app.models import Channel

KEY_PREFIX = "flowgate:xc-token:"
# A token is dropped this long before the provider says it expires, so a send never carries one
# that dies in flight (tokens living less than twice this are kept for half their life).
EARLY_SECONDS = 60


@dataclass
class TokenOutcome:
    token: str | None
    error: str | None = None
    retryable: bool = False
    log: list[dict[str, Any]] = field(default_factory=list)
    # Taken from the cache rather than fetched for this send: a 401 may mean it went stale.
    cached: bool = False


def _key(channel: Channel, request: httpx.Request) -> str:
    digest = hashlib.sha256(str(request.url).encode() + b"\n" + (request.content or b"")).hexdigest()[:16]
    return f"{KEY_PREFIX}{channel.uuid}:{digest}"


def _cache_seconds(expires_in: int) -> int:
    if expires_in > 2 * EARLY_SECONDS:
        return expires_in - EARLY_SECONDS
    return max(1, expires_in // 2)


def _read(key: str) -> str | None:
    value = queue.connection().get(key)
    return value.decode() if isinstance(value, bytes) else value


def _write(key: str, token: str, seconds: int) -> None:
    queue.connection().set(key, token, ex=seconds)


def forget(channel: Channel) -> None:
    """Drop the channel's cached tokens (the provider refused one: 401)."""
    redis = queue.connection()
    for key in redis.scan_iter(f"{KEY_PREFIX}{channel.uuid}:*"):
        redis.delete(key)


async def token_for(
    channel: Channel, connector: Any, fields: dict[str, Any], client: httpx.AsyncClient, secrets: list[str]
) -> TokenOutcome:
    """The channel's token: from the cache, else fetched with the connector's `<token>` request."""
    from aggregators.xc.sender import refusal_of  # the same SSRF guard as sends

    try:
        request = build_token_request(connector, fields)
    except BuildError as exc:
        return TokenOutcome(None, f"cannot build the token request: {exc}")
    key = _key(channel, request)
    cached = await asyncio.to_thread(_read, key)
    if cached:
        return TokenOutcome(cached, cached=True)
    refusal = await refusal_of(str(request.url))
    if refusal:
        return TokenOutcome(None, f"token request refused: {refusal}")
    started = time.monotonic()
    try:
        response = await client.send(request)
    except httpx.TransportError as exc:
        entry = log_entry(request, None, secrets, time.monotonic() - started, error=repr(exc))
        return TokenOutcome(None, f"token request transport error: {exc!r}", True, [entry])
    answer = map_token_response(connector.provider.token, response)
    # The token is a secret like the channel's password: masked in the exchange log.
    entry = log_entry(request, response, [*secrets, *([answer.token] if answer.token else [])],
                      time.monotonic() - started)  # fmt: skip
    if answer.token is None:
        return TokenOutcome(None, answer.error, answer.retryable, [entry])
    await asyncio.to_thread(_write, key, answer.token, _cache_seconds(answer.expires_in))
    return TokenOutcome(answer.token, log=[entry])
