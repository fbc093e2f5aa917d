"""Fixtures for the everyday screens: the shared Chromium `browser`, logged-in clients, seed data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tests.web.ui.conftest import ARTIFACTS, Browser, browser  # noqa: F401  (the fixture is reused)

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def user(workspace: Any) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="admin@test.org")


@pytest.fixture
def client_in(user: Any) -> Any:
    """A Django test client logged in as the workspace admin."""
    from django.test import Client

    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def other_workspace(transactional_db: None) -> Any:
    """A second tenant with its own channel and message: none of it may show up for the first."""
    from channels_app.models import Msg
    from channels_app.services.channels import create_channel
    from channels_app.workspaces import create_workspace

    ws, _ = create_workspace(name="Other NGO", email="other@test.org", password="other-pass")
    channel = create_channel(workspace=ws, type_code="EX", name="Theirs", country="RW",
                             config={"send_url": "http://127.0.0.1:9/send"})  # fmt: skip
    Msg.objects.create(workspace=ws, channel=channel, urn="tel:+250788999999", direction="in",
                       status="handled", text="their secret hello", created_on=timezone.now())  # fmt: skip
    return ws


def make_msg(channel: Any, *, direction: str = "in", status: str = "handled", text: str = "hi",
             urn: str = "tel:+250788123123", days_ago: int = 0, **extra: Any) -> Any:  # fmt: skip
    from channels_app.models import Msg

    now = timezone.now()
    created = now - dt.timedelta(days=days_ago) if days_ago else now
    return Msg.objects.create(workspace_id=channel.workspace_id, channel=channel, urn=urn, direction=direction,
                              status=status, text=text, created_on=created, **extra)  # fmt: skip


def make_flow(workspace: Any, name: str = "Registration") -> Any:
    from flows.models import Flow

    return Flow.objects.create(
        workspace=workspace, name=name, definition={"uuid": "x", "name": name, "nodes": []}
    )


def run_jobs_beside_browser() -> None:
    """Drain the job queues on a fresh thread.

    Playwright's sync API keeps an asyncio loop running on the test thread, and the send job uses
    asyncio.run(), which refuses to start inside a running loop.
    """
    import threading

    from tests.conftest import run_jobs

    errors: list[BaseException] = []

    def target() -> None:
        try:
            run_jobs()
        except BaseException as exc:  # re-raised on the test thread
            errors.append(exc)
        finally:
            from django.db import connection

            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "jobs did not finish within 60 s"
    if errors:
        raise errors[0]
