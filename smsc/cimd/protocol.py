"""CIMD2 behind `TextProtocol`: login/logout, submit, deliver message/status report, alive."""

from __future__ import annotations

from typing import Any

from smsc.dlr import Receipt, normalize_stat
from smsc.textlink import Answer, InboundPart, Part, Request, TextLinkConfig, TextProtocol

from . import codec

# Error codes for "the SMSC side had trouble": connection to MC lost, no response, system error.
TRANSIENT_ERRORS = {"4", "5", "6"}


class CimdProtocol(TextProtocol):
    name = "CIMD2"
    default_port = 9971

    def refs(self) -> list[int]:
        return list(range(1, 256, 2))  # the client numbers its packets with odd numbers

    def split(self, buffer: bytearray) -> list[bytes]:
        return codec.split_frames(buffer)

    def decode(self, frame: bytes) -> codec.Packet:
        return codec.decode(frame)

    def is_response(self, msg: Any) -> bool:
        return bool(msg.is_response)

    def ref_of(self, msg: Any) -> int:
        return int(msg.number)

    def login(self, ref: int, cfg: TextLinkConfig) -> bytes:
        return codec.encode(codec.login(ref, cfg.username, cfg.password))

    def logout(self, ref: int, cfg: TextLinkConfig) -> bytes | None:
        return codec.encode(codec.logout(ref))

    def alive(self, ref: int, cfg: TextLinkConfig) -> bytes:
        return codec.encode(codec.alive(ref))

    def submit(self, ref: int, cfg: TextLinkConfig, *, to: str, sender: str, part: Part) -> bytes:
        body = codec.SubmitPart(data=part.data, udh=part.udh, dcs=part.dcs, more=part.more)
        return codec.encode(codec.submit(ref, to=to, sender=sender, part=body, report=cfg.notify))

    def answer(self, msg: Any, *, to: str = "") -> Answer:
        error = msg.error
        if not error:
            dest = msg.get(codec.DESTINATION_ADDRESS) or to
            scts = msg.get(codec.SERVICE_CENTRE_TIMESTAMP)
            return Answer(True, message_id=f"{dest}:{scts}" if scts else "")
        code = msg.get(codec.ERROR_CODE).lstrip("0")
        return Answer(False, error=f"error {error}", transient=code in TRANSIENT_ERRORS)

    def request(self, msg: Any) -> Request:
        if msg.op == codec.ALIVE:
            return Request("alive")
        if msg.op == codec.DELIVER_MESSAGE:
            inc = codec.incoming(msg)
            return Request(
                "mo", mo=InboundPart(inc.sender, inc.recipient, inc.data, inc.udh, inc.dcs, inc.text)
            )
        if msg.op == codec.DELIVER_STATUS_REPORT:
            inc = codec.incoming(msg)
            stat, outcome = normalize_stat(codec.STATUS_NAMES.get(inc.status, "UNKNOWN"))
            receipt = Receipt(
                message_id=inc.message_id,
                stat=stat,
                outcome=outcome,
                error=inc.status_error,
                destination_addr=inc.recipient,
            )
            return Request("receipt", receipt=receipt)
        return Request("other")

    def reply(self, msg: Any, *, ok: bool) -> bytes:
        if msg.op not in (codec.ALIVE, codec.DELIVER_MESSAGE, codec.DELIVER_STATUS_REPORT):
            return codec.encode(codec.Packet(codec.NACK, msg.number))
        return codec.encode(codec.response(msg, error=None if ok else 6))
