"""Phone-connector fixtures: a local provider playing Twilio Voice / Ozonetel / Plivo with their
recorded answers (tests/aggregators/connector/fixtures), and phone channels pointed at it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.aggregators.xc.conftest import Answer, Provider, provider_server  # noqa: F401  (fixture)
from tests.aggregators.xc.helpers import make_channel
from tests.web.ui.conftest import browser  # noqa: F401  (fixture)

from .helpers import AGENT_EXTENSION


@pytest.fixture
def web(live_asgi: Any, token: str) -> Any:
    with live_asgi.client(headers={"Authorization": f"Token {token}"}) as client:
        yield client


@pytest.fixture
def agent(workspace: Any) -> Any:
    """The workspace admin with an agent phone (the default @extension and incoming target)."""
    from django.contrib.auth import get_user_model

    from aggregators.voice.services import set_agent_phone

    user = get_user_model().objects.get(username="admin@test.org")
    set_agent_phone(user=user, extension=AGENT_EXTENSION)
    return user


@pytest.fixture
def twilio_channel(api: Any, provider_server: Provider) -> dict[str, Any]:  # noqa: F811
    return make_channel(api, "twilio_voice", provider_server)


@pytest.fixture
def recorded(provider_server: Provider) -> Any:  # noqa: F811
    def answer(provider: str, file: str, status: int = 200, content_type: str = "application/json") -> Answer:
        return provider_server.recorded(provider, file, status, content_type)

    return answer
