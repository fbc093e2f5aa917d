"""An httpx transport whose connections are aiohttp's: the send path's provider requests.

Why: httpx stays the API every channel type, connector and test uses (requests, responses,
content decoding, httpx.MockTransport), but its default transport, httpcore over anyio and h11,
costs about half a millisecond more worker CPU per provider request than this one (0.85 against
0.35 ms per request on a local provider; 2.4 against 1.8 ms of worker CPU per message end to
end, benchmarks.flows_e2e). aiohttp parses HTTP/1.1 in C and keeps its own connection pool, DNS cache, TLS and
proxy tunnels; this module only adapts an httpx request to `ClientSession.request` and its
answer back to an httpx response, so we maintain no HTTP client of our own.

The one thing the adaptation must get exactly right is what a failure says about the provider.
A request that never left (no connection: DNS, refused, unreachable, TLS handshake, the proxy
refused the tunnel, no pooled connection in time) becomes httpx.ConnectError, ConnectTimeout or
ProxyError. Anything after the request may have been written (the server closed without an
answer, reset, went silent, sent a malformed or truncated answer) becomes httpx.ReadError,
ReadTimeout, WriteTimeout or RemoteProtocolError: the provider may have acted on it. An aiohttp
error this module does not know is put in the second group, the one that can never make a
sent message look unsent.

And aiohttp never sends a request twice on its own: its session resends an idempotent request
(GET, PUT, DELETE…) once when the connection drops before the answer; a provider may have
received the first one, and External API channels send with GET or PUT too. That retry is off
(`_no_resend`), and tests/channels_app/test_aiohttp_transport.py fails if it comes back.
"""

from __future__ import annotations

import asyncio
import ssl
import urllib.request
from collections.abc import AsyncIterator

import aiohttp
import httpx
from yarl import URL

# httpx's own default pool: the send path passes its own (SHARD_CONNECTIONS per client).
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)
# Headers aiohttp adds when the request lacks them. httpx already sends its defaults (Accept,
# Accept-Encoding, User-Agent) unless the caller removed them, and a body's Content-Type is the
# caller's to set: on the wire goes what the httpx request holds, nothing more.
_NOT_ADDED = ("Accept", "Accept-Encoding", "User-Agent", "Content-Type")


class AiohttpTransport(httpx.AsyncBaseTransport):
    """One aiohttp session and connection pool, for one httpx.AsyncClient.

    `limits` sizes the pool as httpx.Limits would: max_connections in use at once, idle ones
    closed after keepalive_expiry (aiohttp has no separate cap on idle connections; no keep-alive
    at all when max_keepalive_connections is 0). `ssl_context` verifies HTTPS providers.
    `trust_env` reads HTTP_PROXY / HTTPS_PROXY / ALL_PROXY / NO_PROXY once, when created, as an
    httpx client with its default transport does (httpx stops reading them once a transport is
    given, so this transport does it).
    """

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext | None = None,
        limits: httpx.Limits = DEFAULT_LIMITS,
        trust_env: bool = True,
    ) -> None:
        self.ssl_context, self.limits = ssl_context, limits
        self._proxies = urllib.request.getproxies() if trust_env else {}
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[tuple[float | None, ...], tuple[aiohttp.ClientTimeout, float | None]] = {}

    def _open(self) -> aiohttp.ClientSession:
        # Made on first use, inside the loop that will drive it (aiohttp binds to that loop).
        limits = self.limits
        keepalive = limits.max_keepalive_connections != 0
        connector = aiohttp.TCPConnector(
            limit=limits.max_connections or 0,  # 0: no limit, as httpx's None
            limit_per_host=0,
            force_close=not keepalive,
            keepalive_timeout=limits.keepalive_expiry if keepalive else None,
            ssl=self.ssl_context if self.ssl_context is not None else True,  # True: the default CAs
        )
        session = aiohttp.ClientSession(
            connector=connector,
            # httpx keeps the client's cookies and sends them in the request's headers; a second
            # jar here would add cookies the httpx client never saw.
            cookie_jar=aiohttp.DummyCookieJar(),
            # httpx decodes Content-Encoding itself (response.content, .text): aiohttp hands over
            # the bytes as they came.
            auto_decompress=False,
            skip_auto_headers=_NOT_ADDED,
            timeout=aiohttp.ClientTimeout(total=None),  # each request carries httpx's timeouts
            # Proxies are picked in `_proxy_for` like httpx picks them; aiohttp's own reading of
            # the environment would also take credentials from ~/.netrc.
            trust_env=False,
        )
        _no_resend(session)
        self._session = session
        return session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._session or self._open()
        # One turn of the loop first, so it reads what arrived while it was not running (the send
        # path runs it only during a batch): a provider's close of an idle kept-alive connection
        # then drops that connection from the pool instead of this request going out on it and
        # failing. httpcore polls an idle connection before reusing it; aiohttp trusts what the
        # loop has seen (and would resend the request, which is off: see the module docstring).
        await asyncio.sleep(0)
        timeout, deadline = self._timeout(request.extensions.get("timeout") or {})
        try:
            body: bytes | AsyncIterator[bytes] | None = request.content or None
            headers = _headers(request.headers)
        except httpx.RequestNotRead:  # a streamed body: aiohttp writes it chunked, as httpx would
            body = _body_chunks(request.stream)
            headers = [(k, v) for k, v in _headers(request.headers) if k.lower() != "transfer-encoding"]
        # httpx has percent-encoded the URL already, and turned its user:password into an
        # Authorization header: aiohttp refuses a request carrying both, so the URL goes bare.
        url = URL(str(request.url), encoded=True).with_user(None)
        try:
            # aiohttp has no write timeout: a body stuck in a full socket buffer would start no
            # read timer and wait for ever. This bounds the whole exchange up to the answer's head.
            async with asyncio.timeout(deadline):
                response = await session.request(
                    request.method,
                    url,
                    headers=headers,
                    data=body,
                    allow_redirects=False,  # httpx follows redirects itself when asked to
                    timeout=timeout,
                    proxy=self._proxy_for(url),
                )
        except aiohttp.ClientError as exc:
            raise _translated(exc, request) from exc
        except ValueError as exc:
            # aiohttp refused to build the request (a header value with a newline…): not sent.
            raise httpx.LocalProtocolError(str(exc), request=request) from exc
        except TimeoutError as exc:  # the deadline above: the connection existed, see _timeout
            raise httpx.WriteTimeout(
                "no answer within the write and read timeouts; the request may have been sent",
                request=request,
            ) from exc
        return httpx.Response(
            status_code=response.status,
            headers=list(response.raw_headers),
            stream=_ResponseStream(response, request),
            extensions={
                "http_version": b"HTTP/1.0" if response.version == aiohttp.HttpVersion10 else b"HTTP/1.1",
                "reason_phrase": (response.reason or "").encode("ascii", "replace"),
            },
        )

    async def aclose(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    def _timeout(self, extension: dict[str, float | None]) -> tuple[aiohttp.ClientTimeout, float | None]:
        """aiohttp's timeouts for httpx's connect/read/write/pool (cached: one per client)."""
        key = tuple(extension.get(k) for k in ("connect", "read", "write", "pool"))
        if (cached := self._timeouts.get(key)) is not None:
            return cached
        connect, read, write, pool = key
        # aiohttp's `connect` covers waiting for a free pooled connection and opening one, its
        # `sock_connect` only the opening: pool + connect bounds both phases as httpx does (a
        # wait for the pool is reported as ConnectTimeout, not PoolTimeout: nothing was sent
        # either way). `sock_read` is httpx's read timeout: the longest silence while reading.
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        # The answer's head must come within every phase's allowance: when this passes, the
        # connect phase has already ended (its own bound is shorter, even once aiohttp has rounded
        # it up to a whole second as it does above 5 s: hence the extra second), so the request
        # was being written or answered, never "not sent".
        deadline = None if None in key else sum(key) + 1.0  # type: ignore[arg-type]
        self._timeouts[key] = (timeout, deadline)
        return timeout, deadline

    def _proxy_for(self, url: URL) -> str | None:
        """The environment's proxy for this URL, chosen as httpx chooses it (None: direct)."""
        proxies = self._proxies
        if not proxies:
            return None
        proxy = proxies.get(url.scheme) or proxies.get("all")
        # NO_PROXY against the values read at creation (urllib's helper behind proxy_bypass)
        bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
        if not proxy or bypass(url.host or "", proxies):
            return None
        return proxy if "://" in proxy else f"http://{proxy}"


class _ResponseStream(httpx.AsyncByteStream):
    """The answer's body as aiohttp reads it; the caller stops whenever it likes (size limits).

    Closing returns the connection to the pool only when the whole body was read; a body left
    unread closes it (aiohttp's rule), so the next request never reads this one's leftovers.
    """

    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response, self._request = response, request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        content = self._response.content
        try:
            while chunk := await content.readany():
                yield chunk
        except aiohttp.ClientError as exc:
            raise _translated(exc, self._request) from exc

    async def aclose(self) -> None:
        self._response.release()


def _translated(exc: aiohttp.ClientError, request: httpx.Request) -> httpx.TransportError:
    """httpx's exception for an aiohttp one: before anything was sent, or maybe after."""
    message = str(exc) or repr(exc)
    # --- nothing was written to the provider: its connector could not give us a connection.
    if isinstance(exc, aiohttp.ClientHttpProxyError):  # the proxy refused the CONNECT tunnel
        return httpx.ProxyError(message, request=request)
    if isinstance(exc, aiohttp.ConnectionTimeoutError):  # raised only around connector.connect
        return httpx.ConnectTimeout(message, request=request)
    if isinstance(exc, aiohttp.ClientConnectorError):  # DNS, refused, unreachable, TLS, the proxy's socket
        return httpx.ConnectError(message, request=request)
    if isinstance(exc, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):  # refused up front
        return httpx.UnsupportedProtocol(message, request=request)
    # --- the request may have been written, in part or whole: its outcome is unknown.
    if isinstance(exc, aiohttp.SocketTimeoutError | aiohttp.ServerTimeoutError):
        return httpx.ReadTimeout(message, request=request)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return httpx.RemoteProtocolError(
            f"server disconnected without a complete answer: {message}", request=request
        )
    if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ClientResponseError):  # truncated or malformed
        return httpx.RemoteProtocolError(message, request=request)
    if isinstance(exc, aiohttp.ClientConnectionResetError):  # the socket went while writing
        return httpx.WriteError(message, request=request)
    return httpx.ReadError(message, request=request)


def _no_resend(session: aiohttp.ClientSession) -> None:
    """Turn off aiohttp's resend of idempotent requests after a dropped connection.

    It is a private attribute (aiohttp's own test client turns it off the same way): if a new
    aiohttp renames it, fail at once rather than send twice silently.
    """
    if not hasattr(session, "_retry_connection"):
        raise RuntimeError("this aiohttp cannot turn off its resend of dropped requests")
    session._retry_connection = False


def _headers(headers: httpx.Headers) -> list[tuple[str, str]]:
    # The raw list keeps each name's case as the caller wrote it (some gateways care) and
    # repeated headers apart; values decode as httpx encoded them, so the bytes are unchanged.
    encoding = headers.encoding
    return [(k.decode(encoding), v.decode(encoding)) for k, v in headers.raw]


async def _body_chunks(stream: httpx.AsyncByteStream | httpx.SyncByteStream) -> AsyncIterator[bytes]:
    if isinstance(stream, httpx.AsyncByteStream):
        async for chunk in stream:
            yield chunk
    else:
        for chunk in stream:
            yield chunk
