"""A real `manage.py smsc` process SIGKILLed mid-traffic, then restarted: the crash guarantees."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from typing import Any

from django.db import connection

from channels_app.models import Direction, Msg
from channels_app.services.send import queue_message
from smsc.dlr import normalize_id
from smsc.models import SubmittedPart
from tests import ROOT

from .conftest import FakePeer, make_channel, retry_locked, wait_until

TOTAL = 300


def _database_url() -> str:
    """The test database (not the configured one) for the child process."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _start_smsc() -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": _database_url(), "LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "manage.py", "smsc", "--poll", "0.05", "--batch", "20", "--stale", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _msgs(channel: Any) -> list[Msg]:
    return retry_locked(
        lambda: list(Msg.objects.filter(channel=channel, direction=Direction.OUT).order_by("id"))
    )


def _settled(channel: Any) -> bool:
    return all(m.status == "delivered" or m.metadata.get("outcome_unknown") for m in _msgs(channel))


def test_sigkill_mid_traffic_then_restart(fake_peer: FakePeer, workspace: Any) -> None:
    def receipts_on() -> None:
        fake_peer.smsc.auto_receipt = "DELIVRD"

    fake_peer.t.call(receipts_on)
    channel = make_channel(workspace, fake_peer.port, window=10)
    texts = [f"kill test {i:03d}" for i in range(TOTAL)]
    for text in texts:
        queue_message(channel=channel, to="+250788123123", text=text)

    first = _start_smsc()
    try:
        wait_until(lambda: len(fake_peer.submits()) >= 60, timeout=60, what="traffic from the first process")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == -signal.SIGKILL
    at_kill = len(fake_peer.submits())
    assert at_kill < TOTAL, "the process must die mid-traffic"
    fake_peer.t.call(fake_peer.smsc.drop_all)  # the kernel closed the socket; forget the session

    second = _start_smsc()
    try:
        # Receipts the killed process never acknowledged are sent again, as an SMSC retries an
        # unanswered deliver_sm; the restarted process must still correlate them.
        def redeliver_unapplied() -> bool:
            if _settled(channel):
                return True
            waiting = set(
                SubmittedPart.objects.filter(channel=channel, msg__status="sent").values_list(
                    "smsc_id", flat=True
                )
            )
            for mid in [m for m in fake_peer.accepted_ids() if normalize_id(m) in waiting]:
                fake_peer.receipt(mid, "DELIVRD")
            return False

        wait_until(lambda: len(fake_peer.submits()) > at_kill, timeout=30, what="the restarted process")
        try:
            wait_until(redeliver_unapplied, timeout=60, what="every message delivered or marked")
        except AssertionError as exc:
            left = Counter((m.status, bool(m.metadata.get("outcome_unknown"))) for m in _msgs(channel))
            raise AssertionError(f"{exc}: {dict(left)}") from None
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            _, err = second.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            second.kill()
            raise
    assert second.returncode == 0, err.decode()[-2000:]

    # Counted at the server: no text was submitted twice, and only ours were.
    seen = Counter(fake_peer.texts())
    assert not {t: n for t, n in seen.items() if n > 1}, "a message was submitted twice"
    assert set(seen) <= {t.encode() for t in texts}
    msgs = _msgs(channel)
    assert len(msgs) == TOTAL
    unknown = [m for m in msgs if m.status != "delivered"]
    for m in msgs:
        if m.status == "delivered":
            assert seen[m.text.encode()] == 1, m.text
        else:  # left in flight by the killed process: marked, never resent
            assert m.status == "failed" and m.metadata.get("outcome_unknown"), (m.text, m.status, m.error)
    assert len(unknown) <= 2 * 20  # at most a batch being recorded and one being sent
    assert sum(seen.values()) == TOTAL - sum(1 for m in unknown if seen[m.text.encode()] == 0)
