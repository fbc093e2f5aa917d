"""Exact bytes, exact messages and the boundaries of the SMPP codec.

The round-trip properties in test_pdu.py cannot see a mistake made the same way on both sides
(a wrong default, a wrong width, a wrong error text): these pin the wire format to SMPP 3.4 and
were written against the mutants that survived them (`make mutation`, package smsc-pdu).
"""

from __future__ import annotations

import struct

import pytest

from smsc import pdu as P
from smsc.pdu import CommandId, FramingError, MalformedPdu, Pdu, PduDecoder, PduError, Status, Tag


def header(length: int, command_id: int, status: int = 0, sequence: int = 0) -> bytes:
    return struct.pack(">IIII", length, command_id, status, sequence)


# --- binds -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "command_id"),
    [("transmitter", 0x02), ("receiver", 0x01), ("transceiver", 0x09)],
)
def test_bind_defaults_on_the_wire(mode: str, command_id: int) -> None:
    body = b"sys\0" + b"pw\0" + b"\0" + b"\x34" + b"\0" + b"\0" + b"\0"
    assert P.bind(mode, "sys", "pw").encode() == header(16 + len(body), command_id) + body


def test_bind_with_every_option_on_the_wire() -> None:
    got = P.bind(
        "transceiver",
        "sys",
        "pw",
        system_type="VMA",
        sequence=5,
        addr_ton=1,
        addr_npi=1,
        address_range="^2507",
    )
    body = b"sys\0pw\0VMA\0\x34\x01\x01^2507\0"
    assert got.encode() == header(16 + len(body), 0x09, 0, 5) + body
    assert (got.status, P.is_bind(got.command_id), P.is_bind(CommandId.submit_sm)) == (0, True, False)


def test_unknown_bind_mode_is_refused() -> None:
    with pytest.raises(KeyError):
        P.bind("TRANSMITTER", "sys", "pw")


# --- encode ----------------------------------------------------------------------------------


def test_absent_params_encode_as_their_empty_defaults() -> None:
    body = b"\0" + b"\0\0" + b"\0" + b"\0\0" + b"250788\0" + b"\0\0\0" + b"\0" + b"\0" + b"\0\0\0\0" + b"\0"
    raw = Pdu(CommandId.submit_sm, 3, params={"destination_addr": "250788"}).encode()
    assert raw == header(16 + len(body), CommandId.submit_sm, 0, 3) + body


def test_c_string_and_short_message_limits_are_exact() -> None:
    assert (
        P.decode(Pdu(CommandId.submit_sm, params={"destination_addr": "1" * 20}).encode()).get(
            "destination_addr"
        )
        == "1" * 20
    )
    with pytest.raises(PduError, match=r"^destination_addr longer than 20 octets$"):
        Pdu(CommandId.submit_sm, params={"destination_addr": b"1" * 21}).encode()
    assert (
        P.decode(Pdu(CommandId.submit_sm, params={"short_message": b"x" * 254}).encode()).get("short_message")
        == b"x" * 254
    )
    with pytest.raises(PduError, match=r"^short_message longer than 254 octets: use message_payload$"):
        Pdu(CommandId.submit_sm, params={"short_message": b"x" * 255}).encode()
    with pytest.raises(PduError, match=r"^cannot encode unknown command id 0x00000099$"):
        Pdu(0x99).encode()


# --- decode ----------------------------------------------------------------------------------


def test_framing_errors_say_what_is_wrong() -> None:
    with pytest.raises(FramingError, match=r"^PDU shorter than its header \(3 octets\)$"):
        P.decode(b"\0\0\0")
    with pytest.raises(FramingError, match=r"^command_length 20 does not match frame of 16 octets$"):
        P.decode(header(20, CommandId.enquire_link))


def test_malformed_pdus_carry_message_command_sequence_and_status() -> None:
    with pytest.raises(MalformedPdu) as unknown:
        P.decode(header(16, 0x99, 0, 4))
    assert str(unknown.value) == "unknown command id 0x00000099"
    assert (unknown.value.command_id, unknown.value.sequence, unknown.value.status) == (
        0x99,
        4,
        Status.ESME_RINVCMDID,
    )
    with pytest.raises(MalformedPdu) as empty:
        P.decode(header(16, CommandId.submit_sm, 0, 6))  # a request may not omit its body
    assert str(empty.value) == "submit_sm: body ends before service_type"
    assert (empty.value.command_id, empty.value.sequence, empty.value.status) == (
        CommandId.submit_sm, 6, Status.ESME_RINVCMDLEN
    )  # fmt: skip


def test_responses_may_omit_their_body_but_not_cut_it_short() -> None:
    ok = P.decode(header(16, CommandId.submit_sm_resp, 0, 1))  # status 0, no body: allowed
    assert ok.get("message_id") == "" and ok.params == {}
    # An error status ends the body wherever it ends (even status 1).
    partial = P.decode(header(16 + 4, CommandId.query_sm_resp, Status.ESME_RINVMSGLEN, 2) + b"id1\0")
    assert partial.params == {"message_id": "id1"} and partial.status == 1
    # Status 0 with half a body is a truncated PDU.
    with pytest.raises(MalformedPdu, match=r"^query_sm_resp: body ends before final_date$"):
        P.decode(header(16 + 4, CommandId.query_sm_resp, 0, 3) + b"id1\0")


def _submit_body(short_message: bytes) -> bytes:
    return b"\0\1\1" + b"123\0" + b"\1\1" + b"456\0" + bytes(3) + b"\0\0" + bytes(4) + short_message


@pytest.mark.parametrize("sm", [b"\x03hi", b"\x04hi"])
def test_sm_length_one_or_two_past_the_end_is_malformed(sm: bytes) -> None:
    body = _submit_body(sm)
    with pytest.raises(MalformedPdu, match=r"^submit_sm: sm_length runs past the end of the PDU$") as err:
        P.decode(header(16 + len(body), CommandId.submit_sm, 0, 8) + body)
    assert err.value.status == Status.ESME_RINVMSGLEN


def test_sm_length_exactly_to_the_end_is_read_whole() -> None:
    body = _submit_body(b"\x02hi")
    assert P.decode(header(16 + len(body), CommandId.submit_sm) + body).get("short_message") == b"hi"


# --- the stream decoder ----------------------------------------------------------------------


def test_four_bytes_are_enough_to_spot_an_impossible_length() -> None:
    decoder = PduDecoder()
    decoder.feed(b"\0\0\0\x04")
    with pytest.raises(FramingError, match=r"^invalid command_length 4$"):
        list(decoder.pdus())


def test_three_bytes_wait_for_more() -> None:
    decoder = PduDecoder()
    decoder.feed(b"\0\0\0")
    assert list(decoder.pdus()) == [] and decoder.buffered == 3


def test_a_pdu_of_exactly_the_maximum_length_is_accepted() -> None:
    frame = Pdu(CommandId.enquire_link, 9).encode()
    decoder = PduDecoder(max_length=len(frame))
    decoder.feed(frame)
    assert [p.sequence for p in decoder.pdus()] == [9]
    decoder = PduDecoder(max_length=len(frame) - 1)
    decoder.feed(frame)
    with pytest.raises(FramingError):
        list(decoder.pdus())


# --- params, TLVs, responses -------------------------------------------------------------------


def test_get_returns_typed_defaults_and_refuses_unknown_names() -> None:
    p = Pdu(CommandId.submit_sm)
    assert p.get("short_message") == b"" and isinstance(p.get("short_message"), bytes)
    assert p.get("destination_addr") == "" and isinstance(p.get("destination_addr"), str)
    assert p.get("esm_class") == 0 and isinstance(p.get("esm_class"), int)
    with pytest.raises(KeyError) as missing:
        p.get("nope")
    assert missing.value.args == ("nope",)
    with pytest.raises(KeyError) as unknown_command:
        Pdu(0x99).get("message_id")
    assert unknown_command.value.args == ("message_id",)


def test_tlv_values_by_kind() -> None:
    p = Pdu(CommandId.deliver_sm)
    p.tlvs[Tag.alert_on_message_delivery] = b""  # an int-kind TLV with no value octets
    assert p.tlv(Tag.alert_on_message_delivery) == 0
    p.tlvs[Tag.receipted_message_id] = b"abc\0junk\0"  # a C-string ends at its first NUL
    assert p.tlv(Tag.receipted_message_id) == "abc"
    p.tlvs[Tag.receipted_message_id] = b"\xe9t\xe9\0"
    assert p.tlv(Tag.receipted_message_id) == "été"


def test_set_tlv_encodes_ints_with_the_tags_width() -> None:
    p = Pdu(CommandId.submit_sm)
    p.set_tlv(Tag.sar_total_segments, 3)  # width 1
    p.set_tlv(Tag.sar_msg_ref_num, 513)  # width 2
    p.set_tlv(Tag.qos_time_to_live, 7)  # width 4
    p.set_tlv(0x1401, 5)  # unknown tag: 4 octets
    p.set_tlv(Tag.alert_on_message_delivery, 1)  # a zero-width kind: 4 octets too
    p.set_tlv(Tag.receipted_message_id, "été")
    p.set_tlv(Tag.message_payload, bytearray(b"\x01\x02"))
    assert p.tlvs == {
        Tag.sar_total_segments: b"\x03",
        Tag.sar_msg_ref_num: b"\x02\x01",
        Tag.qos_time_to_live: b"\0\0\0\x07",
        0x1401: b"\0\0\0\x05",
        Tag.alert_on_message_delivery: b"\0\0\0\x01",
        Tag.receipted_message_id: b"\xe9t\xe9\0",
        Tag.message_payload: b"\x01\x02",
    }
    assert isinstance(p.tlvs[Tag.message_payload], bytes)


def test_response_defaults_and_generic_nack_for_unknown_commands() -> None:
    resp = Pdu(CommandId.enquire_link, 12).response()
    assert (resp.command_id, resp.sequence, resp.status, resp.params) == (
        CommandId.enquire_link_resp,
        12,
        0,
        {},
    )
    nack = Pdu(0x99, 13).response(Status.ESME_RINVCMDID)
    assert (nack.command_id, nack.sequence, nack.status) == (
        CommandId.generic_nack,
        13,
        Status.ESME_RINVCMDID,
    )
    assert nack.encode() == header(16, CommandId.generic_nack, Status.ESME_RINVCMDID, 13)


def test_body_errors_name_the_field_and_the_status() -> None:
    with pytest.raises(
        MalformedPdu, match=r"^submit_sm: service_type is not NUL-terminated$"
    ) as unterminated:
        P.decode(header(19, CommandId.submit_sm, 0, 1) + b"abc")
    assert unterminated.value.status == Status.ESME_RINVCMDLEN
    with pytest.raises(
        MalformedPdu, match=r"^enquire_link: unexpected bytes after the mandatory parameters$"
    ):
        P.decode(header(18, CommandId.enquire_link, 0, 2) + b"xx")
    mandatory = Pdu(CommandId.submit_sm, 3).encode()[16:]
    for cut in (1, 3):  # 1 to 3 bytes where a 4-byte TLV header should be
        body = mandatory + b"\x04\x24\x00"[:cut]
        with pytest.raises(MalformedPdu, match=r"^submit_sm: truncated TLV header$") as short:
            P.decode(header(16 + len(body), CommandId.submit_sm, 0, 3) + body)
        assert short.value.status == Status.ESME_RINVOPTPARSTREAM
    body = mandatory + struct.pack(">HH", Tag.message_payload, 5) + b"abcd"
    with pytest.raises(
        MalformedPdu, match=r"^submit_sm: TLV message_payload runs past the end of the PDU$"
    ) as over:
        P.decode(header(16 + len(body), CommandId.submit_sm, 0, 4) + body)
    assert over.value.status == Status.ESME_RINVOPTPARSTREAM
