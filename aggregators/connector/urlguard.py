"""Refuse outbound requests to loopback, private, link-local and other internal addresses.

Connectors are uploaded by workspace admins, so their URLs (and redirects) must not reach the
deployment's internal network (SSRF). Every resolved address must be public; a host that
resolves to *any* internal address is refused. ``GuardedTransport`` applies the check to every
request an httpx client makes, redirects included.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

Resolver = Callable[[str, int], list[str]]


def _system_resolve(host: str, port: int) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def allow_private_from_env() -> bool:
    return os.environ.get("FLOWGATE_ALLOW_PRIVATE_URLS", "") in ("1", "true", "yes")


def _is_internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            ip = mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def url_refusal(url: str, allow_private: bool, resolve: Resolver = _system_resolve) -> str | None:
    """Why ``url`` may not be requested, or None when it may."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        return f"invalid URL: {exc}"
    if parts.scheme not in ("http", "https"):
        return f"scheme '{parts.scheme}' is not allowed (http or https only)"
    host = parts.hostname
    if not host:
        return "the URL has no host"
    if allow_private:
        return None
    try:
        addresses = [host] if _is_ip(host) else resolve(host, port)
    except OSError as exc:
        return f"cannot resolve {host}: {exc}"
    if not addresses:
        return f"cannot resolve {host}"
    for address in addresses:
        if _is_internal(address):
            return f"{host} resolves to {address}, a private/loopback/link-local address"
    return None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return True


def is_url_allowed(url: str, allow_private: bool, resolve: Resolver = _system_resolve) -> bool:
    return url_refusal(url, allow_private, resolve) is None


class URLRefused(httpx.TransportError):
    pass


class GuardedTransport(httpx.BaseTransport):
    """Wraps a transport; checks each request's URL first (redirects pass through here too)."""

    def __init__(self, inner: httpx.BaseTransport, allow_private: bool, resolve: Resolver = _system_resolve):
        self.inner, self.allow_private, self.resolve = inner, allow_private, resolve

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        reason = url_refusal(str(request.url), self.allow_private, self.resolve)
        if reason:
            raise URLRefused(reason, request=request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class AsyncGuardedTransport(httpx.AsyncBaseTransport):
    def __init__(
        self, inner: httpx.AsyncBaseTransport, allow_private: bool, resolve: Resolver = _system_resolve
    ):
        self.inner, self.allow_private, self.resolve = inner, allow_private, resolve

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        import anyio.to_thread  # resolution blocks: keep it off the event loop

        reason = await anyio.to_thread.run_sync(
            url_refusal, str(request.url), self.allow_private, self.resolve
        )
        if reason:
            raise URLRefused(reason, request=request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
