"""Text encodings for SMS: GSM 03.38 7-bit, Latin-1, UCS-2 (UTF-16BE) and how to split text.

Splitting works on Python characters (code points) and charges each one its real cost in the
target encoding (2 septets for an escaped GSM character, 2 UTF-16 units for an astral character).
A part boundary therefore can never fall inside an escape pair or a surrogate pair - the bug the
PyPI libraries have - because we never cut encoded bytes, only whole characters.
"""

from __future__ import annotations

import re
from typing import Literal

# data_coding values (SMPP 3.4 section 5.2.19) we produce.
DC_DEFAULT = 0x00  # SMSC default alphabet; we send GSM 03.38, one septet per octet
DC_ASCII = 0x01
DC_LATIN1 = 0x03
DC_BINARY = 0x04
DC_UCS2 = 0x08

Encoding = Literal["gsm7", "latin1", "ucs2", "ascii"]
EncodingChoice = Literal["auto", "gsm7", "latin1", "ucs2", "ascii"]

ESCAPE = 0x1B

# GSM 03.38 default alphabet, index = septet value. 0x1B is the escape to the extension table.
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
assert len(GSM_BASIC) == 128
GSM_EXTENSION = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}

_ENCODE_BASIC = {ch: i for i, ch in enumerate(GSM_BASIC) if i != ESCAPE}
_ENCODE_EXT = {ch: code for code, ch in GSM_EXTENSION.items()}
# Fast path (str.translate + one regex) because encoding sits on the hot submit path.
_TRANSLATE = {ord(ch): chr(code) for ch, code in _ENCODE_BASIC.items()} | {
    ord(ch): "\x1b" + chr(code) for ch, code in _ENCODE_EXT.items()
}
_GSM_RE = re.compile("[" + re.escape("".join(_ENCODE_BASIC) + "".join(_ENCODE_EXT)) + "]*")


class EncodeError(ValueError):
    """The text has a character the chosen encoding cannot carry."""


def gsm7_cost(ch: str) -> int | None:
    """Septets a character costs in GSM 7-bit, or None when it is not representable."""
    if ch in _ENCODE_BASIC:
        return 1
    if ch in _ENCODE_EXT:
        return 2
    return None


def is_gsm7(text: str) -> bool:
    return _GSM_RE.fullmatch(text) is not None


def gsm7_encode(text: str) -> bytes:
    """Unpacked septets, one per octet, escapes as 0x1B + code."""
    if not is_gsm7(text):
        bad = next(ch for ch in text if gsm7_cost(ch) is None)
        raise EncodeError(f"{bad!r} is not in the GSM 03.38 alphabet")
    return text.translate(_TRANSLATE).encode("latin-1")


def gsm7_decode(data: bytes) -> str:
    """Decode unpacked septets. Unknown escapes fall back to the basic character (per 03.38)."""
    out: list[str] = []
    escaped = False
    for octet in data:
        septet = octet & 0x7F
        if escaped:
            escaped = False
            out.append(GSM_EXTENSION.get(septet, GSM_BASIC[septet] if septet != ESCAPE else " "))
        elif septet == ESCAPE:
            escaped = True
        else:
            out.append(GSM_BASIC[septet])
    return "".join(out)


def pack_septets(septets: bytes, fill_bits: int = 0) -> bytes:
    """Pack 7-bit values LSB first (03.38 6.1.2.1). `fill_bits` aligns text after a UDH."""
    acc = 0
    nbits = fill_bits
    out = bytearray()
    for s in septets:
        acc |= (s & 0x7F) << nbits
        nbits += 7
        while nbits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            nbits -= 8
    if nbits:
        out.append(acc & 0xFF)
    return bytes(out)


def unpack_septets(data: bytes, count: int | None = None, fill_bits: int = 0) -> bytes:
    """Inverse of pack_septets. Without `count`, a trailing all-zero septet from padding is dropped."""
    total_bits = len(data) * 8 - fill_bits
    n = total_bits // 7 if count is None else count
    value = int.from_bytes(data, "little") >> fill_bits
    out = bytes((value >> (7 * i)) & 0x7F for i in range(n))
    if count is None and total_bits % 7 == 0 and out.endswith(b"\0"):
        # 7 septets fill 7 octets with 7 spare bits that read as a final '@' (0x00): padding.
        out = out[:-1]
    return out


def ucs2_units(ch: str) -> int:
    """UTF-16 code units a character needs (2 for astral characters = a surrogate pair)."""
    return 2 if ord(ch) > 0xFFFF else 1


def choose_encoding(text: str, preferred: EncodingChoice = "auto") -> Encoding:
    """'auto' picks GSM 7-bit when every character fits, else UCS-2 (the only safe fallback)."""
    if preferred == "auto":
        return "gsm7" if is_gsm7(text) else "ucs2"
    if preferred == "gsm7" and not is_gsm7(text):
        return "ucs2"
    if preferred == "latin1" and not _fits(text, "latin-1"):
        return "ucs2"
    if preferred == "ascii" and not _fits(text, "ascii"):
        return "ucs2"
    return preferred


def _fits(text: str, codec: str) -> bool:
    try:
        text.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


DATA_CODING: dict[Encoding, int] = {
    "gsm7": DC_DEFAULT,
    "ascii": DC_ASCII,
    "latin1": DC_LATIN1,
    "ucs2": DC_UCS2,
}


def encode_text(text: str, encoding: Encoding) -> bytes:
    if encoding == "gsm7":
        return gsm7_encode(text)
    if encoding == "ucs2":
        # utf-16-be emits surrogate pairs for astral characters, which is what handsets expect.
        return text.encode("utf-16-be")
    try:
        return text.encode("latin-1" if encoding == "latin1" else "ascii")
    except UnicodeEncodeError as e:
        raise EncodeError(str(e)) from e


def decode_text(data: bytes, data_coding: int, default: Encoding = "gsm7") -> str:
    """Decode a short_message/message_payload by data_coding; never raises.

    `default` says what data_coding 0 means on this link: GSM 03.38 unpacked by spec, but some
    SMSCs send ASCII/Latin-1 with 0.
    """
    dc = data_coding
    if dc >= 0xF0:  # data coding / message class group: bit 2 selects 8-bit data
        dc = DC_LATIN1 if dc & 0x04 else DC_DEFAULT
    elif dc >= 0xE0:  # message waiting group, UCS-2
        dc = DC_UCS2
    elif dc >= 0xC0:  # message waiting groups, default alphabet
        dc = DC_DEFAULT
    elif 0x10 <= dc < 0x40:  # GSM general data coding with class: bits 3-2 are the alphabet
        dc = (DC_DEFAULT, DC_BINARY, DC_UCS2, DC_BINARY)[(dc >> 2) & 0x03]
    if dc == DC_UCS2:
        if len(data) % 2:
            data = data[:-1]
        return data.decode("utf-16-be", errors="replace")
    if dc == DC_DEFAULT:
        if default == "gsm7":
            return gsm7_decode(data)
        return data.decode("latin-1" if default == "latin1" else "ascii", errors="replace")
    if dc == DC_ASCII:
        return data.decode("ascii", errors="replace")
    return data.decode("latin-1")  # Latin-1, binary and anything exotic: lossless bytes -> str


def char_cost(ch: str, encoding: Encoding) -> int:
    """Cost of one character in the unit `part_capacity` uses (septets, octets or UTF-16 units)."""
    if encoding == "gsm7":
        cost = gsm7_cost(ch)
        if cost is None:
            raise EncodeError(f"{ch!r} is not in the GSM 03.38 alphabet")
        return cost
    if encoding == "ucs2":
        return ucs2_units(ch)
    return 1


def text_cost(text: str, encoding: Encoding) -> int:
    if encoding == "gsm7":
        return len(gsm7_encode(text))
    if encoding == "ucs2":
        return len(text.encode("utf-16-be", errors="surrogatepass")) // 2
    return len(text)


# Capacity of one SMS in the unit above: single message, then per part with a 6-octet UDH
# (8-bit reference) and a 7-octet UDH (16-bit reference).
_CAPACITY: dict[Encoding, tuple[int, int, int]] = {
    "gsm7": (160, 153, 152),
    "latin1": (140, 134, 133),
    "ascii": (140, 134, 133),
    "ucs2": (70, 67, 66),
}


def part_capacity(encoding: Encoding, udh_octets: int = 0) -> int:
    """Units that fit one part: udh_octets is 0 (single / sar TLVs), 6 (8-bit ref) or 7 (16-bit ref)."""
    single, udh8, udh16 = _CAPACITY[encoding]
    return {0: single, 6: udh8, 7: udh16}[udh_octets]


def split_text(text: str, encoding: Encoding, capacity: int) -> list[str]:
    """Split on character boundaries so each part costs at most `capacity` units."""
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for ch in text:
        cost = char_cost(ch, encoding)
        if used + cost > capacity and current:
            parts.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += cost
    if current or not parts:
        parts.append("".join(current))
    return parts
