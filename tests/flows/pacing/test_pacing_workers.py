"""Paced sends across real worker processes: several release at once without doubling, and a
worker killed with SIGKILL mid-window loses and doubles nothing."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.db import connection, connections

from channels_app.models import Msg
from flows.models import PacedSend
from flows.services import compose, pacing
from tests.channels_app.test_worker_kill import _database_url

from .helpers import T0, make_group

ROOT = Path(__file__).resolve().parents[3]


def test_concurrent_releasers_claim_different_rows(workspace, ex_channel) -> None:
    """Four threads (four database connections) release the same due rows at once: SKIP LOCKED
    gives each row to one of them; every row ends with exactly one message."""
    group = make_group(workspace, 400)
    broadcast = compose.create_broadcast(
        workspace=workspace, text="Shared", group_uuids=[str(group.uuid)], spread_over_minutes=0, now=T0
    )
    counts: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def release() -> None:
        try:
            barrier.wait()
            while n := pacing.release_due(now=T0 + dt.timedelta(seconds=1), limit=25):
                counts.append(n)
        except BaseException as exc:  # reported below: an exception in a thread is otherwise lost
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=release) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sum(counts) == 400
    rows = PacedSend.objects.filter(broadcast=broadcast)
    assert rows.filter(status="released").count() == 400
    msg_ids = list(rows.values_list("msg_id", flat=True))
    assert len(set(msg_ids)) == 400
    assert Msg.objects.filter(metadata__broadcast=str(broadcast.uuid)).count() == 400
    if connection.vendor == "postgresql":
        assert len(counts) > 400 // 25 - 1  # the work was shared out in claims of 25


def _worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "manage.py", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_sigkill_mid_window_loses_and_doubles_nothing(workspace, ex_channel, aggregator) -> None:
    """120 contacts over one minute (2 a second) sent by a real `manage.py worker`; it is killed
    with SIGKILL half-way through; a second worker finishes the window. Every contact's number
    reached the provider exactly once."""
    group = make_group(workspace, 120)
    aggregator.default = (200, '{"status": "ok"}', 0.2)  # requests take a while: some are in flight
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "web.settings",
        "FLOWGATE_ALLOW_PRIVATE_URLS": "1",
        "FLOWGATE_SWEEP_INTERVAL_SECONDS": "1",
        "FLOWGATE_SEND_LEASE_SECONDS": "2",
        "FLOWGATE_SEND_LOCK_SECONDS": "3",
    }
    first = _worker(env)
    try:
        time.sleep(3)  # the worker is up before the window opens
        broadcast = compose.create_broadcast(
            workspace=workspace, text="Exactly once", group_uuids=[str(group.uuid)], spread_over_minutes=1
        )
        deadline = time.monotonic() + 120
        while len(aggregator.requests) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(aggregator.requests) >= 40, "the worker never sent"
        os.kill(first.pid, signal.SIGKILL)
    finally:
        first.wait(10)
    assert first.returncode == -signal.SIGKILL
    at_kill = len(aggregator.requests)
    assert PacedSend.objects.filter(broadcast=broadcast, status="scheduled").exists()  # mid-window

    second = _worker(env)
    try:
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            left = PacedSend.objects.filter(broadcast=broadcast, status="scheduled").count()
            unsent = Msg.objects.filter(
                metadata__broadcast=str(broadcast.uuid), status__in=["queued", "errored"]
            ).count()
            if not left and not unsent:
                break
            time.sleep(0.5)
        time.sleep(1)  # anything sent twice would show now
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(30)
    assert len(aggregator.requests) > at_kill  # the second worker carried on
    received = Counter(r.form()["to"] for r in aggregator.requests)
    assert len(received) == 120, f"{120 - len(received)} contacts never reached the provider"
    assert max(received.values()) == 1, [to for to, n in received.items() if n > 1]
    rows = PacedSend.objects.filter(broadcast=broadcast)
    assert rows.filter(status="released").count() == 120
    statuses = Counter(
        Msg.objects.filter(metadata__broadcast=str(broadcast.uuid)).values_list("status", flat=True)
    )
    assert statuses["sent"] + statuses["wired"] == 120  # wired: in flight at the kill, not resent
