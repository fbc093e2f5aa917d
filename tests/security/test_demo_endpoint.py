"""Issue 16 #5: the demo aggregator serves only the embedded demo's echo channel.

On main `POST /demo/aggregator/send` needed no login, key or CSRF token: anyone could make it
post fake inbound messages into any workspace's channel and fill the default queue.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.core.management import call_command
from django.utils import timezone

from channels_app import queue
from channels_app.crypto import reveal
from channels_app.models import Channel, Direction, Msg, MsgStatus


def _outgoing(channel: Channel) -> Msg:
    return Msg.objects.create(workspace_id=channel.workspace_id, channel=channel, urn="tel:+250788123123",
                              direction=Direction.OUT, status=MsgStatus.SENT, text="hi",
                              created_on=timezone.now())  # fmt: skip


def _queued_jobs() -> int:
    return int(queue.connection().llen("rq:queue:default"))


def test_other_channels_and_forged_requests_are_refused(
    live_asgi: Any, ex_channel: Any, settings: Any
) -> None:
    settings.FLOWGATE_DEMO = True
    victim_msg = _outgoing(ex_channel)
    attack = {
        "channel": str(ex_channel.uuid),
        "id": str(victim_msg.id),
        "to": "+250788999999",
        "text": "fake",
    }
    with live_asgi.client() as http:
        answer = http.post("/demo/aggregator/send", data=attack)
        assert answer.status_code == 403 and "echo channel" in answer.json()["error"]
        answer = http.post("/demo/aggregator/send?key=guess", data=attack)
        assert answer.status_code == 403
    assert _queued_jobs() == 0
    assert not Msg.objects.filter(direction=Direction.IN).exists()


def test_the_demo_echo_channel_works_and_only_in_the_embedded_demo(live_asgi: Any, settings: Any) -> None:
    settings.FLOWGATE_DEMO = True
    call_command("demo", email="demo@test.org", password="demo-pass", stdout=io.StringIO())
    channel = Channel.objects.get(name="Echo aggregator")
    url = reveal(channel.config)["send_url"]
    key = parse_qs(urlsplit(url).query)["key"][0]
    assert len(key) >= 24
    msg = _outgoing(channel)
    params = {"channel": str(channel.uuid), "id": str(msg.id), "to": "+250788123123", "text": "hi"}
    with live_asgi.client() as http:
        assert http.post(f"/demo/aggregator/send?key={key}", data=params).json() == {"status": "accepted"}
        assert _queued_jobs() == 1
        # A message the channel did not send is not echoed, even with the key.
        unknown = {**params, "id": str(msg.id + 1000)}
        assert http.post(f"/demo/aggregator/send?key={key}", data=unknown).status_code == 403
        settings.FLOWGATE_DEMO = False  # a production run (REDIS_URL) has no demo aggregator
        assert http.post(f"/demo/aggregator/send?key={key}", data=params).status_code == 404
    assert _queued_jobs() == 1
