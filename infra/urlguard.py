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
from typing import Any
from urllib.parse import urlsplit

import httpcore
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


def needs_resolution(url: str, allow_private: bool) -> bool:
    """Whether checking ``url`` means a DNS lookup (which blocks): not when private addresses
    are allowed or the host is an address. Async callers hop to a thread only when it does."""
    if allow_private:
        return False
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    return bool(host) and not _is_ip(host or "")


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

        url = str(request.url)
        if needs_resolution(url, self.allow_private):
            reason = await anyio.to_thread.run_sync(url_refusal, url, self.allow_private, self.resolve)
        else:
            reason = url_refusal(url, self.allow_private, self.resolve)
        if reason:
            raise URLRefused(reason, request=request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


# --- Connect-time pinning (DNS rebinding) -------------------------------------------------------
# Checking a URL and then letting httpx resolve the host again leaves a window: a hostile DNS
# server can answer "public" to the check and "127.0.0.1" to the connection. These network
# backends resolve once, refuse if any address is internal, and connect to an address they
# checked. TLS still verifies the certificate against the URL's host name, because httpcore
# passes the origin's host as server_hostname, not the address we connected to.


def _checked_addresses(host: str, port: int, resolve: Resolver) -> list[str]:
    addresses = [host] if _is_ip(host) else resolve(host, port)
    if not addresses:
        raise URLRefused(f"cannot resolve {host}")
    for address in addresses:
        if _is_internal(address):
            raise URLRefused(f"{host} resolves to {address}, a private/loopback/link-local address")
    return addresses


class PinnedBackend(httpcore.NetworkBackend):
    def __init__(self, resolve: Resolver = _system_resolve) -> None:
        self.inner, self.resolve = httpcore.SyncBackend(), resolve

    def connect_tcp(  # type: ignore[override]
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        **kwargs: Any,
    ) -> httpcore.NetworkStream:
        addresses = _checked_addresses(host, port, self.resolve)
        return self.inner.connect_tcp(addresses[0], port, timeout, local_address, **kwargs)

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class AsyncPinnedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, resolve: Resolver = _system_resolve) -> None:
        self.inner, self.resolve = httpcore.AnyIOBackend(), resolve

    async def connect_tcp(  # type: ignore[override]
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        **kwargs: Any,
    ) -> httpcore.AsyncNetworkStream:
        import anyio.to_thread  # resolution blocks: keep it off the event loop

        addresses = await anyio.to_thread.run_sync(_checked_addresses, host, port, self.resolve)
        return await self.inner.connect_tcp(addresses[0], port, timeout, local_address, **kwargs)

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def pinned_transport(
    allow_private: bool, resolve: Resolver = _system_resolve, **options: Any
) -> httpx.BaseTransport:
    """An httpx transport whose connections only ever reach addresses the guard checked."""
    transport = httpx.HTTPTransport(**options)
    if not allow_private:
        # httpx exposes no public hook for the network backend; the pool's attribute is stable
        # across httpcore 1.x and a test fails loudly if it ever stops taking effect.
        transport._pool._network_backend = PinnedBackend(resolve)
    return GuardedTransport(transport, allow_private, resolve)


def async_pinned_transport(
    allow_private: bool, resolve: Resolver = _system_resolve, **options: Any
) -> httpx.AsyncBaseTransport:
    transport = httpx.AsyncHTTPTransport(**options)
    if not allow_private:
        transport._pool._network_backend = AsyncPinnedBackend(resolve)
    return AsyncGuardedTransport(transport, allow_private, resolve)


def client(transport: httpx.BaseTransport, **options: Any) -> httpx.Client:
    """The one constructor of synchronous httpx clients; redirects are never followed (a redirect
    could lead a checked URL to an internal one). Callers pass the transport they mean: a guarded
    one for outbound calls (channels_app.urlguard.outbound_client), a mock for dry runs."""
    return httpx.Client(transport=transport, follow_redirects=False, **options)


def async_client(transport: httpx.AsyncBaseTransport, **options: Any) -> httpx.AsyncClient:
    """`client` for asyncio code."""
    return httpx.AsyncClient(transport=transport, follow_redirects=False, **options)
