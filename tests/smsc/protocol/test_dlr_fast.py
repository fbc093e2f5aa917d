"""The receipt parser's fast paths read exactly what the general ones do.

smsc.dlr reads dates field by field instead of with strptime, and scans lower-cased ASCII text
for keys with a case-sensitive pattern instead of the IGNORECASE one; both are checked here
against the general form on many generated inputs (seeded, so a failure reproduces).
"""

from __future__ import annotations

import random
from datetime import datetime

import pytest

from smsc import dlr

FORMATS = {10: "%y%m%d%H%M", 12: "%y%m%d%H%M%S", 14: "%Y%m%d%H%M%S"}


def strptime_date(value: str) -> datetime | None:
    digits = "".join(c for c in value if c.isdigit())
    fmt = FORMATS.get(len(digits))
    if fmt is None:
        return None
    try:
        return datetime.strptime(digits, fmt)
    except ValueError:
        return None


EDGES = [
    "2401011200", "240101120059", "20240101120000", "2413011200", "2400011200", "2401001200",
    "2401322359", "2402301200", "2402291200", "2302291200", "2401012400", "2401011260",
    "240101120060", "240101120061", "00000101000000", "00010101000000", "6801011200", "6901011200",
    "9912312359", "24-01-01 12:00", "24/01/01 12:00:59", "", "1", "24010112000", "2401011200x",
    "٢٤٠١٠١١٢٠٠", "24٠1011200", "2401011٢00",
]  # fmt: skip


@pytest.mark.parametrize("value", EDGES)
def test_date_edges_as_strptime(value: str) -> None:
    assert dlr._date(value) == strptime_date(value)


def test_generated_dates_as_strptime() -> None:
    rnd = random.Random(20240101)
    pairs = ["00", "01", "09", "10", "12", "13", "23", "24", "28", "29", "30", "31", "32", "59", "60", "61"]
    tried = valid = 0
    for _ in range(20_000):
        value = "".join(
            rnd.choice(pairs + [f"{rnd.randrange(100):02d}"]) for _ in range(rnd.choice((5, 6, 7)))
        )
        if rnd.random() < 0.15:
            at = rnd.randrange(len(value))
            value = value[:at] + rnd.choice(["-", " ", ":", "٣", "7", ""]) + value[at:]
        expected = strptime_date(value)
        assert dlr._date(value) == expected, value
        tried += 1
        valid += expected is not None
    assert tried // 100 < valid < tried // 2  # both kinds were exercised


KEY_WORDS = [
    "id", "ID", "Id", "sub", "SUB", "dlvrd", "DLVRD", "submit date", "submit_date", "SUBMIT  DATE",
    "done date", "donedate", "Done_Date", "stat", "STAT", "err", "Err", "text", "TEXT", "xid", "aerr",
    "1id", "_stat", "Kerr", "ſtat", " ", ":", " : ", "\t", "DELIVRD", "abc", "2401011200", "5", "é",
]  # fmt: skip


def test_ascii_key_scan_finds_what_the_case_insensitive_scan_finds() -> None:
    rnd = random.Random(7)
    for _ in range(20_000):
        text = "".join(rnd.choice(KEY_WORDS) for _ in range(rnd.randrange(0, 14)))
        if not text.isascii():
            continue
        general = [(m.span(), dlr._canon_key(m.group(1))) for m in dlr._KEY.finditer(text)]
        fast = [(m.span(), dlr._canon_key(m.group(1))) for m in dlr._KEY_ASCII.finditer(text.lower())]
        assert fast == general, text


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "ID:77  SUB:1  DLVRD:0  SUBMIT DATE:2401011200  Done_Date:2401011201  STAT:expired  ERR:001",
            {"id": "77", "sub": "1", "dlvrd": "0", "submit date": "2401011200", "done date": "2401011201",
             "stat": "expired", "err": "001"},
        ),
        ("xid:1 id:2 text:says id: 3 stat:ok", {"id": "2", "text": "says id: 3", "stat": "ok"}),
        # non-ASCII: the general scan, where ſ (long s) matches s and the Kelvin sign is a letter
        ("ſtat:DELIVRD id:9 Kerr:1 err:2", {"ſtat": "DELIVRD", "id": "9 Kerr:1", "err": "2"}),
    ],
)  # fmt: skip
def test_parse_fields_in_any_case(text: str, expected: dict[str, str]) -> None:
    assert dlr.parse_fields(text) == expected
