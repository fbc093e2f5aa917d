"""One SMPP connection: framing, sequence numbers, request/response matching, enquire_link.

The session knows nothing about messages or reconnecting; `SmppLink` owns those. Keeping the
socket-level rules here (answer enquire_link, nack garbage, fail every waiter when the socket
dies) means the link can treat "the session closed" as the single failure signal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections.abc import Awaitable, Callable

from .pdu import (
    MAX_PDU_LENGTH,
    CommandId,
    FramingError,
    MalformedPdu,
    Pdu,
    PduDecoder,
    Status,
    status_name,
)

log = logging.getLogger("smsc.session")

RequestHandler = Callable[["SmppSession", Pdu], Awaitable[Pdu | None]]


class SessionClosed(ConnectionError):
    """The connection went away; requests still waiting for a response get this."""


class BindRejected(Exception):
    def __init__(self, status: int):
        super().__init__(f"bind rejected: {status_name(status)}")
        self.status = status


class SmppSession:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        name: str = "smpp",
        on_request: RequestHandler | None = None,
        on_closed: Callable[[SmppSession], None] | None = None,
        enquire_interval: float = 30.0,
        response_timeout: float = 10.0,
        max_pdu_length: int = MAX_PDU_LENGTH,
    ):
        self.name = name
        self._reader = reader
        self._writer = writer
        self._on_request = on_request
        self._on_closed = on_closed
        self.enquire_interval = enquire_interval
        self.response_timeout = response_timeout
        self._decoder = PduDecoder(max_pdu_length)
        self._pending: dict[int, asyncio.Future[Pdu]] = {}
        self._seq = 0
        self._tasks: set[asyncio.Future[None]] = set()
        self._loops: list[asyncio.Future[None]] = []
        self._out: list[bytes] = []  # corked writes, flushed once per event-loop pass
        self._closed = asyncio.get_running_loop().create_future()
        self.close_reason = ""
        self.last_rx = time.monotonic()
        self.malformed = 0
        self.enquire_links_answered = 0

    @classmethod
    async def connect(
        cls,
        host: str,
        port: int,
        *,
        ssl_context: ssl.SSLContext | None = None,
        connect_timeout: float = 10.0,
        **kwargs: object,
    ) -> SmppSession:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(
                host, port, ssl=ssl_context, server_hostname=host if ssl_context else None, limit=1 << 20
            ),
            connect_timeout,
        )
        session = cls(reader, writer, **kwargs)  # type: ignore[arg-type]
        session.start()
        return session

    def start(self) -> None:
        self._loops = [asyncio.ensure_future(self._read_loop())]
        if self.enquire_interval > 0:
            self._loops.append(asyncio.ensure_future(self._enquire_loop()))

    @property
    def is_closed(self) -> bool:
        return self._closed.done()

    @property
    def in_flight(self) -> int:
        return len(self._pending)

    async def wait_closed(self) -> str:
        return await asyncio.shield(self._closed)

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- sending ----

    def next_sequence(self) -> int:
        self._seq = self._seq + 1 if self._seq < 0x7FFFFFFF else 1
        return self._seq

    def send(self, pdu: Pdu) -> None:
        """Write a PDU (responses, or requests whose answer we do not wait for)."""
        if self.is_closed:
            raise SessionClosed(self.close_reason or "session closed")
        self._write(pdu.encode())

    def _write(self, data: bytes) -> None:
        # Coalescing a window's worth of PDUs into one write saves a syscall per PDU.
        if not self._out:
            asyncio.get_running_loop().call_soon(self._flush)
        self._out.append(data)

    def _flush(self) -> None:
        data, self._out = b"".join(self._out), []
        if data and not self.is_closed:
            self._writer.write(data)

    def send_request(self, pdu: Pdu) -> asyncio.Future[Pdu]:
        """Assign a sequence number, write, and return a future for the response.

        Raises SessionClosed *before* writing if the socket is gone, so the caller knows the
        request never left us (and may safely be sent again on the next connection).
        """
        if self.is_closed:
            raise SessionClosed(self.close_reason or "session closed")
        pdu.sequence = self.next_sequence()
        fut: asyncio.Future[Pdu] = asyncio.get_running_loop().create_future()
        self._pending[pdu.sequence] = fut
        self._write(pdu.encode())
        return fut

    def forget(self, sequence: int) -> None:
        """Stop waiting for a response (after a timeout); a late one is then logged and dropped."""
        self._pending.pop(sequence, None)

    async def drain(self) -> None:
        self._flush()
        if not self.is_closed:
            try:
                await self._writer.drain()
            except (ConnectionError, OSError) as e:
                self.abort(f"write failed: {e}")

    async def request(self, pdu: Pdu, timeout: float | None = None) -> Pdu:
        fut = self.send_request(pdu)
        await self.drain()
        try:
            return await asyncio.wait_for(fut, timeout or self.response_timeout)
        except TimeoutError:
            self.forget(pdu.sequence)
            raise

    async def bind(self, bind_pdu: Pdu, timeout: float | None = None) -> Pdu:
        resp = await self.request(bind_pdu, timeout)
        if resp.status != Status.ESME_ROK:
            self.abort(f"bind rejected: {status_name(resp.status)}")
            raise BindRejected(resp.status)
        return resp

    async def unbind(self, timeout: float = 2.0) -> None:
        """Polite goodbye; whatever happens, the socket is closed afterwards."""
        with contextlib.suppress(asyncio.TimeoutError, SessionClosed, OSError):
            await self.request(Pdu(CommandId.unbind), timeout)
        self.abort("unbound")

    def abort(self, reason: str) -> None:
        """Close the socket now and fail every pending request with SessionClosed."""
        if self._closed.done():
            return
        self.close_reason = reason
        self._flush()  # an unbind_resp or nack queued just before closing still goes out
        self._closed.set_result(reason)
        with contextlib.suppress(Exception):  # closing a broken transport must never raise
            self._writer.close()
        pending, self._pending = self._pending, {}
        for fut in pending.values():
            if not fut.done():
                fut.set_exception(SessionClosed(reason))
                fut.exception()  # mark retrieved: the waiter may have given up already
        # Stop our own loops, but let running request handlers (MO ingest) finish their work.
        for task in self._loops:
            if task is not asyncio.current_task():
                task.cancel()
        if self._on_closed:
            self._on_closed(self)

    # ---- receiving ----

    async def _read_loop(self) -> None:
        reason = "connection closed by peer"
        try:
            while True:
                data = await self._reader.read(1 << 16)
                if not data:
                    break
                self.last_rx = time.monotonic()
                self._decoder.feed(data)
                self._dispatch_buffered()
        except FramingError as e:
            reason = f"framing error: {e}"
            log.warning("%s: %s; dropping connection", self.name, reason)
        except (ConnectionError, OSError) as e:
            reason = f"connection error: {e!r}"
        except asyncio.CancelledError:
            reason = self.close_reason or "cancelled"
        except Exception as e:  # a bug must cost a reconnect, never the process
            reason = f"internal error: {e!r}"
            log.exception("%s: unexpected error in read loop", self.name)
        self.abort(reason)

    def _dispatch_buffered(self) -> None:
        while True:
            try:
                for pdu in self._decoder.pdus():
                    self._dispatch(pdu)
                return
            except MalformedPdu as e:
                # Framing is intact: nack this one PDU and keep the connection.
                self.malformed += 1
                log.warning("%s: malformed PDU: %s", self.name, e)
                fut = self._pending.pop(e.sequence, None) if e.command_id & 0x80000000 else None
                if fut and not fut.done():
                    fut.set_exception(SessionClosed(f"malformed response: {e}"))
                    fut.exception()
                self.send(Pdu(CommandId.generic_nack, e.sequence, e.status))

    def _dispatch(self, pdu: Pdu) -> None:
        if pdu.is_response:
            fut = self._pending.pop(pdu.sequence, None)
            if fut is not None and not fut.done():
                fut.set_result(pdu)
            elif pdu.command_id == CommandId.generic_nack:
                log.warning(
                    "%s: generic_nack %s for seq %d", self.name, status_name(pdu.status), pdu.sequence
                )
            else:
                log.info("%s: late or unexpected %s seq %d", self.name, pdu.command, pdu.sequence)
            return
        cid = pdu.command_id
        if cid == CommandId.enquire_link:
            self.enquire_links_answered += 1
            self.send(pdu.response())
        elif cid == CommandId.unbind:
            self.send(pdu.response())
            self.abort("unbind from SMSC")
        elif self._on_request is not None:
            self._spawn(self._handle(pdu))
        else:
            self.send(pdu.response(Status.ESME_RINVBNDSTS))

    async def _handle(self, pdu: Pdu) -> None:
        assert self._on_request is not None
        try:
            resp = await self._on_request(self, pdu)
        except Exception:  # the handler is the link's; still answer so the SMSC redelivers
            log.exception("%s: request handler failed for %s", self.name, pdu.command)
            resp = pdu.response(Status.ESME_RX_T_APPN)
        if resp is not None and not self.is_closed:
            self.send(resp)

    async def _enquire_loop(self) -> None:
        """Send enquire_link when the line has been quiet; a missing answer means a dead link."""
        while not self.is_closed:
            idle = time.monotonic() - self.last_rx
            if idle < self.enquire_interval:
                await asyncio.sleep(self.enquire_interval - idle)
                continue
            try:
                await self.request(Pdu(CommandId.enquire_link), self.response_timeout)
            except TimeoutError:
                self.abort("enquire_link timed out")
                return
            except SessionClosed:
                return
            self.last_rx = time.monotonic()
