"""Every example in the docs runs: each page's marked blocks, in order, against a live server.

The server is the real ASGI app on a local port (``live_asgi``); provider hosts named in the docs
are answered by a local stand-in that records what Flowgate sent it. See tests/docs/examples.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_jobs
from tests.docs.examples import DOCS, RUNNABLE, Runner, counts, examples_in, pages_with_examples


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Provider:
    url: str = ""
    requests: list[Seen] = field(default_factory=list)
    answers: dict[tuple[str, str], tuple[int, str, bytes]] = field(default_factory=dict)

    def answer(self, method: str, path: str) -> tuple[int, str, bytes]:
        bare = path.split("?")[0]
        for (m, prefix), reply in sorted(self.answers.items(), key=lambda kv: -len(kv[0][1])):
            if m == method and bare.startswith(prefix):
                return reply
        return 200, "application/json", b'{"status": "ok"}'


@pytest.fixture
def provider() -> Iterator[Provider]:
    state = Provider()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            state.requests.append(Seen(self.command, self.path, dict(self.headers.items()), body))
            status, content_type, payload = state.answer(self.command, self.path)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


PAGES = [str(p.relative_to(DOCS)) for p in pages_with_examples()]


@pytest.mark.parametrize("page", PAGES)
def test_examples_run(
    page: str, live_asgi: Any, workspace_and_token: tuple[Any, str], provider: Provider, tmp_path: Path
) -> None:
    runner = Runner(
        live_url=live_asgi.url,
        token=workspace_and_token[1],
        provider=provider,
        workdir=tmp_path,
        run_jobs=lambda: run_jobs(20),
    )
    examples = examples_in(DOCS / page)
    for example in examples:
        runner.run(example)
    assert runner.ran == sum(1 for e in examples if e.kind in RUNNABLE)


def test_the_docs_have_examples_of_every_kind() -> None:
    found = counts()
    assert all(found.get(kind, 0) > 0 for kind in RUNNABLE), found
    assert sum(found.get(kind, 0) for kind in RUNNABLE) >= 30, found
