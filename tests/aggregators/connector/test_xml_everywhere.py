"""XML from outside is parsed by one hardened parser only: no module calls lxml's parsers directly."""

from __future__ import annotations

import re

import pytest

from aggregators.connector.errors import PayloadError
from aggregators.connector.xmlsafe import parse_payload
from tests import ROOT

PACKAGES = ("aggregators", "benchmarks", "channels_app", "flows", "infra", "smsc", "web")
RAW_PARSE = re.compile(
    r"etree\.(fromstring|parse|XML|iterparse|XMLParser|HTMLParser)\b|xml\.etree|xml\.dom|xml\.sax(?!\.saxutils)|minidom"
)
THE_PARSER = ROOT / "aggregators" / "connector" / "xmlsafe.py"


def test_only_the_hardened_module_parses_xml():
    offenders = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if path == THE_PARSER or "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if RAW_PARSE.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>', "DOCTYPE"),
        (b'<!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><r>&b;</r>', "DOCTYPE"),
        (b"<r><unclosed></r>", "invalid XML at 1:"),
    ],
)
def test_hostile_documents_are_refused(payload, reason):
    """Refused, not merely inert: with the parser made unsafe (DOCTYPE allowed, entities
    resolved) the first two parse, so each case fails (the old "refused or inert" let the
    billion-laughs case pass on expansion)."""
    with pytest.raises(PayloadError) as refused:
        parse_payload(payload, 64 * 1024)
    assert reason in str(refused.value)


def test_xinclude_is_inert():
    """XInclude is a plain element to us: nothing is fetched, the element stays as it was."""
    root = parse_payload(
        b'<r xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="file:///etc/passwd"/></r>',
        64 * 1024,
    )
    assert "".join(root.itertext()) == ""
    assert [el.tag for el in root] == ["{http://www.w3.org/2001/XInclude}include"]
