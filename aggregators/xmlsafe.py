"""One hardened lxml parser for every XML body we accept from outside."""

from __future__ import annotations

from lxml import etree

MAX_XML_BYTES = 1024 * 1024


class UnsafeXML(ValueError):
    pass


def parse_xml(data: bytes | str) -> etree._Element:
    """Parse untrusted XML: no entities, no DTD, no network, bounded size (no XXE, no bombs)."""
    if isinstance(data, str):
        data = data.encode()
    if len(data) > MAX_XML_BYTES:
        raise UnsafeXML(f"XML body larger than {MAX_XML_BYTES} bytes")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (0, 0)
        raise UnsafeXML(f"malformed XML at line {line}, column {column}: {exc.msg}") from None
    if root is None:
        raise UnsafeXML("empty XML document")
    if root.getroottree().docinfo.internalDTD is not None or root.getroottree().docinfo.doctype:
        raise UnsafeXML("XML with a DOCTYPE is not accepted")
    return root
