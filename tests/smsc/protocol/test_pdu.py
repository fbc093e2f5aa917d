import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsc import pdu as P
from smsc.pdu import BODIES, CommandId, FramingError, MalformedPdu, Pdu, PduDecoder, Status, Tag

cstr = {
    n: st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=255), max_size=n - 1)
    for n in (6, 9, 13, 16, 17, 21, 41, 65)
}


def params_for(command_id: int) -> st.SearchStrategy[dict]:
    fields = {}
    for name, kind in BODIES[command_id]:
        if kind == "u1":
            fields[name] = st.integers(0, 255)
        elif kind == "sm":
            fields[name] = st.binary(max_size=254)
        else:
            fields[name] = cstr[kind[1]]
    return st.fixed_dictionaries(fields)


tlv_strategy = st.dictionaries(st.integers(0, 0xFFFF), st.binary(max_size=300), max_size=4)


@st.composite
def pdus(draw: st.DrawFn) -> Pdu:
    cid = draw(st.sampled_from(sorted(BODIES)))
    params = draw(params_for(cid))
    tlvs = draw(tlv_strategy) if cid in P._HAS_TLVS else {}
    return Pdu(cid, draw(st.integers(0, 0x7FFFFFFF)), draw(st.integers(0, 0xFFFFFFFF)), params, tlvs)


@settings(max_examples=400, deadline=None)
@given(pdus())
def test_every_pdu_round_trips(p: Pdu) -> None:
    raw = p.encode()
    assert struct.unpack(">I", raw[:4])[0] == len(raw)
    assert P.decode(raw) == p


@settings(max_examples=100, deadline=None)
@given(st.lists(pdus(), min_size=1, max_size=8), st.data())
def test_stream_decoder_handles_any_chunking(items: list[Pdu], data: st.DataObject) -> None:
    stream = b"".join(p.encode() for p in items)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    decoder = PduDecoder()
    out: list[Pdu] = []
    prev = 0
    for cut in [*cuts, len(stream)]:
        decoder.feed(stream[prev:cut])
        prev = cut
        out.extend(decoder.pdus())
    assert out == items
    assert decoder.buffered == 0


def test_byte_by_byte_feed() -> None:
    p = Pdu(CommandId.submit_sm, 7, params={"destination_addr": "250788", "short_message": b"hello"})
    decoder = PduDecoder()
    got = []
    for b in p.encode():
        decoder.feed(bytes([b]))
        got.extend(decoder.pdus())
    assert len(got) == 1 and got[0].encode() == p.encode()
    assert got[0].get("short_message") == b"hello" and got[0].get("destination_addr") == "250788"


@pytest.mark.parametrize("length", [0, 4, 15, P.MAX_PDU_LENGTH + 1, 0xFFFFFFFF])
def test_impossible_command_length_is_a_framing_error(length: int) -> None:
    decoder = PduDecoder()
    decoder.feed(struct.pack(">IIII", length, CommandId.enquire_link, 0, 1))
    with pytest.raises(FramingError):
        list(decoder.pdus())
    with pytest.raises(FramingError):  # stays poisoned: the stream cannot be trusted any more
        list(decoder.pdus())


def test_unknown_command_is_malformed_but_stream_continues() -> None:
    decoder = PduDecoder()
    decoder.feed(struct.pack(">IIII", 20, 0x00000099, 0, 42) + b"abcd")
    decoder.feed(Pdu(CommandId.enquire_link, 43).encode())
    with pytest.raises(MalformedPdu) as err:
        list(decoder.pdus())
    assert err.value.status == Status.ESME_RINVCMDID
    assert err.value.sequence == 42
    assert [p.command for p in decoder.pdus()] == ["enquire_link"]


@pytest.mark.parametrize(
    "body, status",
    [
        (b"abc", Status.ESME_RINVCMDLEN),  # service_type without NUL
        (
            b"\0\1\1" + b"123\0" + b"\1\1" + b"456\0" + bytes(3) + b"\0\0" + bytes(4) + b"\x10hi",
            Status.ESME_RINVMSGLEN,
        ),
    ],
)
def test_bad_submit_bodies(body: bytes, status: int) -> None:
    raw = struct.pack(">IIII", 16 + len(body), CommandId.submit_sm, 0, 9) + body
    with pytest.raises(MalformedPdu) as err:
        P.decode(raw)
    assert err.value.status == status and err.value.sequence == 9


def test_tlv_overrun_is_malformed() -> None:
    raw = bytearray(Pdu(CommandId.submit_sm, 1, tlvs={Tag.message_payload: b"abcdef"}).encode())
    raw[-8:-6] = b"\x00\xff"  # claim a 255-octet value where only 6 follow
    with pytest.raises(MalformedPdu) as err:
        P.decode(bytes(raw))
    assert err.value.status == Status.ESME_RINVOPTPARSTREAM


def test_error_response_without_body() -> None:
    raw = struct.pack(">IIII", 16, CommandId.submit_sm_resp, Status.ESME_RTHROTTLED, 5)
    p = P.decode(raw)
    assert p.status == P.ESME_RTHROTTLED and p.get("message_id") == ""
    bind_resp = P.decode(struct.pack(">IIII", 16, CommandId.bind_transceiver_resp, P.ESME_RINVPASWD, 1))
    assert bind_resp.status == Status.ESME_RINVPASWD


def test_trailing_garbage_on_pdu_without_tlvs() -> None:
    raw = struct.pack(">IIII", 18, CommandId.enquire_link, 0, 3) + b"xx"
    with pytest.raises(MalformedPdu):
        P.decode(raw)


def test_tlv_typed_access_and_unknown_tags_kept() -> None:
    p = Pdu(CommandId.deliver_sm)
    p.set_tlv(Tag.sar_msg_ref_num, 513)
    p.set_tlv(Tag.sar_total_segments, 3)
    p.set_tlv(Tag.receipted_message_id, "abc123")
    p.set_tlv(Tag.message_state, 2)
    p.set_tlv(Tag.user_message_reference, 7)
    p.set_tlv(Tag.network_error_code, b"\x03\x00\x01")
    p.tlvs[0x1401] = b"\x01\x02"  # vendor specific
    q = P.decode(p.encode())
    assert q.tlvs[Tag.sar_msg_ref_num] == b"\x02\x01"
    assert q.tlv(Tag.sar_msg_ref_num) == 513
    assert q.tlv(Tag.sar_total_segments) == 3
    assert q.tlv(Tag.receipted_message_id) == "abc123"
    assert q.tlv(Tag.message_state) == 2
    assert q.tlv(Tag.user_message_reference) == 7
    assert q.tlv(Tag.network_error_code) == b"\x03\x00\x01"
    assert q.tlv(0x1401) == b"\x01\x02"
    assert q.tlv(Tag.message_payload) is None
    assert P.tag_name(0x1401) == "0x1401" and P.tag_name(Tag.message_payload) == "message_payload"


def test_encode_rejects_oversized_fields() -> None:
    with pytest.raises(P.PduError):
        Pdu(CommandId.submit_sm, params={"short_message": b"x" * 255}).encode()
    with pytest.raises(P.PduError):
        Pdu(CommandId.submit_sm, params={"destination_addr": "1" * 21}).encode()


def test_response_helpers() -> None:
    req = Pdu(CommandId.submit_sm, 77)
    resp = req.response(message_id="abc")
    assert resp.command_id == CommandId.submit_sm_resp and resp.sequence == 77 and resp.is_response
    assert P.decode(resp.encode()).get("message_id") == "abc"
    assert P.status_name(0x58) == "ESME_RTHROTTLED" and P.status_name(0x1234) == "0x00001234"
    assert P.ESME_RBINDFAIL == 0x0D and P.ESME_RMSGQFUL == 0x14 and P.ESME_ROK == 0
    b = P.bind("transceiver", "sys", "pw")
    assert P.decode(b.encode()).get("interface_version") == 0x34
