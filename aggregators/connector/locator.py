"""Line:column positions for elements and attributes.

lxml only gives ``sourceline`` (and for a multi-line start tag, the line where it *ends*), no
columns. So we scan the source once, in document order, and record where each start tag
begins; attribute and token positions are then found inside that tag's text.
"""

from __future__ import annotations

import re

from lxml import etree

from .model import Pos

_COMMENT_END = "-->"


class Locator:
    def __init__(self, source: str, root: etree._Element):
        self.source = source
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self._starts: dict[etree._Element, tuple[int, int]] = {}  # element -> (tag start, tag end)
        self._scan(root)

    def _scan(self, root: etree._Element) -> None:
        cursor = 0
        for node in root.iter():
            if isinstance(node, etree._Comment):
                start = self.source.find("<!--", cursor)
                if start >= 0:
                    end = self.source.find(_COMMENT_END, start)
                    cursor = end + 3 if end >= 0 else start + 4
                continue
            if isinstance(node, etree._ProcessingInstruction) or not isinstance(node.tag, str):
                continue
            tag = etree.QName(node).localname if node.tag.startswith("{") else node.tag
            m = re.compile(r"<(?:[\w.-]+:)?" + re.escape(tag) + r"(?=[\s/>])").search(self.source, cursor)
            if not m:
                continue
            end = self._tag_end(m.end())
            self._starts[node] = (m.start(), end)
            cursor = end

    def _tag_end(self, pos: int) -> int:
        quote = ""
        for i in range(pos, len(self.source)):
            ch = self.source[i]
            if quote:
                if ch == quote:
                    quote = ""
            elif ch in "'\"":
                quote = ch
            elif ch == ">":
                return i + 1
        return len(self.source)

    def pos_at(self, offset: int) -> Pos:
        lo, hi = 0, len(self._line_starts) - 1
        while lo < hi:  # binary search for the line containing offset
            mid = (lo + hi + 1) // 2
            if self._line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return Pos(lo + 1, offset - self._line_starts[lo] + 1)

    def element(self, el: etree._Element) -> Pos:
        span = self._starts.get(el)
        if span is None:
            return Pos(el.sourceline or 1, 1)
        return self.pos_at(span[0])

    def attribute(self, el: etree._Element, name: str, value_offset: int | None = None) -> Pos:
        """Position of attribute ``name`` (or of a character inside its value)."""
        span = self._starts.get(el)
        if span is None:
            return self.element(el)
        tag_text = self.source[span[0] : span[1]]
        m = re.search(r"\s" + re.escape(name) + r"\s*=\s*(['\"])", tag_text)
        if not m:
            return self.element(el)
        if value_offset is None:
            return self.pos_at(span[0] + m.start() + 1)
        raw_value = tag_text[m.end() :]
        parsed = el.get(name) or ""
        # Only exact when the raw value has no entity/character references before the offset.
        shift = value_offset if raw_value[:value_offset] == parsed[:value_offset] else 0
        return self.pos_at(span[0] + m.end() + shift)

    def text(self, el: etree._Element, value_offset: int = 0) -> Pos:
        """Position of a character in an element's (stripped) text, CDATA aware."""
        span = self._starts.get(el)
        if span is None:
            return self.element(el)
        stripped = (el.text or "").strip()
        if stripped:
            found = self.source.find(stripped[:40], span[1])
            if found >= 0:
                return self.pos_at(found + value_offset)
        return self.pos_at(span[1])
