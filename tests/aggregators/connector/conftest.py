"""The connector tests that need the database run after those that do not.

pytest-django puts database tests first; here only one test (an API upload) needs it, and
creating the test database costs seconds. Run last, it is only set up when every other test
passed: a mutation run (`scripts/mutation.py`, `pytest -x` per mutant) then pays for it only on
the mutants the DB-free tests leave alive, not on every mutant of the parser.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


@pytest.hookimpl(trylast=True)  # after pytest-django's own ordering, kept among the database tests
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def needs_db(item: pytest.Item) -> bool:
        here = HERE in Path(str(item.path)).parents
        fixtures = set(getattr(item, "fixturenames", ()))
        return here and bool(fixtures & {"db", "transactional_db", "django_db_setup"})

    items.sort(key=needs_db)
