"""Refuse outbound requests to loopback, private and link-local addresses.

A channel's URLs come from workspace admins; without this guard any admin could make our
workers probe the internal network (SSRF). Deployments that really talk to a private
aggregator set FLOWGATE_ALLOW_PRIVATE_URLS=1.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class URLNotAllowed(ValueError):
    pass


def _check_addresses(host: str, addresses: list[str]) -> None:
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if (
            ip.is_private
            or ip.is_loopback
            or ip.is_link_local
            or ip.is_reserved
            or ip.is_multicast
            or ip.is_unspecified
        ):
            raise URLNotAllowed(f"{host} resolves to a private or local address ({ip}); not allowed here")


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise URLNotAllowed(f"{url!r} is not an http(s) URL")
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


async def check_url(url: str) -> None:
    host, port = _host_port(url)
    if settings.FLOWGATE_ALLOW_PRIVATE_URLS:
        return
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise URLNotAllowed(f"cannot resolve {host}: {exc}") from None
    _check_addresses(host, [str(info[4][0]) for info in infos])


def check_url_sync(url: str) -> None:
    host, port = _host_port(url)
    if settings.FLOWGATE_ALLOW_PRIVATE_URLS:
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise URLNotAllowed(f"cannot resolve {host}: {exc}") from None
    _check_addresses(host, [str(info[4][0]) for info in infos])
