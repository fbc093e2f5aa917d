"""Location hierarchy lookups (flows.engine.locations), pinned exactly.

How Hierarchy reads its JSON (a single root or a list, paths built from names), and how `find`
picks a location in free text: whole text first (any characters), then word phrases of up to
four words, longest first and leftmost first, optionally only within a parent at any depth.
"""

from __future__ import annotations

from flows.engine.locations import DISTRICT, STATE, WARD, Hierarchy

from .helpers import LOCATIONS

HIER = Hierarchy.from_json(LOCATIONS)


def _path(text: str, level: int, parent_text: str | None = None, parent_level: int = 0) -> str | None:
    parent = HIER.find(parent_text, parent_level) if parent_text else None
    loc = HIER.find(text, level, parent)
    return loc.path if loc else None


def test_from_json_single_root_and_list() -> None:
    single = Hierarchy.from_json(LOCATIONS[0])
    assert [r.name for r in single.roots] == ["Zamunda"]
    found = single.find("nord", STATE)
    assert found is not None and found.path == "Zamunda > North Province"
    assert [r.name for r in HIER.roots] == ["Zamunda"]
    assert Hierarchy.from_json(None).roots == []


def test_nameless_root_paths() -> None:
    h = Hierarchy.from_json({"children": [{"name": "North"}]})
    assert h.roots[0].name == ""
    found = h.find("north", STATE)
    assert found is not None and found.path == " > North"


def test_find_missing_level() -> None:
    h = Hierarchy.from_json({"name": "Zamunda", "children": [{"name": "North"}]})
    assert h.find("North", WARD) is None
    assert HIER.find("anything", 9) is None


def test_find_within_parent() -> None:
    assert _path("Riverbend", DISTRICT, "North Province", STATE) is None
    assert _path("Riverbend", DISTRICT, "South Province", STATE) == "Zamunda > South Province > Riverbend"
    # a grandparent works too
    assert _path("Oakvale", WARD, "Nord", STATE) == "Zamunda > North Province > Hillside > Oakvale"
    assert _path("Oakvale", WARD, "South Province", STATE) is None


def test_find_whole_text_with_punctuation() -> None:
    h = Hierarchy.from_json({"name": "X", "children": [{"name": "Saint-Louis"}, {"name": "Louis"}]})
    found = h.find("  SAINT-LOUIS ", STATE)
    assert found is not None and found.name == "Saint-Louis"


def test_find_phrases_longest_then_leftmost() -> None:
    h = Hierarchy.from_json(
        {
            "name": "X",
            "children": [
                {"name": "Kigali City"},
                {"name": "Kigali"},
                {"name": "South"},
                {"name": "North", "aliases": ["Nord"]},
                {"name": "One Two Three Four Five"},
            ],
        }
    )

    def name(text: str) -> str | None:
        loc = h.find(text, STATE)
        return loc.name if loc else None

    assert name("i live in kigali city now") == "Kigali City"
    assert name("kigali") == "Kigali"
    assert name("south nord") == "South"
    assert name("alpha south nord") == "South"
    assert name("zero one two three four five") is None
    assert name("one two three four five") == "One Two Three Four Five"
