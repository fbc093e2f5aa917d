"""UCP/EMI behind `TextProtocol`: OT 60 login, OT 51 submits, OT 52/53 in, OT 31 keep-alive."""

from __future__ import annotations

from typing import Any

from smsc.dlr import Receipt, normalize_stat
from smsc.textlink import Answer, InboundPart, Part, Request, TextLinkConfig, TextProtocol

from . import codec

# Error codes (EMI 4.x, 5.x "Error codes") worth a later retry: checksum/syntax garbling on the
# line, and the SMSC's own trouble. The rest (bad address, authentication...) are final.
TRANSIENT_ERRORS = {"01", "02", "08"}
THROTTLE_ERRORS = {"04"}  # "operation not allowed": what SMSCs answer past the agreed rate
DST_STAT = {codec.DST_DELIVERED: "DELIVRD", codec.DST_BUFFERED: "ENROUTE", codec.DST_NOT_DELIVERED: "UNDELIV"}


class UcpProtocol(TextProtocol):
    name = "UCP"
    default_port = 5000

    def refs(self) -> list[int]:
        return list(range(100))

    def split(self, buffer: bytearray) -> list[bytes]:
        return codec.split_frames(buffer)

    def decode(self, frame: bytes) -> codec.Operation:
        return codec.parse(frame)

    def is_response(self, msg: Any) -> bool:
        return bool(msg.is_result)

    def ref_of(self, msg: Any) -> int:
        return int(msg.trn)

    def login(self, ref: int, cfg: TextLinkConfig) -> bytes:
        return codec.frame(codec.login(ref, cfg.username, cfg.password))

    def logout(self, ref: int, cfg: TextLinkConfig) -> bytes | None:
        return None  # UCP has no logout operation: closing the socket ends the session

    def alive(self, ref: int, cfg: TextLinkConfig) -> bytes:
        return codec.frame(codec.alert(ref, cfg.username))

    def submit(self, ref: int, cfg: TextLinkConfig, *, to: str, sender: str, part: Part) -> bytes:
        body = codec.SubmitPart(data=part.data, udh=part.udh, dcs=part.dcs)
        return codec.frame(codec.submit(ref, to=to, sender=sender, part=body, notify=cfg.notify))

    def answer(self, msg: Any, *, to: str = "") -> Answer:
        if msg.fields and msg.fields[0] == "A":  # ACK/[MVP/]SM: the SM is always last
            sm = msg.fields[-1]
            # The ack's SM is "AdC:SCTS"; notifications name the submit by that same pair.
            message_id = sm if ":" in sm or not sm else f"{to}:{sm}"
            return Answer(True, message_id=message_id)
        fields = msg.named()
        code = fields.get("EC", "")
        return Answer(
            False,
            error=f"error {code} {fields.get('SM', '')}".strip(),
            transient=code in TRANSIENT_ERRORS,
            throttled=code in THROTTLE_ERRORS,
        )

    def request(self, msg: Any) -> Request:
        if msg.ot == "31":
            return Request("alive")
        if msg.ot == "52":
            inc = codec.incoming(msg)
            return Request(
                "mo", mo=InboundPart(inc.sender, inc.recipient, inc.data, inc.udh, inc.dcs, inc.text)
            )
        if msg.ot == "53":
            inc = codec.incoming(msg)
            stat, outcome = normalize_stat(DST_STAT.get(inc.dst, "UNKNOWN"))
            receipt = Receipt(
                message_id=inc.message_id,
                stat=stat,
                outcome=outcome,
                error=inc.rsn,
                text=inc.text,
                destination_addr=inc.sender,
            )
            return Request("receipt", receipt=receipt)
        return Request("other")

    def reply(self, msg: Any, *, ok: bool) -> bytes:
        fields = msg.named()
        sm = f"{fields.get('AdC', '')}:{fields.get('SCTS', '')}" if msg.ot in ("52", "53") else ""
        if msg.ot not in ("31", "52", "53"):
            return codec.frame(codec.result(msg, ok=False, error="03"))  # operation not supported
        return codec.frame(codec.result(msg, ok=ok, error="" if ok else "08", sm=sm))
