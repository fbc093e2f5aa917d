"""The send path's httpx transport over aiohttp, against real local servers (no mocks).

What matters most is what a failure says: "never sent" only when no connection carried the
request, "maybe sent" for anything after, and never a request sent twice by the transport.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import ipaddress
import select
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from channels_app.models import Msg
from channels_app.services import send, send_clients
from channels_app.services.aiohttp_transport import AiohttpTransport
from channels_app.services.send import queue_message, send_channel

OK = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{"status":"ok"}'


# --- a raw HTTP/1.1 server whose every byte the test decides -----------------------------------


def read_request(conn: socket.socket) -> bytes | None:
    """One request (head and body, chunked or by Content-Length) as received; None at EOF."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    fields = {
        k.strip().lower(): v.strip() for k, _, v in (line.partition(b":") for line in head.split(b"\r\n")[1:])
    }
    if fields.get(b"transfer-encoding") == b"chunked":
        while not body.endswith(b"0\r\n\r\n"):
            body += conn.recv(65536)
        return head + b"\r\n\r\n" + body
    length = int(fields.get(b"content-length", b"0"))
    while len(body) < length:
        body += conn.recv(65536)
    return head + b"\r\n\r\n" + body


@dataclass
class RawServer:
    """Each accepted connection runs `handle(conn, server)` in a thread."""

    handle: Callable[[socket.socket, RawServer], None]
    tls: ssl.SSLContext | None = None
    requests: list[bytes] = field(default_factory=list)
    peers: list[tuple[str, int]] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)  # bytes a handler managed to send, when it counts

    def __post_init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                conn, peer = self.sock.accept()
            except OSError:
                return  # closed by the test
            self.peers.append(peer)
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            self.handle(conn, self)
        except OSError:
            pass  # the client went away: what the test looks at is recorded already
        finally:
            conn.close()

    def record(self, conn: socket.socket) -> bytes | None:
        request = read_request(conn)
        if request is not None:
            self.requests.append(request)
        return request

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def servers() -> Iterator[Callable[..., RawServer]]:
    started: list[RawServer] = []

    def start(handle: Callable[[socket.socket, RawServer], None], **kwargs: Any) -> RawServer:
        server = RawServer(handle, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


def answer_each(response: bytes) -> Callable[[socket.socket, RawServer], None]:
    """Keep-alive: answer every request on the connection with `response`."""

    def handle(conn: socket.socket, server: RawServer) -> None:
        while server.record(conn) is not None:
            conn.sendall(response)

    return handle


def close_after_reading(conn: socket.socket, server: RawServer) -> None:
    """The request arrives whole, then the provider hangs up without a word."""
    server.record(conn)


def never_answer(conn: socket.socket, server: RawServer) -> None:
    server.record(conn)
    time.sleep(3)


@pytest.fixture
def refused() -> Iterator[int]:
    """A port that refuses connections: bound without listening, so no one else takes it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _request(
    method: str, url: str, *, transport: httpx.AsyncBaseTransport | None = None, **kwargs: Any
) -> httpx.Response:
    timeout = kwargs.pop("timeout", 5)
    async with httpx.AsyncClient(transport=transport or AiohttpTransport(), timeout=timeout) as client:
        return await client.request(method, url, **kwargs)


def head_and_body(raw: bytes) -> tuple[list[bytes], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return head.split(b"\r\n"), body


# --- what goes out and what comes back ----------------------------------------------------------


def test_a_request_goes_out_byte_for_byte_as_httpcore_sends_it(servers) -> None:
    server = servers(answer_each(OK))
    kwargs: dict[str, Any] = {
        "params": {"to": "+250788123123", "text": "héllo wörld"},
        "content": b'{"text": "h\xc3\xa9llo"}',
        "headers": {"X-Api-Key": "k1", "content-type": "application/json"},
    }
    run(_request("POST", f"{server.url}/send", **kwargs))
    run(_request("POST", f"{server.url}/send", transport=httpx.AsyncHTTPTransport(), **kwargs))
    ours, httpcore = server.requests
    assert ours == httpcore  # same line, same headers in the same order and case, same body
    lines, body = head_and_body(ours)
    assert lines[0] == b"POST /send?to=%2B250788123123&text=h%C3%A9llo+w%C3%B6rld HTTP/1.1"
    assert b"X-Api-Key: k1" in lines and b"content-type: application/json" in lines
    assert body == b'{"text": "h\xc3\xa9llo"}'


def test_credentials_in_the_url_go_out_as_httpx_sends_them(servers) -> None:
    """A provider URL with user:password@ (an External channel's): httpx turns them into Basic
    auth; aiohttp would refuse a request carrying both, so nothing at all was sent."""
    server = servers(answer_each(OK))
    url = f"{server.url}/send?x=1".replace("http://", "http://ngo:s%40cret@")
    run(_request("POST", url, content=b"x"))
    run(_request("POST", url, content=b"x", transport=httpx.AsyncHTTPTransport()))
    ours, httpcore = server.requests
    assert ours == httpcore
    lines, _ = head_and_body(ours)
    assert lines[0] == b"POST /send?x=1 HTTP/1.1"
    assert b"Authorization: Basic bmdvOnNAY3JldA==" in lines  # ngo:s@cret


def test_aiohttp_adds_no_header_the_httpx_request_lacks(servers) -> None:
    server = servers(answer_each(OK))

    async def bare() -> None:
        async with httpx.AsyncClient(transport=AiohttpTransport()) as client:
            request = client.build_request("POST", f"{server.url}/p", content=b"x")
            for name in ("User-Agent", "Accept", "Accept-Encoding"):
                del request.headers[name]
            await client.send(request)

    run(bare())
    lines, _ = head_and_body(server.requests[0])
    names = sorted(line.split(b":")[0].lower() for line in lines[1:])
    # no aiohttp User-Agent, Accept or octet-stream Content-Type in their place
    assert names == [b"connection", b"content-length", b"host"]


def test_status_reason_repeated_headers_and_body_come_back(servers) -> None:
    answer = (
        b"HTTP/1.1 201 Created\r\nX-Id: a\r\nX-Id: b\r\nContent-Type: application/json\r\n"
        b'Content-Length: 17\r\n\r\n{"id": "msg-42"}\n'
    )
    server = servers(answer_each(answer))
    response = run(_request("GET", f"{server.url}/status"))
    assert (response.status_code, response.reason_phrase, response.http_version) == (
        201,
        "Created",
        "HTTP/1.1",
    )
    assert response.headers.get_list("x-id") == ["a", "b"]
    assert response.json() == {"id": "msg-42"}


def test_cookies_are_the_httpx_clients_alone(servers) -> None:
    answer = b"HTTP/1.1 200 OK\r\nSet-Cookie: session=abc; Path=/\r\nContent-Length: 0\r\n\r\n"
    server = servers(answer_each(answer))

    url = f"http://localhost:{server.port}/"  # a host name: aiohttp's own jar refuses IP hosts' cookies

    async def twice() -> None:
        async with httpx.AsyncClient(transport=AiohttpTransport()) as client:
            await client.get(url)
            assert client.cookies.get("session") == "abc"  # httpx keeps what the provider set
            client.cookies.clear()
            await client.get(url)

    run(twice())
    assert not any(line.lower().startswith(b"cookie") for line in head_and_body(server.requests[1])[0])


def test_a_gzipped_answer_is_decoded_once_by_httpx(servers) -> None:
    packed = gzip.compress(b'{"status": "queued"}')
    answer = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s" % (
        len(packed),
        packed,
    )
    server = servers(answer_each(answer))
    response = run(_request("GET", server.url))
    assert response.json() == {"status": "queued"} and response.num_bytes_downloaded == len(packed)


def test_a_chunked_answer_and_a_streamed_request_body(servers) -> None:
    answer = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n"
    server = servers(answer_each(answer))

    async def parts() -> Any:
        for part in (b"to=1", b"&text=hi"):
            yield part

    response = run(_request("POST", server.url, content=parts()))
    assert response.text == "abcdefg"
    lines, body = head_and_body(server.requests[0])
    assert b"Transfer-Encoding: chunked" in lines and b"Content-Length" not in b"".join(lines)
    assert body == b"4\r\nto=1\r\n8\r\n&text=hi\r\n0\r\n\r\n"


def test_a_large_body_is_streamed_and_a_reader_that_stops_closes_the_connection(servers) -> None:
    size = 64 * 1024 * 1024  # more than the kernel's socket buffers on both sides hold

    def big(conn: socket.socket, server: RawServer) -> None:
        while server.record(conn) is not None:
            path = server.requests[-1].split(b" ")[1]
            if path == b"/small":
                conn.sendall(OK)
                continue
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
            sent = 0
            try:
                while sent < size:
                    sent += conn.send(b"x" * min(65536, size - sent))
            finally:
                server.sent.append(sent)

    server = servers(big)
    limit = 100_000

    async def capped() -> tuple[int, int]:
        async with httpx.AsyncClient(transport=AiohttpTransport(), timeout=5) as client:
            received = 0
            async with client.stream("GET", f"{server.url}/big") as response:
                async for chunk in response.aiter_raw():
                    received += len(chunk)
                    if received > limit:
                        break  # a size limit, as a caller enforces it while reading
            small = await client.get(f"{server.url}/small")
            assert small.json() == {"status": "ok"}
            return received, len(server.peers)

    received, connections = run(capped())
    assert limit < received < limit + 1024 * 1024  # stopped near the limit, not after 64 MB
    assert connections == 2  # the cut answer's connection was not reused for the next request
    deadline = time.monotonic() + 5
    while not server.sent and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.sent and server.sent[0] < size  # the rest of the body was never read


# --- connections ------------------------------------------------------------------------------


def test_consecutive_requests_share_one_kept_alive_connection(servers) -> None:
    server = servers(answer_each(OK))

    async def three() -> None:
        async with httpx.AsyncClient(transport=AiohttpTransport()) as client:
            for _ in range(3):
                assert (await client.post(server.url, content=b"x")).status_code == 200

    run(three())
    assert len(server.requests) == 3 and len(server.peers) == 1


def test_the_pool_opens_no_more_than_max_connections(servers) -> None:
    def slow(conn: socket.socket, server: RawServer) -> None:
        while server.record(conn) is not None:
            time.sleep(0.05)
            conn.sendall(OK)

    server = servers(slow)
    limits = httpx.Limits(max_connections=2, max_keepalive_connections=2)

    async def burst() -> None:
        async with httpx.AsyncClient(transport=AiohttpTransport(limits=limits), timeout=10) as client:
            answers = await asyncio.gather(*(client.get(server.url) for _ in range(8)))
            assert [a.status_code for a in answers] == [200] * 8

    run(burst())
    assert len(server.requests) == 8 and len(server.peers) == 2


def test_an_idle_connection_the_provider_closed_is_not_used(servers) -> None:
    # The send path runs its loop only during a batch: a provider's close of an idle connection
    # waits unread until the next one, whose first request must not go out on that connection.
    def one_then_close(conn: socket.socket, server: RawServer) -> None:
        server.record(conn)
        conn.sendall(OK)
        time.sleep(0.05)  # no "Connection: close": the client thinks it may keep it

    server = servers(one_then_close)
    loop = asyncio.new_event_loop()
    client = httpx.AsyncClient(transport=AiohttpTransport())
    try:
        for _ in range(3):
            assert loop.run_until_complete(client.get(server.url)).status_code == 200
            time.sleep(0.3)  # the close arrives while the loop is not running
    finally:
        loop.run_until_complete(client.aclose())
        loop.close()
    assert len(server.requests) == 3 and len(server.peers) == 3


def test_https_with_the_given_ca_and_a_stranger_refused_before_sending(servers) -> None:
    ca_pem, server_tls = _tls_pair()
    server = servers(answer_each(OK), tls=server_tls)
    trusting = ssl.create_default_context(cadata=ca_pem.decode())
    response = run(_request("POST", f"{server.url}/send", transport=AiohttpTransport(ssl_context=trusting)))
    assert response.json() == {"status": "ok"} and len(server.requests) == 1
    with pytest.raises(httpx.ConnectError, match="certificate"):  # the default CAs do not know it
        run(
            _request(
                "POST",
                f"{server.url}/send",
                transport=AiohttpTransport(ssl_context=ssl.create_default_context()),
            )
        )
    assert len(server.requests) == 1


# --- failures: never sent ----------------------------------------------------------------------


def test_connection_refused_is_a_connect_error(refused: int) -> None:
    with pytest.raises(httpx.ConnectError):
        run(_request("POST", f"http://127.0.0.1:{refused}/send", content=b"x"))


def test_an_unknown_host_is_a_connect_error() -> None:
    with pytest.raises(httpx.ConnectError):
        run(_request("GET", "http://provider.invalid/send"))


def test_waiting_too_long_for_a_pooled_connection_is_a_connect_timeout(servers) -> None:
    def slow(conn: socket.socket, server: RawServer) -> None:
        while server.record(conn) is not None:
            time.sleep(1.0)
            conn.sendall(OK)

    server = servers(slow)
    transport = AiohttpTransport(limits=httpx.Limits(max_connections=1, max_keepalive_connections=1))

    async def two() -> list[Any]:
        timeout = httpx.Timeout(5, pool=0.1, connect=0.1)
        async with httpx.AsyncClient(transport=transport, timeout=timeout) as client:
            first = asyncio.ensure_future(client.get(server.url))
            await asyncio.sleep(0.2)  # the only connection is busy with the first request
            second = await asyncio.gather(client.get(server.url), return_exceptions=True)
            return [await first, *second]

    first, second = run(two())
    assert first.status_code == 200
    assert isinstance(second, httpx.ConnectTimeout)
    assert len(server.requests) == 1  # the second never went out


# --- failures: maybe sent -----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "GET", "PUT"])
def test_a_hang_up_after_the_request_is_maybe_sent_and_never_resent(servers, method: str) -> None:
    # aiohttp on its own resends GET and PUT once after such a drop: the provider would act twice.
    server = servers(close_after_reading)
    with pytest.raises(httpx.RemoteProtocolError) as raised:
        run(_request(method, f"{server.url}/send", content=b"to=1" if method != "GET" else None))
    assert not isinstance(raised.value, httpx.ConnectError)
    time.sleep(0.2)  # a resend would have arrived by now
    assert len(server.requests) == 1


def test_a_hang_up_on_a_kept_alive_connection_is_not_resent_either(servers) -> None:
    def second_unanswered(conn: socket.socket, server: RawServer) -> None:
        server.record(conn)
        conn.sendall(OK)
        server.record(conn)  # the second request arrives on the same connection: no answer

    server = servers(second_unanswered)

    async def two() -> Any:
        async with httpx.AsyncClient(transport=AiohttpTransport()) as client:
            await client.get(server.url)
            return await asyncio.gather(client.get(server.url), return_exceptions=True)

    [second] = run(two())
    assert isinstance(second, httpx.RemoteProtocolError)
    time.sleep(0.2)
    assert len(server.requests) == 2 and len(server.peers) == 1


def test_silence_after_the_request_is_a_read_timeout(servers) -> None:
    server = servers(never_answer)
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        run(_request("POST", server.url, content=b"x", timeout=httpx.Timeout(5, read=0.3)))
    assert time.monotonic() - started < 2 and len(server.requests) == 1


def test_silence_in_the_middle_of_the_body_is_a_read_timeout(servers) -> None:
    def half(conn: socket.socket, server: RawServer) -> None:
        server.record(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        time.sleep(3)

    server = servers(half)
    with pytest.raises(httpx.ReadTimeout):
        run(_request("GET", server.url, timeout=httpx.Timeout(5, read=0.3)))


def test_a_truncated_or_malformed_answer_is_a_protocol_error(servers) -> None:
    def truncated(conn: socket.socket, server: RawServer) -> None:
        server.record(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")

    def garbage(conn: socket.socket, server: RawServer) -> None:
        server.record(conn)
        conn.sendall(b"SMTP ready\r\n\r\n")

    for handle in (truncated, garbage):
        server = servers(handle)
        with pytest.raises(httpx.RemoteProtocolError):
            run(_request("GET", server.url))


def test_a_body_stuck_in_a_full_socket_is_a_write_timeout(servers) -> None:
    # aiohttp has no write timeout: the transport's deadline ends a write the provider never reads.
    def unread(conn: socket.socket, server: RawServer) -> None:
        time.sleep(5)

    server = servers(unread)
    started = time.monotonic()
    with pytest.raises(httpx.WriteTimeout):
        run(_request("POST", server.url, content=b"x" * (64 * 1024 * 1024), timeout=0.3))
    assert time.monotonic() - started < 3


# --- proxies from the environment, as httpx's own transport reads them -------------------------


def test_plain_http_goes_through_the_environments_proxy_with_its_credentials(servers, monkeypatch) -> None:
    proxy = servers(answer_each(OK))
    monkeypatch.setenv("HTTP_PROXY", f"http://flow:s3cret@127.0.0.1:{proxy.port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    response = run(_request("POST", "http://provider.invalid/send?x=1", content=b"hi"))
    assert response.json() == {"status": "ok"}
    lines, body = head_and_body(proxy.requests[0])
    assert lines[0] == b"POST http://provider.invalid/send?x=1 HTTP/1.1" and body == b"hi"
    assert b"Proxy-Authorization: Basic ZmxvdzpzM2NyZXQ=" in lines  # flow:s3cret


def test_no_proxy_hosts_go_direct_and_a_dead_proxy_is_a_connect_error(servers, monkeypatch, refused) -> None:
    provider = servers(answer_each(OK))
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{refused}")
    monkeypatch.setenv("NO_PROXY", "localhost")
    assert run(_request("GET", f"http://localhost:{provider.port}/")).status_code == 200
    with pytest.raises(httpx.ConnectError):
        run(_request("GET", f"http://127.0.0.1:{provider.port}/"))
    assert len(provider.requests) == 1


def test_https_tunnels_through_the_proxy_and_a_refused_tunnel_is_a_proxy_error(servers, monkeypatch) -> None:
    ca_pem, server_tls = _tls_pair()
    provider = servers(answer_each(OK), tls=server_tls)

    def tunnel(conn: socket.socket, server: RawServer) -> None:
        request = server.record(conn)
        assert request is not None
        if b"refuse.invalid" in request:
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        upstream = socket.create_connection(("127.0.0.1", provider.port))
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        _pipe(conn, upstream)

    proxy = servers(tunnel)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    trusting = ssl.create_default_context(cadata=ca_pem.decode())
    response = run(
        _request(
            "POST", "https://localhost/send", content=b"hi", transport=AiohttpTransport(ssl_context=trusting)
        )
    )
    assert response.json() == {"status": "ok"}
    assert proxy.requests[0].startswith(b"CONNECT localhost:443 HTTP/1.1")
    assert head_and_body(provider.requests[0])[0][0] == b"POST /send HTTP/1.1"
    with pytest.raises(httpx.ProxyError):
        run(_request("POST", "https://refuse.invalid/send", transport=AiohttpTransport(ssl_context=trusting)))
    assert len(provider.requests) == 1


# --- the send service on this transport ------------------------------------------------------


@pytest.fixture
def kept_clients() -> Iterator[None]:
    send_clients.close_all()
    yield
    send_clients.close_all()


def _send_one(channel: Any) -> Msg:
    msg = queue_message(channel=channel, to="+250788123123", text="hello")
    send_channel(channel_id=channel.id)
    return Msg.objects.get(id=msg.id)


def test_the_send_path_uses_aiohttp_unless_told_otherwise(ex_channel, settings, kept_clients) -> None:
    settings.FLOWGATE_SEND_TIMEOUT_SECONDS = 7
    sender = send._Sender(ex_channel, None, token="t", lock="l", lock_seconds=15)
    clients = send_clients.run(sender._clients(2, send.SHARD_CONNECTIONS))
    for client in clients:
        transport = client._transport  # type: ignore[attr-defined]
        assert isinstance(transport, AiohttpTransport) and client.timeout == httpx.Timeout(7)
        assert transport.limits == httpx.Limits(max_connections=4, max_keepalive_connections=4)
        assert transport.ssl_context is send._ssl_context()
    send_clients.close_all()
    settings.FLOWGATE_SEND_HTTP = "httpcore"
    [client] = send_clients.run(sender._clients(1, send.SHARD_CONNECTIONS))
    assert isinstance(client._transport, httpx.AsyncHTTPTransport)  # type: ignore[attr-defined]


def test_a_message_goes_out_and_comes_back_sent(ex_channel, aggregator, kept_clients) -> None:
    msg = _send_one(ex_channel)
    assert (msg.status, msg.attempts) == ("sent", 1)
    assert aggregator.requests[0].form()["text"] == "hello"


def test_a_refused_connection_leaves_the_message_errored_for_a_retry(
    ex_channel, refused, kept_clients
) -> None:
    ex_channel.config["send_url"] = f"http://127.0.0.1:{refused}/send"
    ex_channel.save()
    msg = _send_one(ex_channel)
    assert (msg.status, msg.attempts) == ("errored", 1) and msg.next_attempt_on is not None
    assert msg.error.startswith("transport error: ConnectError(")


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_a_hang_up_after_the_request_is_recorded_as_a_transport_error_not_a_connect_error(
    ex_channel, servers, kept_clients, method: str
) -> None:
    # By the send path's rule every transport error is errored and retried with backoff; what
    # the transport decides is which one it says, and that it sent the request once.
    server = servers(close_after_reading)
    ex_channel.config.update(send_url=f"{server.url}/send", method=method)
    ex_channel.save()
    msg = _send_one(ex_channel)
    assert (msg.status, msg.attempts) == ("errored", 1)
    assert msg.error.startswith("transport error: RemoteProtocolError(")
    [logged] = msg.events.filter(event_type="http").values_list("data", flat=True)
    assert "RemoteProtocolError" in logged["error"]
    time.sleep(0.2)
    assert len(server.requests) == 1


def test_a_silent_provider_is_a_read_timeout_for_the_message(
    ex_channel, servers, settings, kept_clients
) -> None:
    settings.FLOWGATE_SEND_TIMEOUT_SECONDS = 0.3
    server = servers(never_answer)
    ex_channel.config["send_url"] = f"{server.url}/send"
    ex_channel.save()
    msg = _send_one(ex_channel)
    assert (msg.status, msg.attempts) == ("errored", 1)
    assert msg.error.startswith("transport error: ReadTimeout(") and len(server.requests) == 1


# --- helpers -----------------------------------------------------------------------------------


def _pipe(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways until either side closes (a CONNECT tunnel)."""
    try:
        while True:
            readable, _, _ = select.select([a, b], [], [], 5)
            if not readable:
                return
            for src in readable:
                data = src.recv(65536)
                if not data:
                    return
                (b if src is a else a).sendall(data)
    finally:
        b.close()


def _tls_pair() -> tuple[bytes, ssl.SSLContext]:
    """A throwaway CA (PEM) and a server context with a certificate it signed for localhost and 127.0.0.1."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Flowgate test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                key_encipherment=False, data_encipherment=False, key_agreement=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with tempfile.NamedTemporaryFile("wb", suffix=".pem") as bundle:
        bundle.write(cert_pem + key_pem)
        bundle.flush()
        context.load_cert_chain(bundle.name)
    return ca.public_bytes(serialization.Encoding.PEM), context
