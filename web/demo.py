"""The built-in echo aggregator behind the demo workspace's External API channel.

It plays a phone network: it accepts our send request, reports the message delivered through
the channel's /delivered URL, and sends the contact's echo back through /receive, so a person
trying Flowgate sees a full round trip with no provider account.

The endpoint is public (it plays a provider) but serves only the embedded demo and only the
demo's echo channel: that channel's send URL carries a random key the demo command made, and
each request must name a message that channel really sent. Anything else is refused, so nobody
can fake inbound messages into other workspaces or fill the queue through it.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import httpx
from django.conf import settings

from channels_app import queue
from channels_app.crypto import reveal
from channels_app.models import Channel, Direction, Msg
from infra import urlguard

PATH = "/demo/aggregator/send"

logger = logging.getLogger(__name__)


def is_available() -> bool:
    """Only the embedded default runs the demo (FLOWGATE_DEMO, off when REDIS_URL is set)."""
    return bool(getattr(settings, "FLOWGATE_DEMO", False))


def send_url() -> str:
    """A fresh send URL for the demo's echo channel, with the key that lets it use the endpoint."""
    return f"{settings.FLOWGATE_BASE_URL.rstrip('/')}{PATH}?key={secrets.token_urlsafe(24)}"


def uses_demo_endpoint(url: str) -> bool:
    return urlsplit(url).path.rstrip("/") == PATH


def refusal(params: dict[str, str], key: str) -> str:
    """Why this request may not use the demo aggregator ('' when it may)."""
    try:
        channel_uuid = uuid.UUID(params.get("channel", ""))
        msg_id = int(params.get("id", ""))
    except ValueError:
        return "unknown channel or message"
    channel = Channel.objects.filter(uuid=channel_uuid, channel_type="EX", is_active=True).first()
    expected = ""
    if channel is not None:
        url = str(reveal(channel.config).get("send_url") or "")
        if uses_demo_endpoint(url):
            expected = (parse_qs(urlsplit(url).query).get("key") or [""])[0]
    if not expected or not hmac.compare_digest(expected.encode(), key.encode()):
        return "only the demo workspace's echo channel may use the demo aggregator"
    if not Msg.objects.filter(id=msg_id, channel=channel, direction=Direction.OUT).exists():
        return "unknown channel or message"
    return ""


def accept(params: dict[str, str]) -> None:
    queue.enqueue(
        "default",
        "web.demo.echo",
        params.get("channel", ""),
        params.get("id", ""),
        params.get("to", ""),
        params.get("text", ""),
    )


def echo(channel_uuid: str, msg_id: str, to: str, text: str) -> None:
    base = f"{settings.FLOWGATE_BASE_URL.rstrip('/')}/c/ex/{channel_uuid}"
    time.sleep(0.5)
    try:
        # This server itself (a loopback address in make run): deliberately not the guarded client.
        with urlguard.client(httpx.HTTPTransport(), timeout=10) as client:
            client.post(f"{base}/delivered", data={"id": msg_id})
            if not text.startswith("Echo:"):
                client.post(f"{base}/receive", data={"from": to, "text": f"Echo: {text}"})
    except httpx.HTTPError:
        logger.warning("demo aggregator could not reach %s", base, exc_info=True)
