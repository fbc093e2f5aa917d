"""People tests reuse the screens' fixtures: logged-in client, a second tenant, the shared Chromium."""

from tests.web.dashboard.conftest import browser, client_in, other_workspace, user  # noqa: F401
