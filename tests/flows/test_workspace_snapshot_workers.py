"""A real `manage.py worker` keeps the workspace's snapshot between batches, and a flow edited
or a trigger added in another process (here the test's, as the web's would be) changes what its
very next batch does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings

from benchmarks.flows_e2e import keyword_reply_flow
from channels_app.services import ingest
from flows.models import Flow
from flows.services.definitions import save_definition
from flows.services.triggers import create_trigger
from tests.channels_app.test_worker_kill import _database_url

ROOT = Path(__file__).resolve().parents[2]


def _replies(aggregator: Any) -> list[str]:
    return [r.form()["text"] for r in aggregator.requests]


def _wait_for(aggregator: Any, text: str, seconds: float = 30) -> None:
    # (well under the snapshot's 60 s max age: a missed announcement must show here)
    deadline = time.monotonic() + seconds
    while text not in _replies(aggregator) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert text in _replies(aggregator), _replies(aggregator)


def test_a_worker_runs_the_flow_as_edited_in_another_process(ex_channel: Any, aggregator: Any) -> None:
    flow = keyword_reply_flow(ex_channel.workspace, "join")
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "web.settings",
        "FLOWGATE_ALLOW_PRIVATE_URLS": "1",
        "FLOWGATE_INBOUND_DEDUPE_SECONDS": "0",
    }
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        ingest.receive(channel=ex_channel, sender="+250788100001", text="join a")
        _wait_for(aggregator, "Welcome! You said: join a")
        ingest.receive(channel=ex_channel, sender="+250788100002", text="join b")
        _wait_for(aggregator, "Welcome! You said: join b")  # (from the kept snapshot)

        definition = Flow.objects.get(id=flow.id).definition
        definition["nodes"][0]["actions"][0]["text"] = "Edited: @input.text"
        save_definition(flow=Flow.objects.get(id=flow.id), definition=definition)
        ingest.receive(channel=ex_channel, sender="+250788100003", text="join c")
        _wait_for(aggregator, "Edited: join c")

        create_trigger(workspace=ex_channel.workspace, trigger_type="keyword", flow=flow, keywords=["hello"])
        ingest.receive(channel=ex_channel, sender="+250788100004", text="hello")
        _wait_for(aggregator, "Edited: hello")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
    assert "Welcome! You said: join c" not in _replies(aggregator)
