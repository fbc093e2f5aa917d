"""Issue 16 #1: /rest/ access tokens cannot be forged, and no run signs with a public key.

On main an access token was `{"w": <workspace id>, "a": 0}` signed with SECRET_KEY, which
defaulted to a string printed in the source: anyone could act as any workspace's handler app.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import signing

from aggregators.handler import auth
from channels_app.models import AppAccessToken, AppToken
from channels_app.workspaces import create_workspace
from infra import secret_key

ROOT = Path(__file__).resolve().parents[2]


def _forge(workspace_id: int, key: str) -> str:
    return signing.TimestampSigner(key=key, salt="flowgate.handler.access").sign_object(
        {"w": workspace_id, "a": 0}
    )


def test_forged_signed_tokens_are_refused_over_http(live_asgi: Any) -> None:
    victim, victim_api_token = create_workspace(name="Victim")
    with live_asgi.client() as http:
        # The sender the attacker wants to hijack exists and is listed for the real token.
        added = http.post(
            "/rest/messageservice.sender.add",
            data={
                "auth": victim_api_token,
                "CODE": "sms",
                "TYPE": "SMS",
                "NAME": "SMS",
                "HANDLER": "http://127.0.0.1:9/h",
            },  # fmt: skip
        )
        assert added.json()["result"] is True
        for key in (secret_key.LEGACY_PUBLIC_SECRET_KEY, settings.SECRET_KEY):
            forged = _forge(victim.id, key)
            for method in ("messageservice.sender.list", "messageservice.sender.delete"):
                answer = http.post(f"/rest/{method}", data={"auth": forged, "CODE": "sms"})
                assert answer.status_code == 401, (method, answer.text)
                assert answer.json()["error"] == "invalid_token"
        assert http.post("/rest/messageservice.sender.list", data={"auth": victim_api_token}).json()[
            "result"
        ] == ["sms"]


def test_access_tokens_are_random_stored_hashed_and_bound_to_the_app(live_asgi: Any) -> None:
    workspace, api_token = create_workspace(name="Apps")
    with live_asgi.client(headers={"Authorization": f"Token {api_token}"}) as http:
        issued = http.post("/api/v1/tokens/apps", json={"name": "crm"}).json()
        access = issued["access_token"]
        assert str(workspace.id) not in access.split(":")  # names nothing, signs nothing
        row = AppAccessToken.objects.get(app__uuid=issued["uuid"])
        assert row.key_hash != access and access not in row.key_hash and row.workspace_id == workspace.id
        assert http.post("/rest/messageservice.sender.list", data={"auth": access}).json()["result"] == []
        # Another app's tokens are no good once their app is revoked, whoever holds them.
        assert http.delete(f"/api/v1/tokens/apps/{issued['uuid']}").status_code == 204
        assert http.post("/rest/messageservice.sender.list", data={"auth": access}).status_code == 401


def test_handler_calls_reuse_a_token_the_app_can_report_with(workspace: Any) -> None:
    app, _ = AppToken.issue(workspace=workspace)
    first = auth.handler_access_token(workspace_id=workspace.id, app_id=app.id)
    assert auth.handler_access_token(workspace_id=workspace.id, app_id=app.id) == first
    assert AppAccessToken.objects.filter(app=app).count() == 1
    assert auth.authenticate(first).app == app


def _settings_process(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRET_KEY", "REDIS_URL", "DEBUG", "FLOWGATE_BASE_URL")
    }
    return subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.SECRET_KEY)"],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "web.settings", "FLOWGATE_VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_runs_without_secret_key_refuse_to_start(tmp_path: Path) -> None:
    for env in (
        {"REDIS_URL": "redis://127.0.0.1:6379/10"},
        {"FLOWGATE_BASE_URL": "https://sms.example.org"},
        {"SECRET_KEY": secret_key.LEGACY_PUBLIC_SECRET_KEY},
    ):
        result = _settings_process(env, tmp_path)
        assert result.returncode != 0, env
        assert "SECRET_KEY" in result.stderr and "Deploying safely" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    given = _settings_process({"REDIS_URL": "redis://127.0.0.1:6379/10", "SECRET_KEY": "k" * 50}, tmp_path)
    assert given.returncode == 0 and given.stdout.strip() == "k" * 50


def test_embedded_default_generates_and_keeps_a_random_key(tmp_path: Path) -> None:
    first = _settings_process({}, tmp_path / "a")
    again = _settings_process({}, tmp_path / "a")
    other = _settings_process({}, tmp_path / "b")
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    assert len(key) >= 50 and key != secret_key.LEGACY_PUBLIC_SECRET_KEY
    assert again.stdout.strip() == key  # kept under var/
    assert other.stdout.strip() != key  # random per install
    assert (tmp_path / "a" / "secret_key").stat().st_mode & 0o077 == 0
    # A local debug run on a loopback base URL is not production either.
    local = _settings_process({"DEBUG": "0", "FLOWGATE_BASE_URL": "http://localhost:8000"}, tmp_path / "a")
    assert local.stdout.strip() == key
