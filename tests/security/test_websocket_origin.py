"""Issue 16 #8: websockets refuse handshakes from other sites' pages.

On main /ws/events/ and /ws/simulator/ accepted any Origin: a page on another site, opened by a
logged-in person, could read their workspace's live events through their session cookie.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from channels_app.workspaces import create_workspace


@pytest.fixture
def cookie(transactional_db: None) -> str:
    create_workspace(name="Origin NGO", email="origin@test.org", password="secret-pass")
    client = Client()
    assert client.login(username="origin@test.org", password="secret-pass")
    return f"sessionid={client.cookies['sessionid'].value}"


@pytest.mark.parametrize("path", ["/ws/events/", "/ws/simulator/"])
def test_cross_site_origins_are_refused(live_asgi: Any, cookie: str, path: str) -> None:
    ws_url = live_asgi.url.replace("http", "ws")
    port = live_asgi.url.rsplit(":", 1)[1]
    for origin in (
        "https://evil.example",
        "null",
        f"http://127.0.0.1.evil.example:{port}",
        "http://127.0.0.1:1",
    ):
        with pytest.raises(InvalidStatus) as refused:
            connect(f"{ws_url}{path}", origin=origin, additional_headers={"Cookie": cookie})  # type: ignore[arg-type]
        assert refused.value.response.status_code == 403, origin


@pytest.mark.parametrize("path", ["/ws/events/", "/ws/simulator/"])
def test_our_own_pages_still_connect(live_asgi: Any, cookie: str, path: str) -> None:
    ws_url = live_asgi.url.replace("http", "ws")
    with connect(f"{ws_url}{path}", origin=live_asgi.url, additional_headers={"Cookie": cookie}) as socket:  # type: ignore[arg-type]
        assert json.loads(socket.recv(timeout=5))["kind"] == "hello"
