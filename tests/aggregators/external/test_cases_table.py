"""The documentation's table of courier cases stays true to the cases and the floors."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.aggregators.external.cases_batch_a import BATCH_A_PROVIDERS
from tests.aggregators.external.cases_batch_b import BATCH_B_PROVIDERS
from tests.aggregators.external.more_provider_cases import MORE_PROVIDERS
from tests.aggregators.external.provider_cases import PROVIDERS

ROOT = Path(__file__).resolve().parents[3]
ROW = re.compile(r"^\| `(?P<slug>[a-z0-9_]+)` \|.*\| (?P<passed>\d+) / (?P<total>\d+) \|$")


def test_docs_table_lists_every_ported_provider_with_its_floor_and_case_count() -> None:
    text = (ROOT / "docs" / "connectors" / "courier-cases.md").read_text()
    rows = {m["slug"]: (int(m["passed"]), int(m["total"])) for m in map(ROW.match, text.splitlines()) if m}
    floors = json.loads((ROOT / "tests" / "floors.json").read_text())["courier"]
    cases = {**PROVIDERS, **MORE_PROVIDERS}
    cases.update(BATCH_A_PROVIDERS)
    cases.update(BATCH_B_PROVIDERS)
    assert set(rows) == set(cases) == set(floors)
    for slug, (passed, total) in rows.items():
        # the table shows what the floor guarantees: a count that went up raises both
        assert (passed, total) == (floors[slug], len(cases[slug])), slug
