"""UCP/EMI and CIMD2 codecs against the examples printed in the specifications."""

from __future__ import annotations

import pytest

from smsc.cimd import codec as cimd
from smsc.ucp import codec as ucp

# EMI-UCP 4.0 specification, section 5.3 (OT 51) and the OT 31 examples.
SPEC_51 = (
    "18/00113/O/51/012345/09876//1/1920870340125000/4/0539//////3012961212//////3//"
    "4D657373616765203531/////////////CD"
)
SPEC_31 = "00/00032/O/31/0123456789/0100/F0"
# Alphanumeric OAdC example of the spec: "ALPHA@NUM" with OTOA 5039.
SPEC_ALPHANUMERIC = ("ALPHA@NUM", "10412614190438AB4D")


def test_ucp_spec_examples_parse_and_reframe_byte_for_byte() -> None:
    for text in (SPEC_51, SPEC_31):
        op = ucp.parse(text.encode())
        assert ucp.frame(op) == b"\x02" + text.encode() + b"\x03"
    op = ucp.parse(SPEC_51.encode())
    f = op.named()
    assert (op.trn, op.ot, f["AdC"], f["OAdC"], f["NRq"], f["NT"], f["MT"]) == (
        18,
        "51",
        "012345",
        "09876",
        "1",
        "4",
        "3",
    )
    assert ucp.ira_unhex(f["Msg"]) == "Message 51"
    assert ucp.parse(SPEC_31.encode()).named() == {"AdC": "0123456789", "PID": "0100"}


def test_ucp_alphanumeric_oadc_spec_example() -> None:
    text, encoded = SPEC_ALPHANUMERIC
    assert ucp.encode_alphanumeric_oadc(text) == encoded
    assert ucp.decode_alphanumeric_oadc(encoded) == text


@pytest.mark.parametrize(
    "bad",
    [
        SPEC_31[:-2] + "F1",  # checksum
        SPEC_31.replace("00032", "00033"),  # length
        "0x/00032/O/31/0123456789/0100/F0",
    ],
)
def test_ucp_rejects_bad_checksum_length_header(bad: str) -> None:
    with pytest.raises(ucp.UcpError):
        ucp.parse(bad.encode())


def test_ucp_split_frames_keeps_partial_tail() -> None:
    one = b"\x02" + SPEC_31.encode() + b"\x03"
    buf = bytearray(b"noise" + one + one[:10])
    assert ucp.split_frames(buf) == [one]
    assert bytes(buf) == one[:10]


def test_ucp_submit_ucs2_with_udh_uses_mt4_xser() -> None:
    part = ucp.SubmitPart(data="é😀".encode("utf-16-be"), udh=bytes.fromhex("050003070201"), dcs=8)
    f = ucp.parse(ucp.frame(ucp.submit(7, to="250788123123", sender="250788000000", part=part))).named()
    assert (
        f["MT"] == "4"
        and f["NB"] == "0048"
        and f["MCLs"] == "1"
        and f["OTOA"] == ""
        and f["OAdC"] == "250788000000"
    )
    assert f["XSer"] == "0106050003070201" + "020108"
    assert ucp.decode_xser(f["XSer"]) == {1: bytes.fromhex("050003070201"), 2: b"\x08"}


def test_ucp_results_ack_nack() -> None:
    op = ucp.parse(ucp.frame(ucp.login(1, "0612345678", "secret")))
    assert op.named()["PWD"] == "736563726574" and op.named()["VERS"] == "0100"
    nack = ucp.parse(ucp.frame(ucp.result(op, ok=False, error="07", sm="bad")))
    assert nack.nack and nack.named() == {"ACK": "N", "EC": "07", "SM": "bad"}
    ack = ucp.parse(ucp.frame(ucp.result(op, ok=True)))
    assert ack.ack and ack.ot == "60"


# CIMD2 specification examples (section 4): login and submit as printed, checksum recomputed.
def test_cimd_login_packet_and_checksum() -> None:
    raw = cimd.encode(cimd.login(1, "ABC", "PASS"))
    assert raw[:-3] == b"\x0201:001\t010:ABC\t011:PASS\t"
    assert raw[-3:-1] == f"{sum(raw[:-3]) & 0xFF:02X}".encode()
    assert cimd.decode(raw).get(cimd.USER_IDENTITY) == "ABC"
    # the checksum is optional on the wire
    assert cimd.decode(raw[:-3] + b"\x03").get(cimd.PASSWORD) == "PASS"
    with pytest.raises(cimd.CimdError):
        cimd.decode(raw[:-3] + b"00\x03")


def test_cimd_special_combinations_round_trip() -> None:
    text = '@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ"¤¡ÄÖÑÜ§¿äöñüà'
    encoded = cimd.text_to_user_data(text)
    assert encoded.startswith("_Oa_L-$_Y-") and "\x1b" not in encoded
    assert cimd.user_data_to_text(encoded) == text
    assert cimd.text_to_user_data("{x}") == "_XX(x_XX)"


def test_cimd_submit_binary_and_responses() -> None:
    part = cimd.SubmitPart(data="Ω".encode("utf-16-be"), udh=bytes.fromhex("050003010201"), dcs=8)
    p = cimd.decode(cimd.encode(cimd.submit(3, to="250788123123", sender="250788000000", part=part)))
    assert (p.op, p.number) == (cimd.SUBMIT, 3)
    assert p.get(cimd.ORIGINATING_ADDRESS) == "250788000000" and p.get(cimd.USER_DATA_BINARY) == "03A9"
    assert p.get(cimd.USER_DATA_HEADER) == "050003010201" and p.get(cimd.DATA_CODING_SCHEME) == "8"
    ok = cimd.response(p, params=[(cimd.SERVICE_CENTRE_TIMESTAMP, "260101120000")])
    assert ok.op == 53 and ok.number == 3 and not ok.error
    bad = cimd.decode(cimd.encode(cimd.response(p, error=300)))
    assert bad.error == "300"
