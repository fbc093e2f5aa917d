"""Bitrix's installation handshake for handler apps: the ONAPPINSTALL event.

When an admin installs an app and names its event handler URL, Flowgate posts the event there
the way Bitrix24 does (`event=ONAPPINSTALL`, `data[...]`, `ts`, and the `auth[...]` block with
`access_token`, `refresh_token`, `domain`, `member_id`, `application_token`, ...), so an app
written for Bitrix stores its tokens and registers its sender without any Flowgate-specific
code. The app then renews tokens at the OAuth endpoint as Bitrix documents
(`<server origin>/oauth/token/?grant_type=refresh_token&refresh_token=...`).
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from aggregators.handler.auth import (
    ACCESS_TOKEN_SECONDS,
    SCOPE,
    client_endpoint,
    domain,
    mint_access_token,
    server_endpoint,
)
from channels_app.models import AppToken, Membership
from channels_app.urlguard import URLNotAllowed, check_url_sync, outbound_transport

APP_VERSION = "1"


class InstallFailed(Exception):
    pass


def install_form(app: AppToken, *, refresh_token: str, language: str = "en") -> list[tuple[str, str]]:
    access_token = mint_access_token(workspace_id=app.workspace_id, app_id=app.id)
    admin = (
        Membership.objects.filter(workspace_id=app.workspace_id)
        .order_by("id")
        .values_list("user_id", flat=True)
    )
    now = int(time.time())
    return [
        ("event", "ONAPPINSTALL"),
        ("data[VERSION]", APP_VERSION),
        ("data[ACTIVE]", "Y"),
        ("data[INSTALLED]", "Y"),
        ("data[LANGUAGE_ID]", language),
        ("ts", str(now)),
        ("auth[access_token]", access_token),
        ("auth[expires]", str(now + ACCESS_TOKEN_SECONDS)),
        ("auth[expires_in]", str(ACCESS_TOKEN_SECONDS)),
        ("auth[scope]", app.scope or SCOPE),
        ("auth[domain]", domain()),
        ("auth[server_endpoint]", server_endpoint()),
        ("auth[status]", "L"),
        ("auth[client_endpoint]", client_endpoint()),
        ("auth[member_id]", app.member_id),
        ("auth[user_id]", str(admin.first() or 1)),
        ("auth[refresh_token]", refresh_token),
        ("auth[application_token]", app.plain_application_token),
    ]


def send_install_event(
    app: AppToken, *, url: str, refresh_token: str, transport: httpx.BaseTransport | None = None
) -> dict[str, Any]:
    """Post ONAPPINSTALL to the app's event handler; returns what the app answered (status, body)."""
    try:
        check_url_sync(url)
    except URLNotAllowed as exc:
        raise InstallFailed(str(exc)) from exc
    form = install_form(app, refresh_token=refresh_token)
    try:
        with httpx.Client(transport=transport or outbound_transport(), timeout=5) as client:
            response = client.post(url, data=dict(form))
    except httpx.HTTPError as exc:
        raise InstallFailed(f"the app's handler could not be reached: {exc!r}") from exc
    if not 200 <= response.status_code < 300:
        raise InstallFailed(f"the app's handler answered HTTP {response.status_code}")
    return {"status": response.status_code, "body": response.text[:500]}
