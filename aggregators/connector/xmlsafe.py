"""Hardened XML parsing used for connector files *and* for provider answers/callbacks.

Both are untrusted: connectors are uploaded by workspace admins, callbacks come from the
internet. We refuse any DOCTYPE outright (the only way to declare entities, so this stops XXE
and billion-laughs before libxml2 sees them) and also configure libxml2 to never resolve
entities, load DTDs or touch the network, as a second line of defence.
"""

from __future__ import annotations

import re

from lxml import etree

from .errors import ConnectorError, PayloadError

CONNECTOR_MAX_BYTES = 256 * 1024
PAYLOAD_MAX_BYTES = 1024 * 1024

_DOCTYPE_RE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _parser() -> etree.XMLParser:
    # A fresh parser per call: lxml parsers are not thread-safe and this one is cheap.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        collect_ids=False,
    )


def line_col(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return line, column


def to_bytes(source: str | bytes) -> bytes:
    return source.encode("utf-8") if isinstance(source, str) else source


def parse_document(source: str | bytes, max_bytes: int) -> tuple[etree._Element | None, list[ConnectorError]]:
    """Parse ``source``; return the root element or the errors with line:column."""
    data = to_bytes(source)
    if len(data) > max_bytes:
        return None, [ConnectorError(1, 1, f"document is {len(data)} bytes; the limit is {max_bytes} bytes")]
    match = _DOCTYPE_RE.search(data)
    if match:
        line, col = line_col(data, match.start())
        return None, [
            ConnectorError(
                line, col, "DOCTYPE/ENTITY declarations are not allowed (DTDs and entities are disabled)"
            )
        ]
    if not data.strip():
        return None, [ConnectorError(1, 1, "document is empty")]
    parser = _parser()
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        # parser.error_log, not exc.error_log: the latter accumulates earlier parses' errors.
        errors = [
            ConnectorError(entry.line, entry.column, entry.message)
            for entry in parser.error_log
            if entry.level >= etree.ErrorLevels.ERROR
        ]
        if not errors:
            line, col = exc.position
            errors = [ConnectorError(line, col, str(exc.msg))]
        return None, errors
    # Defence in depth: a DTD that slipped past the byte scan (e.g. an exotic encoding).
    if root.getroottree().docinfo.internalDTD is not None:
        return None, [ConnectorError(1, 1, "DOCTYPE declarations are not allowed")]
    return root, []


def parse_payload(body: bytes, max_bytes: int = PAYLOAD_MAX_BYTES) -> etree._Element:
    """Parse an XML answer/callback body or raise ``PayloadError`` with a clear reason."""
    root, errors = parse_document(body, max_bytes)
    if root is None:
        first = errors[0]
        raise PayloadError(f"invalid XML at {first.line}:{first.column}: {first.message}")
    return root
