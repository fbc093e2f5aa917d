"""A scriptable SMSC for tests and the bench: real TCP on 127.0.0.1, misbehaves on request.

It records every submit_sm it *answered with ESME_ROK* (`accepted`, by message id) and the raw
bytes of every submit_sm it received, so tests can check "nothing lost, nothing twice" and
inspect parts on the wire rather than trusting any decoder.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import uuid
from dataclasses import dataclass, field

from smsc.pdu import CommandId, FramingError, MalformedPdu, Pdu, PduDecoder, Status, is_bind


@dataclass
class ServerSession:
    writer: asyncio.StreamWriter
    system_id: str = ""
    mode: str = ""  # transmitter / receiver / transceiver once bound
    seq: itertools.count = field(default_factory=lambda: itertools.count(1))
    pending: dict[int, asyncio.Future[Pdu]] = field(default_factory=dict)

    @property
    def can_receive(self) -> bool:
        return self.mode in ("receiver", "transceiver")

    def send(self, pdu: Pdu) -> None:
        if not self.writer.is_closing():
            self.writer.write(pdu.encode())

    async def request(self, pdu: Pdu, timeout: float = 5.0) -> Pdu:
        pdu.sequence = next(self.seq)
        fut: asyncio.Future[Pdu] = asyncio.get_running_loop().create_future()
        self.pending[pdu.sequence] = fut
        self.send(pdu)
        return await asyncio.wait_for(fut, timeout)


class FakeSmsc:
    def __init__(self, credentials: dict[str, str] | None = None, *, id_format: str = "hex"):
        self.credentials = credentials if credentials is not None else {"test": "secret"}
        self.id_format = id_format  # hex / dec / uuid
        self.port = 0
        self._server: asyncio.Server | None = None
        self.sessions: list[ServerSession] = []
        self._ids = itertools.count(0x10000)
        # Records
        self.binds: list[tuple[str, str, str, int]] = []  # (mode, system_id, password, status)
        self.raw_submits: list[bytes] = []
        self.submits: list[Pdu] = []
        self.accepted: dict[str, Pdu] = {}
        self.enquire_links = 0
        self.generic_nacks: list[Pdu] = []
        self.unbinds = 0
        # Behaviour knobs
        self.throttle_next = 0  # answer this many submits with throttle_status
        self.throttle_status = Status.ESME_RTHROTTLED
        self.reject_status: int | None = None  # answer every submit with this status
        self.drop_after: int | None = None  # abort the connection on receiving submit number N
        self.silent = False  # stop answering submit_sm (response timeouts)
        self.auto_receipt: str | None = None  # e.g. "DELIVRD": send a receipt for each accepted submit
        self.receipt_id_format: str | None = None  # spell receipt ids differently (hex/dec)
        self.bound_event = asyncio.Event()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        for s in self.sessions:
            s.writer.transport.abort()
        if self._server:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1)

    async def __aenter__(self) -> FakeSmsc:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- helpers for tests ----

    def bound(self, receiving: bool = False) -> list[ServerSession]:
        return [s for s in self.sessions if s.mode and (s.can_receive or not receiving)]

    async def wait_bound(self, count: int = 1, timeout: float = 5.0) -> None:
        async def check() -> None:
            while len(self.bound()) < count:
                await asyncio.sleep(0.01)

        await asyncio.wait_for(check(), timeout)

    async def deliver(self, pdu: Pdu, timeout: float = 5.0) -> Pdu:
        """Send a deliver_sm to the first bound receiving session; returns its deliver_sm_resp."""
        return await self.bound(receiving=True)[0].request(pdu, timeout)

    def send_raw(self, data: bytes) -> None:
        for s in self.bound():
            s.writer.write(data)

    def drop_all(self) -> None:
        for s in self.sessions:
            s.writer.transport.abort()

    def new_id(self) -> str:
        n = next(self._ids)
        if self.id_format == "dec":
            return str(n)
        if self.id_format == "uuid":
            return str(uuid.UUID(int=n))
        return format(n, "X")

    # ---- protocol ----

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = ServerSession(writer)
        self.sessions.append(session)
        decoder = PduDecoder()
        try:
            while not writer.is_closing():
                data = await reader.read(1 << 16)
                if not data:
                    break
                decoder.feed(data)
                while True:
                    try:
                        for pdu in decoder.pdus():
                            self._handle(session, pdu)
                            if writer.is_closing():
                                return
                        break
                    except MalformedPdu as e:
                        session.send(Pdu(CommandId.generic_nack, e.sequence, e.status))
        except (FramingError, ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()
            if session in self.sessions:
                self.sessions.remove(session)

    def _handle(self, s: ServerSession, pdu: Pdu) -> None:
        cid = pdu.command_id
        if pdu.is_response:
            if cid == CommandId.generic_nack:
                self.generic_nacks.append(pdu)
            fut = s.pending.pop(pdu.sequence, None)
            if fut and not fut.done():
                fut.set_result(pdu)
            return
        if is_bind(cid):
            mode = CommandId(cid).name.removeprefix("bind_")
            sid, pw = str(pdu.get("system_id")), str(pdu.get("password"))
            if sid not in self.credentials:
                status = Status.ESME_RINVSYSID
            elif self.credentials[sid] != pw:
                status = Status.ESME_RINVPASWD
            else:
                status = Status.ESME_ROK
            self.binds.append((mode, sid, pw, status))
            if status == Status.ESME_ROK:
                s.mode, s.system_id = mode, sid
                s.send(pdu.response(status, system_id="fakesmsc"))
            else:
                s.send(pdu.response(status))
            return
        if cid == CommandId.enquire_link:
            self.enquire_links += 1
            s.send(pdu.response())
        elif cid == CommandId.unbind:
            self.unbinds += 1
            s.send(pdu.response())
            s.writer.close()
        elif not s.mode:
            s.send(pdu.response(Status.ESME_RINVBNDSTS))
        elif cid == CommandId.submit_sm:
            self._submit(s, pdu)
        else:
            s.send(pdu.response(Status.ESME_RINVCMDID))

    def _submit(self, s: ServerSession, pdu: Pdu) -> None:
        self.raw_submits.append(pdu.encode())
        self.submits.append(pdu)
        if self.drop_after is not None and len(self.submits) >= self.drop_after:
            self.drop_after = None
            s.writer.transport.abort()  # mid-window: this one and everything queued is unanswered
            return
        if self.silent:
            return
        if self.throttle_next > 0:
            self.throttle_next -= 1
            s.send(pdu.response(self.throttle_status))
            return
        if self.reject_status is not None:
            s.send(pdu.response(self.reject_status))
            return
        message_id = self.new_id()
        self.accepted[message_id] = pdu
        s.send(pdu.response(message_id=message_id))
        if self.auto_receipt:
            receivers = [r for r in self.bound(receiving=True) if r.system_id == s.system_id]
            if receivers:
                receipt = self.receipt_pdu(message_id, pdu, self.auto_receipt)
                receipt.sequence = next(receivers[0].seq)
                receivers[0].send(receipt)

    def receipt_pdu(self, message_id: str, submit: Pdu, stat: str = "DELIVRD") -> Pdu:
        shown = message_id
        if self.receipt_id_format == "dec":
            shown = str(int(message_id, 16))
        elif self.receipt_id_format == "hex":
            shown = format(int(message_id), "X")
        text = f"id:{shown} sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 stat:{stat} err:000 text:"
        return Pdu(
            CommandId.deliver_sm,
            params={
                "source_addr": str(submit.get("destination_addr")),
                "destination_addr": str(submit.get("source_addr")),
                "esm_class": 0x04,
                "short_message": text.encode(),
            },
        )
