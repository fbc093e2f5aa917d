"""A worker process killed with SIGKILL mid-send: the message is never sent a second time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

from channels_app.models import Msg
from channels_app.services import send
from channels_app.services.send import queue_message

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


def test_sigkill_between_http_call_and_status_write_never_sends_twice(ex_channel, aggregator) -> None:
    msg = queue_message(channel=ex_channel, to="+250788123123", text="exactly once")
    aggregator.script = [(200, "ok", 30.0)]  # the provider holds the request: the worker is mid-send
    code = (
        "import django; django.setup();"
        "from channels_app.services.send import send_channel;"
        f"send_channel(channel_id={ex_channel.id})"
    )
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "web.settings",
        "FLOWGATE_ALLOW_PRIVATE_URLS": "1",
    }
    worker = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 30
        while not aggregator.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(aggregator.requests) == 1, "the worker never reached the provider"
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.wait(10)
    assert worker.returncode == -signal.SIGKILL

    msg.refresh_from_db()
    assert msg.status == "wired" and msg.attempts == 1  # claimed and committed before the request
    # The job runs again (RQ retries it, or the sweeper wakes the channel): nothing is resent.
    from channels_app import queue

    queue.release_lock(f"send:{ex_channel.id}")  # SIGKILL left the lock until its expiry
    assert send.send_channel(channel_id=ex_channel.id) == 0
    settings.FLOWGATE_WIRED_STALE_SECONDS = 0
    assert send.sweep()["stale_wired"] == 1
    assert len(aggregator.requests) == 1
    msg.refresh_from_db()
    assert msg.metadata["outcome_unknown"] is True
    assert Msg.objects.get(id=msg.id).events.filter(event_type="outcome_unknown").exists()
