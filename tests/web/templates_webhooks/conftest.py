"""Templates/webhooks screens and the simulator socket reuse the everyday screens' fixtures."""

from __future__ import annotations

from tests.web.dashboard.conftest import (  # noqa: F401  (fixtures are reused by name)
    PHONE,
    browser,
    client_in,
    other_workspace,
    user,
)
