"""The probe channel type: it records what it is asked to send and answers each message with a
scripted SendResult or exception, so the send path runs for real without a provider. The
`probe` fixture (tests/channels_app/conftest.py) registers one for a single test; `queue_texts`
and `fresh` are the send tests' shared helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from channels_app.models import Channel, Msg
from channels_app.services.send import queue_message
from channels_app.types.base import ChannelType, OutgoingMessage, SendResult

Answer = SendResult | BaseException | Callable[[OutgoingMessage], SendResult]


class Probe(ChannelType):
    code = "ZP"
    slug = "zp"
    name = "Probe"
    schemes = ("tel", "ext")
    tps = 0.0

    def __init__(self) -> None:
        self.seen: list[OutgoingMessage] = []
        self.clients: list[httpx.AsyncClient] = []
        self.answers: dict[str, Answer] = {}  # by text; default: sent
        self.default: Answer = SendResult(ok=True)

    def max_tps(self, channel: Channel) -> float:
        return self.tps

    async def send(self, channel: Channel, msg: OutgoingMessage, client: httpx.AsyncClient) -> SendResult:
        self.seen.append(msg)
        self.clients.append(client)
        answer = self.answers.get(msg.text, self.default)
        if isinstance(answer, BaseException):
            raise answer
        if callable(answer):
            return answer(msg)
        return answer


def fresh(msg: Msg) -> Msg:
    """The message as stored now."""
    return Msg.objects.get(id=msg.id)


def queue_texts(channel: Channel, *texts: str, **kwargs: Any) -> list[Msg]:
    """One queued message per text on `channel`, each to a new contact."""
    first = Msg.objects.count()
    return [
        queue_message(channel=channel, to=f"+25078855{first + i:04d}", text=text, **kwargs)
        for i, text in enumerate(texts)
    ]
