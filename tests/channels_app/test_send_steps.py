"""The claim/send service through a probe channel type that records what it is asked to send.

The probe (registered for one test at a time) answers each message with a scripted SendResult
or exception, so the whole path — claim, wire, _send_one, record_results, _mark_sent — runs for
real against the database without a provider. One transaction per test, no servers: these are
the first tests `make mutation` runs over channels_app/services/send.py (issue 26).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from django.utils import timezone

from channels_app.models import Channel, Msg, MsgStatus
from channels_app.queue import get_queue
from channels_app.services import send
from channels_app.services.send import queue_message
from channels_app.types import registry
from channels_app.types.base import ChannelType, OutgoingMessage, SendResult
from channels_app.workspaces import create_workspace

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


@pytest.fixture
def probe(monkeypatch: pytest.MonkeyPatch) -> Probe:
    instance = Probe()
    monkeypatch.setitem(registry._types, Probe.code, instance)
    return instance


@pytest.fixture
def channel(db: None, probe: Probe) -> Channel:
    workspace, _ = create_workspace(name="Steps NGO")
    return Channel.objects.create(
        workspace=workspace, channel_type=Probe.code, name="Probe", address="+250788000000", country="RW"
    )


def _fresh(msg: Msg) -> Msg:
    return Msg.objects.get(id=msg.id)


def _queue(channel: Channel, *texts: str, **kwargs: Any) -> list[Msg]:
    first = Msg.objects.count()
    return [
        queue_message(channel=channel, to=f"+25078855{first + i:04d}", text=text, **kwargs)
        for i, text in enumerate(texts)
    ]


def _drain(channel: Channel) -> int:
    return send.send_channel(
        channel_id=channel.id, transport=httpx.MockTransport(lambda r: httpx.Response(500))
    )


# --- queueing ---------------------------------------------------------------------------------


def test_queue_message_stores_what_it_is_given_and_wakes_the_sender_after_commit(
    channel: Channel, django_capture_on_commit_callbacks: Any
) -> None:
    sends = get_queue("send")
    with django_capture_on_commit_callbacks(execute=True):
        inbound = Msg.objects.create(
            workspace_id=channel.workspace_id,
            channel=channel,
            urn="tel:+250788550099",
            direction="in",
            status=MsgStatus.HANDLED,
            text="question",
            created_on=timezone.now(),
        )
        msg = queue_message(
            channel=channel,
            to="+250788550099",
            text="answer",
            attachments=["image/png:http://x/a.png"],
            metadata={"quick_replies": ["Yes"]},
            response_to=inbound,
        )
        assert sends.count == 0  # not before the message is visible
    fresh = _fresh(msg)
    assert (fresh.text, fresh.attachments, fresh.metadata) == (
        "answer",
        ["image/png:http://x/a.png"],
        {"quick_replies": ["Yes"]},
    )
    assert (fresh.response_to_id, fresh.urn, fresh.status, fresh.direction) == (
        inbound.id,
        "tel:+250788550099",
        MsgStatus.QUEUED,
        "out",
    )
    assert fresh.workspace_id == channel.workspace_id and fresh.channel_id == channel.id
    assert [job.args for job in sends.jobs] == [(channel.id,)]


def test_send_one_hands_the_type_every_field_of_the_message(channel: Channel, probe: Probe) -> None:
    [msg] = _queue(channel, "hello", metadata={"quick_replies": ["Yes", {"text": "No"}], "parts_sent": 2})
    assert _drain(channel) == 1
    [out] = probe.seen
    assert out == OutgoingMessage(
        id=msg.id,
        uuid=str(msg.uuid),
        text="hello",
        urn="tel:+250788550000",
        attachments=[],
        quick_replies=["Yes", "No"],
        attempt=1,
        parts_sent=2,
        contact_id=msg.contact_id,
    )
