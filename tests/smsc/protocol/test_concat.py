import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsc import concat, gsm
from smsc.concat import Reassembler, build_submits, encode_message, segment_of
from smsc.pdu import CommandId, Pdu, Tag

GSM_CHARS = [c for c in gsm.GSM_BASIC if c != "\x1b"] + list(gsm.GSM_EXTENSION.values())
texts = st.one_of(
    st.text(alphabet=st.sampled_from(GSM_CHARS), max_size=600),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300),
)
BASE = {"source_addr": "250788000001", "destination_addr": "Flowgate"}


def as_mo(submits: list[Pdu]) -> list[Pdu]:
    """Turn submit_sm PDUs into deliver_sm as if the SMSC delivered them to us."""
    return [Pdu(CommandId.deliver_sm, params=dict(p.params), tlvs=dict(p.tlvs)) for p in submits]


@settings(max_examples=200, deadline=None)
@given(
    texts,
    st.sampled_from(["udh", "udh16", "sar", "payload"]),
    st.integers(0, 65535),
    st.booleans(),
    st.randoms(),
)
def test_build_then_reassemble(
    text: str, mode: concat.ConcatMode, ref: int, packed: bool, rnd: random.Random
) -> None:
    msg = encode_message(text, mode=mode, reference=ref, gsm7_packed=packed)
    pdus = as_mo(build_submits(msg, BASE))
    rnd.shuffle(pdus)
    r = Reassembler(gsm7_packed=packed)
    results = [r.add(p) for p in pdus]
    done = [m for m in results if m is not None]
    assert len(done) == 1 and results[-1] is done[0]
    mo = done[0]
    # Packed GSM cannot tell a final '@' from padding when 7 septets end an octet boundary.
    if not (packed and text.endswith("@")):
        assert mo.text == text
    assert mo.parts == len(pdus) and mo.complete and len(r) == 0


@pytest.mark.parametrize(
    "text, encoding, parts",
    [("a" * 160, "gsm7", 1), ("a" * 161, "gsm7", 2), ("€" * 80, "gsm7", 1), ("€" * 81, "gsm7", 2),
     ("a" * 306, "gsm7", 2), ("a" * 307, "gsm7", 3), ("ж" * 70, "ucs2", 1), ("ж" * 71, "ucs2", 2),
     ("ж" * 134, "ucs2", 2), ("ж" * 135, "ucs2", 3), ("😀" * 35, "ucs2", 1), ("😀" * 36, "ucs2", 2)],
)  # fmt: skip
def test_part_counts_udh8(text: str, encoding: str, parts: int) -> None:
    msg = encode_message(text, mode="udh")
    assert msg.encoding == encoding and len(msg.parts) == parts


def test_udh8_raw_bytes() -> None:
    msg = encode_message("x" * 200, mode="udh", reference=0x1234)
    p1, p2 = build_submits(msg, BASE)
    sm1, sm2 = p1.params["short_message"], p2.params["short_message"]
    assert sm1[:6] == bytes([5, 0, 3, 0x34, 2, 1]) and sm2[:6] == bytes([5, 0, 3, 0x34, 2, 2])
    assert p1.params["esm_class"] & 0x40 and p1.params["data_coding"] == 0
    assert len(sm1) == 6 + 153 and len(sm2) == 6 + 47


def test_udh16_and_sar_raw() -> None:
    msg = encode_message("ж" * 100, mode="udh16", reference=0xBEEF)
    p1, _ = build_submits(msg, BASE)
    assert p1.params["short_message"][:7] == bytes([6, 8, 4, 0xBE, 0xEF, 2, 1])
    assert len(p1.params["short_message"]) == 7 + 66 * 2 and p1.params["data_coding"] == 8
    sar = build_submits(encode_message("ж" * 100, mode="sar", reference=0xBEEF), BASE)
    assert [p.tlv(Tag.sar_segment_seqnum) for p in sar] == [1, 2]
    assert sar[0].tlv(Tag.sar_msg_ref_num) == 0xBEEF and sar[0].tlv(Tag.sar_total_segments) == 2
    assert not sar[0].params["esm_class"] & 0x40 and len(sar[0].params["short_message"]) == 140


def test_payload_mode_single_pdu() -> None:
    (p,) = build_submits(encode_message("y" * 500, mode="payload"), BASE)
    assert p.params["short_message"] == b"" and p.tlvs[Tag.message_payload] == b"y" * 500
    (short,) = build_submits(encode_message("short", mode="payload"), BASE)
    assert short.params["short_message"] == b"short" and Tag.message_payload not in short.tlvs


def test_gsm_packed_udh_fill_bits() -> None:
    msg = encode_message("a" * 161, mode="udh", gsm7_packed=True)
    sm = msg.parts[0].short_message
    assert len(sm) == 140  # 6 octets UDH + 153 septets in 134 octets (1 fill bit)
    assert gsm.unpack_septets(sm[6:], 153, fill_bits=1) == b"a" * 153


def test_careless_sender_split_surrogate_still_decodes() -> None:
    raw = "ab😀cd".encode("utf-16-be")
    halves = [raw[:6], raw[6:]]  # cut between the two surrogates
    r = Reassembler()
    out = None
    for seq, half in enumerate(halves, 1):
        udh = bytes([5, 0, 3, 9, 2, seq])
        out = r.add(
            Pdu(
                CommandId.deliver_sm,
                params={**BASE, "esm_class": 0x40, "data_coding": 8, "short_message": udh + half},
            )
        )
    assert out is not None and out.text == "ab😀cd"


def test_duplicate_segment_and_independent_senders() -> None:
    r = Reassembler()
    msg = build_submits(encode_message("q" * 300, mode="udh", reference=5), BASE)
    other = build_submits(encode_message("z" * 300, mode="udh", reference=5), {**BASE, "source_addr": "999"})
    assert r.add(as_mo(msg)[0]) is None
    assert r.add(as_mo(msg)[0]) is None  # re-delivered part: replaced, not doubled
    assert r.add(as_mo(other)[0]) is None
    assert len(r) == 2
    done = r.add(as_mo(msg)[1])
    assert done is not None and done.text == "q" * 300 and done.source_addr == "250788000001"
    done2 = r.add(as_mo(other)[1])
    assert done2 is not None and done2.text == "z" * 300


def test_incomplete_set_times_out_as_partial() -> None:
    now = [100.0]
    r = Reassembler(timeout=30, clock=lambda: now[0])
    parts = as_mo(build_submits(encode_message("k" * 400, mode="sar", reference=77), BASE))
    r.add(parts[0])
    r.add(parts[2])
    now[0] += 29
    assert r.expire() == []
    now[0] += 2
    (mo,) = r.expire()
    assert (
        not mo.complete and mo.parts == 3 and mo.text == "k" * (160 + 80)
    )  # sar parts carry 160 septets: parts 1 and 3
    assert len(r) == 0


def test_segment_of_plain_and_bad_udh() -> None:
    assert segment_of(Pdu(CommandId.deliver_sm, params={"short_message": b"hi"})) is None
    # UDHI set but the UDH length lies: treated as text, no crash
    bad = Pdu(CommandId.deliver_sm, params={"esm_class": 0x40, "short_message": b"\xff\x00"})
    assert segment_of(bad) is None
    assert Reassembler().add(bad) is not None
