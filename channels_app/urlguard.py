"""Refuse outbound requests to loopback, private and link-local addresses.

A channel's URLs come from workspace admins; without this guard any admin could make our
workers probe the internal network (SSRF). Deployments that really talk to a private
aggregator set FLOWGATE_ALLOW_PRIVATE_URLS=1.

The checks themselves live in ``infra.urlguard`` (one implementation); this
module keeps the exception-raising API the channel types use, bound to Django settings, and the
client factories every outbound call goes through (`outbound_client`, `async_outbound_client`).
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from infra.urlguard import (
    AsyncGuardedTransport,
    GuardedTransport,
    async_client,
    async_pinned_transport,
    client,
    needs_resolution,
    pinned_transport,
    url_refusal,
)


class URLNotAllowed(ValueError):
    pass


def _refusal(url: str) -> str | None:
    return url_refusal(url, bool(settings.FLOWGATE_ALLOW_PRIVATE_URLS))


async def check_url(url: str) -> None:
    # A DNS lookup blocks: keep it off the event loop. Without one (an address, or private
    # URLs allowed) check inline; a thread hop per request was a large part of a send's CPU.
    if needs_resolution(url, bool(settings.FLOWGATE_ALLOW_PRIVATE_URLS)):
        reason = await asyncio.to_thread(_refusal, url)
    else:
        reason = _refusal(url)
    if reason:
        raise URLNotAllowed(f"{url!r} is not allowed: {reason}")


def check_url_sync(url: str) -> None:
    reason = _refusal(url)
    if reason:
        raise URLNotAllowed(f"{url!r} is not allowed: {reason}")


def config_url_refusal(url: str) -> str | None:
    """Why a URL being saved in a config (channel, webhook, connector, handler) is refused.

    The same rule as at send time, told to the admin when they save instead of failing every
    message later: loopback, private, link-local (cloud metadata) and reserved addresses, unless
    FLOWGATE_ALLOW_PRIVATE_URLS is on. A host that does not resolve right now is let through
    (DNS may be down); the send-time check and the pinned transport still guard it.
    """
    if settings.FLOWGATE_ALLOW_PRIVATE_URLS:
        return None
    try:
        host = urlsplit(url).hostname or ""
    except ValueError as exc:
        return f"invalid URL: {exc}"
    if "{" in host or "@" in host:  # filled per message from a template: checked at send time
        return None
    reason = url_refusal(url, False)
    if reason and (reason.startswith("cannot resolve") or reason.startswith("scheme")):
        return None  # not a private address: format errors are the caller's to report
    if reason:
        return f"{reason}; calls to internal addresses are refused (FLOWGATE_ALLOW_PRIVATE_URLS is off)"
    return None


def outbound_transport(**options: Any) -> httpx.BaseTransport:
    """The transport every outbound request uses: checked URLs, connections pinned to checked addresses."""
    return pinned_transport(bool(settings.FLOWGATE_ALLOW_PRIVATE_URLS), **options)


def async_outbound_transport(**options: Any) -> httpx.AsyncBaseTransport:
    return async_pinned_transport(bool(settings.FLOWGATE_ALLOW_PRIVATE_URLS), **options)


def _allow_private() -> bool:
    return bool(settings.FLOWGATE_ALLOW_PRIVATE_URLS)


def outbound_client(*, transport: httpx.BaseTransport | None = None, **options: Any) -> httpx.Client:
    """The client for a call to a URL an admin or flow author chose: every request's URL is checked
    and connections go only to checked addresses. A given transport (a test's mock) is wrapped in
    the same check, so a refused URL fails the same way in tests as in production."""
    guarded = (
        GuardedTransport(transport, allow_private=_allow_private()) if transport else outbound_transport()
    )
    return client(guarded, **options)


def async_outbound_client(
    *, transport: httpx.AsyncBaseTransport | None = None, **options: Any
) -> httpx.AsyncClient:
    """`outbound_client` for asyncio code."""
    guarded = (
        AsyncGuardedTransport(transport, allow_private=_allow_private())
        if transport
        else async_outbound_transport()
    )
    return async_client(guarded, **options)
