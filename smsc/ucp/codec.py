"""UCP/EMI (CMG/LogicaCMG EMI-UCP 4.x) framing and the operations a large account uses.

Pure functions, no sockets: `frame()` / `parse()` turn one operation into the bytes between
STX and ETX and back; `submit_fields()` builds an OT 51 for one part; `ot_52_53()` reads an
MO (OT 52) or a delivery notification (OT 53). The link (`smsc.ucp.protocol`) adds the
transaction windowing.

Wire shape: STX TRN/LEN/O|R/OT/field/field/.../CHECKSUM ETX, where TRN is 00-99, LEN the number
of characters between STX and ETX (5 digits) and CHECKSUM the low 8 bits of the sum of every
character from TRN up to and including the '/' before it, in two upper-case hex digits.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

from smsc import gsm

STX, ETX = 0x02, 0x03

# Positions in the 50-series field list (OT 51 submit, 52 MO, 53 notification): 33 fields.
FIELDS_5X = [
    "AdC",
    "OAdC",
    "AC",
    "NRq",
    "NAdC",
    "NT",
    "NPID",
    "LRq",
    "LRAd",
    "LPID",
    "DD",
    "DDT",
    "VP",
    "RPID",
    "SCTS",
    "Dst",
    "Rsn",
    "DSCTS",
    "MT",
    "NB",
    "Msg",
    "MMS",
    "PR",
    "DCs",
    "MCLs",
    "RPI",
    "CPg",
    "RPLy",
    "OTOA",
    "HPLMN",
    "XSer",
    "RES4",
    "RES5",
]
INDEX_5X = {name: i for i, name in enumerate(FIELDS_5X)}
FIELDS_60 = ["OAdC", "OTON", "ONPI", "STYP", "PWD", "NPWD", "VERS", "LAdC", "LTON", "LNPI", "OPID", "RES1"]
FIELDS_31 = ("AdC", "PID")
# Operation types whose positive result is ACK/SM (the 50-series has ACK/MVP/SM).
SHORT_ACK_OTS = {"01", "31", "60", "61"}

OTOA_ALPHANUMERIC = "5039"
# XSer service types (EMI 4.x, section 4.2.1.x): GSM UDH and GSM DCS.
XSER_UDH = 0x01
XSER_DCS = 0x02

# Delivery notification Dst values.
DST_DELIVERED, DST_BUFFERED, DST_NOT_DELIVERED = "0", "1", "2"


class UcpError(ValueError):
    """Bytes that are not a well-formed UCP operation (bad length, checksum or header)."""


@dataclass
class Operation:
    trn: int
    kind: str  # "O" operation or "R" result
    ot: str  # two digits, e.g. "51"
    fields: list[str] = field(default_factory=list)

    @property
    def is_result(self) -> bool:
        return self.kind == "R"

    def named(self) -> dict[str, str]:
        """Fields by their spec name for the operation types we know (results: ACK, MVP/EC, SM)."""
        if self.is_result:
            if self.nack:
                names: Sequence[str] = ("ACK", "EC", "SM")
            else:  # positive results of 01/31/60/61 carry no MVP field
                names = ("ACK", "SM") if self.ot in SHORT_ACK_OTS else ("ACK", "MVP", "SM")
        else:
            names = {"60": FIELDS_60, "61": FIELDS_60, "31": FIELDS_31}.get(self.ot, FIELDS_5X)
        return {name: value for name, value in zip(names, self.fields, strict=False)}

    @property
    def ack(self) -> bool:
        return self.is_result and bool(self.fields) and self.fields[0] == "A"

    @property
    def nack(self) -> bool:
        return self.is_result and bool(self.fields) and self.fields[0] == "N"


def checksum(data: bytes) -> str:
    return f"{sum(data) & 0xFF:02X}"


def frame(op: Operation) -> bytes:
    """The whole operation including STX and ETX."""
    body = "/".join(op.fields)
    # LEN counts every character between STX and ETX: header (14) + data + '/' + checksum (2).
    length = 14 + len(body) + 1 + 2
    text = f"{op.trn:02d}/{length:05d}/{op.kind}/{op.ot}/{body}/".encode("latin-1")
    return bytes((STX,)) + text + checksum(text).encode() + bytes((ETX,))


def parse(data: bytes) -> Operation:
    """One operation from the bytes between STX and ETX (either may be included)."""
    if data[:1] == bytes((STX,)):
        data = data[1:]
    if data[-1:] == bytes((ETX,)):
        data = data[:-1]
    if len(data) < 17 or data[2:3] != b"/" or data[8:9] != b"/":
        raise UcpError(f"not a UCP header: {data[:20]!r}")
    try:
        trn, length = int(data[0:2]), int(data[3:8])
    except ValueError as e:
        raise UcpError(f"bad TRN/LEN: {data[:10]!r}") from e
    if length != len(data):
        raise UcpError(f"LEN says {length}, operation has {len(data)} characters")
    if checksum(data[:-2]) != data[-2:].decode("latin-1").upper():
        raise UcpError(f"checksum {data[-2:]!r} should be {checksum(data[:-2])}")
    parts = data[:-3].decode("latin-1").split("/")
    kind, ot = parts[2], parts[3]
    if kind not in ("O", "R") or len(ot) != 2 or not ot.isdigit():
        raise UcpError(f"bad O/R or OT: {kind!r} {ot!r}")
    return Operation(trn, kind, ot, parts[4:])


def split_frames(buffer: bytearray, max_length: int = 100_000) -> list[bytes]:
    """Take every complete STX..ETX operation out of `buffer`; bytes before an STX are dropped."""
    out: list[bytes] = []
    while True:
        start = buffer.find(STX)
        if start < 0:
            buffer.clear()
            return out
        end = buffer.find(ETX, start + 1)
        if end < 0:
            del buffer[:start]
            if len(buffer) > max_length:
                raise UcpError("no ETX within the maximum operation length")
            return out
        out.append(bytes(buffer[start : end + 1]))
        del buffer[: end + 1]


# ---- field encodings ----------------------------------------------------------------------


def ira_hex(text: str) -> str:
    """PWD, AMsg: each character as two hex digits of its code in the GSM default alphabet."""
    return gsm.gsm7_encode(text).hex().upper()


def ira_unhex(value: str) -> str:
    return gsm.gsm7_decode(bytes.fromhex(value))


@functools.lru_cache(maxsize=256)  # a channel's sender, packed again for every submit otherwise
def encode_alphanumeric_oadc(sender: str) -> str:
    """OAdC for OTOA 5039: a length octet (useful semi-octets) then the 7-bit packed GSM text."""
    septets = gsm.gsm7_encode(sender)
    packed = gsm.pack_septets(septets)
    semi_octets = (len(septets) * 7 + 3) // 4
    return (bytes((semi_octets,)) + packed).hex().upper()


def decode_alphanumeric_oadc(value: str) -> str:
    raw = bytes.fromhex(value)
    septets = raw[0] * 4 // 7
    return gsm.gsm7_decode(gsm.unpack_septets(raw[1:], septets))


def encode_xser(services: list[tuple[int, bytes]]) -> str:
    return "".join(f"{kind:02X}{len(data):02X}{data.hex().upper()}" for kind, data in services)


def decode_xser(value: str) -> dict[int, bytes]:
    raw = bytes.fromhex(value or "")
    out: dict[int, bytes] = {}
    i = 0
    while i + 2 <= len(raw):
        kind, size = raw[i], raw[i + 1]
        out[kind] = raw[i + 2 : i + 2 + size]
        i += 2 + size
    return out


# ---- operations ----------------------------------------------------------------------------


def login(trn: int, username: str, password: str) -> Operation:
    """OT 60, STYP 1 (open session): OTON 6 / ONPI 5 say OAdC is the account's short number."""
    values = {
        "OAdC": username,
        "OTON": "6",
        "ONPI": "5",
        "STYP": "1",
        "PWD": ira_hex(password),
        "VERS": "0100",
    }
    return Operation(trn, "O", "60", [values.get(name, "") for name in FIELDS_60])


def alert(trn: int, address: str) -> Operation:
    """OT 31 with PID 0539 (PC appl. over TCP/IP): the keep-alive large accounts send."""
    return Operation(trn, "O", "31", [address, "0539"])


def result(op: Operation, *, ok: bool = True, error: str = "", sm: str = "") -> Operation:
    """The answer to an operation the peer sent: A/SM (01, 31, 60, 61), A//SM (5x) or N/EC/SM."""
    if not ok:
        return Operation(op.trn, "R", op.ot, ["N", error or "02", sm])
    return Operation(op.trn, "R", op.ot, ["A", sm] if op.ot in SHORT_ACK_OTS else ["A", "", sm])


@dataclass(frozen=True)
class SubmitPart:
    """One OT 51 worth of payload: GSM text (MT 3; `text`, or its septets in `data`) or octets
    with a DCS (MT 4)."""

    text: str = ""
    data: bytes = b""
    udh: bytes = b""
    dcs: int | None = None  # None for MT 3 without an explicit DCS


def submit(
    trn: int,
    *,
    to: str,
    sender: str,
    part: SubmitPart,
    notify: bool = True,
) -> Operation:
    values: dict[str, str] = {"AdC": to}
    if sender and not sender.isdigit():
        values["OAdC"] = encode_alphanumeric_oadc(sender)
        values["OTOA"] = OTOA_ALPHANUMERIC
    else:
        values["OAdC"] = sender
    if notify:
        # NT 3 = delivery + non-delivery notifications (buffered ones are not final).
        values["NRq"], values["NT"] = "1", "3"
    services: list[tuple[int, bytes]] = []
    if part.udh:
        services.append((XSER_UDH, part.udh))
    if part.dcs is None:  # AMsg: the GSM septets (given, or of `text`) in hex
        values["MT"], values["Msg"] = "3", (part.data.hex().upper() if part.data else ira_hex(part.text))
    else:
        # NB is a 4-digit field; MCLs 1 as Kannel sends with transparent data (the XSer DCS decides).
        values["MT"], values["NB"], values["Msg"] = "4", f"{len(part.data) * 8:04d}", part.data.hex().upper()
        values["MCLs"] = "1"
        services.append((XSER_DCS, bytes((part.dcs,))))
    if services:
        values["XSer"] = encode_xser(services)
    fields = [""] * len(FIELDS_5X)
    for name, value in values.items():
        fields[INDEX_5X[name]] = value
    return Operation(trn, "O", "51", fields)


@dataclass(frozen=True)
class Incoming:
    """An OT 52 (MO) or OT 53 (delivery notification), decoded."""

    ot: str
    recipient: str  # AdC
    sender: str  # OAdC (decoded when alphanumeric)
    scts: str
    data: bytes  # user data without the UDH
    udh: bytes
    dcs: int
    text: str
    dst: str = ""
    rsn: str = ""
    dscts: str = ""

    @property
    def message_id(self) -> str:
        """How a notification names its submit: the AdC:SCTS pair the OT 51 ack returned.

        In an OT 53 the roles are turned round: OAdC is the handset the submit went to (its
        AdC then) and AdC is us; SCTS is the submit's time stamp (Kannel matches the same way).
        """
        return f"{self.sender}:{self.scts}"


def incoming(op: Operation) -> Incoming:
    f = op.named()
    xser = decode_xser(f.get("XSer", ""))
    udh = xser.get(XSER_UDH, b"")
    dcs = xser[XSER_DCS][0] if xser.get(XSER_DCS) else 0
    mt, msg = f.get("MT", ""), f.get("Msg", "")
    sender = f.get("OAdC", "")
    if f.get("OTOA") == OTOA_ALPHANUMERIC and sender:
        sender = decode_alphanumeric_oadc(sender)
    if mt == "4":
        nb = int(f.get("NB") or 0)
        data = bytes.fromhex(msg)[: (nb + 7) // 8] if nb else bytes.fromhex(msg)
        text = gsm.decode_text(data, dcs if dcs else gsm.DC_LATIN1)
    elif mt == "2":  # numeric message
        data, text = msg.encode(), msg
    else:
        data = bytes.fromhex(msg) if msg else b""
        text = gsm.gsm7_decode(data) if dcs in (0, gsm.DC_DEFAULT) else gsm.decode_text(data, dcs)
    return Incoming(
        ot=op.ot,
        recipient=f.get("AdC", ""),
        sender=sender,
        scts=f.get("SCTS", ""),
        data=data,
        udh=udh,
        dcs=dcs,
        text=text,
        dst=f.get("Dst", ""),
        rsn=f.get("Rsn", ""),
        dscts=f.get("DSCTS", ""),
    )
