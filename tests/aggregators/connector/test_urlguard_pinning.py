"""DNS rebinding: the address the guard checked is the address the connection goes to."""

from __future__ import annotations

import asyncio
import http.server
import threading

import httpx
import pytest

from infra import urlguard
from infra.urlguard import URLRefused, async_pinned_transport, pinned_transport


class _Recorder(http.server.BaseHTTPRequestHandler):
    hosts: list[str] = []

    def do_GET(self) -> None:
        type(self).hosts.append(self.headers["Host"])
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def local_server():
    _Recorder.hosts = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def rebinding_dns(first: str, then: str):
    """Answers `first` to the first lookup and `then` to every later one (a rebinding attack)."""
    answers = iter([first])

    def resolve(host: str, _port: int) -> list[str]:
        return [next(answers, then)]

    return resolve


def test_sync_transport_refuses_a_host_that_rebinds_to_loopback(local_server):
    transport = pinned_transport(False, rebinding_dns("93.184.216.34", "127.0.0.1"))
    with httpx.Client(transport=transport) as client, pytest.raises(URLRefused, match="127.0.0.1"):
        client.get(f"http://rebind.test:{local_server}/")
    assert _Recorder.hosts == []


def test_async_transport_refuses_a_host_that_rebinds_to_loopback(local_server):
    async def go() -> None:
        transport = async_pinned_transport(False, rebinding_dns("93.184.216.34", "127.0.0.1"))
        async with httpx.AsyncClient(transport=transport) as client:
            await client.get(f"http://rebind.test:{local_server}/")

    with pytest.raises(URLRefused, match="127.0.0.1"):
        asyncio.run(go())
    assert _Recorder.hosts == []


@pytest.mark.parametrize("use_async", [False, True])
def test_connection_goes_to_the_checked_address_with_the_original_host_header(
    local_server, monkeypatch, use_async
):
    # Treat loopback as public for this test only, so a local server can stand in for a public
    # one: "aggregator.test" is unknown to the system resolver, so the request can only succeed
    # if the connection uses the address our resolver returned and the guard checked.
    monkeypatch.setattr(urlguard, "_is_internal", lambda address: address.startswith("10."))
    resolve = lambda host, port: ["127.0.0.1"]  # noqa: E731
    url = f"http://aggregator.test:{local_server}/"
    if use_async:

        async def go() -> httpx.Response:
            async with httpx.AsyncClient(transport=async_pinned_transport(False, resolve)) as client:
                return await client.get(url)

        response = asyncio.run(go())
    else:
        with httpx.Client(transport=pinned_transport(False, resolve)) as client:
            response = client.get(url)
    assert response.text == "ok"
    assert _Recorder.hosts == [f"aggregator.test:{local_server}"]


def test_allow_private_leaves_the_default_backend(local_server):
    with httpx.Client(transport=pinned_transport(True)) as client:
        assert client.get(f"http://127.0.0.1:{local_server}/").text == "ok"
