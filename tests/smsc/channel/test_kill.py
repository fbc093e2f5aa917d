"""A real `manage.py smsc` process SIGKILLed mid-traffic, then restarted: the crash guarantees."""

from __future__ import annotations

from collections import Counter
from typing import Any

from channels_app.services.send import queue_message

from .conftest import FakePeer, make_channel
from .killkit import check_crash_guarantees, kill_when, settle_restarted, start_smsc

TOTAL = 300


def test_sigkill_mid_traffic_then_restart(fake_peer: FakePeer, workspace: Any) -> None:
    def receipts_on() -> None:
        fake_peer.smsc.auto_receipt = "DELIVRD"

    fake_peer.t.call(receipts_on)
    channel = make_channel(workspace, fake_peer.port, window=10)
    texts = [f"kill test {i:03d}" for i in range(TOTAL)]
    for text in texts:
        queue_message(channel=channel, to="+250788123123", text=text)

    kill_when(start_smsc(), lambda: len(fake_peer.submits()) >= 60, what="traffic from the first process")
    at_kill = len(fake_peer.submits())
    assert at_kill < TOTAL, "the process must die mid-traffic"
    fake_peer.t.call(fake_peer.smsc.drop_all)  # the kernel closed the socket; forget the session

    settle_restarted(
        channel,
        start_smsc(),
        started=lambda: len(fake_peer.submits()) > at_kill,
        accepted_ids=fake_peer.accepted_ids,
        redeliver=lambda mid: fake_peer.receipt(mid, "DELIVRD"),
    )
    # Counted at the server, from the bytes it received.
    check_crash_guarantees(channel, texts, Counter(t.decode() for t in fake_peer.texts()))
