"""What the SIGKILL tests of every link kind share (SMPP: channel/test_kill.py, UC/CD:
text/test_kill.py): the real `manage.py smsc` process, the restart, and the crash guarantees."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from channels_app.models import Direction, Msg
from smsc.dlr import normalize_id
from smsc.models import SubmittedPart
from tests import ROOT
from tests.channels_app.test_worker_kill import _database_url

from .conftest import retry_locked, wait_until

BATCH = 20  # start_smsc's --batch


def start_smsc() -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": _database_url(), "LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "manage.py", "smsc", "--poll", "0.05", "--batch", str(BATCH), "--stale", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def kill_when(proc: subprocess.Popen[bytes], ready: Callable[[], Any], what: str) -> None:
    """SIGKILL `proc` as soon as `ready()` holds."""
    try:
        wait_until(ready, timeout=60, what=what)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL


def outbound(channel: Any) -> list[Msg]:
    return retry_locked(
        lambda: list(Msg.objects.filter(channel=channel, direction=Direction.OUT).order_by("id"))
    )


def _settled(channel: Any) -> bool:
    return all(m.status == "delivered" or m.metadata.get("outcome_unknown") for m in outbound(channel))


def settle_restarted(
    channel: Any,
    proc: subprocess.Popen[bytes],
    *,
    started: Callable[[], Any],
    accepted_ids: Callable[[], Iterable[str]],
    redeliver: Callable[[str], None],
) -> None:
    """Wait for the restarted process to settle every message, then stop it cleanly.

    Receipts the killed process never acknowledged are sent again, as an SMSC retries an
    unanswered one; the restarted process must still match them to their messages."""

    def redeliver_unapplied() -> bool:
        if _settled(channel):
            return True
        waiting = set(
            SubmittedPart.objects.filter(channel=channel, msg__status="sent").values_list(
                "smsc_id", flat=True
            )
        )
        for mid in [m for m in accepted_ids() if normalize_id(m) in waiting]:
            redeliver(mid)
        return False

    try:
        wait_until(started, timeout=30, what="the restarted process")
        try:
            wait_until(redeliver_unapplied, timeout=60, what="every message delivered or marked")
        except AssertionError as exc:
            left = Counter((m.status, bool(m.metadata.get("outcome_unknown"))) for m in outbound(channel))
            raise AssertionError(f"{exc}: {dict(left)}") from None
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, err.decode()[-2000:]


def check_crash_guarantees(channel: Any, texts: list[str], seen: Counter[str]) -> list[Msg]:
    """`seen`: how often the SMSC received each text. Returns the messages left in doubt."""
    assert not {t: n for t, n in seen.items() if n > 1}, "a message was submitted twice"
    assert set(seen) <= set(texts), "only ours were submitted"
    msgs = outbound(channel)
    assert len(msgs) == len(texts)
    unknown = [m for m in msgs if m.status != "delivered"]
    for m in msgs:
        if m.status == "delivered":
            assert seen[m.text] == 1, m.text
        else:  # left in flight by the killed process: failed with the reason, never resent
            assert m.status == "failed" and m.metadata.get("outcome_unknown"), (m.text, m.status, m.error)
            assert m.error, m.text
    assert len(unknown) <= 2 * BATCH  # at most a batch being recorded and one being sent
    # none lost: every text the SMSC never saw belongs to a message left in doubt
    assert sum(seen.values()) == len(texts) - sum(1 for m in unknown if seen[m.text] == 0)
    return unknown
