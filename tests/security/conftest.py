"""Two populated workspaces shared by every test of the module (building them takes seconds)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.security.world import MARKER_B, World, build_world


class _AcceptAll(BaseHTTPRequestHandler):
    """A provider/webhook receiver that accepts everything (sends and deliveries succeed)."""

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = b'{"status": "ok", "sid": "SM1"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _handle

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def accept_all_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AcceptAll)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def committed_rows(django_db_blocker: Any) -> Iterator[None]:
    """Database access for a fixture wider than one test; its rows are flushed at the end.

    The tests using it take the `db` fixture, so what each test writes is rolled back.
    """
    from django.core.management import call_command

    with django_db_blocker.unblock():
        try:
            yield
        finally:
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def worlds(django_db_setup: None, django_db_blocker: Any) -> Iterator[tuple[World, World]]:
    """(A, B): A is the caller, B the workspace whose data A must never reach."""
    with accept_all_server() as url, committed_rows(django_db_blocker):
        a = build_world(name="Alpha", marker="alphaecho", aggregator_url=url, fresh_flow_uuids=True)
        b = build_world(name="Bravo", marker=MARKER_B, aggregator_url=url, fresh_flow_uuids=False)
        yield a, b
