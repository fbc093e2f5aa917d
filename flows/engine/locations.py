"""A small administrative location hierarchy (country > state > district > ward).

Only what the has_state/has_district/has_ward tests need: names and aliases per level, found in
free text by whole-text or word n-gram matching.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .functions import tokenize_words

STATE, DISTRICT, WARD = 1, 2, 3


@dataclass
class Location:
    name: str
    level: int
    path: str
    parent: Location | None = None
    aliases: list[str] = field(default_factory=list)
    children: list[Location] = field(default_factory=list)

    def names(self) -> list[str]:
        return [self.name.lower()] + [a.lower() for a in self.aliases]


class Hierarchy:
    def __init__(self, roots: list[Location]) -> None:
        self.roots = roots
        self.by_level: dict[int, list[Location]] = {}
        for r in roots:
            self._index(r)

    def _index(self, loc: Location) -> None:
        self.by_level.setdefault(loc.level, []).append(loc)
        for c in loc.children:
            self._index(c)

    @classmethod
    def from_json(cls, data: list[dict[str, Any]] | dict[str, Any] | None) -> Hierarchy:
        if isinstance(data, dict):
            data = [data]
        return cls([_build(d, 0, None) for d in (data or [])])

    def find(self, text: str, level: int, parent: Location | None = None) -> Location | None:
        """Finds a location at `level` named in `text`, optionally within `parent`."""
        candidates = [
            loc for loc in self.by_level.get(level, []) if parent is None or _is_within(loc, parent)
        ]
        if not candidates:
            return None
        lookup: dict[str, Location] = {}
        for loc in candidates:
            for n in loc.names():
                lookup.setdefault(n, loc)
        whole = text.strip().lower()
        if whole in lookup:
            return lookup[whole]
        words = [w.lower() for w in tokenize_words(text)]
        # longer phrases first so "kigali city" beats "kigali"
        for size in range(min(4, len(words)), 0, -1):
            for i in range(len(words) - size + 1):
                phrase = " ".join(words[i : i + size])
                if phrase in lookup:
                    return lookup[phrase]
        return None


def _is_within(loc: Location, parent: Location) -> bool:
    p = loc.parent
    while p is not None:
        if p is parent:
            return True
        p = p.parent
    return False


def _build(d: dict[str, Any], level: int, parent: Location | None) -> Location:
    name = d.get("name", "")
    path = f"{parent.path} > {name}" if parent else name
    loc = Location(name=name, level=level, path=path, parent=parent, aliases=list(d.get("aliases") or []))
    loc.children = [_build(c, level + 1, loc) for c in d.get("children") or []]
    return loc
