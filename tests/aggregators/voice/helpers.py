from __future__ import annotations

import json
from typing import Any

from tests.aggregators.xc.conftest import case, fixture_bytes

FORM = "application/x-www-form-urlencoded"
AGENT_EXTENSION = "+15551230000"  # what the recorded Twilio answer callback says was rung

__all__ = ["AGENT_EXTENSION", "FORM", "case", "fixture_bytes", "next_call_event", "session_cookie"]


def session_cookie() -> str:
    from django.test import Client

    client = Client()
    assert client.login(username="admin@test.org", password="secret-pass")
    return f"sessionid={client.cookies['sessionid'].value}"


def next_call_event(ws: Any, event: str) -> dict[str, Any]:
    """The next websocket event of kind "call" named `event` (others are skipped)."""
    while True:
        got = json.loads(ws.recv(timeout=10))
        if got.get("kind") == "call" and got.get("event") == event:
            return got
