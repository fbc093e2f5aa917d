"""Refuse outbound requests to loopback, private and link-local addresses.

A channel's URLs come from workspace admins; without this guard any admin could make our
workers probe the internal network (SSRF). Deployments that really talk to a private
aggregator set FLOWGATE_ALLOW_PRIVATE_URLS=1.

The checks themselves live in ``aggregators.connector.urlguard`` (one implementation); this
module keeps the exception-raising API the channel types use, bound to Django settings.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from django.conf import settings

from aggregators.connector.urlguard import (
    async_pinned_transport,
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


def outbound_transport(**options: Any) -> httpx.BaseTransport:
    """The transport every outbound request uses: checked URLs, connections pinned to checked addresses."""
    return pinned_transport(bool(settings.FLOWGATE_ALLOW_PRIVATE_URLS), **options)


def async_outbound_transport(**options: Any) -> httpx.AsyncBaseTransport:
    return async_pinned_transport(bool(settings.FLOWGATE_ALLOW_PRIVATE_URLS), **options)
