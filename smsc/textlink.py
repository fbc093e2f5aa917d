"""The asyncio link for STX/ETX text protocols (UCP/EMI, CIMD2), with SmppLink's interface.

The supervisor drives every link the same way (`run()`, `submit()`, `close()`, `status`,
`is_bound`, `wait_bound()`), so a `TextLink` plugs into `manage.py smsc` beside `SmppLink`.
What differs per protocol (framing, login, submit fields, acks, keep-alive, how MOs and
receipts look) sits behind `TextProtocol`; windowing, the rate limit, reconnect with backoff,
keep-alive timing live here once for both; the reconnect loop, close, link state and the rate
limiter are `smsc.linkbase`'s, shared with SMPP, as is the submit outcome rule (see `smsc.link`).

Windowing: both protocols number requests from a small space (UCP TRN 00-99, CIMD2 odd packet
numbers 1-255), so a request holds its number until answered; a number whose answer timed out
is held back for another timeout before reuse, so a late answer cannot be taken for a newer one.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import logging
import random
import ssl
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from . import gsm
from .concat import MOMessage, encode_message, parse_udh
from .dlr import Receipt
from .link import OutboundSms, SubmitResult, _combine, _PartResult
from .linkbase import LinkBase, LinkOptions, time_out, tls_context

if TYPE_CHECKING:
    from typing_extensions import Unpack
from .pdu import Status

log = logging.getLogger("smsc.textlink")

RequestKind = Literal["mo", "receipt", "alive", "other"]


@dataclass
class TextLinkConfig:
    host: str
    port: int
    username: str
    password: str
    source_addr: str = ""  # the channel's address: sender of every submit
    window: int = 50
    max_tps: float = 0.0
    encoding: gsm.EncodingChoice = "auto"
    notify: bool = True  # ask for delivery notifications / status reports
    tls: bool = False
    tls_verify: bool = True
    ssl_context: ssl.SSLContext | None = None
    connect_timeout: float = 10.0
    response_timeout: float = 10.0
    keepalive_interval: float = 30.0  # an alive request after this long without traffic
    bound_wait: float = 30.0
    reconnect_min: float = 1.0
    reconnect_max: float = 60.0
    throttle_pause: float = 0.5
    throttle_pause_max: float = 10.0
    throttle_retries: int = 8
    mo_reassembly_timeout: float = 120.0
    close_timeout: float = 5.0
    bind_mode: str = "transceiver"  # one connection both ways (reported like SMPP's)

    def tls_context(self) -> ssl.SSLContext | None:
        return tls_context(self)


@dataclass(frozen=True)
class Part:
    """One SMS worth of payload: GSM septets (dcs None) or octets with a DCS; `udh` when concatenated."""

    data: bytes = b""
    udh: bytes = b""
    dcs: int | None = None
    more: bool = False  # further parts of the same message follow this one


@dataclass(frozen=True)
class Answer:
    """What a response to one of our requests says."""

    ok: bool
    message_id: str = ""
    error: str = ""
    transient: bool = False  # a refusal worth retrying later (system error, link trouble)
    throttled: bool = False  # the SMSC asks us to slow down; it did not take the message


@dataclass(frozen=True)
class InboundPart:
    sender: str
    recipient: str
    data: bytes
    udh: bytes
    dcs: int
    text: str


@dataclass(frozen=True)
class Request:
    """A request from the SMSC, decoded: an MO part, a receipt, a keep-alive or anything else."""

    kind: RequestKind
    mo: InboundPart | None = None
    receipt: Receipt | None = None


class TextProtocol(ABC):
    name = ""
    default_port = 0

    @abstractmethod
    def refs(self) -> list[int]:
        """The transaction numbers this side may use, in order."""

    @abstractmethod
    def split(self, buffer: bytearray) -> list[bytes]: ...

    @abstractmethod
    def decode(self, frame: bytes) -> Any:
        """Raises ValueError for a malformed frame."""

    @abstractmethod
    def is_response(self, msg: Any) -> bool: ...

    @abstractmethod
    def ref_of(self, msg: Any) -> int: ...

    @abstractmethod
    def login(self, ref: int, cfg: TextLinkConfig) -> bytes: ...

    @abstractmethod
    def logout(self, ref: int, cfg: TextLinkConfig) -> bytes | None: ...

    @abstractmethod
    def alive(self, ref: int, cfg: TextLinkConfig) -> bytes: ...

    @abstractmethod
    def submit(self, ref: int, cfg: TextLinkConfig, *, to: str, sender: str, part: Part) -> bytes: ...

    @abstractmethod
    def answer(self, msg: Any, *, to: str = "") -> Answer:
        """Read the response to a request of ours (`to`: the submit's destination)."""

    @abstractmethod
    def request(self, msg: Any) -> Request: ...

    @abstractmethod
    def reply(self, msg: Any, *, ok: bool) -> bytes:
        """Our response to a request from the SMSC."""


_GSM7_SINGLE = gsm.part_capacity("gsm7")


def split_parts(text: str, encoding: gsm.EncodingChoice, reference: int) -> list[Part]:
    """The text as SMS parts: GSM 7-bit text, or UCS-2/Latin-1 octets with their DCS, UDH-joined."""
    if encoding in ("auto", "gsm7"):
        # The common case (one GSM part) without the general path; one alphabet check, not two.
        try:
            septets = gsm.gsm7_encode(text)
        except gsm.EncodeError:
            pass  # "auto" picks UCS-2 below; "gsm7" raises there with the offending character
        else:
            if len(septets) <= _GSM7_SINGLE:
                return [Part(data=septets)]
    message = encode_message(text, encoding=encoding, mode="udh", reference=reference)
    parts = []
    last = len(message.parts) - 1
    for i, p in enumerate(message.parts):
        udh, body = b"", p.short_message
        if p.esm_class & 0x40:
            size = body[0] + 1
            udh, body = body[:size], body[size:]
        if message.encoding == "gsm7":  # GSM septets, one per octet: each codec writes them its way
            parts.append(Part(data=body, udh=udh, more=i < last))
        else:
            parts.append(Part(data=body, udh=udh, dcs=message.data_coding, more=i < last))
    return parts


class LinkClosed(ConnectionError):
    pass


class NotWritten(LinkClosed):
    """The connection was gone before the request was written: sending it again cannot duplicate."""


class _Connection:
    """One TCP connection: frames in and out, requests matched to answers by number."""

    def __init__(self, link: TextLink, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.link = link
        self.proto = link.protocol
        self.reader, self.writer = reader, writer
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.buffer = bytearray()
        self.out: list[bytes] = []
        # Cached: asked for twice per request on the submit hot path otherwise.
        self.loop = asyncio.get_running_loop()
        self.closed = self.loop.create_future()
        self.close_reason = ""
        self.last_rx = time.monotonic()
        self.tasks: set[asyncio.Future[None]] = set()
        self.loops: list[asyncio.Future[None]] = []
        # Answer deadlines in send order, watched by one timer: a timer per request, created and
        # then cancelled when the answer came, cost a tenth of the submit path's CPU.
        self._deadlines: collections.deque[tuple[float, asyncio.Future[Any]]] = collections.deque()
        self._deadline_timer: asyncio.TimerHandle | None = None

    @property
    def is_closed(self) -> bool:
        return self.closed.done()

    def start(self) -> None:
        self.loops = [asyncio.ensure_future(self._read_loop())]

    def write(self, data: bytes) -> None:
        if self.is_closed:
            raise LinkClosed(self.close_reason or "connection closed")
        if not self.out:  # one write per event-loop pass for a window's worth of frames
            self.loop.call_soon(self._flush)
        self.out.append(data)

    def _flush(self) -> None:
        data, self.out = b"".join(self.out), []
        if data and not self.is_closed:
            self.writer.write(data)

    def send_request(self, ref: int, data: bytes) -> asyncio.Future[Any]:
        if self.closed.done():
            raise NotWritten(self.close_reason or "connection closed")
        fut: asyncio.Future[Any] = self.loop.create_future()
        self.pending[ref] = fut
        self.write(data)
        return fut

    def expire(self, fut: asyncio.Future[Any], timeout: float) -> asyncio.TimerHandle | None:
        """Fail `fut` with TimeoutError unless it is answered within `timeout` seconds.

        Returns a timer to cancel only for a deadline earlier than one already queued (a
        shorter timeout than the requests before it: rare), which gets a timer of its own."""
        when = self.loop.time() + timeout
        queue = self._deadlines
        while queue and queue[0][1].done():  # answered: mostly in order, so the queue stays short
            queue.popleft()
        if queue and when < queue[-1][0]:
            return self.loop.call_at(when, time_out, fut)
        queue.append((when, fut))
        if self._deadline_timer is None:
            self._deadline_timer = self.loop.call_at(when, self._expire_due)
        return None

    def _expire_due(self) -> None:
        self._deadline_timer = None
        now = self.loop.time()
        queue = self._deadlines
        while queue:
            when, fut = queue[0]
            if not fut.done():
                if when > now:
                    self._deadline_timer = self.loop.call_at(when, self._expire_due)
                    return
                time_out(fut)
            queue.popleft()

    def abort(self, reason: str) -> None:
        if self.closed.done():
            return
        if self._deadline_timer is not None:
            self._deadline_timer.cancel()
            self._deadline_timer = None
        self.close_reason = reason
        self._flush()
        self.closed.set_result(reason)
        with contextlib.suppress(Exception):
            self.writer.close()
        pending, self.pending = self.pending, {}
        for fut in pending.values():
            if not fut.done():
                fut.set_exception(LinkClosed(reason))
                fut.exception()
        for task in self.loops:
            if task is not asyncio.current_task():
                task.cancel()

    async def _read_loop(self) -> None:
        reason = "connection closed by peer"
        try:
            while True:
                data = await self.reader.read(1 << 16)
                if not data:
                    break
                self.last_rx = time.monotonic()
                self.buffer += data
                for frame in self.proto.split(self.buffer):
                    self._dispatch(frame)
        except ValueError as e:  # no end marker within the limit: the stream is lost
            reason = f"framing error: {e}"
        except (ConnectionError, OSError) as e:
            reason = f"connection error: {e!r}"
        except asyncio.CancelledError:
            reason = self.close_reason or "cancelled"
        except Exception as e:  # a bug costs a reconnect, never the process
            reason = f"internal error: {e!r}"
            log.exception("%s: unexpected error in read loop", self.link.name)
        self.abort(reason)

    def _dispatch(self, frame: bytes) -> None:
        try:
            msg = self.proto.decode(frame)
        except ValueError as e:
            self.link.status.malformed += 1
            log.warning("%s: malformed %s frame dropped: %s", self.link.name, self.proto.name, e)
            return
        if self.proto.is_response(msg):
            fut = self.pending.pop(self.proto.ref_of(msg), None)
            if fut is not None and not fut.done():
                fut.set_result(msg)
            else:
                log.info("%s: late or unexpected response %r", self.link.name, msg)
            return
        task = asyncio.ensure_future(self._handle(msg))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _handle(self, msg: Any) -> None:
        ok = True
        try:
            await self.link._on_request(self.proto.request(msg))
        except Exception:  # answer negatively so the SMSC delivers it again
            log.exception("%s: handling a request failed", self.link.name)
            ok = False
        if not self.is_closed:
            self.write(self.proto.reply(msg, ok=ok))


@dataclass
class _MoSet:
    first_seen: float
    total: int
    parts: dict[int, InboundPart] = field(default_factory=dict)


class LoginRefused(Exception):
    pass


class TextLink(LinkBase):
    log = log
    connect_errors = (OSError, TimeoutError, LinkClosed)
    refused_errors = (LoginRefused,)
    config: TextLinkConfig

    def __init__(self, protocol: TextProtocol, config: TextLinkConfig, **options: Unpack[LinkOptions]):
        super().__init__(config, f"{protocol.name} {config.username}@{config.host}:{config.port}", options)
        self.protocol = protocol
        refs = protocol.refs()
        start = random.randrange(len(refs))
        refs = refs[start:] + refs[:start]
        # Free transaction numbers; a waiter gets a released number handed over directly.
        self._free: collections.deque[int] = collections.deque(refs[: max(1, min(config.window, len(refs)))])
        self._ref_waiters: collections.deque[asyncio.Future[int]] = collections.deque()
        self._conn: _Connection | None = None
        self._concat_ref = random.randrange(256)
        self._mo_sets: dict[tuple[str, int, int], _MoSet] = {}

    async def submit(self, sms: OutboundSms) -> SubmitResult:
        if self._closing.is_set():
            return SubmitResult("not_sent", error="link is closing")
        self._concat_ref = (self._concat_ref + 1) & 0xFF
        try:
            parts = split_parts(sms.text, sms.encoding or self.config.encoding, self._concat_ref)
        except gsm.EncodeError as e:
            return SubmitResult("not_sent", error=f"cannot encode: {e}")
        to = sms.to.lstrip("+")
        sender = sms.source or self.config.source_addr
        if len(parts) == 1:
            results = [await self._submit_part(to, sender, parts[0])]
        else:
            results = list(await asyncio.gather(*(self._submit_part(to, sender, p) for p in parts)))
        return _combine(results)

    # ---- requests ----

    async def _request(
        self, conn: _Connection, build: Callable[[int], bytes], timeout: float, *, submit: bool = False
    ) -> Any:
        """Send one request under a free transaction number and wait for its answer.

        NotWritten: nothing went out (the connection closed first, perhaps while this request
        waited for a free number); any other LinkClosed or a TimeoutError: written, unanswered.
        """
        ref = self._free.popleft() if self._free and not self._ref_waiters else await self._wait_ref()
        timed_out = False
        try:
            fut = conn.send_request(ref, build(ref))
            if submit:
                self.status.submitted += 1
            timer = conn.expire(fut, timeout)
            try:
                return await fut
            except TimeoutError:
                timed_out = True
                conn.pending.pop(ref, None)
                raise
            finally:
                if timer is not None:
                    timer.cancel()
        finally:
            if timed_out:  # a late answer must not be taken for the next request's
                conn.loop.call_later(timeout, self._release_ref, ref)
            else:
                self._release_ref(ref)

    async def _wait_ref(self) -> int:
        fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._ref_waiters.append(fut)
        try:
            return await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self._release_ref(fut.result())  # handed over just as we were cancelled
            raise

    def _release_ref(self, ref: int) -> None:
        while self._ref_waiters:
            waiter = self._ref_waiters.popleft()
            if not waiter.done():
                waiter.set_result(ref)
                return
        self._free.append(ref)

    async def _submit_part(self, to: str, sender: str, part: Part) -> _PartResult:
        cfg = self.config
        throttled = 0
        while True:
            if not self._bound.is_set() and not await self.wait_bound(cfg.bound_wait):
                return _PartResult("not_sent", error=self.status.last_error or "link not logged in")
            if self._bucket.rate or self._bucket.paused_until:
                await self._bucket.acquire()
            conn = self._conn
            if conn is None or conn.is_closed or self._closing.is_set():
                if self._closing.is_set():
                    return _PartResult("not_sent", error="link is closing")
                await asyncio.sleep(0)
                continue
            self.status.in_flight += 1
            build = functools.partial(self.protocol.submit, cfg=cfg, to=to, sender=sender, part=part)
            try:
                resp = await self._request(conn, build, cfg.response_timeout, submit=True)
            except TimeoutError:
                self.status.unacknowledged += 1
                return _PartResult("unacknowledged", error=f"no answer in {cfg.response_timeout}s")
            except NotWritten:
                continue  # nothing went out: try again on the next login
            except LinkClosed as e:
                self.status.unacknowledged += 1
                return _PartResult("unacknowledged", error=f"connection lost before the answer: {e}")
            finally:
                self.status.in_flight -= 1
            answer = self.protocol.answer(resp, to=to)
            if answer.ok:
                self.status.accepted += 1
                self._throttle_delay = cfg.throttle_pause
                return _PartResult("accepted", message_id=answer.message_id)
            if answer.throttled and throttled < cfg.throttle_retries:
                throttled += 1
                self._on_throttled(f"{self.protocol.name} {answer.error or 'throttled'}")
                continue
            self.status.rejected += 1
            status = Status.ESME_RSYSERR if answer.transient else Status.ESME_RSUBMITFAIL
            return _PartResult("rejected", status=status, error=f"{self.protocol.name} {answer.error}")

    # ---- connection management ----

    async def _connect(self) -> None:
        cfg = self.config
        ctx = cfg.tls_context()
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(
                cfg.host, cfg.port, ssl=ctx, server_hostname=cfg.host if ctx else None, limit=1 << 20
            ),
            cfg.connect_timeout,
        )
        conn = _Connection(self, reader, writer)
        conn.start()
        try:
            resp = await self._request(conn, lambda ref: self.protocol.login(ref, cfg), cfg.response_timeout)
            answer = self.protocol.answer(resp)
            if not answer.ok:
                raise LoginRefused(f"login refused: {answer.error}")
        except BaseException:
            conn.abort("login failed")
            raise
        self._conn = conn
        conn.loops.append(asyncio.ensure_future(self._keepalive(conn)))
        self.status.bound_since = time.time()
        self._bound.set()
        self._set_state("bound")
        log.info("%s: logged in", self.name)

    async def _keepalive(self, conn: _Connection) -> None:
        interval = self.config.keepalive_interval
        while not conn.is_closed and interval > 0:
            idle = time.monotonic() - conn.last_rx
            if idle < interval:
                await asyncio.sleep(interval - idle)
                continue
            try:
                await self._request(
                    conn, lambda ref: self.protocol.alive(ref, self.config), self.config.response_timeout
                )
            except TimeoutError:
                conn.abort("keep-alive unanswered")
                return
            except LinkClosed:
                return
            conn.last_rx = time.monotonic()

    async def _wait_disconnect(self) -> str:
        conn = self._conn
        assert conn is not None
        closed = asyncio.ensure_future(asyncio.shield(conn.closed))
        closing = asyncio.ensure_future(self._closing.wait())
        await asyncio.wait([closed, closing], return_when=asyncio.FIRST_COMPLETED)
        closed.cancel()
        closing.cancel()
        self._bound.clear()
        return conn.close_reason or "closed"

    async def _close_connections(self) -> None:
        conn = self._conn
        if conn is not None and not conn.is_closed:
            with contextlib.suppress(TimeoutError, LinkClosed, OSError, asyncio.CancelledError):
                logout = self.protocol.logout(0, self.config)
                if logout is not None:
                    await self._request(conn, lambda ref: self.protocol.logout(ref, self.config) or b"", 2.0)
            conn.abort("logged out")

    def _abort_connections(self, reason: str) -> None:
        if self._conn is not None:
            self._conn.abort(reason)

    async def _housekeep(self, now: float) -> None:
        for key, mo_set in list(self._mo_sets.items()):
            if now - mo_set.first_seen > self.config.mo_reassembly_timeout:
                del self._mo_sets[key]
                with contextlib.suppress(Exception):
                    await self._deliver_mo(mo_set, complete=False)

    # ---- requests from the SMSC ----

    async def _on_request(self, request: Request) -> None:
        if request.kind == "receipt" and request.receipt is not None:
            self.status.receipts_received += 1
            if self.on_receipt:
                await self.on_receipt(request.receipt)
        elif request.kind == "mo" and request.mo is not None:
            await self._on_mo_part(request.mo)

    async def _on_mo_part(self, part: InboundPart) -> None:
        ies, _ = parse_udh(part.udh)
        concat = ies.get(0x00) or ies.get(0x08)
        if not concat:
            await self._deliver_mo(_MoSet(time.monotonic(), 1, {1: part}), complete=True)
            return
        ref = concat[0] if len(concat) == 3 else int.from_bytes(concat[:2], "big")
        total, seq = concat[-2], concat[-1]
        key = (part.sender, ref, total)
        mo_set = self._mo_sets.setdefault(key, _MoSet(time.monotonic(), total))
        mo_set.parts[seq] = part
        if len(mo_set.parts) >= total:
            del self._mo_sets[key]
            await self._deliver_mo(mo_set, complete=True)

    async def _deliver_mo(self, mo_set: _MoSet, *, complete: bool) -> None:
        parts = [mo_set.parts[k] for k in sorted(mo_set.parts)]
        first = parts[0]
        if all(p.dcs in (0, None) for p in parts):
            text = "".join(p.text for p in parts)
        else:  # join raw octets before decoding: a surrogate pair may straddle two parts
            text = gsm.decode_text(b"".join(p.data for p in parts), first.dcs)
        sender = first.sender
        mo = MOMessage(
            source_addr=sender,
            destination_addr=first.recipient,
            text=text,
            data_coding=first.dcs,
            parts=mo_set.total,
            complete=complete,
            source_addr_ton=1 if sender.isdigit() and not sender.startswith("0") else 5,
        )
        self.status.mo_received += 1
        if self.on_mo:
            await self.on_mo(mo)
