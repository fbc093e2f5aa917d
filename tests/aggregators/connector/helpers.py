"""Shared helpers: fixture loading and a MockTransport that records the request it saw."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

FIXTURES = Path(__file__).parent / "fixtures"


def case(provider: str) -> dict:
    return json.loads((FIXTURES / provider / "case.json").read_text())


def fixture_bytes(provider: str, name: str) -> bytes:
    return (FIXTURES / provider / name).read_bytes()


class Recorder:
    """An httpx MockTransport answering a canned response and keeping the requests it got."""

    def __init__(self, status: int = 200, body: bytes = b"", content_type: str = "application/json"):
        self.requests: list[httpx.Request] = []
        self.status, self.body, self.content_type = status, body, content_type

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, content=self.body, headers={"content-type": self.content_type})

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))
