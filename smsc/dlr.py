"""Delivery receipts: tolerant parsing and message-id normalisation.

The receipt text format is only an appendix of SMPP 3.4 and every SMSC bends it: fields in any
order or missing, odd case, extra spaces. TLVs (receipted_message_id, message_state) are more
reliable, so they win when present and the text only fills the gaps.

Message ids are the other trap: many SMSCs return a hex id in submit_sm_resp and the decimal
value of the same number in the receipt (or the reverse). `id_variants()` gives every spelling
an id may have elsewhere, so the caller can match exact first, then by variant.
"""

from __future__ import annotations

import functools
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from .concat import message_body
from .gsm import decode_text
from .pdu import Pdu, Tag

Outcome = Literal["delivered", "failed", "other"]

ESM_TYPE_MASK = 0x3C
ESM_SMSC_RECEIPT = 0x04
ESM_INTERMEDIATE = 0x20

# stat values (7 characters in the spec, but full words show up too) -> outcome.
_STAT: dict[str, tuple[str, Outcome]] = {
    "DELIVRD": ("DELIVRD", "delivered"),
    "DELIVERED": ("DELIVRD", "delivered"),
    "ACKED": ("DELIVRD", "delivered"),
    "EXPIRED": ("EXPIRED", "failed"),
    "DELETED": ("DELETED", "failed"),
    "UNDELIV": ("UNDELIV", "failed"),
    "UNDELIVERABLE": ("UNDELIV", "failed"),
    "REJECTD": ("REJECTD", "failed"),
    "REJECTED": ("REJECTD", "failed"),
    "FAILED": ("UNDELIV", "failed"),
    "ENROUTE": ("ENROUTE", "other"),
    "ACCEPTD": ("ACCEPTD", "other"),
    "ACCEPTED": ("ACCEPTD", "other"),
    "UNKNOWN": ("UNKNOWN", "other"),
}
# message_state TLV values (SMPP 3.4 section 5.2.28).
_MESSAGE_STATE = {
    1: "ENROUTE",
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    6: "ACCEPTD",
    7: "UNKNOWN",
    8: "REJECTD",
}

_KEY = re.compile(r"(?i)(?<![A-Za-z])(id|sub|dlvrd|submit[ _]*date|done[ _]*date|stat|err|text)\s*:\s*")
# The same keys for lower-cased ASCII text: without IGNORECASE (and the Unicode case folding it
# brings) the scan is more than twice as fast, and ASCII is what receipts are written in.
_KEY_ASCII = re.compile(r"(?<![a-z])(id|sub|dlvrd|submit[ _]*date|done[ _]*date|stat|err|text)\s*:\s*")
_HEX = re.compile(r"[0-9a-f]+")
_NOT_DIGIT = re.compile(r"\D")
_LEADING_DIGITS = re.compile(r"\d+")


@dataclass(slots=True)
class Receipt:
    message_id: str  # as the SMSC wrote it
    stat: str  # normalised 7-letter stat, e.g. DELIVRD, or UNKNOWN
    outcome: Outcome
    error: str = ""
    submitted: int | None = None
    delivered: int | None = None
    submit_date: datetime | None = None
    done_date: datetime | None = None
    text: str = ""
    network_error_code: bytes | None = None
    source_addr: str = ""
    destination_addr: str = ""

    @property
    def id_variants(self) -> tuple[str, ...]:
        return id_variants(self.message_id)


def parse_fields(text: str) -> dict[str, str]:
    """Split receipt text into lower-case keys ('submit date', 'done date', ...) and values.

    A value runs to the next key. `text:` is the exception: it is free text, so it runs on over
    keys already seen (a message body saying "id: 5" must not end it) up to a new key or the end.
    """
    # lower() keeps an ASCII text's length, so the offsets found in it are the text's own
    found = _KEY_ASCII.finditer(text.lower()) if text.isascii() else _KEY.finditer(text)
    matches = [(m, _canon_key(m.group(1))) for m in found]
    fields: dict[str, str] = {}
    i = 0
    while i < len(matches):
        m, key = matches[i]
        j = i + 1
        if key == "text":
            seen = set(fields) | {"text"}
            while j < len(matches) and matches[j][1] in seen:
                j += 1
        end = matches[j][0].start() if j < len(matches) else len(text)
        fields.setdefault(key, text[m.end() : end].strip())
        i = j
    return fields


@functools.lru_cache(maxsize=256)  # a handful of spellings per SMSC, one lookup per key per receipt
def _canon_key(raw: str) -> str:
    key = re.sub(r"[ _]+", "", raw.lower())
    return {"submitdate": "submit date", "donedate": "done date"}.get(key, key)


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    digits = _LEADING_DIGITS.match(value)
    return int(digits.group()) if digits else None


def _date(value: str | None) -> datetime | None:
    """YYMMDDhhmm[ss] as the spec says; a few SMSCs add a century or separators.

    What strptime("%y%m%d%H%M[%S]" or "%Y%m%d%H%M%S") accepts, read field by field: two digits
    per field (four for a century year), a two-digit year from 1969 to 2068, and datetime()
    refuses what is out of range. strptime cost a tenth of the receipt path.
    """
    if not value:
        return None
    digits = _NOT_DIGIT.sub("", value)
    n = len(digits)
    if n not in (10, 12, 14):
        return None
    if not digits.isascii():  # other scripts' digits: strptime's own (odd) rules, as before
        return _strptime(digits, {10: "%y%m%d%H%M", 12: "%y%m%d%H%M%S", 14: "%Y%m%d%H%M%S"}[n])
    try:
        if n == 14:
            year, rest = int(digits[:4]), digits[4:]
        else:
            year, rest = int(digits[:2]), digits[2:]
            year += 2000 if year <= 68 else 1900  # strptime's %y pivot (POSIX)
        second = int(rest[8:10]) if len(rest) == 10 else 0
        return datetime(year, int(rest[0:2]), int(rest[2:4]), int(rest[4:6]), int(rest[6:8]), second)
    except ValueError:
        return None


def _strptime(digits: str, fmt: str) -> datetime | None:
    try:
        return datetime.strptime(digits, fmt)
    except ValueError:
        return None


def normalize_stat(stat: str | None) -> tuple[str, Outcome]:
    if not stat:
        return "UNKNOWN", "other"
    word = stat.strip().split()[0].upper() if stat.strip() else ""
    return _STAT.get(word, (word or "UNKNOWN", "other"))


def looks_like_receipt(pdu: Pdu) -> bool:
    """deliver_sm/data_sm carrying a receipt: by esm_class, by TLV, or (lenient) by text shape."""
    esm = pdu.params.get("esm_class", 0)
    if isinstance(esm, int) and esm & ESM_TYPE_MASK in (ESM_SMSC_RECEIPT, ESM_INTERMEDIATE):
        return True
    if Tag.receipted_message_id in pdu.tlvs:
        return True
    body, _ = message_body(pdu)
    head = body[:80].lower()
    return head.startswith(b"id:") and b"stat:" in body.lower()


def parse_receipt(pdu: Pdu) -> Receipt | None:
    """A Receipt from a deliver_sm/data_sm, or None when it is not one (or carries no id)."""
    if not looks_like_receipt(pdu):
        return None
    body, _ = message_body(pdu)
    dc = pdu.params.get("data_coding", 0)
    # Receipt text is ASCII in practice even with data_coding 0; GSM decoding would turn '_' etc.
    text = decode_text(body, dc if isinstance(dc, int) and dc else 0x01)
    fields = parse_fields(text)
    tlv_id = pdu.tlv(Tag.receipted_message_id)
    message_id = (tlv_id if isinstance(tlv_id, str) and tlv_id else fields.get("id", "")).strip()
    if not message_id:
        return None
    state = pdu.tlv(Tag.message_state)
    if isinstance(state, int) and state in _MESSAGE_STATE:
        stat, outcome = normalize_stat(_MESSAGE_STATE[state])
    else:
        stat, outcome = normalize_stat(fields.get("stat"))
    nec = pdu.tlv(Tag.network_error_code)
    return Receipt(
        message_id=message_id.split()[0] if message_id.split() else message_id,
        stat=stat,
        outcome=outcome,
        error=fields.get("err", "").split(" ")[0],
        submitted=_int(fields.get("sub")),
        delivered=_int(fields.get("dlvrd")),
        submit_date=_date(fields.get("submit date")),
        done_date=_date(fields.get("done date")),
        text=fields.get("text", ""),
        network_error_code=nec if isinstance(nec, bytes) else None,
        source_addr=str(pdu.params.get("source_addr", "")),
        destination_addr=str(pdu.params.get("destination_addr", "")),
    )


# Both are pure and called a few times per id (submit, record, receipt): cached for the ids in flight.
@functools.lru_cache(maxsize=8192)
def normalize_id(message_id: str) -> str:
    """Canonical spelling: trimmed, lower-case, UUIDs hyphenated, numbers without leading zeros."""
    s = message_id.strip().lower()
    if len(s) in (32, 36):
        try:
            return str(uuid.UUID(s))
        except ValueError:
            pass
    if _HEX.fullmatch(s):
        return s.lstrip("0") or "0"
    return s


@functools.lru_cache(maxsize=8192)
def id_variants(message_id: str) -> tuple[str, ...]:
    """Every spelling under which this id may appear on the other side, canonical first.

    "12345" -> ("12345", "3039", "74565"); "1a2b" -> ("1a2b", "6699").
    Ids that are both valid decimal and hex are ambiguous, so match exact first (see module doc).
    """
    canon = normalize_id(message_id)
    out = [canon]
    if "-" not in canon and len(canon) <= 40:
        if canon.isdigit():
            out.append(format(int(canon), "x"))
        if _HEX.fullmatch(canon):
            out.append(str(int(canon, 16)))
    return tuple(dict.fromkeys(out))


def ids_match(a: str, b: str) -> bool:
    """True when two ids name the same message, in either hex or decimal spelling."""
    ca, cb = normalize_id(a), normalize_id(b)
    return ca == cb or cb in id_variants(a) or ca in id_variants(b)
