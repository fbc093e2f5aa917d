"""Several processes append to one spool while replayers claim segments: nothing lost or doubled."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings

from channels_app import spool
from channels_app.models import Msg
from tests import ROOT

WRITER = """
import sys, uuid, django
django.setup()
from channels_app import spool
from channels_app.models import Msg
from django.utils import timezone
channel_id, workspace_id, count, tag = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
for i in range(count):
    msg = Msg(uuid=uuid.uuid4(), workspace_id=workspace_id, channel_id=channel_id, urn="tel:+250788123123",
              direction="in", status="pending", text=f"{tag} {i}", created_on=timezone.now())
    spool.append(msg)
print("done", flush=True)
"""


def _writer(tmp: Path, channel: Any, count: int, tag: str) -> subprocess.Popen[str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")
    }  # no database: like a web process during an outage, it can only spool
    env.update(FLOWGATE_SPOOL_DIR=str(tmp), FLOWGATE_VAR_DIR=str(tmp.parent / f"var-{tag}"))
    args = [str(channel.id), str(channel.workspace_id), str(count), tag]
    return subprocess.Popen([sys.executable, "-c", WRITER, *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE)  # fmt: skip


def test_concurrent_writers_and_replayers_keep_every_message_once(ex_channel: Any, tmp_path: Path) -> None:
    directory = tmp_path / "spool"
    settings.FLOWGATE_SPOOL_DIR = str(directory)
    writers = [_writer(directory, ex_channel, 150, tag) for tag in ("alpha", "beta")]
    # A third writer is SIGKILLed mid-stream: its segment is abandoned (no live flock) and
    # whatever it had fsynced is replayed; no half record may reach the database.
    killed = _writer(directory, ex_channel, 100_000, "gamma")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # until the doomed writer has written something
        with contextlib.suppress(FileNotFoundError):  # a segment may be sealed (renamed) meanwhile
            if sum(path.stat().st_size for path in directory.glob(f"seg-{killed.pid}-*")) > 2000:
                break
        time.sleep(0.01)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait(10)

    totals = spool.ReplayReport()
    while any(w.poll() is None for w in writers) and time.monotonic() < deadline:
        report = spool.replay()  # races the live writers
        totals.inserted += report.inserted
        time.sleep(0.05)
    for w in writers:
        assert w.wait(30) == 0
    final = spool.replay()
    totals.inserted += final.inserted

    texts = list(Msg.objects.values_list("text", flat=True))
    assert len(texts) == len(set(texts)) == totals.inserted
    for tag in ("alpha", "beta"):
        assert {t for t in texts if t.startswith(tag)} == {f"{tag} {i}" for i in range(150)}
    gamma = sorted(int(t.split()[1]) for t in texts if t.startswith("gamma"))
    assert gamma and gamma == list(range(len(gamma)))  # a prefix: nothing before the kill is lost
    assert not list(directory.glob("seg-*"))
