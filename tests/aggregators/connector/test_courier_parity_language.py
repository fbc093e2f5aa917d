"""Language additions for courier parity: message splitting, required answer values, filters."""

from __future__ import annotations

import json

import httpx
import pytest

from aggregators.connector import (
    BuildError,
    build_send_request,
    load_connector,
    map_send_response,
    parse_connector,
    split_limit,
)
from aggregators.connector.split import split_parts

from .test_validation import BASE, variant

SEND_LINE = 13  # `  <message_send>` in BASE
ID_LINE = 21  # the <response> line in BASE


def test_split_parts_cut_like_courier() -> None:
    text = "word " * 40  # 200 characters
    parts = split_parts(text.strip(), 30)
    assert all(len(p) <= 30 for p in parts)
    assert " ".join(parts) == text.strip()  # nothing lost, only the cut spaces
    assert split_parts("short", 160) == ["short"]
    assert split_parts("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]  # no space: a hard cut


@pytest.mark.parametrize(
    ("attr", "fields", "limit"),
    [('split="160"', {}, 160), ('split="$config.$fields.from"', {"from": "70"}, 70), ("", {}, 0)],
)
def test_split_limit_is_a_number_or_a_config_field(attr: str, fields: dict[str, str], limit: int) -> None:
    connector = load_connector(variant(SEND_LINE, f"  <message_send {attr}>"))
    assert split_limit(connector, {"token": "t", **fields}) == limit


def test_a_split_field_that_is_not_a_number_cannot_send() -> None:
    connector = load_connector(variant(SEND_LINE, '  <message_send split="$config.$fields.from">'))
    with pytest.raises(BuildError, match="not a number"):
        split_limit(connector, {"token": "t", "from": "lots"})


@pytest.mark.parametrize("value", ["0", "many", "20000"])
def test_a_bad_split_is_reported_at_its_attribute(value: str) -> None:
    result = parse_connector(variant(SEND_LINE, f'  <message_send split="{value}">'))
    assert result.connector is None
    (error,) = result.errors
    assert (error.line, error.column) == (SEND_LINE, 17) and "split" in error.message


def test_a_required_value_missing_from_a_2xx_answer_is_retried() -> None:
    line = '    <response format="json"><message_id use="id" required="true"/></response>'
    connector = load_connector(variant(ID_LINE, line))
    missing = map_send_response(connector, httpx.Response(200, json={"error": "failed"}))
    assert (missing.status, missing.retryable) == ("failed", True)
    assert "no message_id at 'id'" in (missing.error or "")
    found = map_send_response(connector, httpx.Response(200, json={"id": "42"}))
    assert (found.status, found.external_id) == ("processing", "42")


def test_required_must_be_a_boolean() -> None:
    line = '    <response format="json"><message_id use="id" required="often"/></response>'
    result = parse_connector(variant(ID_LINE, line))
    assert result.connector is None
    assert any("required 'often'" in e.message and e.line == ID_LINE for e in result.errors)


def test_an_unreadable_2xx_answer_is_retried_and_a_4xx_is_not() -> None:
    connector = load_connector(BASE)
    ok_but_garbled = map_send_response(
        connector, httpx.Response(200, content=b"not json", headers={"content-type": "application/json"})
    )
    assert (ok_but_garbled.status, ok_but_garbled.retryable) == ("failed", True)
    refused = map_send_response(connector, httpx.Response(400, content=b"nope"))
    assert (refused.status, refused.retryable) == ("failed", False)


def test_suffix_and_gsm7_fold_filters() -> None:
    line = '        <parameter name="text" value="@message|gsm7_fold|suffix:\'&amp;x=%s\'"/>'
    connector = load_connector(variant(18, line))
    request = build_send_request(connector, {"token": "t"}, {"message": "“Hi” – you…", "recipients": ["+1"]})
    assert json.loads(request.content)["text"] == '"Hi" - you...&x=%s'


def test_selectors_pick_list_items_by_key() -> None:
    from aggregators.connector.payload import MISSING, resolve

    parts = {"message": [{"contentType": "text/plain", "value": "v1.2"}, {"contentType": "image/jpeg", "url": "u1"},
                         {"contentType": "IMAGE/PNG", "url": "u2"}]}  # fmt: skip
    assert resolve(parts, "message[contentType=TEXT/PLAIN].value") == ["v1.2"]
    assert resolve(parts, "message[url].url") == ["u1", "u2"]
    assert resolve(parts, "message[contentType=image/png].url") == ["u2"]
    assert resolve(parts, "message[url].1.url") == "u2"
    assert resolve(parts, "message[nothing].url") is MISSING


def test_a_malformed_selector_is_reported_at_its_attribute() -> None:
    line = '    <response format="json"><message_id use="data[id"/></response>'
    result = parse_connector(variant(ID_LINE, line))
    assert result.connector is None
    (error,) = result.errors
    assert error.line == ID_LINE and "not a selector" in error.message


def test_an_error_phrase_can_mean_opted_out() -> None:
    errors = '    <errors><error contains="blacklisted" means="opted_out"/></errors>\n  </message_send>'
    source = BASE.replace("  </message_send>", errors).replace(
        '<message_id use="id"/>', '<message_id use="id"/><error_message use="error"/>'
    )
    connector = load_connector(source)
    stopped = map_send_response(connector, httpx.Response(200, json={"error": "256794224665:BLACKLISTED"}))
    assert (stopped.status, stopped.opted_out, stopped.retryable) == ("failed", True, False)
    other = map_send_response(connector, httpx.Response(200, json={"error": "wrong password"}))
    assert (other.status, other.opted_out) == ("failed", False)


def test_an_error_without_codes_or_phrases_is_reported() -> None:
    source = BASE.replace(
        "  </message_send>", '    <errors><error means="opted_out"/></errors>\n  </message_send>'
    )
    result = parse_connector(source)
    assert result.connector is None
    assert any('contains="..."' in e.message for e in result.errors)
