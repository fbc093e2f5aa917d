"""A real `manage.py smsc` process SIGKILLed mid-window on a UC or CD channel, then restarted.

The same crash guarantees as SMPP's (tests/smsc/channel/test_kill.py), over real TCP against the
local fake UCP/CIMD2 SMSC: nothing is lost (every message ends delivered, or failed with the
reason "outcome unknown") and nothing is submitted twice (a submit the killed process wrote but
never recorded an answer for is failed, never resent).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from channels_app.services.send import queue_message
from smsc.cimd import codec as cimd
from smsc.ucp import codec as ucp
from tests.smsc.channel.killkit import check_crash_guarantees, kill_when, settle_restarted, start_smsc

from .conftest import SmscThread
from .test_supervisor import make_channel

TOTAL = 300
WINDOW = 10
ANSWERED = 60  # the SMSC answers this many submits, then takes a window's worth without answering


def _texts_seen(smsc: SmscThread) -> list[str]:
    """The text of every submit the SMSC received, read back from the operations it decoded."""
    submits = smsc.call(lambda: list(smsc.smsc.seen.submits))
    if smsc.smsc.kind == "ucp":
        return [ucp.ira_unhex(op.named()["Msg"]) for op in submits]
    return [cimd.user_data_to_text(p.get(cimd.USER_DATA)) for p in submits]


def _submit_count(smsc: SmscThread) -> int:
    return int(smsc.call(lambda: smsc.smsc.seen.submit_count))


def test_sigkill_mid_window_then_restart(smsc: SmscThread, workspace: Any) -> None:
    smsc.call(lambda: setattr(smsc.smsc, "auto_receipts", True))  # a notification after each ack
    smsc.call(lambda: setattr(smsc.smsc, "hold_after", ANSWERED))
    channel = make_channel(workspace, smsc, window=WINDOW)
    texts = [f"kill test {i:03d}" for i in range(TOTAL)]
    for text in texts:
        queue_message(channel=channel, to="+250788123123", text=text)

    # Killed with a full window written and unanswered: those submits are in doubt.
    kill_when(
        start_smsc(),
        lambda: _submit_count(smsc) >= ANSWERED + WINDOW,
        what="a full unanswered window from the first process",
    )
    at_kill = _submit_count(smsc)
    # (more than a window only if a slow machine let answers time out before the kill)
    assert ANSWERED + WINDOW <= at_kill < TOTAL, "the process must die mid-traffic"
    in_doubt = set(_texts_seen(smsc)[ANSWERED:])
    assert len(in_doubt) == at_kill - ANSWERED
    smsc.call(smsc.smsc.drop_connections)  # the kernel closed the socket; forget the session
    smsc.call(lambda: setattr(smsc.smsc, "hold_after", None))

    # Notifications the killed process never acknowledged come again, as an SMSC retries an
    # unanswered OT 53 / deliver status report.
    settle_restarted(
        channel,
        start_smsc(),
        started=lambda: _submit_count(smsc) > at_kill,
        accepted_ids=lambda: smsc.call(lambda: list(smsc.smsc.seen.accepted)),
        redeliver=lambda mid: smsc.call(lambda: smsc.smsc.receipt(mid, delivered=True)),
    )
    seen = Counter(_texts_seen(smsc))
    unknown = check_crash_guarantees(channel, texts, seen)
    # the window the SMSC took without answering: failed as in doubt, each submitted once only
    assert in_doubt <= {m.text for m in unknown}
    assert all(seen[t] == 1 for t in in_doubt)
