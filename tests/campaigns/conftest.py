from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings


@pytest.fixture(autouse=True)
def _real_clock_after() -> Iterator[None]:
    """Tests move the campaigns clock (FLOWGATE_CLOCK); the next test starts on real time."""
    yield
    settings.FLOWGATE_CLOCK = ""
