"""CIMD2 (Nokia Computer Interface to Message Distribution 2) packets, as pure functions.

Wire shape: STX OO:NNN TAB PPP:value TAB ... CC ETX. OO is the operation code (a response is
the request's code + 50), NNN the packet number (odd 001-255 from the client, even 000-254
from the SMSC; a response reuses its request's number), PPP a parameter number, and CC the low
8 bits of the sum of every byte from STX up to and including the last TAB, in two upper-case
hex digits (optional in the spec; we always send it and check it when present).

User data (033) is the GSM default alphabet written in Latin-1 with the spec's escapes: a few
characters map to themselves shifted ('@' is GSM 0x00), the rest use "_XY" special combinations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smsc import gsm

STX, ETX, TAB = 0x02, 0x03, 0x09

# Operation codes.
LOGIN, LOGOUT, SUBMIT, ENQUIRE, DELIVERY_REQUEST, CANCEL = 1, 2, 3, 4, 5, 6
DELIVER_MESSAGE, DELIVER_STATUS_REPORT, ALIVE = 20, 23, 40
RESPONSE, GENERAL_ERROR, NACK = 50, 98, 99

# Parameter numbers (CIMD2 spec, section 3.3).
USER_IDENTITY, PASSWORD = 10, 11
DESTINATION_ADDRESS, ORIGINATING_ADDRESS, ALPHANUMERIC_ORIGINATOR = 21, 23, 27
DATA_CODING_SCHEME, USER_DATA_HEADER, USER_DATA, USER_DATA_BINARY = 30, 32, 33, 34
MORE_MESSAGES_TO_SEND, VALIDITY_PERIOD_RELATIVE, PROTOCOL_IDENTIFIER = 44, 50, 52
REPLY_PATH, STATUS_REPORT_REQUEST = 55, 56
SERVICE_CENTRE_TIMESTAMP, STATUS_CODE, STATUS_ERROR_CODE, DISCHARGE_TIME = 60, 61, 62, 63
ERROR_CODE, ERROR_TEXT = 900, 901

# Status report request bits: 2 expired, 4 failed, 8 delivered (final outcomes only).
REPORT_FINAL = 14
# Status report status codes (061).
STATUS_DELIVERED = "4"
STATUS_FINAL_FAILED = {"2", "3", "5", "6", "7", "8", "9"}
STATUS_NAMES = {
    "1": "ENROUTE",
    "2": "EXPIRED",
    "3": "UNDELIV",
    "4": "DELIVRD",
    "5": "UNDELIV",
    "6": "UNDELIV",
    "7": "DELETED",
    "8": "DELETED",
    "9": "DELETED",
}

# GSM default alphabet code -> CIMD2 special combination (after '_').
_COMBINATIONS = {
    0x00: "Oa", 0x01: "L-", 0x03: "Y-", 0x04: "e`", 0x05: "e'", 0x06: "u`", 0x07: "i`", 0x08: "o`",
    0x09: "C,", 0x0B: "O/", 0x0C: "o/", 0x0E: "A*", 0x0F: "a*", 0x10: "gd", 0x11: "--", 0x12: "gf",
    0x13: "gg", 0x14: "gl", 0x15: "go", 0x16: "gp", 0x17: "gi", 0x18: "gs", 0x19: "gt", 0x1A: "gx",
    0x1B: "XX", 0x1C: "AE", 0x1D: "ae", 0x1E: "ss", 0x1F: "E'", 0x22: "qq", 0x24: "ox", 0x40: "!!",
    0x5B: 'A"', 0x5C: 'O"', 0x5D: "N~", 0x5E: 'U"', 0x5F: "so", 0x60: "??", 0x7B: 'a"', 0x7C: 'o"',
    0x7D: "n~", 0x7E: 'u"', 0x7F: "a`",
}  # fmt: skip
_FROM_COMBINATION = {v: k for k, v in _COMBINATIONS.items()}
_SEPTET_TO_USER_DATA = {code: "_" + combo for code, combo in _COMBINATIONS.items()} | {0x02: "$"}
# Single characters that stand for a different GSM code point.
_SINGLE_IN = {"@": 0x00, "$": 0x02, "]": 0x0E, "}": 0x0F}


class CimdError(ValueError):
    """Bytes that are not a well-formed CIMD2 packet."""


@dataclass
class Packet:
    op: int
    number: int
    params: list[tuple[int, str]] = field(default_factory=list)

    @property
    def is_response(self) -> bool:
        return self.op >= RESPONSE

    def get(self, code: int, default: str = "") -> str:
        return next((v for k, v in self.params if k == code), default)

    def has(self, code: int) -> bool:
        return any(k == code for k, _ in self.params)

    @property
    def error(self) -> str:
        """'' for a positive response; otherwise 'code text'."""
        if self.op in (GENERAL_ERROR, NACK) or self.has(ERROR_CODE):
            return f"{self.get(ERROR_CODE) or 'nack'} {self.get(ERROR_TEXT)}".strip()
        return ""


def checksum(data: bytes) -> str:
    return f"{sum(data) & 0xFF:02X}"


def encode(packet: Packet) -> bytes:
    body = f"\x02{packet.op:02d}:{packet.number:03d}\t" + "".join(f"{k:03d}:{v}\t" for k, v in packet.params)
    raw = body.encode("latin-1")
    return raw + checksum(raw).encode() + b"\x03"


def decode(data: bytes) -> Packet:
    if data[:1] != b"\x02" or data[-1:] != b"\x03":
        raise CimdError("packet must run from STX to ETX")
    last_tab = data.rfind(b"\t")
    if len(data) < 9 or data[3:4] != b":" or data[7:8] != b"\t" or last_tab < 7:
        raise CimdError(f"not a CIMD2 header: {data[:12]!r}")
    tail = data[last_tab + 1 : -1]
    if tail and (len(tail) != 2 or checksum(data[: last_tab + 1]) != tail.decode("latin-1").upper()):
        raise CimdError(f"checksum {tail!r} should be {checksum(data[: last_tab + 1])}")
    try:
        op, number = int(data[1:3]), int(data[4:7])
    except ValueError as e:
        raise CimdError(f"bad operation or packet number: {data[:8]!r}") from e
    params: list[tuple[int, str]] = []
    for item in data[8:last_tab].decode("latin-1").split("\t"):
        if not item:
            continue
        code, sep, value = item.partition(":")
        if not sep or not code.isdigit():
            raise CimdError(f"bad parameter {item[:20]!r}")
        params.append((int(code), value))
    return Packet(op, number, params)


def split_frames(buffer: bytearray, max_length: int = 100_000) -> list[bytes]:
    """Every complete STX..ETX packet in `buffer`; bytes between packets are ignored (spec)."""
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
                raise CimdError("no ETX within the maximum packet length")
            return out
        out.append(bytes(buffer[start : end + 1]))
        del buffer[: end + 1]


# ---- user data text -------------------------------------------------------------------------


def text_to_user_data(text: str) -> str:
    """Text in the GSM alphabet as CIMD2 user data (033)."""
    return septets_to_user_data(gsm.gsm7_encode(text))


def septets_to_user_data(septets: bytes) -> str:
    # One str.translate pass (the submit hot path): septet value -> its CIMD2 spelling.
    return septets.decode("latin-1").translate(_SEPTET_TO_USER_DATA)


def user_data_to_text(value: str) -> str:
    septets = bytearray()
    i = 0
    while i < len(value):
        ch = value[i]
        combo = value[i + 1 : i + 3]
        if ch == "_" and combo in _FROM_COMBINATION:
            septets.append(_FROM_COMBINATION[combo])
            i += 3
            continue
        if ch in _SINGLE_IN:
            septets.append(_SINGLE_IN[ch])
        elif ord(ch) < 0x80:
            septets.append(ord(ch))
        else:  # 8-bit Latin-1 is allowed in user data: take it as text, via the GSM alphabet if we can
            try:
                septets.extend(gsm.gsm7_encode(ch))
            except gsm.EncodeError:
                septets.extend(gsm.gsm7_encode("?"))
        i += 1
    return gsm.gsm7_decode(bytes(septets))


# ---- operations -----------------------------------------------------------------------------


def login(number: int, username: str, password: str) -> Packet:
    return Packet(LOGIN, number, [(USER_IDENTITY, username), (PASSWORD, password)])


def logout(number: int) -> Packet:
    return Packet(LOGOUT, number)


def alive(number: int) -> Packet:
    return Packet(ALIVE, number)


def response(
    request: Packet, *, error: int | None = None, params: list[tuple[int, str]] | None = None
) -> Packet:
    extra = list(params or [])
    if error is not None:
        extra.append((ERROR_CODE, f"{error:03d}"))
    return Packet(request.op + RESPONSE, request.number, extra)


@dataclass(frozen=True)
class SubmitPart:
    text: str = ""
    data: bytes = b""
    udh: bytes = b""
    dcs: int | None = None  # None: GSM text in 033 without a DCS
    more: bool = False  # another part of the same message follows


def submit(number: int, *, to: str, sender: str, part: SubmitPart, report: bool = True) -> Packet:
    params: list[tuple[int, str]] = [(DESTINATION_ADDRESS, to)]
    if sender:
        if sender.isdigit():
            params.append((ORIGINATING_ADDRESS, sender))
        else:
            params.append((ALPHANUMERIC_ORIGINATOR, sender))
    params.append((STATUS_REPORT_REQUEST, str(REPORT_FINAL if report else 0)))
    # No reply path; "more messages to send" while further parts of the same text follow.
    params += [(REPLY_PATH, "0"), (MORE_MESSAGES_TO_SEND, "1" if part.more else "0")]
    if part.udh:
        params.append((USER_DATA_HEADER, part.udh.hex().upper()))
    if part.dcs is None:  # GSM text: `text`, or its septets in `data`
        params.append(
            (USER_DATA, septets_to_user_data(part.data) if part.data else text_to_user_data(part.text))
        )
    else:
        params.append((USER_DATA_BINARY, part.data.hex().upper()))
        params.append((DATA_CODING_SCHEME, str(part.dcs)))
    return Packet(SUBMIT, number, params)


@dataclass(frozen=True)
class Incoming:
    """A deliver message (20) or deliver status report (23), decoded."""

    op: int
    recipient: str
    sender: str
    scts: str
    data: bytes
    udh: bytes
    dcs: int
    text: str
    status: str = ""
    status_error: str = ""

    @property
    def message_id(self) -> str:
        """A report names its submit by destination and service-centre time stamp."""
        return f"{self.recipient}:{self.scts}"


def incoming(packet: Packet) -> Incoming:
    dcs = int(packet.get(DATA_CODING_SCHEME) or 0)
    udh = bytes.fromhex(packet.get(USER_DATA_HEADER))
    if packet.has(USER_DATA_BINARY):
        data = bytes.fromhex(packet.get(USER_DATA_BINARY))
        text = gsm.decode_text(data, dcs if dcs else gsm.DC_LATIN1)
    else:
        text = user_data_to_text(packet.get(USER_DATA))
        data = gsm.gsm7_encode(text)
    return Incoming(
        op=packet.op,
        recipient=packet.get(DESTINATION_ADDRESS),
        sender=packet.get(ORIGINATING_ADDRESS) or packet.get(ALPHANUMERIC_ORIGINATOR),
        scts=packet.get(SERVICE_CENTRE_TIMESTAMP),
        data=data,
        udh=udh,
        dcs=dcs,
        text=text,
        status=packet.get(STATUS_CODE),
        status_error=packet.get(STATUS_ERROR_CODE),
    )
