"""The engine is pure Python: shadow the project-wide Django fixtures so these tests run without
Django settings (e.g. `pytest -p no:django tests/flows/engine`)."""

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _isolated_queue_and_cache() -> Iterator[None]:
    yield
