"""A local SMSC for UCP/EMI or CIMD2 over real TCP: the peer for tests and the benchmarks.

It speaks the server side of each protocol as the specs describe it (and as Kannel, our
independent client, expects - see tests/smsc_text/test_kannel.py): login checked against one
account, submits acknowledged with an `AdC:SCTS`-style id, keep-alives answered, MOs and
delivery notifications pushed on request (or automatically after each submit, for the
end-to-end benchmark). Everything received is recorded decoded for the tests to inspect.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from smsc.cimd import codec as cimd
from smsc.ucp import codec as ucp

Kind = Literal["ucp", "cimd"]


@dataclass
class Seen:
    logins: list[tuple[str, str, bool]] = field(default_factory=list)  # user, password, accepted
    submits: list[Any] = field(default_factory=list)  # decoded Operation / Packet
    raw: list[bytes] = field(default_factory=list)  # every frame received (record=True)
    answers: list[Any] = field(default_factory=list)  # responses to our MOs / notifications
    alives: int = 0
    logouts: int = 0
    accepted: dict[str, str] = field(default_factory=dict)  # message id -> destination
    submit_count: int = 0


class _Conn(asyncio.Protocol):
    def __init__(self, server: TextSmsc) -> None:
        self.server = server
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        self.logged_in = False
        self.out: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.server.conns.append(self)

    def connection_lost(self, exc: Exception | None) -> None:
        with contextlib.suppress(ValueError):
            self.server.conns.remove(self)

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        split = ucp.split_frames if self.server.kind == "ucp" else cimd.split_frames
        out: list[bytes] = []
        receipts: list[bytes] = []
        for frame in split(self.buf):
            if self.server.record:
                self.server.seen.raw.append(frame)
            try:
                answer, receipt = (
                    self._ucp(ucp.parse(frame))
                    if self.server.kind == "ucp"
                    else self._cimd(cimd.decode(frame))
                )
            except ValueError:
                self.server.malformed += 1
                continue
            if answer:
                out.append(answer)
            if receipt:
                receipts.append(receipt)
        if out:
            self.write(b"".join(out))
        if receipts:
            self.write(b"".join(receipts))
        if self.server.close_after_logout:
            self.server.close_after_logout = False
            if self.transport:
                self.transport.close()

    # ---- UCP ----

    def _ucp(self, op: ucp.Operation) -> tuple[bytes | None, bytes | None]:
        srv, seen = self.server, self.server.seen
        if op.is_result:
            seen.answers.append(op)
            return None, None
        if op.ot == "60":
            f = op.named()
            user, password = f.get("OAdC", ""), ucp.ira_unhex(f.get("PWD", "") or "")
            ok = (user, password) == (srv.username, srv.password)
            seen.logins.append((user, password, ok))
            self.logged_in = ok
            return ucp.frame(
                ucp.result(op, ok=ok, error="07", sm="" if ok else "authentication failure")
            ), None
        if op.ot == "31":
            seen.alives += 1
            return ucp.frame(ucp.result(op, ok=True, sm="0000")), None
        if op.ot == "51":
            if not self.logged_in:
                return ucp.frame(ucp.result(op, ok=False, error="07", sm="not logged in")), None
            seen.submit_count += 1
            if srv.record:
                seen.submits.append(op)
            if srv.hold_after is not None and seen.submit_count > srv.hold_after:
                return None, None  # taken, never answered: the client cannot know
            if srv.reject_next:
                srv.reject_next -= 1
                return ucp.frame(ucp.result(op, ok=False, error=srv.reject_code, sm="refused")), None
            adc, scts = op.fields[0], srv.next_scts()
            msg_id = f"{adc}:{scts}"
            if srv.record:
                seen.accepted[msg_id] = adc
            ack = ucp.Operation(op.trn, "R", "51", ["A", "", msg_id])
            receipt = srv.ucp_notification(adc, scts, "0") if srv.auto_receipts else None
            return ucp.frame(ack), receipt
        return ucp.frame(ucp.result(op, ok=False, error="03", sm="unsupported")), None

    # ---- CIMD2 ----

    def _cimd(self, p: cimd.Packet) -> tuple[bytes | None, bytes | None]:
        srv, seen = self.server, self.server.seen
        if p.is_response:
            seen.answers.append(p)
            return None, None
        if p.op == cimd.LOGIN:
            user, password = p.get(cimd.USER_IDENTITY), p.get(cimd.PASSWORD)
            ok = (user, password) == (srv.username, srv.password)
            seen.logins.append((user, password, ok))
            self.logged_in = ok
            return cimd.encode(cimd.response(p, error=None if ok else 100)), None
        if p.op == cimd.ALIVE:
            seen.alives += 1
            return cimd.encode(cimd.response(p)), None
        if p.op == cimd.LOGOUT:
            seen.logouts += 1
            srv.close_after_logout = True
            return cimd.encode(cimd.response(p)), None
        if p.op == cimd.SUBMIT:
            if not self.logged_in:
                return cimd.encode(cimd.response(p, error=1)), None
            seen.submit_count += 1
            if srv.record:
                seen.submits.append(p)
            if srv.hold_after is not None and seen.submit_count > srv.hold_after:
                return None, None
            if srv.reject_next:
                srv.reject_next -= 1
                return cimd.encode(cimd.response(p, error=int(srv.reject_code))), None
            dest, scts = p.get(cimd.DESTINATION_ADDRESS), srv.next_scts()
            if srv.record:
                seen.accepted[f"{dest}:{scts}"] = dest
            ack = cimd.response(
                p, params=[(cimd.DESTINATION_ADDRESS, dest), (cimd.SERVICE_CENTRE_TIMESTAMP, scts)]
            )
            receipt = srv.cimd_report(dest, scts, cimd.STATUS_DELIVERED) if srv.auto_receipts else None
            return cimd.encode(ack), receipt
        return cimd.encode(cimd.Packet(cimd.NACK, p.number)), None


class TextSmsc:
    def __init__(
        self,
        kind: Kind,
        *,
        username: str = "flowgate",
        password: str = "secret",
        host: str = "127.0.0.1",
        port: int = 0,
        record: bool = True,
        auto_receipts: bool = False,
        hold_after: int | None = None,
    ) -> None:
        self.kind = kind
        self.username, self.password = username, password
        self.host, self.port = host, port
        self.record = record
        self.auto_receipts = auto_receipts
        self.seen = Seen()
        self.conns: list[_Conn] = []
        self.malformed = 0
        self.reject_next = 0
        # Submits after this many are recorded but never answered (an SMSC that stopped
        # responding mid-window); None answers every one.
        self.hold_after = hold_after
        self.reject_code = "24" if kind == "ucp" else "300"
        self.close_after_logout = False
        self._server: asyncio.Server | None = None
        self._scts = itertools.count()
        self._base = datetime(2026, 1, 1)
        # Requests we push: UCP TRN 00-99, CIMD2 even packet numbers.
        self._trn = itertools.cycle(range(100) if kind == "ucp" else range(0, 256, 2))

    async def start(self) -> None:
        self._server = await asyncio.get_running_loop().create_server(
            lambda: _Conn(self), self.host, self.port
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        for conn in list(self.conns):
            if conn.transport:
                conn.transport.close()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    def next_scts(self) -> str:
        """Unique service-centre time stamps (ddMMyyHHmmss), one second apart per submit."""
        return (self._base + timedelta(seconds=next(self._scts))).strftime("%d%m%y%H%M%S")

    def drop_connections(self) -> None:
        for conn in list(self.conns):
            if conn.transport:
                conn.transport.abort()

    # ---- pushing MOs and notifications ----

    def _push(self, data: bytes) -> None:
        live = [c for c in self.conns if c.logged_in]
        if not live:
            raise ConnectionError("no client is logged in")
        live[-1].write(data)

    def ucp_notification(self, adc: str, scts: str, dst: str, rsn: str = "000") -> bytes:
        """OT 53 for the submit to `adc` stamped `scts`: that handset is the notification's OAdC."""
        values = {
            "AdC": "1234", "OAdC": adc, "SCTS": scts, "Dst": dst, "Rsn": rsn, "DSCTS": scts, "MT": "3",
            "Msg": ucp.ira_hex(f"Message for {adc}, with identification {scts} has been delivered"),
        }  # fmt: skip
        op = ucp.Operation(next(self._trn), "O", "53", [values.get(n, "") for n in ucp.FIELDS_5X])
        return ucp.frame(op)

    def cimd_report(self, dest: str, scts: str, status: str, error: str = "") -> bytes:
        params = [
            (cimd.DESTINATION_ADDRESS, dest),
            (cimd.SERVICE_CENTRE_TIMESTAMP, scts),
            (cimd.STATUS_CODE, status),
        ]
        if error:
            params.append((cimd.STATUS_ERROR_CODE, error))
        params.append((cimd.DISCHARGE_TIME, scts))
        return cimd.encode(cimd.Packet(cimd.DELIVER_STATUS_REPORT, next(self._trn), params))

    def receipt(self, message_id: str, delivered: bool) -> None:
        dest, scts = message_id.split(":", 1)
        if self.kind == "ucp":
            self._push(
                self.ucp_notification(dest, scts, "0" if delivered else "2", "000" if delivered else "001")
            )
        else:
            self._push(
                self.cimd_report(
                    dest, scts, cimd.STATUS_DELIVERED if delivered else "3", "" if delivered else "1"
                )
            )

    def mo(
        self,
        *,
        sender: str,
        recipient: str,
        text: str = "",
        data: bytes = b"",
        udh: bytes = b"",
        dcs: int = 0,
    ) -> None:
        if self.kind == "ucp":
            values = {"AdC": recipient, "OAdC": sender, "SCTS": self.next_scts()}
            xser: list[tuple[int, bytes]] = []
            if udh:
                xser.append((ucp.XSER_UDH, udh))
            if data or dcs:
                values.update(MT="4", NB=str(len(data) * 8), Msg=data.hex().upper())
                xser.append((ucp.XSER_DCS, bytes((dcs,))))
            else:
                values.update(MT="3", Msg=ucp.ira_hex(text))
            if xser:
                values["XSer"] = ucp.encode_xser(xser)
            op = ucp.Operation(next(self._trn), "O", "52", [values.get(n, "") for n in ucp.FIELDS_5X])
            self._push(ucp.frame(op))
            return
        params: list[tuple[int, str]] = [
            (cimd.DESTINATION_ADDRESS, recipient),
            (cimd.ORIGINATING_ADDRESS, sender),
        ]
        if udh:
            params.append((cimd.USER_DATA_HEADER, udh.hex().upper()))
        if data or dcs:
            params += [(cimd.DATA_CODING_SCHEME, str(dcs)), (cimd.USER_DATA_BINARY, data.hex().upper())]
        else:
            params.append((cimd.USER_DATA, cimd.text_to_user_data(text)))
        params.append((cimd.SERVICE_CENTRE_TIMESTAMP, self.next_scts()))
        self._push(cimd.encode(cimd.Packet(cimd.DELIVER_MESSAGE, next(self._trn), params)))

    def send_raw(self, data: bytes) -> None:
        self._push(data)
