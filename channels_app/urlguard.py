"""Refuse outbound requests to loopback, private and link-local addresses.

A channel's URLs come from workspace admins; without this guard any admin could make our
workers probe the internal network (SSRF). Deployments that really talk to a private
aggregator set FLOWGATE_ALLOW_PRIVATE_URLS=1.

The checks themselves live in ``aggregators.connector.urlguard`` (one implementation); this
module keeps the exception-raising API the channel types use, bound to Django settings.
"""

from __future__ import annotations

import asyncio

from django.conf import settings

from aggregators.connector.urlguard import url_refusal


class URLNotAllowed(ValueError):
    pass


def _refusal(url: str) -> str | None:
    return url_refusal(url, bool(settings.FLOWGATE_ALLOW_PRIVATE_URLS))


async def check_url(url: str) -> None:
    # Resolution blocks: keep it off the event loop.
    reason = await asyncio.to_thread(_refusal, url)
    if reason:
        raise URLNotAllowed(f"{url!r} is not allowed: {reason}")


def check_url_sync(url: str) -> None:
    reason = _refusal(url)
    if reason:
        raise URLNotAllowed(f"{url!r} is not allowed: {reason}")
