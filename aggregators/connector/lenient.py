"""Known typos in connector files that are read as meant, with a warning instead of an error.

Vtiger's own published sample spells `presence` as `presense` on `<field>`; connectors copied
from it must still load, so the attribute is renamed before validation and the author is told.
"""

from __future__ import annotations

from lxml import etree

from .errors import ConnectorError
from .locator import Locator

# (element tag, misspelt attribute) -> the attribute meant
TYPOS = {("field", "presense"): "presence"}


def accept_typos(root: etree._Element, locator: Locator) -> list[ConnectorError]:
    """Rename known misspelt attributes in place; one warning per occurrence, with its position."""
    warnings: list[ConnectorError] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue  # comments and processing instructions
        for (tag, wrong), right in TYPOS.items():
            if el.tag != tag or wrong not in el.attrib:
                continue
            pos = locator.attribute(el, wrong)
            if right in el.attrib:
                message = f"'{wrong}' ignored: <{tag}> also has '{right}'"
            else:
                el.set(right, el.get(wrong) or "")
                message = f"'{wrong}' read as '{right}' (a typo in Vtiger's sample connector); please write '{right}'"
            del el.attrib[wrong]
            warnings.append(ConnectorError(pos.line, pos.column, message))
    return warnings
