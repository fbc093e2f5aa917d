"""Websockets open only from our own pages: the Origin must be this site.

A websocket handshake carries the session cookie whatever page opened it, and browsers do not
apply the same-origin policy to websockets: without this check any site a logged-in person
visits could read their workspace's live events or drive the simulator. Allowed: the origin of
the Host the request came to, of FLOWGATE_BASE_URL, and of CSRF_TRUSTED_ORIGINS. A handshake
without an Origin header comes from a program, not a browser page, and still needs the session.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def _origin_key(url: str) -> tuple[str, int] | None:
    parts = urlsplit(url.strip())
    if not parts.hostname or parts.scheme not in _DEFAULT_PORTS:
        return None
    try:
        port = parts.port or _DEFAULT_PORTS[parts.scheme]
    except ValueError:
        return None
    return parts.hostname.lower(), port


def allowed_origin(origin: str | None, host: str | None) -> bool:
    if origin is None:
        return True
    key = _origin_key(origin)
    if key is None:  # "null" (sandboxed pages, file://) or garbage
        return False
    scheme = urlsplit(origin).scheme
    own = [settings.FLOWGATE_BASE_URL, *getattr(settings, "CSRF_TRUSTED_ORIGINS", [])]
    if host:
        own.append(f"{scheme}://{host}")
    return any(_origin_key(candidate) == key for candidate in own)


class SameOriginWebsockets:
    """ASGI middleware refusing websocket handshakes from other sites' pages (closed with 403)."""

    def __init__(self, app: Callable[..., Awaitable[Any]]) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket":
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
            if not allowed_origin(headers.get("origin"), headers.get("host")):
                return await WebsocketDenier()(scope, receive, send)
        return await self.app(scope, receive, send)
