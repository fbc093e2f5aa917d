"""A real local HTTP server playing an SMS provider with its recorded answers."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests import ROOT, TESTS

FIXTURES = TESTS / "aggregators" / "connector" / "fixtures"
CONNECTORS = ROOT / "aggregators" / "connectors"


def case(provider: str) -> dict[str, Any]:
    return json.loads((FIXTURES / provider / "case.json").read_text())


def fixture_bytes(provider: str, name: str) -> bytes:
    return (FIXTURES / provider / name).read_bytes()


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Answer:
    status: int
    body: bytes
    content_type: str


@dataclass
class Provider:
    """Answers POST/PUT (sends) from `sends` and GET (polls) from `polls`; the last answer repeats."""

    url: str = ""
    requests: list[Seen] = field(default_factory=list)
    sends: list[Answer] = field(default_factory=list)
    polls: list[Answer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, method: str) -> Answer:
        script = self.polls if method == "GET" else self.sends
        with self.lock:
            if not script:
                return Answer(500, b"no answer scripted", "text/plain")
            return script.pop(0) if len(script) > 1 else script[0]

    def recorded(self, provider: str, file: str, status: int, content_type: str) -> Answer:
        return Answer(status, fixture_bytes(provider, file), content_type)

    @staticmethod
    def recorded_text(status: int, body: str) -> Answer:
        """An answer given inline (courier's mock responses), its type guessed from the body."""
        stripped = body.lstrip()
        content_type = (
            "application/json"
            if stripped[:1] in "{["
            else "application/xml"
            if stripped[:1] == "<"
            else "text/plain"
        )
        return Answer(status, body.encode(), content_type)


@pytest.fixture
def provider_server() -> Iterator[Provider]:
    state = Provider()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with state.lock:
                state.requests.append(Seen(self.command, self.path, dict(self.headers.items()), body))
            answer = state.answer(self.command)
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        do_GET = do_POST = do_PUT = _handle

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def local_connector_xml(provider: str, base_url: str) -> str:
    """The built-in connector file with the provider's host pointed at the local server.

    Only the scheme+host changes: paths, parameters, mappings and statuses are the shipped ones.
    """
    xml = (CONNECTORS / f"{provider}.xml").read_text()
    parts = urlsplit(case(provider)["request"]["url"])
    host = f"{parts.scheme}://{parts.netloc}"
    if host in xml:
        xml = xml.replace(host, base_url)
    return xml


def local_fields(provider: str, base_url: str) -> dict[str, str]:
    fields = dict(case(provider)["fields"])
    for name, value in fields.items():
        if re.match(r"https?://", value):  # an account-specific base URL (Infobip)
            fields[name] = base_url
    return fields
