"""SMPP 3.4 PDU codec.

One generic `Pdu` value (command id, status, sequence, mandatory params, TLVs) plus a table of
body layouts per command. A table keeps every PDU in one readable place and lets the property
tests round-trip all of them the same way; per-PDU classes would be ten times the code.

Framing lives in `PduDecoder`: it is fed raw bytes from the socket and hands back whole PDUs.
It separates two kinds of bad input because the session reacts differently:

* `MalformedPdu` - the frame length was sane but the body was not (or the command id unknown).
  The stream is still in sync, so the session answers generic_nack and carries on.
* `FramingError` - command_length itself is impossible (too small, too big). The byte stream can
  no longer be trusted, so the session must drop the connection and reconnect.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

HEADER = struct.Struct(">IIII")
HEADER_LEN = 16
# message_payload may carry up to 64 KiB; anything much bigger is garbage or an attack.
MAX_PDU_LENGTH = 70_000


class CommandId(IntEnum):
    generic_nack = 0x80000000
    bind_receiver = 0x00000001
    bind_receiver_resp = 0x80000001
    bind_transmitter = 0x00000002
    bind_transmitter_resp = 0x80000002
    query_sm = 0x00000003
    query_sm_resp = 0x80000003
    submit_sm = 0x00000004
    submit_sm_resp = 0x80000004
    deliver_sm = 0x00000005
    deliver_sm_resp = 0x80000005
    unbind = 0x00000006
    unbind_resp = 0x80000006
    replace_sm = 0x00000007
    replace_sm_resp = 0x80000007
    cancel_sm = 0x00000008
    cancel_sm_resp = 0x80000008
    bind_transceiver = 0x00000009
    bind_transceiver_resp = 0x80000009
    outbind = 0x0000000B
    enquire_link = 0x00000015
    enquire_link_resp = 0x80000015
    alert_notification = 0x00000102
    data_sm = 0x00000103
    data_sm_resp = 0x80000103


RESPONSE_BIT = 0x80000000


class Status(IntEnum):
    """command_status values (SMPP 3.4 section 5.1.3)."""

    ESME_ROK = 0x00
    ESME_RINVMSGLEN = 0x01
    ESME_RINVCMDLEN = 0x02
    ESME_RINVCMDID = 0x03
    ESME_RINVBNDSTS = 0x04
    ESME_RALYBND = 0x05
    ESME_RINVPRTFLG = 0x06
    ESME_RINVREGDLVFLG = 0x07
    ESME_RSYSERR = 0x08
    ESME_RINVSRCADR = 0x0A
    ESME_RINVDSTADR = 0x0B
    ESME_RINVMSGID = 0x0C
    ESME_RBINDFAIL = 0x0D
    ESME_RINVPASWD = 0x0E
    ESME_RINVSYSID = 0x0F
    ESME_RCANCELFAIL = 0x11
    ESME_RREPLACEFAIL = 0x13
    ESME_RMSGQFUL = 0x14
    ESME_RINVSERTYP = 0x15
    ESME_RINVNUMDESTS = 0x33
    ESME_RINVDLNAME = 0x34
    ESME_RINVDESTFLAG = 0x40
    ESME_RINVSUBREP = 0x42
    ESME_RINVESMCLASS = 0x43
    ESME_RCNTSUBDL = 0x44
    ESME_RSUBMITFAIL = 0x45
    ESME_RINVSRCTON = 0x48
    ESME_RINVSRCNPI = 0x49
    ESME_RINVDSTTON = 0x50
    ESME_RINVDSTNPI = 0x51
    ESME_RINVSYSTYP = 0x53
    ESME_RINVREPFLAG = 0x54
    ESME_RINVNUMMSGS = 0x55
    ESME_RTHROTTLED = 0x58
    ESME_RINVSCHED = 0x61
    ESME_RINVEXPIRY = 0x62
    ESME_RINVDFTMSGID = 0x63
    ESME_RX_T_APPN = 0x64
    ESME_RX_P_APPN = 0x65
    ESME_RX_R_APPN = 0x66
    ESME_RQUERYFAIL = 0x67
    ESME_RINVOPTPARSTREAM = 0xC0
    ESME_ROPTPARNOTALLWD = 0xC1
    ESME_RINVPARLEN = 0xC2
    ESME_RMISSINGOPTPARAM = 0xC3
    ESME_RINVOPTPARAMVAL = 0xC4
    ESME_RDELIVERYFAILURE = 0xFE
    ESME_RUNKNOWNERR = 0xFF


# Module-level aliases so callers can write `pdu.ESME_ROK` like the spec does.
ESME_ROK = Status.ESME_ROK
ESME_RINVMSGLEN = Status.ESME_RINVMSGLEN
ESME_RINVCMDLEN = Status.ESME_RINVCMDLEN
ESME_RINVCMDID = Status.ESME_RINVCMDID
ESME_RINVBNDSTS = Status.ESME_RINVBNDSTS
ESME_RALYBND = Status.ESME_RALYBND
ESME_RINVPRTFLG = Status.ESME_RINVPRTFLG
ESME_RINVREGDLVFLG = Status.ESME_RINVREGDLVFLG
ESME_RSYSERR = Status.ESME_RSYSERR
ESME_RINVSRCADR = Status.ESME_RINVSRCADR
ESME_RINVDSTADR = Status.ESME_RINVDSTADR
ESME_RINVMSGID = Status.ESME_RINVMSGID
ESME_RBINDFAIL = Status.ESME_RBINDFAIL
ESME_RINVPASWD = Status.ESME_RINVPASWD
ESME_RINVSYSID = Status.ESME_RINVSYSID
ESME_RCANCELFAIL = Status.ESME_RCANCELFAIL
ESME_RREPLACEFAIL = Status.ESME_RREPLACEFAIL
ESME_RMSGQFUL = Status.ESME_RMSGQFUL
ESME_RINVSERTYP = Status.ESME_RINVSERTYP
ESME_RINVNUMDESTS = Status.ESME_RINVNUMDESTS
ESME_RINVDLNAME = Status.ESME_RINVDLNAME
ESME_RINVDESTFLAG = Status.ESME_RINVDESTFLAG
ESME_RINVSUBREP = Status.ESME_RINVSUBREP
ESME_RINVESMCLASS = Status.ESME_RINVESMCLASS
ESME_RCNTSUBDL = Status.ESME_RCNTSUBDL
ESME_RSUBMITFAIL = Status.ESME_RSUBMITFAIL
ESME_RINVSRCTON = Status.ESME_RINVSRCTON
ESME_RINVSRCNPI = Status.ESME_RINVSRCNPI
ESME_RINVDSTTON = Status.ESME_RINVDSTTON
ESME_RINVDSTNPI = Status.ESME_RINVDSTNPI
ESME_RINVSYSTYP = Status.ESME_RINVSYSTYP
ESME_RINVREPFLAG = Status.ESME_RINVREPFLAG
ESME_RINVNUMMSGS = Status.ESME_RINVNUMMSGS
ESME_RTHROTTLED = Status.ESME_RTHROTTLED
ESME_RINVSCHED = Status.ESME_RINVSCHED
ESME_RINVEXPIRY = Status.ESME_RINVEXPIRY
ESME_RINVDFTMSGID = Status.ESME_RINVDFTMSGID
ESME_RX_T_APPN = Status.ESME_RX_T_APPN
ESME_RX_P_APPN = Status.ESME_RX_P_APPN
ESME_RX_R_APPN = Status.ESME_RX_R_APPN
ESME_RQUERYFAIL = Status.ESME_RQUERYFAIL
ESME_RINVOPTPARSTREAM = Status.ESME_RINVOPTPARSTREAM
ESME_ROPTPARNOTALLWD = Status.ESME_ROPTPARNOTALLWD
ESME_RINVPARLEN = Status.ESME_RINVPARLEN
ESME_RMISSINGOPTPARAM = Status.ESME_RMISSINGOPTPARAM
ESME_RINVOPTPARAMVAL = Status.ESME_RINVOPTPARAMVAL
ESME_RDELIVERYFAILURE = Status.ESME_RDELIVERYFAILURE
ESME_RUNKNOWNERR = Status.ESME_RUNKNOWNERR

# Status codes after which the same PDU may simply be sent again later.
TRANSIENT_STATUSES = frozenset(
    {Status.ESME_RTHROTTLED, Status.ESME_RMSGQFUL, Status.ESME_RSYSERR, Status.ESME_RX_T_APPN}
)


def status_name(code: int) -> str:
    try:
        return Status(code).name
    except ValueError:
        return f"0x{code:08X}"


class Tag(IntEnum):
    """Optional parameter tags (SMPP 3.4 section 5.3.2)."""

    dest_addr_subunit = 0x0005
    dest_network_type = 0x0006
    dest_bearer_type = 0x0007
    dest_telematics_id = 0x0008
    source_addr_subunit = 0x000D
    source_network_type = 0x000E
    source_bearer_type = 0x000F
    source_telematics_id = 0x0010
    qos_time_to_live = 0x0017
    payload_type = 0x0019
    additional_status_info_text = 0x001D
    receipted_message_id = 0x001E
    ms_msg_wait_facilities = 0x0030
    privacy_indicator = 0x0201
    source_subaddress = 0x0202
    dest_subaddress = 0x0203
    user_message_reference = 0x0204
    user_response_code = 0x0205
    source_port = 0x020A
    destination_port = 0x020B
    sar_msg_ref_num = 0x020C
    language_indicator = 0x020D
    sar_total_segments = 0x020E
    sar_segment_seqnum = 0x020F
    sc_interface_version = 0x0210
    callback_num_pres_ind = 0x0302
    callback_num_atag = 0x0303
    number_of_messages = 0x0304
    callback_num = 0x0381
    dpf_result = 0x0420
    set_dpf = 0x0421
    ms_availability_status = 0x0422
    network_error_code = 0x0423
    message_payload = 0x0424
    delivery_failure_reason = 0x0425
    more_messages_to_send = 0x0426
    message_state = 0x0427
    ussd_service_op = 0x0501
    display_time = 0x1201
    sms_signal = 0x1203
    ms_validity = 0x1204
    alert_on_message_delivery = 0x130C
    its_reply_type = 0x1380
    its_session_info = 0x1383


# How a known TLV value is typed: integer width in octets, "c" (C-string) or "o" (octets).
_TLV_KIND: dict[int, int | str] = {
    Tag.dest_addr_subunit: 1, Tag.dest_network_type: 1, Tag.dest_bearer_type: 1,
    Tag.dest_telematics_id: 2, Tag.source_addr_subunit: 1, Tag.source_network_type: 1,
    Tag.source_bearer_type: 1, Tag.source_telematics_id: 1, Tag.qos_time_to_live: 4,
    Tag.payload_type: 1, Tag.additional_status_info_text: "c", Tag.receipted_message_id: "c",
    Tag.ms_msg_wait_facilities: 1, Tag.privacy_indicator: 1, Tag.user_message_reference: 2,
    Tag.user_response_code: 1, Tag.source_port: 2, Tag.destination_port: 2, Tag.sar_msg_ref_num: 2,
    Tag.language_indicator: 1, Tag.sar_total_segments: 1, Tag.sar_segment_seqnum: 1,
    Tag.sc_interface_version: 1, Tag.callback_num_pres_ind: 1, Tag.number_of_messages: 1,
    Tag.dpf_result: 1, Tag.set_dpf: 1, Tag.ms_availability_status: 1, Tag.network_error_code: "o",
    Tag.message_payload: "o", Tag.delivery_failure_reason: 1, Tag.more_messages_to_send: 1,
    Tag.message_state: 1, Tag.ussd_service_op: 1, Tag.display_time: 1, Tag.sms_signal: 2,
    Tag.ms_validity: 1, Tag.alert_on_message_delivery: 0, Tag.its_reply_type: 1,
    Tag.its_session_info: 2,
}  # fmt: skip


def tag_name(tag: int) -> str:
    try:
        return Tag(tag).name
    except ValueError:
        return f"0x{tag:04X}"


class PduError(Exception):
    """Base for codec errors."""


class FramingError(PduError):
    """command_length is impossible: the stream is out of sync, the connection must be dropped."""


class MalformedPdu(PduError):
    """A well-framed PDU with a bad body or unknown command id; answer generic_nack and go on."""

    def __init__(self, message: str, *, command_id: int, sequence: int, status: int):
        super().__init__(message)
        self.command_id = command_id
        self.sequence = sequence
        self.status = status  # the command_status to put in the generic_nack


# Body layouts. Kinds: "u1"/"u2"/"u4" integers, ("c", max) C-octet string whose max size
# includes the NUL, "sm" = sm_length + short_message. A trailing TLV section is always allowed.
_Field = tuple[str, "str | tuple[str, int]"]

_BIND: list[_Field] = [
    ("system_id", ("c", 16)),
    ("password", ("c", 9)),
    ("system_type", ("c", 13)),
    ("interface_version", "u1"),
    ("addr_ton", "u1"),
    ("addr_npi", "u1"),
    ("address_range", ("c", 41)),
]
_SM: list[_Field] = [
    ("service_type", ("c", 6)),
    ("source_addr_ton", "u1"),
    ("source_addr_npi", "u1"),
    ("source_addr", ("c", 21)),
    ("dest_addr_ton", "u1"),
    ("dest_addr_npi", "u1"),
    ("destination_addr", ("c", 21)),
    ("esm_class", "u1"),
    ("protocol_id", "u1"),
    ("priority_flag", "u1"),
    ("schedule_delivery_time", ("c", 17)),
    ("validity_period", ("c", 17)),
    ("registered_delivery", "u1"),
    ("replace_if_present_flag", "u1"),
    ("data_coding", "u1"),
    ("sm_default_msg_id", "u1"),
    ("short_message", "sm"),
]
_MSGID: list[_Field] = [("message_id", ("c", 65))]

BODIES: dict[int, list[_Field]] = {
    CommandId.generic_nack: [],
    CommandId.bind_receiver: _BIND,
    CommandId.bind_transmitter: _BIND,
    CommandId.bind_transceiver: _BIND,
    CommandId.bind_receiver_resp: [("system_id", ("c", 16))],
    CommandId.bind_transmitter_resp: [("system_id", ("c", 16))],
    CommandId.bind_transceiver_resp: [("system_id", ("c", 16))],
    CommandId.outbind: [("system_id", ("c", 16)), ("password", ("c", 9))],
    CommandId.unbind: [],
    CommandId.unbind_resp: [],
    CommandId.enquire_link: [],
    CommandId.enquire_link_resp: [],
    CommandId.submit_sm: _SM,
    CommandId.submit_sm_resp: _MSGID,
    CommandId.deliver_sm: _SM,
    CommandId.deliver_sm_resp: _MSGID,
    CommandId.data_sm: [
        ("service_type", ("c", 6)), ("source_addr_ton", "u1"), ("source_addr_npi", "u1"),
        ("source_addr", ("c", 65)), ("dest_addr_ton", "u1"), ("dest_addr_npi", "u1"),
        ("destination_addr", ("c", 65)), ("esm_class", "u1"), ("registered_delivery", "u1"),
        ("data_coding", "u1"),
    ],
    CommandId.data_sm_resp: _MSGID,
    CommandId.query_sm: [
        ("message_id", ("c", 65)), ("source_addr_ton", "u1"), ("source_addr_npi", "u1"),
        ("source_addr", ("c", 21)),
    ],
    CommandId.query_sm_resp: [
        ("message_id", ("c", 65)), ("final_date", ("c", 17)), ("message_state", "u1"), ("error_code", "u1"),
    ],
    CommandId.cancel_sm: [
        ("service_type", ("c", 6)), ("message_id", ("c", 65)), ("source_addr_ton", "u1"),
        ("source_addr_npi", "u1"), ("source_addr", ("c", 21)), ("dest_addr_ton", "u1"),
        ("dest_addr_npi", "u1"), ("destination_addr", ("c", 21)),
    ],
    CommandId.cancel_sm_resp: [],
    CommandId.replace_sm: [
        ("message_id", ("c", 65)), ("source_addr_ton", "u1"), ("source_addr_npi", "u1"),
        ("source_addr", ("c", 21)), ("schedule_delivery_time", ("c", 17)), ("validity_period", ("c", 17)),
        ("registered_delivery", "u1"), ("sm_default_msg_id", "u1"), ("short_message", "sm"),
    ],
    CommandId.replace_sm_resp: [],
    CommandId.alert_notification: [
        ("source_addr_ton", "u1"), ("source_addr_npi", "u1"), ("source_addr", ("c", 65)),
        ("esme_addr_ton", "u1"), ("esme_addr_npi", "u1"), ("esme_addr", ("c", 65)),
    ],
}  # fmt: skip

# PDUs with a TLV section (others must end after the mandatory params).
_HAS_TLVS = frozenset(
    {
        CommandId.bind_receiver_resp, CommandId.bind_transmitter_resp, CommandId.bind_transceiver_resp,
        CommandId.submit_sm, CommandId.deliver_sm, CommandId.data_sm, CommandId.data_sm_resp,
        CommandId.alert_notification,
    }
)  # fmt: skip


def _default(kind: str | tuple[str, int]) -> int | str | bytes:
    if kind == "sm":
        return b""
    return "" if isinstance(kind, tuple) else 0


@dataclass(slots=True)
class Pdu:
    """One SMPP PDU. `params` holds mandatory fields by spec name; `tlvs` raw values by tag."""

    command_id: int
    sequence: int = 0
    status: int = 0
    params: dict[str, int | str | bytes] = field(default_factory=dict)
    tlvs: dict[int, bytes] = field(default_factory=dict)

    @property
    def command(self) -> str:
        try:
            return CommandId(self.command_id).name
        except ValueError:
            return f"0x{self.command_id:08X}"

    @property
    def is_response(self) -> bool:
        return bool(self.command_id & RESPONSE_BIT)

    def get(self, name: str) -> int | str | bytes:
        """A mandatory param, or its default (0, "" or b"") when absent."""
        if name in self.params:
            return self.params[name]
        for fname, kind in BODIES.get(self.command_id, ()):
            if fname == name:
                return _default(kind)
        raise KeyError(name)

    def tlv(self, tag: int) -> int | str | bytes | None:
        """A TLV decoded by its known type (int, str or bytes); None when absent."""
        raw = self.tlvs.get(tag)
        if raw is None:
            return None
        kind = _TLV_KIND.get(tag, "o")
        if isinstance(kind, int):
            return int.from_bytes(raw, "big") if raw else 0
        if kind == "c":
            return raw.split(b"\0", 1)[0].decode("latin-1")
        return raw

    def set_tlv(self, tag: int, value: int | str | bytes) -> None:
        """Store a TLV, encoding ints with the tag's known width and str as a C-string."""
        kind = _TLV_KIND.get(tag, "o")
        if isinstance(value, int):
            width = kind if isinstance(kind, int) and kind > 0 else 4
            self.tlvs[tag] = value.to_bytes(width, "big")
        elif isinstance(value, str):
            self.tlvs[tag] = value.encode("latin-1") + b"\0"
        else:
            self.tlvs[tag] = bytes(value)

    def response(self, status: int = 0, **params: int | str | bytes) -> Pdu:
        """The matching *_resp (or generic_nack for unknown commands) with our sequence."""
        resp_id = self.command_id | RESPONSE_BIT
        if resp_id not in BODIES:
            resp_id = CommandId.generic_nack
        return Pdu(resp_id, self.sequence, status, dict(params))

    def encode(self) -> bytes:
        return encode(self)


# Layouts pre-resolved to (name, kind code, max size) so encode() does no type dispatch on strings.
_U1, _SMK, _U2, _U4, _CS = range(5)
_COMPILED: dict[int, tuple[tuple[str, int, int], ...]] = {
    cid: tuple(
        (name, _CS, kind[1])
        if isinstance(kind, tuple)
        else (name, {"u1": _U1, "sm": _SMK, "u2": _U2, "u4": _U4}[kind], 0)
        for name, kind in layout
    )
    for cid, layout in BODIES.items()
}


def encode(pdu: Pdu) -> bytes:
    layout = _COMPILED.get(pdu.command_id)
    if layout is None:
        raise PduError(f"cannot encode unknown command id 0x{pdu.command_id:08X}")
    body = bytearray()
    params = pdu.params
    for name, code, size in layout:
        value: Any = params.get(name)
        if code == _CS:
            raw = value.encode("latin-1") if isinstance(value, str) else (value or b"")
            if len(raw) >= size:
                raise PduError(f"{name} longer than {size - 1} octets")
            body += raw
            body.append(0)
        elif code == _U1:
            body.append(value or 0)
        elif code == _SMK:
            data = value or b""
            if len(data) > 254:
                raise PduError("short_message longer than 254 octets: use message_payload")
            body.append(len(data))
            body += data
        else:
            body += (value or 0).to_bytes(2 if code == _U2 else 4, "big")
    for tag, value in pdu.tlvs.items():
        body += struct.pack(">HH", tag, len(value))
        body += value
    return HEADER.pack(HEADER_LEN + len(body), pdu.command_id, pdu.status, pdu.sequence) + body


def decode(frame: bytes | memoryview) -> Pdu:
    """Decode exactly one PDU (header included). Raises MalformedPdu / FramingError."""
    if len(frame) < HEADER_LEN:
        raise FramingError(f"PDU shorter than its header ({len(frame)} octets)")
    length, command_id, status, sequence = HEADER.unpack_from(frame, 0)
    if length != len(frame):
        raise FramingError(f"command_length {length} does not match frame of {len(frame)} octets")
    layout = BODIES.get(command_id)
    if layout is None:
        raise MalformedPdu(
            f"unknown command id 0x{command_id:08X}",
            command_id=command_id,
            sequence=sequence,
            status=Status.ESME_RINVCMDID,
        )
    buf = bytes(frame)
    pos = HEADER_LEN
    params: dict[str, int | str | bytes] = {}

    def bad(why: str, code: int = Status.ESME_RINVCMDLEN) -> MalformedPdu:
        return MalformedPdu(
            f"{CommandId(command_id).name}: {why}", command_id=command_id, sequence=sequence, status=code
        )

    for name, kind in layout:
        if pos >= length:
            # Error responses often omit their body (SMPP 3.4 allows it); otherwise it is truncated.
            if command_id & RESPONSE_BIT and (status != 0 or not params):
                break
            raise bad(f"body ends before {name}")
        if kind == "u1":
            params[name] = buf[pos]
            pos += 1
        elif kind == "sm":
            n = buf[pos]
            if pos + 1 + n > length:
                raise bad("sm_length runs past the end of the PDU", Status.ESME_RINVMSGLEN)
            params[name] = buf[pos + 1 : pos + 1 + n]
            pos += 1 + n
        elif kind in ("u2", "u4"):
            width = 2 if kind == "u2" else 4
            if pos + width > length:
                raise bad(f"{name} truncated")
            params[name] = int.from_bytes(buf[pos : pos + width], "big")
            pos += width
        else:
            end = buf.find(b"\0", pos, length)
            if end < 0:
                raise bad(f"{name} is not NUL-terminated")
            params[name] = buf[pos:end].decode("latin-1")
            pos = end + 1
    tlvs: dict[int, bytes] = {}
    if pos < length and command_id not in _HAS_TLVS:
        # Some SMSCs pad bodies; tolerate trailing bytes only where TLVs are legal.
        raise bad("unexpected bytes after the mandatory parameters")
    while pos < length:
        if pos + 4 > length:
            raise bad("truncated TLV header", Status.ESME_RINVOPTPARSTREAM)
        tag, n = struct.unpack_from(">HH", buf, pos)
        pos += 4
        if pos + n > length:
            raise bad(f"TLV {tag_name(tag)} runs past the end of the PDU", Status.ESME_RINVOPTPARSTREAM)
        tlvs[tag] = buf[pos : pos + n]
        pos += n
    return Pdu(command_id, sequence, status, params, tlvs)


class PduDecoder:
    """Incremental framer: `feed()` socket bytes, then iterate `pdus()` for complete PDUs.

    A MalformedPdu raised by `pdus()` has already been consumed from the buffer, so the caller
    can answer generic_nack and iterate again. After a FramingError the decoder is poisoned.
    """

    def __init__(self, max_length: int = MAX_PDU_LENGTH):
        self.max_length = max_length
        self._buf = bytearray()
        self._broken: FramingError | None = None

    def feed(self, data: bytes) -> None:
        self._buf += data

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def pdus(self) -> Iterator[Pdu]:
        while True:
            if self._broken:
                raise self._broken
            buf = self._buf
            if len(buf) < 4:
                return
            length = int.from_bytes(buf[:4], "big")
            if length < HEADER_LEN or length > self.max_length:
                self._broken = FramingError(f"invalid command_length {length}")
                raise self._broken
            if len(buf) < length:
                return
            frame = bytes(buf[:length])
            del buf[:length]
            yield decode(frame)


# Convenience constructors used by the link, the fake SMSC and tests.


def bind(
    mode: str,
    system_id: str,
    password: str,
    *,
    system_type: str = "",
    sequence: int = 0,
    addr_ton: int = 0,
    addr_npi: int = 0,
    address_range: str = "",
) -> Pdu:
    command = {
        "transmitter": CommandId.bind_transmitter,
        "receiver": CommandId.bind_receiver,
        "transceiver": CommandId.bind_transceiver,
    }[mode]
    return Pdu(
        command,
        sequence,
        0,
        {
            "system_id": system_id,
            "password": password,
            "system_type": system_type,
            "interface_version": 0x34,
            "addr_ton": addr_ton,
            "addr_npi": addr_npi,
            "address_range": address_range,
        },
    )


def is_bind(command_id: int) -> bool:
    return command_id in (CommandId.bind_transmitter, CommandId.bind_receiver, CommandId.bind_transceiver)
