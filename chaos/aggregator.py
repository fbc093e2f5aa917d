"""A local SMS aggregator for the fault suite: records every message it receives, misbehaves on demand.

Modes: ok (200), slow (answers after `delay` seconds), 500, 429, down (the port refuses
connections). A message counts as received when the aggregator accepts it (decides to answer
200), even if the sender never sees that answer: a real provider would deliver it anyway.
Requests answered 500/429 are rejected, so resending them is right; they are counted apart.

Like a real provider, it reports delivery of every accepted message to `report_url` (the
channel's `/delivered` callback, `id=<our message id>`), from a thread of its own that retries
while Flowgate does not answer 200: so a message whose sender was killed after the provider took
it still ends `delivered`, which is how the platform learns an outcome it could not see.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import httpx

from chaos.servers import free_port

REPORT_TRIES = 60  # about a minute of retrying one report (a real provider retries longer)


class _Listener(ThreadingHTTPServer):
    # Reuse the same port after "down" so the channel's send_url stays valid.
    allow_reuse_address = True
    # Two senders open up to 20 connections each at once; the standard backlog of 5 resets some
    # on a busy machine (ReadError, retried later), which no real aggregator's listener does.
    request_queue_size = 128


class ChaosAggregator:
    def __init__(self) -> None:
        self.port = free_port()
        self.mode = "ok"
        self.delay = 1.0
        self.lock = threading.Lock()
        self.received: Counter[str] = Counter()  # message text -> times accepted
        self.rejected: Counter[str] = Counter()  # message text -> times answered 500/429
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None
        self.report_url: str | None = None
        self.reported = 0  # delivery reports Flowgate answered 200
        self._reports: queue.Queue[str | None] = queue.Queue()
        self._reporter = threading.Thread(target=self._report_loop, daemon=True)
        self._reporter.start()
        self._listen()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set_mode(self, mode: str) -> None:
        assert mode in ("ok", "slow", "500", "429", "down"), mode
        if mode == "down":
            self._close()
        elif self.server is None:
            self._listen()
        self.mode = mode

    def count(self, text: str) -> int:
        with self.lock:
            return self.received[text]

    def _listen(self) -> None:
        state = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(parse_qsl(self.rfile.read(length).decode(errors="replace")))
                text = form.get("text", "")
                mode = state.mode
                status = {"500": 500, "429": 429}.get(mode, 200)
                with state.lock:
                    (state.received if status == 200 else state.rejected)[text] += 1
                if status == 200 and form.get("id"):
                    state._reports.put(form["id"])
                if mode == "slow":
                    time.sleep(state.delay)
                body = b'{"status": "ok"}' if status == 200 else b'{"error": "try later"}'
                try:
                    self.send_response(status)
                    if status == 429:
                        self.send_header("Retry-After", "1")
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the sender went away (it was killed or timed out)

            def log_message(self, *args: Any) -> None:
                pass

        server = _Listener(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.server = server
        self.thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self.thread.start()

    def _close(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def _report_loop(self) -> None:
        with httpx.Client(timeout=5) as client:
            while (msg_id := self._reports.get()) is not None:
                for _ in range(REPORT_TRIES):
                    if self.report_url is None:
                        time.sleep(1)
                        continue
                    try:
                        if client.post(self.report_url, data={"id": msg_id}).status_code == 200:
                            with self.lock:
                                self.reported += 1
                            break
                    except httpx.HTTPError:
                        pass  # the web process is down or restarting: retry, as providers do
                    time.sleep(1)

    def close(self) -> None:
        self._reports.put(None)
        self._close()
