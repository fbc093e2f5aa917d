from __future__ import annotations

import pytest

from channels_app.types import registry
from tests.channels_app.probe import Probe


@pytest.fixture
def probe(monkeypatch: pytest.MonkeyPatch) -> Probe:
    """A probe channel type (tests/channels_app/probe.py) registered for this test."""
    instance = Probe()
    monkeypatch.setitem(registry._types, Probe.code, instance)
    return instance
