from datetime import datetime

import pytest

from smsc.dlr import id_variants, ids_match, normalize_id, parse_fields, parse_receipt
from smsc.pdu import CommandId, Pdu, Tag


def receipt_pdu(text: str, esm_class: int = 0x04, **tlvs: object) -> Pdu:
    p = Pdu(
        CommandId.deliver_sm,
        params={"esm_class": esm_class, "short_message": text.encode(), "source_addr": "2507"},
    )
    for name, value in tlvs.items():
        p.set_tlv(Tag[name], value)  # type: ignore[arg-type]
    return p


@pytest.mark.parametrize(
    "text, message_id, stat, outcome",
    [
        ("id:1234567890 sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 stat:DELIVRD err:000 text:Hello",
         "1234567890", "DELIVRD", "delivered"),
        ("stat:UNDELIV err:034 id:abc-1 text:x", "abc-1", "UNDELIV", "failed"),
        ("ID:77  SUB:1  DLVRD:0  SUBMIT DATE:2401011200  DONE DATE:2401011201  STAT:expired  ERR:001", "77", "EXPIRED", "failed"),
        ("id: 99 stat: REJECTD", "99", "REJECTD", "failed"),
        ("id:5 stat:DELETED", "5", "DELETED", "failed"),
        ("id:5 stat:ENROUTE", "5", "ENROUTE", "other"),
        ("id:5 stat:ACCEPTD", "5", "ACCEPTD", "other"),
        ("id:5 stat:UNKNOWN", "5", "UNKNOWN", "other"),
        ("id:5", "5", "UNKNOWN", "other"),
        ("id:5 submit_date:2401011200 stat:Delivered", "5", "DELIVRD", "delivered"),
    ],
)  # fmt: skip
def test_text_receipts(text: str, message_id: str, stat: str, outcome: str) -> None:
    r = parse_receipt(receipt_pdu(text))
    assert r is not None
    assert (r.message_id, r.stat, r.outcome) == (message_id, stat, outcome)


def test_all_fields_parsed() -> None:
    r = parse_receipt(receipt_pdu(
        "id:0A1B sub:001 dlvrd:001 submit date:2401011230 done date:240101123105 stat:DELIVRD err:000 text:hi id: 5"
    ))  # fmt: skip
    assert r is not None
    assert r.submitted == 1 and r.delivered == 1 and r.error == "000"
    assert r.submit_date == datetime(2024, 1, 1, 12, 30)
    assert r.done_date == datetime(2024, 1, 1, 12, 31, 5)
    assert r.text == "hi id: 5"  # free text may contain a key; it does not override id
    assert r.message_id == "0A1B"


def test_tlvs_win_over_text() -> None:
    r = parse_receipt(receipt_pdu("id:111 stat:DELIVRD", receipted_message_id="6F", message_state=5))
    assert r is not None and r.message_id == "6F" and r.stat == "UNDELIV" and r.outcome == "failed"


def test_tlv_only_receipt_without_text() -> None:
    r = parse_receipt(receipt_pdu("", esm_class=0, receipted_message_id="abc", message_state=2))
    assert r is not None and r.outcome == "delivered" and r.message_id == "abc"


def test_mo_is_not_a_receipt() -> None:
    assert parse_receipt(receipt_pdu("hello stat: fine id: me", esm_class=0)) is None
    # no esm flag but unmistakable receipt text: accepted (some SMSCs do this)
    assert parse_receipt(receipt_pdu("id:42 stat:DELIVRD", esm_class=0)) is not None
    assert parse_receipt(receipt_pdu("stat:DELIVRD")) is None  # receipt without any id: unusable


def test_intermediate_notification() -> None:
    r = parse_receipt(receipt_pdu("id:9 stat:ENROUTE", esm_class=0x20))
    assert r is not None and r.outcome == "other"


def test_id_normalisation_hex_vs_decimal() -> None:
    assert ids_match("0A1B", "2587")
    assert ids_match("2587", "a1b")
    assert ids_match("000123", "123")
    assert not ids_match("123", "124")
    assert id_variants("12345") == ("12345", "3039", "74565")  # digits are valid hex too
    assert id_variants("ff") == ("ff", "255")
    assert normalize_id(" 00Ab ") == "ab"


def test_uuid_ids() -> None:
    u = "3F2504E0-4F89-11D3-9A0C-0305E82C3301"
    assert normalize_id(u) == u.lower()
    assert normalize_id(u.replace("-", "").lower()) == u.lower()
    assert ids_match(u, u.lower()) and id_variants(u) == (u.lower(),)


def test_parse_fields_tolerates_noise() -> None:
    f = parse_fields("  id:abc   Sub:001 dlvrd : 001 stat:DELIVRD  ")
    assert f == {"id": "abc", "sub": "001", "dlvrd": "001", "stat": "DELIVRD"}
