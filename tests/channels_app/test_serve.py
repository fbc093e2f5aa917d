"""`manage.py serve` as a real process, under both ASGI servers: HTTP, websockets, receive."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from websockets.sync.client import connect

from channels_app.models import Msg
from tests.channels_app.test_worker_kill import _database_url

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("server", ["uvicorn", "daphne"])
def test_serve_process_answers_http_websockets_and_receive(server, ex_channel, client) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "FLOWGATE_INPROCESS_WORKER": "0",
        "FLOWGATE_BASE_URL": f"http://127.0.0.1:{port}",
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port), "--server", server],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail(f"{server} did not start")
        response = httpx.post(
            f"{base}/c/ex/{ex_channel.uuid}/receive", data={"from": "+250788123123", "text": "hi"}
        )
        assert response.status_code == 200, response.text
        assert Msg.objects.get(uuid=response.json()["uuid"]).text == "hi"
        assert client.login(username="admin@test.org", password="secret-pass")
        cookie = f"sessionid={client.cookies['sessionid'].value}"
        with connect(f"ws://127.0.0.1:{port}/ws/events/", additional_headers={"Cookie": cookie}) as ws:
            assert json.loads(ws.recv(timeout=10))["kind"] == "hello"
        with (  # anonymous sockets are refused
            pytest.raises(Exception),  # noqa: B017
            connect(f"ws://127.0.0.1:{port}/ws/events/") as ws,
        ):
            ws.recv(timeout=5)
    finally:
        process.terminate()
        process.wait(10)
