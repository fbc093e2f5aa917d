"""A real `manage.py smsc` process SIGKILLed mid-window on a UC or CD channel, then restarted.

The same crash guarantees as SMPP's (tests/smsc/channel/test_kill.py), over real TCP against the
local fake UCP/CIMD2 SMSC: nothing is lost (every message ends delivered, or failed with the
reason "outcome unknown") and nothing is submitted twice (a submit the killed process wrote but
never recorded an answer for is failed, never resent).
"""

from __future__ import annotations

import signal
import subprocess
from collections import Counter
from typing import Any

from channels_app.models import Direction, Msg
from channels_app.services.send import queue_message
from smsc.cimd import codec as cimd
from smsc.dlr import normalize_id
from smsc.models import SubmittedPart
from smsc.ucp import codec as ucp
from tests.smsc.channel.conftest import retry_locked, wait_until
from tests.smsc.channel.test_kill import _start_smsc

from .conftest import SmscThread
from .test_supervisor import make_channel

TOTAL = 300
BATCH = 20  # _start_smsc's --batch
WINDOW = 10
ANSWERED = 60  # the SMSC answers this many submits, then takes a window's worth without answering


def _texts_seen(smsc: SmscThread) -> list[str]:
    """The text of every submit the SMSC received, read back from the operations it decoded."""
    submits = smsc.call(lambda: list(smsc.smsc.seen.submits))
    if smsc.smsc.kind == "ucp":
        return [ucp.ira_unhex(op.named()["Msg"]) for op in submits]
    return [cimd.user_data_to_text(p.get(cimd.USER_DATA)) for p in submits]


def _msgs(channel: Any) -> list[Msg]:
    return retry_locked(
        lambda: list(Msg.objects.filter(channel=channel, direction=Direction.OUT).order_by("id"))
    )


def _settled(channel: Any) -> bool:
    return all(m.status == "delivered" or m.metadata.get("outcome_unknown") for m in _msgs(channel))


def test_sigkill_mid_window_then_restart(smsc: SmscThread, workspace: Any) -> None:
    smsc.call(lambda: setattr(smsc.smsc, "auto_receipts", True))  # a notification after each ack
    smsc.call(lambda: setattr(smsc.smsc, "hold_after", ANSWERED))
    channel = make_channel(workspace, smsc, window=WINDOW)
    texts = [f"kill test {i:03d}" for i in range(TOTAL)]
    for text in texts:
        queue_message(channel=channel, to="+250788123123", text=text)

    first = _start_smsc()
    try:
        # Killed with a full window written and unanswered: those submits are in doubt.
        wait_until(
            lambda: smsc.call(lambda: smsc.smsc.seen.submit_count) >= ANSWERED + WINDOW,
            timeout=60,
            what="a full unanswered window from the first process",
        )
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == -signal.SIGKILL
    at_kill = smsc.call(lambda: smsc.smsc.seen.submit_count)
    # (more than a window only if a slow machine let answers time out before the kill)
    assert ANSWERED + WINDOW <= at_kill < TOTAL, "the process must die mid-traffic"
    in_doubt = set(_texts_seen(smsc)[ANSWERED:])
    assert len(in_doubt) == at_kill - ANSWERED
    smsc.call(smsc.smsc.drop_connections)  # the kernel closed the socket; forget the session
    smsc.call(lambda: setattr(smsc.smsc, "hold_after", None))

    second = _start_smsc()
    try:
        # Notifications the killed process never acknowledged are sent again, as an SMSC retries
        # an unanswered OT 53 / deliver status report; the restarted process must still match them.
        def redeliver_unapplied() -> bool:
            if _settled(channel):
                return True
            waiting = set(
                SubmittedPart.objects.filter(channel=channel, msg__status="sent").values_list(
                    "smsc_id", flat=True
                )
            )
            accepted = smsc.call(lambda: list(smsc.smsc.seen.accepted))
            for mid in [m for m in accepted if normalize_id(m) in waiting]:
                smsc.call(lambda mid=mid: smsc.smsc.receipt(mid, delivered=True))
            return False

        wait_until(
            lambda: smsc.call(lambda: smsc.smsc.seen.submit_count) > at_kill,
            timeout=30,
            what="the restarted process",
        )
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

    # Counted at the SMSC: no text was submitted twice, and only ours were.
    seen = Counter(_texts_seen(smsc))
    assert not {t: n for t, n in seen.items() if n > 1}, "a message was submitted twice"
    assert set(seen) <= set(texts)
    msgs = _msgs(channel)
    assert len(msgs) == TOTAL
    unknown = [m for m in msgs if m.status != "delivered"]
    for m in msgs:
        if m.status == "delivered":
            assert seen[m.text] == 1, m.text
        else:  # left in flight by the killed process: failed with the reason, never resent
            assert m.status == "failed" and m.metadata.get("outcome_unknown"), (m.text, m.status, m.error)
            assert m.error, m.text
    # the window the SMSC took without answering: failed as in doubt, each submitted once only
    assert in_doubt <= {m.text for m in unknown}
    assert all(seen[t] == 1 for t in in_doubt)
    assert len(unknown) <= 2 * BATCH  # at most a batch being recorded and one being sent
    # every message the SMSC never saw was sent by the restarted process; none is missing
    assert sum(seen.values()) == TOTAL - sum(1 for m in unknown if seen[m.text] == 0)
