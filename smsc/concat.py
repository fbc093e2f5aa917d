"""Long messages: building concatenated submit_sm sequences and reassembling concatenated MOs.

Four ways an SMSC may want a long text, chosen per link:

* ``udh``     - a User Data Header with an 8-bit reference in each part (IEI 0x00), esm_class UDHI.
* ``udh16``   - the same with a 16-bit reference (IEI 0x08), one octet less per part.
* ``sar``     - sar_msg_ref_num / sar_total_segments / sar_segment_seqnum TLVs, no UDH.
* ``payload`` - one submit_sm carrying the whole text in message_payload; the SMSC splits it.

On the way in we accept any of the three segmented forms and join the raw payloads before
decoding, so a surrogate pair or escape sequence split by a careless sender still decodes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from . import gsm
from .pdu import CommandId, Pdu, Tag

ConcatMode = Literal["udh", "udh16", "sar", "payload"]

ESM_UDHI = 0x40  # esm_class bit: short_message starts with a UDH
IEI_CONCAT8 = 0x00
IEI_CONCAT16 = 0x08


@dataclass(frozen=True, slots=True)
class EncodedPart:
    short_message: bytes
    esm_class: int
    tlvs: dict[int, bytes]


@dataclass(frozen=True, slots=True)
class EncodedMessage:
    encoding: gsm.Encoding
    data_coding: int
    parts: list[EncodedPart]


def _udh(mode: ConcatMode, reference: int, total: int, seq: int) -> bytes:
    if mode == "udh16":
        return bytes((6, IEI_CONCAT16, 4, (reference >> 8) & 0xFF, reference & 0xFF, total, seq))
    return bytes((5, IEI_CONCAT8, 3, reference & 0xFF, total, seq))


def _gsm_payload(text: str, packed: bool, udh_len: int) -> bytes:
    septets = gsm.gsm7_encode(text)
    if not packed:
        return septets
    # After a UDH the text starts on the next septet boundary (GSM 03.40 9.2.3.24).
    fill = (7 - (udh_len * 8) % 7) % 7
    return gsm.pack_septets(septets, fill)


def encode_message(
    text: str,
    *,
    encoding: gsm.EncodingChoice = "auto",
    mode: ConcatMode = "udh",
    reference: int = 0,
    gsm7_packed: bool = False,
) -> EncodedMessage:
    """Encode text into one or more submit_sm payloads (no addresses yet; see `build_submits`)."""
    enc = gsm.choose_encoding(text, encoding)
    data_coding = gsm.DATA_CODING[enc]

    def payload(chunk: str, udh_len: int = 0) -> bytes:
        if enc == "gsm7":
            return _gsm_payload(chunk, gsm7_packed, udh_len)
        return gsm.encode_text(chunk, enc)

    if gsm.text_cost(text, enc) <= gsm.part_capacity(enc):
        return EncodedMessage(enc, data_coding, [EncodedPart(payload(text), 0, {})])
    if mode == "payload":
        tlvs: dict[int, bytes] = {Tag.message_payload: payload(text)}
        return EncodedMessage(enc, data_coding, [EncodedPart(b"", 0, tlvs)])

    udh_len = {"udh": 6, "udh16": 7, "sar": 0}[mode]
    chunks = gsm.split_text(text, enc, gsm.part_capacity(enc, udh_len))
    if len(chunks) > 255:
        raise gsm.EncodeError(f"text needs {len(chunks)} parts; 255 is the maximum")
    parts = []
    total = len(chunks)
    for seq, chunk in enumerate(chunks, start=1):
        if mode == "sar":
            tlvs = {  # sar_ TLVs instead of a UDH
                Tag.sar_msg_ref_num: (reference & 0xFFFF).to_bytes(2, "big"),
                Tag.sar_total_segments: bytes((total,)),
                Tag.sar_segment_seqnum: bytes((seq,)),
            }
            parts.append(EncodedPart(payload(chunk), 0, tlvs))
        else:
            udh = _udh(mode, reference, total, seq)
            parts.append(EncodedPart(udh + payload(chunk, len(udh)), ESM_UDHI, {}))
    return EncodedMessage(enc, data_coding, parts)


def build_submits(message: EncodedMessage, params: dict[str, Any]) -> list[Pdu]:
    """submit_sm PDUs (sequence 0, set by the session) for each part, on top of common `params`."""
    pdus = []
    for part in message.parts:
        p = dict(params)
        p["short_message"] = part.short_message
        p["esm_class"] = (params.get("esm_class") or 0) | part.esm_class
        p["data_coding"] = message.data_coding
        pdus.append(Pdu(CommandId.submit_sm, params=p, tlvs={**part.tlvs}))
    return pdus


# ---- reassembly ----


@dataclass(frozen=True, slots=True)
class Segment:
    """Where one MO PDU sits in a concatenated message; `body` is short_message minus its UDH."""

    reference: int
    total: int
    seqnum: int
    body: bytes
    udh_len: int


def parse_udh(data: bytes) -> tuple[dict[int, bytes], int]:
    """Information elements of a UDH (IEI -> data) and the UDH length including UDHL."""
    if not data:
        return {}, 0
    udhl = data[0]
    end = 1 + udhl
    if end > len(data):
        return {}, 0  # lying UDHL: treat the whole thing as text rather than crash
    ies: dict[int, bytes] = {}
    pos = 1
    while pos + 2 <= end:
        iei, n = data[pos], data[pos + 1]
        ies[iei] = data[pos + 2 : pos + 2 + n]
        pos += 2 + n
    return ies, end


def message_body(pdu: Pdu) -> tuple[bytes, int]:
    """(payload, udh length): message_payload wins over short_message, the UDH is cut off."""
    data: Any = pdu.tlvs.get(Tag.message_payload)
    if data is None:
        data = pdu.get("short_message") if "short_message" in pdu.params else b""
    assert isinstance(data, bytes)
    esm = pdu.get("esm_class") if "esm_class" in pdu.params else 0
    if isinstance(esm, int) and esm & ESM_UDHI:
        _, udh_len = parse_udh(data)
        return data[udh_len:], udh_len
    return data, 0


def segment_of(pdu: Pdu) -> Segment | None:
    """The concatenation info of an MO PDU, or None when it is a complete message."""
    body, udh_len = message_body(pdu)
    if udh_len:
        data = pdu.tlvs.get(Tag.message_payload) or pdu.get("short_message")
        assert isinstance(data, bytes)
        ies, _ = parse_udh(data)
        if len(ies.get(IEI_CONCAT8, b"")) == 3:
            ref, total, seq = ies[IEI_CONCAT8]
            return Segment(ref, total, seq, body, udh_len) if total > 1 else None
        if len(ies.get(IEI_CONCAT16, b"")) == 4:
            ie = ies[IEI_CONCAT16]
            return Segment((ie[0] << 8) | ie[1], ie[2], ie[3], body, udh_len) if ie[2] > 1 else None
    sar_total = pdu.tlv(Tag.sar_total_segments)
    if isinstance(sar_total, int) and sar_total > 1:
        sar_ref, sar_seq = pdu.tlv(Tag.sar_msg_ref_num), pdu.tlv(Tag.sar_segment_seqnum)
        if isinstance(sar_ref, int) and isinstance(sar_seq, int):
            return Segment(sar_ref, sar_total, sar_seq, body, 0)
    return None


@dataclass(slots=True)
class MOMessage:
    """A mobile-originated message, whole (or `complete=False` when parts never arrived)."""

    source_addr: str
    destination_addr: str
    text: str
    data_coding: int
    parts: int = 1
    complete: bool = True
    source_addr_ton: int = 0
    source_addr_npi: int = 0
    service_type: str = ""
    pdus: list[Pdu] = field(default_factory=list, repr=False)


def _decode_bodies(
    bodies: list[tuple[bytes, int]], data_coding: int, packed: bool, default: gsm.Encoding
) -> str:
    if packed and _is_gsm(data_coding):
        # Packed septets: unpack each part (honouring its fill bits) before joining.
        septets = b"".join(
            gsm.unpack_septets(body, fill_bits=(7 - (udh_len * 8) % 7) % 7 if udh_len else 0)
            for body, udh_len in bodies
        )
        return gsm.gsm7_decode(septets)
    return gsm.decode_text(b"".join(body for body, _ in bodies), data_coding, default)


def _is_gsm(data_coding: int) -> bool:
    return data_coding == gsm.DC_DEFAULT or (data_coding >= 0xF0 and not data_coding & 0x04)


def _mo(pdus: list[Pdu], text: str, parts: int, complete: bool) -> MOMessage:
    first = pdus[0]
    return MOMessage(
        source_addr=str(first.get("source_addr")),
        destination_addr=str(first.get("destination_addr")),
        text=text,
        data_coding=int(first.get("data_coding")),  # type: ignore[arg-type]
        parts=parts,
        complete=complete,
        source_addr_ton=int(first.get("source_addr_ton")),  # type: ignore[arg-type]
        source_addr_npi=int(first.get("source_addr_npi")),  # type: ignore[arg-type]
        service_type=str(first.get("service_type")),
        pdus=pdus,
    )


@dataclass(slots=True)
class _Pending:
    total: int
    first_seen: float
    segments: dict[int, tuple[Segment, Pdu]] = field(default_factory=dict)


class Reassembler:
    """Collects MO segments; `add()` returns the MOMessage once all parts are in.

    Incomplete sets are not dropped silently: after `timeout` seconds `expire()` hands them back
    with complete=False so the caller can still ingest what arrived.
    """

    def __init__(
        self,
        timeout: float = 120.0,
        *,
        gsm7_packed: bool = False,
        default_encoding: gsm.Encoding = "gsm7",
        clock: Callable[[], float] = time.monotonic,
    ):
        self.timeout = timeout
        self.gsm7_packed = gsm7_packed
        self.default_encoding = default_encoding
        self.clock = clock
        self._pending: dict[tuple[str, str, int, int], _Pending] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, pdu: Pdu) -> MOMessage | None:
        seg = segment_of(pdu)
        dc = int(pdu.get("data_coding"))  # type: ignore[arg-type]
        if seg is None:
            body, udh_len = message_body(pdu)
            return _mo([pdu], self._decode([(body, udh_len)], dc), 1, True)
        key = (str(pdu.get("source_addr")), str(pdu.get("destination_addr")), seg.reference, seg.total)
        entry = self._pending.get(key)
        if entry is None:
            entry = self._pending[key] = _Pending(seg.total, self.clock())
        entry.segments[seg.seqnum] = (seg, pdu)  # a re-sent segment replaces, never duplicates
        if len(entry.segments) < entry.total or any(
            n not in entry.segments for n in range(1, entry.total + 1)
        ):
            return None
        del self._pending[key]
        return self._join(entry, complete=True)

    def expire(self) -> list[MOMessage]:
        now = self.clock()
        out = []
        for key, entry in list(self._pending.items()):
            if now - entry.first_seen >= self.timeout:
                del self._pending[key]
                out.append(self._join(entry, complete=False))
        return out

    def _join(self, entry: _Pending, complete: bool) -> MOMessage:
        ordered = [entry.segments[n] for n in sorted(entry.segments)]
        dc = int(ordered[0][1].get("data_coding"))  # type: ignore[arg-type]
        text = self._decode([(seg.body, seg.udh_len) for seg, _ in ordered], dc)
        return _mo([pdu for _, pdu in ordered], text, entry.total, complete)

    def _decode(self, bodies: list[tuple[bytes, int]], data_coding: int) -> str:
        return _decode_bodies(bodies, data_coding, self.gsm7_packed, self.default_encoding)
