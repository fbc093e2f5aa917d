import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsc import gsm

GSM_CHARS = [c for c in gsm.GSM_BASIC if c != "\x1b"] + list(gsm.GSM_EXTENSION.values())
gsm_text = st.text(alphabet=st.sampled_from(GSM_CHARS), max_size=700)
any_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400)


def test_tables_are_consistent() -> None:
    assert len(set(GSM_CHARS)) == 127 + 10
    text = "".join(GSM_CHARS)
    assert gsm.gsm7_decode(gsm.gsm7_encode(text)) == text
    assert gsm.gsm7_encode("€") == b"\x1b\x65"
    assert gsm.gsm7_encode("@£$") == b"\x00\x01\x02"
    assert gsm.gsm7_encode("[]{}|~^\\") == bytes.fromhex("1b3c1b3e1b281b291b401b3d1b141b2f")


def test_known_packing_vector() -> None:
    # 3GPP 23.038 example: "hellohello" packs to E8329BFD4697D9EC37.
    assert gsm.pack_septets(gsm.gsm7_encode("hellohello")).hex().upper() == "E8329BFD4697D9EC37"
    assert gsm.gsm7_decode(gsm.unpack_septets(bytes.fromhex("E8329BFD4697D9EC37"))) == "hellohello"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200).map(lambda b: bytes(x & 0x7F for x in b)), st.integers(0, 6))
def test_pack_unpack_round_trip(septets: bytes, fill: int) -> None:
    packed = gsm.pack_septets(septets, fill)
    assert len(packed) == (len(septets) * 7 + fill + 7) // 8
    assert gsm.unpack_septets(packed, len(septets), fill) == septets


def test_unknown_char_is_not_gsm() -> None:
    assert gsm.is_gsm7("héllo")  # é is in the default alphabet
    assert gsm.is_gsm7("hello €[]")
    assert not gsm.is_gsm7("привет")
    with pytest.raises(gsm.EncodeError):
        gsm.gsm7_encode("ą")


def test_smart_choice() -> None:
    assert gsm.choose_encoding("Hello {world} €5") == "gsm7"
    assert gsm.choose_encoding("Muraho 😀") == "ucs2"
    assert gsm.choose_encoding("ça va", "latin1") == "latin1"
    assert gsm.choose_encoding("ça va ą", "latin1") == "ucs2"
    assert gsm.choose_encoding("abc", "ucs2") == "ucs2"


@pytest.mark.parametrize(
    "encoding, udh, capacity",
    [("gsm7", 0, 160), ("gsm7", 6, 153), ("gsm7", 7, 152), ("latin1", 0, 140), ("latin1", 6, 134),
     ("latin1", 7, 133), ("ucs2", 0, 70), ("ucs2", 6, 67), ("ucs2", 7, 66)],
)  # fmt: skip
def test_part_capacities(encoding: gsm.Encoding, udh: int, capacity: int) -> None:
    assert gsm.part_capacity(encoding, udh) == capacity


@settings(max_examples=300, deadline=None)
@given(gsm_text, st.sampled_from([153, 152, 160]))
def test_gsm_split_never_breaks_escape(text: str, capacity: int) -> None:
    parts = gsm.split_text(text, "gsm7", capacity)
    assert "".join(parts) == text
    for part in parts:
        raw = gsm.gsm7_encode(part)
        assert len(raw) <= capacity
        # An escape is always followed by its code inside the same part.
        assert not raw.endswith(b"\x1b") or raw.endswith(b"\x1b\x1b")
        assert gsm.gsm7_decode(raw) == part
    # Parts are filled greedily: only a 2-septet char may leave one septet unused.
    for part, nxt in zip(parts, parts[1:], strict=False):
        assert gsm.text_cost(part, "gsm7") + gsm.char_cost(nxt[0], "gsm7") > capacity


@settings(max_examples=300, deadline=None)
@given(any_text, st.sampled_from([67, 66, 70]))
def test_ucs2_split_keeps_surrogate_pairs(text: str, capacity: int) -> None:
    parts = gsm.split_text(text, "ucs2", capacity)
    assert "".join(parts) == text
    for part in parts:
        raw = gsm.encode_text(part, "ucs2")
        assert len(raw) <= capacity * 2
        assert raw.decode("utf-16-be", errors="strict") == part  # no lone surrogate at the edges


def test_emoji_at_part_boundary() -> None:
    text = "a" * 66 + "😀" + "b"
    parts = gsm.split_text(text, "ucs2", 67)
    assert parts == ["a" * 66, "😀b"]


def test_escape_at_part_boundary() -> None:
    text = "a" * 152 + "€"
    assert gsm.split_text(text, "gsm7", 153) == ["a" * 152, "€"]


@pytest.mark.parametrize(
    "data, dc, expected",
    [
        (b"\x00hi", 0, "@hi"),
        ("héllo".encode("latin-1"), 3, "héllo"),
        ("😀x".encode("utf-16-be"), 8, "😀x"),
        (b"abc", 1, "abc"),
        (b"\x00hi", 0xF0, "@hi"),
        ("ok".encode("utf-16-be"), 0x18, "ok"),
        (b"\x00a\x00b\xff", 8, "ab"),  # odd octet from a broken sender: dropped, no exception
    ],
)
def test_decode_text(data: bytes, dc: int, expected: str) -> None:
    assert gsm.decode_text(data, dc) == expected


def test_decode_default_as_latin1_when_configured() -> None:
    assert gsm.decode_text(b"caf\xe9", 0, default="latin1") == "café"
