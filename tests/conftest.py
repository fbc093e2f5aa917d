"""Shared fixtures: workspaces, API clients, a live ASGI server, a scripted aggregator."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from django.conf import settings
from django.core.cache import cache

# The suite imports web.asgi (live servers) in this process: keep CPython's collector defaults
# here, so one test's import does not change collection for every test after it. The policy is
# tested on fresh processes (tests/infra/test_gc_policy.py); servers the tests start inherit this.
os.environ.setdefault("FLOWGATE_GC_TUNING", "0")


@pytest.fixture(autouse=True)
def _isolated_queue_and_cache() -> Iterator[None]:
    """Each test starts with empty queues, locks and dedupe windows."""
    from channels_app import queue
    from channels_app.inbound import resolver

    queue.connection().flushdb()
    cache.clear()
    resolver.forget_all()
    yield


@pytest.fixture
def workspace_and_token(transactional_db: None) -> tuple[Any, str]:
    from channels_app.workspaces import create_workspace

    return create_workspace(name="Test NGO", email="admin@test.org", password="secret-pass")


@pytest.fixture
def workspace(workspace_and_token: tuple[Any, str]) -> Any:
    return workspace_and_token[0]


@pytest.fixture
def token(workspace_and_token: tuple[Any, str]) -> str:
    return workspace_and_token[1]


@pytest.fixture
def api(token: str) -> Any:
    from django.test import Client

    return Client(HTTP_AUTHORIZATION=f"Token {token}")


def run_jobs(max_seconds: float = 30.0) -> None:
    from channels_app.worker import drain

    drain(max_seconds)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float = field(default_factory=time.time)  # when the local server read it

    def form(self) -> dict[str, str]:
        from urllib.parse import parse_qsl

        return dict(parse_qsl(self.body.decode()))

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Aggregator:
    """A real local HTTP server playing an SMS aggregator; answers follow `script`."""

    url: str
    requests: list[Recorded] = field(default_factory=list)
    script: list[tuple[int, str, float]] = field(default_factory=list)
    default: tuple[int, str, float] = (200, '{"status": "ok"}', 0.0)

    def answer(self) -> tuple[int, str, float]:
        return self.script.pop(0) if self.script else self.default


class _Listener(ThreadingHTTPServer):
    # A sender opens up to 20 connections at once; the standard backlog of 5 drops some of them
    # on a busy machine (a reset: "transport error", retried later), which no real aggregator does.
    request_queue_size = 128


@pytest.fixture
def aggregator() -> Iterator[Aggregator]:
    state = Aggregator(url="")

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            state.requests.append(Recorded(self.command, self.path, dict(self.headers.items()), body))
            status, reply, delay = state.answer()
            if delay:
                time.sleep(delay)
            payload = reply.encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up (timeout test)

        do_GET = do_POST = do_PUT = _handle

        def log_message(self, *args: Any) -> None:
            pass

    server = _Listener(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10, **kwargs)


@pytest.fixture
def live_asgi(transactional_db: None) -> Iterator[LiveServer]:
    """The real ASGI app (HTTP + websockets) under uvicorn on a free local port."""
    import uvicorn

    from web.asgi import application

    port = _free_port()
    config = uvicorn.Config(
        application, host="127.0.0.1", port=port, log_level="warning", lifespan="off", ws="websockets-sansio"
    )
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    url = f"http://127.0.0.1:{port}"
    old_base = settings.FLOWGATE_BASE_URL
    settings.FLOWGATE_BASE_URL = url
    yield LiveServer(url=url)
    settings.FLOWGATE_BASE_URL = old_base
    from web.asgi import fast_ingest

    fast_ingest.close_sync()  # its pool must not outlive the test database
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture
def ex_channel(workspace: Any, aggregator: Aggregator) -> Any:
    from channels_app.services.channels import create_channel

    return create_channel(
        workspace=workspace,
        type_code="EX",
        name="Aggregator",
        address="+250788000000",
        country="RW",
        config={"send_url": f"{aggregator.url}/send", "content_type": "urlencoded"},
    )
