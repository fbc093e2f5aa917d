"""Secrets encrypted at rest: raw rows never hold plaintext, senders get it, keys rotate."""

from __future__ import annotations

import importlib
import io
import json
import logging
from typing import Any

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.core.management.base import CommandError

from channels_app import crypto
from channels_app.models import AppToken, Channel, WebhookSubscription
from tests.conftest import run_jobs

KEY_1 = Fernet.generate_key().decode()
KEY_2 = Fernet.generate_key().decode()


def _raw(table: str, column: str, row_id: int) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [row_id])
        value = cursor.fetchone()[0]
    return value if isinstance(value, str) else json.dumps(value)


def test_values_round_trip_with_a_prefix_and_legacy_plaintext_passes(settings: Any) -> None:
    settings.FLOWGATE_SECRET_KEYS = KEY_1
    token = crypto.encrypt("hunter2-secret")
    assert token.startswith("enc:v1:") and "hunter2" not in token
    assert crypto.encrypt(token) == token  # never double-encrypted
    assert crypto.decrypt(token) == "hunter2-secret"
    assert crypto.decrypt("legacy-plain") == "legacy-plain"
    settings.FLOWGATE_SECRET_KEYS = KEY_2  # the key that encrypted it is gone
    with pytest.raises(crypto.SecretDecryptionError, match="cannot be decrypted with the configured keys"):
        crypto.decrypt(token)
    settings.FLOWGATE_SECRET_KEYS = "not-a-fernet-key"
    with pytest.raises(crypto.SecretKeyError, match="entry 1 is not a Fernet key"):
        crypto.encrypt("x")


def test_without_keys_a_key_is_derived_from_secret_key(settings: Any) -> None:
    settings.FLOWGATE_SECRET_KEYS = ""
    token = crypto.encrypt("derived")
    assert crypto.decrypt(token) == "derived"
    # Moving to explicit keys: the derived key still opens old values; rotation moves them over.
    settings.FLOWGATE_SECRET_KEYS = KEY_1
    assert crypto.decrypt(token) == "derived"
    rotated = crypto.rotate(token)
    assert Fernet(KEY_1.encode()).decrypt(rotated.removeprefix("enc:v1:").encode()) == b"derived"
    settings.FLOWGATE_SECRET_KEYS = ""
    settings.SECRET_KEY = "another-secret-key"
    with pytest.raises(crypto.SecretDecryptionError):
        crypto.decrypt(token)


def test_ex_secret_is_encrypted_in_the_row_and_sent_in_clear(
    api: Any, workspace: Any, aggregator: Any, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    response = api.post(
        "/api/v1/channels",
        {"type": "EX", "name": "Secret EX", "address": "+250788000000", "country": "RW",
         "config": {"send_url": f"{aggregator.url}/send", "send_authorization": "Bearer tok-EX-7781"}},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    channel = Channel.objects.get(uuid=response.json()["uuid"])
    raw = _raw(Channel._meta.db_table, "config", channel.id)
    assert "tok-EX-7781" not in raw and "enc:v1:" in raw
    assert "tok-EX-7781" not in api.get(f"/api/v1/channels/{channel.uuid}").content.decode()

    sent = api.post(
        "/api/v1/messages",
        {"channel": str(channel.uuid), "to": "tel:+250788123123", "text": "hi"},
        content_type="application/json",
    )
    assert sent.status_code == 201, sent.content
    run_jobs()
    assert len(aggregator.requests) == 1
    assert aggregator.requests[0].headers["Authorization"] == "Bearer tok-EX-7781"
    log = api.get(f"/api/v1/messages/{sent.json()['uuid']}").content.decode()
    assert "tok-EX-7781" not in log
    assert "tok-EX-7781" not in caplog.text


def test_smpp_password_and_connector_fields_are_encrypted(workspace: Any) -> None:
    from channels_app.services.channels import create_channel
    from smsc.services import link_config

    smpp = create_channel(
        workspace=workspace, type_code="SM", name="SMSC", address="+250788000001",
        config={"host": "127.0.0.1", "port": 2775, "system_id": "fg", "password": "smpp-pw1"},
    )  # fmt: skip
    assert "smpp-pw1" not in _raw(Channel._meta.db_table, "config", smpp.id)
    assert link_config(channel=Channel.objects.get(id=smpp.id)).password == "smpp-pw1"

    twilio = create_channel(
        workspace=workspace, type_code="XC", name="Twilio",
        config={"connector": "twilio", "fields": {"AccountSID": "AC1", "AuthToken": "twilio-tok-42", "From": "+1"}},
    )  # fmt: skip
    raw = _raw(Channel._meta.db_table, "config", twilio.id)
    assert "twilio-tok-42" not in raw and '"AccountSID": "AC1"' in raw  # only secret fields are encrypted
    assert crypto.reveal(Channel.objects.get(id=twilio.id).config)["fields"]["AuthToken"] == "twilio-tok-42"


def test_webhook_secret_is_encrypted_and_shown_once(api: Any) -> None:
    created = api.post(
        "/api/v1/webhooks",
        {"url": "https://hooks.example.org/in", "events": ["message.received"]},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    secret = created.json()["secret"]
    hook = WebhookSubscription.objects.get(uuid=created.json()["uuid"])
    raw = _raw(WebhookSubscription._meta.db_table, "secret", hook.id)
    assert raw.startswith("enc:v1:") and secret not in raw
    assert hook.plain_secret == secret
    assert secret not in api.get(f"/api/v1/webhooks/{hook.uuid}").content.decode()


def test_rotation_re_encrypts_everything_with_the_first_key(api: Any, workspace: Any, settings: Any) -> None:
    from channels_app.services.channels import create_channel

    settings.FLOWGATE_SECRET_KEYS = KEY_1
    channel = create_channel(
        workspace=workspace, type_code="EX", name="Rotating", country="RW",
        config={"send_url": "https://agg.example/send", "send_authorization": "Bearer rot-1",
                "inbound_auth": "basic", "inbound_username": "u", "inbound_password": "rot-password"},
    )  # fmt: skip
    hook = api.post(
        "/api/v1/webhooks", {"url": "https://hooks.example.org/x", "events": ["message.received"]},
        content_type="application/json",
    ).json()  # fmt: skip
    app, _refresh = AppToken.issue(workspace=workspace)
    app_token = app.plain_application_token
    # A row written before encryption existed: plaintext in the database.
    legacy = Channel.objects.create(workspace=workspace, channel_type="EX", name="Legacy", config={})
    Channel.objects.filter(id=legacy.id).update(
        config={"send_url": "https://agg.example/send", "send_authorization": "legacy-plain-auth"}
    )
    before = _raw(Channel._meta.db_table, "config", channel.id)

    settings.FLOWGATE_SECRET_KEYS = f"{KEY_2},{KEY_1}"
    out = io.StringIO()
    call_command("rotate_secrets", stdout=out)
    assert json.loads(out.getvalue()) == {
        "rotated": {"channels": 2, "channel_secrets": 3, "webhooks": 1, "app_tokens": 1, "service_secrets": 0}
    }
    assert _raw(Channel._meta.db_table, "config", channel.id) != before
    assert "legacy-plain-auth" not in _raw(Channel._meta.db_table, "config", legacy.id)

    settings.FLOWGATE_SECRET_KEYS = KEY_2  # the old key can go now
    config = crypto.reveal(Channel.objects.get(id=channel.id).config)
    assert (config["send_authorization"], config["inbound_password"]) == ("Bearer rot-1", "rot-password")
    assert (
        crypto.reveal(Channel.objects.get(id=legacy.id).config)["send_authorization"] == "legacy-plain-auth"
    )
    assert WebhookSubscription.objects.get(uuid=hook["uuid"]).plain_secret == hook["secret"]
    assert AppToken.objects.get(id=app.id).plain_application_token == app_token

    settings.FLOWGATE_SECRET_KEYS = KEY_1  # only a key that no longer opens anything: a clear error
    with pytest.raises(CommandError, match="cannot be decrypted"):
        call_command("rotate_secrets", stdout=io.StringIO())


def test_data_migration_encrypts_existing_plaintext(workspace: Any) -> None:
    from django.apps import apps

    migration = importlib.import_module("channels_app.migrations.0005_secrets_encrypted_at_rest")
    channel = Channel.objects.create(workspace=workspace, channel_type="EX", name="Old", config={})
    Channel.objects.filter(id=channel.id).update(
        config={"send_url": "https://a.example/s", "send_authorization": "old-plain-auth", "method": "POST"}
    )
    hook = WebhookSubscription.objects.create(workspace=workspace, url="https://h.example/x", secret="a" * 48)
    WebhookSubscription.objects.filter(id=hook.id).update(secret="b" * 48)
    app, _refresh = AppToken.issue(workspace=workspace)
    AppToken.objects.filter(id=app.id).update(application_token="c" * 32)
    migration.encrypt_existing(apps, None)
    assert _raw(AppToken._meta.db_table, "application_token", app.id).startswith("enc:v1:")
    assert AppToken.objects.get(id=app.id).plain_application_token == "c" * 32
    raw = _raw(Channel._meta.db_table, "config", channel.id)
    assert "old-plain-auth" not in raw and '"method": "POST"' in raw
    assert crypto.reveal(Channel.objects.get(id=channel.id).config)["send_authorization"] == "old-plain-auth"
    assert WebhookSubscription.objects.get(id=hook.id).secret.startswith("enc:v1:")
    assert WebhookSubscription.objects.get(id=hook.id).plain_secret == "b" * 48


def test_app_application_token_is_encrypted_and_handed_out_in_clear(workspace: Any) -> None:
    from aggregators.handler.auth import token_payload

    app, refresh = AppToken.issue(workspace=workspace)
    raw = _raw(AppToken._meta.db_table, "application_token", app.id)
    assert raw.startswith("enc:v1:")
    payload = token_payload(app, refresh)
    assert len(payload["application_token"]) == 32 and payload["application_token"] not in raw


def test_secrets_from_before_the_random_key_still_open_and_rotate_away(settings: Any, caplog: Any) -> None:
    """An install upgraded from the public default key: decrypt-only, never used to encrypt."""
    from infra.secret_key import LEGACY_PUBLIC_SECRET_KEY

    old = "enc:v1:" + Fernet(crypto._derived_key(LEGACY_PUBLIC_SECRET_KEY)).encrypt(b"old-secret").decode()
    settings.FLOWGATE_SECRET_KEYS = ""
    assert settings.SECRET_KEY != LEGACY_PUBLIC_SECRET_KEY
    assert crypto.decrypt(old) == "old-secret"
    assert "rotate_secrets" in caplog.text
    fresh = crypto.encrypt("new-secret")
    with pytest.raises(InvalidToken):
        Fernet(crypto._derived_key(LEGACY_PUBLIC_SECRET_KEY)).decrypt(fresh.removeprefix("enc:v1:").encode())
    rotated = crypto.rotate(old)
    assert rotated != old and crypto.decrypt(rotated) == "old-secret"
    with pytest.raises(InvalidToken):
        Fernet(crypto._derived_key(LEGACY_PUBLIC_SECRET_KEY)).decrypt(
            rotated.removeprefix("enc:v1:").encode()
        )
