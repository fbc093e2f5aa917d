"""Consecutive send batches of a channel reuse the worker's kept-alive provider connections."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from channels_app.models import Msg
from channels_app.services import send_clients
from channels_app.services.send import queue_message, send_channel


@pytest.fixture
def keepalive_provider() -> Iterator[tuple[str, list[tuple[str, int]]]]:
    """An HTTP/1.1 provider that records the client address (host, port) of every request."""
    peers: list[tuple[str, int]] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keeps the connection open between requests

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            peers.append(self.client_address)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    send_clients.close_all()  # no connections left over from other tests
    yield f"http://127.0.0.1:{server.server_address[1]}", peers
    send_clients.close_all()
    server.shutdown()
    server.server_close()


def test_second_batch_reuses_the_first_batchs_connection(ex_channel, keepalive_provider) -> None:
    url, peers = keepalive_provider
    ex_channel.config["send_url"] = f"{url}/send"
    ex_channel.save()
    for text in ("first", "second"):  # one batch each, sent by send_channel as a worker would
        queue_message(channel=ex_channel, to="+250788123123", text=text)
        assert send_channel(channel_id=ex_channel.id) == 1
    assert list(Msg.objects.filter(direction="out").values_list("status", flat=True)) == ["sent", "sent"]
    assert len(peers) == 2 and peers[0] == peers[1]  # same client port: one TCP connection


def test_a_closed_connection_is_replaced_not_failed(ex_channel, keepalive_provider) -> None:
    url, peers = keepalive_provider
    ex_channel.config["send_url"] = f"{url}/send"
    ex_channel.save()
    queue_message(channel=ex_channel, to="+250788123123", text="before")
    assert send_channel(channel_id=ex_channel.id) == 1
    send_clients.close_all()  # as if the provider had dropped every kept-alive connection
    queue_message(channel=ex_channel, to="+250788123123", text="after")
    assert send_channel(channel_id=ex_channel.id) == 1
    assert Msg.objects.get(text="after").status == "sent"
    assert len(peers) == 2 and peers[0] != peers[1]  # a new connection for the new batch
