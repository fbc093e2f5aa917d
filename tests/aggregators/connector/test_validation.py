"""Malformed and hostile connectors: each one gets its error at the right line:column."""

from __future__ import annotations

import pytest

from aggregators.connector import check_file, load_connector, parse_connector
from tests import ROOT

from .helpers import FIXTURES

# A minimal valid SMS connector; cases below replace one line to break it.
BASE = """<?xml version='1.0'?>
<connector for="SMSNotifier">
  <config>
    <fields>
      <field name="token" label="Token" type="password" required="true"/>
      <field name="from" label="From" type="text"/>
    </fields>
  </config>
  <provider>
    <url>https://sms.example.com/api</url>
    <auth><bearer token="$config.$fields.token"/></auth>
  </provider>
  <message_send>
    <request method="post">
      <headers><header name="Content-Type" value="application/json"/></headers>
      <parameters>
        <parameter name="to" value="@recipients"/>
        <parameter name="text" value="@message"/>
      </parameters>
    </request>
    <response format="json"><message_id use="id"/></response>
    <statuses>
      <status Processing="queued"/>
      <status Delivered="delivered"/>
    </statuses>
  </message_send>
</connector>
"""


def variant(line_no: int, new_line: str) -> str:
    lines = BASE.split("\n")
    lines[line_no - 1] = new_line
    return "\n".join(lines)


def test_base_is_valid():
    result = parse_connector(BASE)
    assert result.errors == []
    assert result.connector.kind == "sms"
    assert [f.name for f in result.connector.fields] == ["token", "from"]


CASES = [
    # (id, source, line, column, message fragment)
    (
        "unclosed tag",
        variant(18, '        <parameter name="text" value="@message">'),
        19,
        20,
        "Opening and ending tag mismatch: parameter line 18 and parameters",
    ),
    (
        "unknown element",
        variant(21, '    <response format="json"><message_id use="id"/><msgid use="x"/></response>'),
        21,
        51,
        "unknown element <msgid> in <response>",
    ),
    (
        "unknown attribute",
        variant(6, '      <field name="from" label="From" type="text" mandatory="yes"/>'),
        6,
        51,
        "unknown attribute 'mandatory' on <field>",
    ),
    (
        "unknown field ref",
        variant(17, '        <parameter name="to" value="$config.$fields.sender"/>'),
        17,
        37,
        "$config.$fields.sender names no declared field",
    ),
    (
        "unknown field ref, seed typo form",
        variant(17, '        <parameter name="to" value="x $config.fields.nope"/>'),
        17,
        39,
        "$config.$fields.nope names no declared field",
    ),
    (
        "unknown variable",
        variant(18, '        <parameter name="text" value="Hi @mesage"/>'),
        18,
        42,
        "unknown variable @mesage",
    ),
    (
        "phone variable in sms",
        variant(18, '        <parameter name="text" value="@to_number"/>'),
        18,
        39,
        "unknown variable @to_number",
    ),
    (
        "unknown filter",
        variant(18, '        <parameter name="text" value="@message|shout"/>'),
        18,
        48,
        "unknown filter 'shout'",
    ),
    (
        "bad filter argument",
        variant(18, """        <parameter name="text" value="@message|urlappend:{'a': 1}"/>"""),
        18,
        58,
        "filter 'urlappend' needs a {'KEY': 'VALUE'} argument",
    ),
    (
        "status in two groups",
        variant(24, '      <status Delivered="delivered,QUEUED"/>'),
        24,
        15,
        "status 'QUEUED' is in both Processing and Delivered",
    ),
    ("bad method", variant(14, '    <request method="send">'), 14, 14, "method='send' must be one of"),
    (
        "bad field type",
        variant(6, '      <field name="from" label="From" type="number"/>'),
        6,
        39,
        "type='number' must be one of text, password, url, picklist",
    ),
    (
        "missing name",
        variant(17, '        <parameter value="@recipients"/>'),
        17,
        9,
        "<parameter> needs a 'name' attribute",
    ),
    (
        "wrong kind element",
        variant(26, "  </message_send><outgoing_call/>"),
        26,
        18,
        "<outgoing_call> belongs to PhoneCalls connectors",
    ),
    (
        "missing message_send",
        BASE.replace("<message_send>", "<message_status>").replace("</message_send>", "</message_status>"),
        2,
        1,
        "<connector> is missing <message_send>",
    ),
    (
        "unknown root kind",
        BASE.replace('for="SMSNotifier"', 'for="Fax"'),
        2,
        12,
        'connector needs for="SMSNotifier" or for="PhoneCalls"',
    ),
    (
        "xxe",
        BASE.replace(
            "<?xml version='1.0'?>\n",
            "<?xml version='1.0'?>\n<!DOCTYPE connector [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n",
        ).replace("https://sms.example.com/api", "&xxe;"),
        2,
        1,
        "DOCTYPE/ENTITY declarations are not allowed",
    ),
    (
        "billion laughs",
        "<?xml version='1.0'?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n"
        + "".join(
            f' <!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">\n'
            for i in range(1, 10)
        )
        + ']>\n<connector for="SMSNotifier">&lol9;</connector>\n',
        2,
        1,
        "DOCTYPE/ENTITY declarations are not allowed",
    ),
    (
        "oversized",
        BASE.replace("</connector>", "<!--" + "x" * 300_000 + "--></connector>"),
        1,
        1,
        "the limit is 262144 bytes",
    ),
    ("not xml at all", "hello", 1, 1, "Start tag expected"),
    ("empty", "   ", 1, 1, "document is empty"),
]


@pytest.mark.parametrize(
    ("source", "line", "column", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_error_position(source, line, column, fragment):
    result = parse_connector(source)
    assert result.connector is None
    first = next((e for e in result.errors if fragment in e.message), None)
    assert first is not None, result.errors
    assert (first.line, first.column) == (line, column), first


def test_seed_picklist_unclosed_option_tag():
    ok, messages = check_file(FIXTURES / "invalid" / "seed_picklist.xml")
    assert not ok
    assert messages[0].endswith(
        "seed_picklist.xml:9:41: Opening and ending tag mismatch: option line 9 and options"
    )


def test_seed_phone_example_with_missing_closing_tags():
    ok, messages = check_file(FIXTURES / "invalid" / "seed_twilio_voice.xml")
    assert not ok
    assert messages[0].endswith(
        "seed_twilio_voice.xml:112:1: Premature end of data in tag connector line 111"
    )


def test_check_file_prints_ok_for_builtins(capsys):
    ok, messages = check_file(ROOT / "aggregators" / "connectors" / "twilio.xml")
    assert ok and messages == []
    assert "OK (sms connector, 3 fields)" in capsys.readouterr().out


def test_check_file_missing_file():
    ok, messages = check_file(FIXTURES / "nope.xml")
    assert not ok and ":1:1: cannot read file" in messages[0]


def test_errors_are_all_reported_sorted():
    source = variant(17, '        <parameter name="to" value="@nope|bogus"/>')
    source = source.replace("<msg", "<msg")
    source = source.replace('<status Delivered="delivered"/>', '<status Delivered="delivered,queued"/>')
    errors = parse_connector(source).errors
    assert [(e.line, e.column) for e in errors] == sorted((e.line, e.column) for e in errors)
    assert len(errors) == 2  # unknown filter stops that template; the status clash is separate


def test_seed_typo_config_form_is_accepted_and_rendered():
    connector = load_connector(variant(17, '        <parameter name="to" value="$config.fields.from"/>'))
    assert connector.message_send.request.params[0].value.render({"from": "FG"}, {}) == "FG"


def test_cdata_and_whitespace_in_url_are_trimmed():
    connector = load_connector(
        BASE.replace(
            "<url>https://sms.example.com/api</url>",
            "<url>\n  <![CDATA[ https://sms.example.com/api?a=1&b=2 ]]>\n</url>",
        )
    )
    assert connector.provider.url.render({}, {}) == "https://sms.example.com/api?a=1&b=2"


def test_picklist_and_required_forms():
    source = BASE.replace(
        '<field name="from" label="From" type="text"/>',
        '<field name="from" label="From" type="picklist" presence="mandatory" default="B">'
        "<options><option>A</option><option value='B'/></options></field>",
    )
    connector = load_connector(source)
    fields = connector.form_fields()
    assert fields[0] == {
        "name": "token", "label": "Token", "type": "password", "required": True,
        "default": None, "options": [], "secret": True,
    }  # fmt: skip
    assert fields[1]["options"] == ["A", "B"] and fields[1]["required"] is True
    assert connector.missing_fields({}) == ["token"]
    assert connector.effective_fields({"token": "t"}) == {"from": "B", "token": "t"}


def test_picklist_without_options_is_an_error():
    errors = parse_connector(variant(6, '      <field name="from" label="From" type="picklist"/>')).errors
    assert [(e.line, e.column) for e in errors] == [(6, 7)]
    assert "needs <options><option>" in errors[0].message
