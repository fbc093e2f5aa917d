"""The built-in echo aggregator behind the demo workspace's External API channel.

It plays a phone network: it accepts our send request, reports the message delivered through
the channel's /delivered URL, and sends the contact's echo back through /receive, so a person
trying Flowgate sees a full round trip with no provider account.
"""

from __future__ import annotations

import logging
import time

import httpx
from django.conf import settings

from channels_app import queue

logger = logging.getLogger(__name__)


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
        with httpx.Client(timeout=10) as client:
            client.post(f"{base}/delivered", data={"id": msg_id})
            if not text.startswith("Echo:"):
                client.post(f"{base}/receive", data={"from": to, "text": f"Echo: {text}"})
    except httpx.HTTPError:
        logger.warning("demo aggregator could not reach %s", base, exc_info=True)
