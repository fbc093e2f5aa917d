"""`presense` (the typo in Vtiger's own sample) is read as `presence`, with a warning."""

from __future__ import annotations

from typing import Any

from aggregators.connector import check_file, parse_connector

from .test_validation import BASE, variant

TYPO = variant(6, '      <field name="from" label="From" type="text" presense="mandatory"/>')


def test_presense_is_read_as_presence_with_a_warning_at_its_position() -> None:
    result = parse_connector(TYPO)
    assert result.ok and not result.errors
    field = next(f for f in result.connector.fields if f.name == "from")  # type: ignore[union-attr]
    assert field.required  # "mandatory" took effect
    assert [(w.line, w.column) for w in result.warnings] == [(6, 51)]
    assert "'presense' read as 'presence'" in result.warnings[0].message
    assert parse_connector(BASE).warnings == []


def test_cli_prints_the_warning_and_passes(tmp_path: Any) -> None:
    path = tmp_path / "typo.xml"
    path.write_text(TYPO)
    ok, messages = check_file(path, out=open(tmp_path / "out.txt", "w"))  # noqa: SIM115
    assert ok and messages == []
    printed = (tmp_path / "out.txt").read_text()
    assert f"{path}:6:51: warning: 'presense' read as 'presence'" in printed and "OK" in printed


def test_api_upload_answers_with_the_warning(api: Any) -> None:
    resp = api.post("/api/v1/connectors", {"name": "typo", "xml": TYPO}, content_type="application/json")
    assert resp.status_code == 201, resp.content
    warnings = resp.json()["warnings"]
    assert len(warnings) == 1 and warnings[0]["line"] == 6 and "presence" in warnings[0]["message"]
