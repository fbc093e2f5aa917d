"""One hardened lxml parser for every XML body we accept from outside.

A thin wrapper over ``aggregators.connector.xmlsafe`` (no entities, no DTD, no network,
bounded size) so there is one implementation; it keeps the ``UnsafeXML`` exception callers catch.
"""

from __future__ import annotations

from lxml import etree

from aggregators.connector.errors import PayloadError
from aggregators.connector.xmlsafe import PAYLOAD_MAX_BYTES, parse_payload

MAX_XML_BYTES = PAYLOAD_MAX_BYTES


class UnsafeXML(ValueError):
    pass


def parse_xml(data: bytes | str) -> etree._Element:
    """Parse untrusted XML or raise ``UnsafeXML`` saying why (malformed, DOCTYPE, too big)."""
    try:
        return parse_payload(data.encode() if isinstance(data, str) else data, MAX_XML_BYTES)
    except PayloadError as exc:
        raise UnsafeXML(str(exc)) from None
