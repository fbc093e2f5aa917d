"""Issue 16 #7: External API header values and send-URL credentials are secrets.

On main `headers` values and `send_url` query keys (API keys) were stored in clear, returned by
the API and shown on the channel page.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.db import connection
from django.test import Client

from channels_app.models import Channel
from tests.conftest import run_jobs

HEADER_SECRET = "hdr-SECRET-4411"
QUERY_SECRET = "url-SECRET-5522"
URL_PASSWORD = "pw-SECRET-6633"
SECRETS = (HEADER_SECRET, QUERY_SECRET, URL_PASSWORD)


def _send_and_capture(http: Any, channel_uuid: str, aggregator: Any) -> Any:
    sent = http.post(
        "/api/v1/messages", json={"channel": channel_uuid, "to": "tel:+250788123123", "text": "hi"}
    )
    assert sent.status_code in (200, 201), sent.text
    run_jobs()
    log = http.get(f"/api/v1/messages/{sent.json()['uuid']}").text  # the message's HTTP log
    assert not any(secret in log for secret in SECRETS), log
    return aggregator.requests[-1]


def test_header_values_and_url_credentials_are_masked_and_encrypted(
    live_asgi: Any, token: str, workspace: Any, aggregator: Any
) -> None:
    host = urlsplit(aggregator.url).netloc
    config = {
        "send_url": f"http://gw:{URL_PASSWORD}@{host}/send?api_key={QUERY_SECRET}&to={{{{to}}}}&user=ngo",
        "headers": {"X-Api-Key": HEADER_SECRET, "X-Account": "acct-1"},
        "content_type": "urlencoded",
    }
    with live_asgi.client(headers={"Authorization": f"Token {token}"}) as http:
        created = http.post("/api/v1/channels", json={"type": "EX", "name": "Keys", "address": "+250788000000",
                                                      "country": "RW", "config": config})  # fmt: skip
        assert created.status_code == 201, created.text
        uuid = created.json()["uuid"]
        shown = http.get(f"/api/v1/channels/{uuid}").json()
        for text in (created.text, json.dumps(shown)):
            assert not any(secret in text for secret in SECRETS), text
        assert shown["config"]["headers"] == {"X-Api-Key": "********", "X-Account": "********"}
        shown_url = urlsplit(shown["config"]["send_url"])
        assert shown_url.hostname == "127.0.0.1" and shown_url.path == "/send"  # still says where it sends
        assert parse_qs(shown_url.query)["api_key"] == ["********"] and parse_qs(shown_url.query)["user"] == [
            "ngo"
        ]

        with connection.cursor() as cursor:
            cursor.execute(f"SELECT config FROM {Channel._meta.db_table} WHERE uuid = %s", [uuid])
            raw = json.dumps(cursor.fetchone()[0])
        assert not any(secret in raw for secret in SECRETS) and "enc:v1:" in raw

        request = _send_and_capture(http, uuid, aggregator)
        assert request.headers["X-Api-Key"] == HEADER_SECRET
        assert f"api_key={QUERY_SECRET}" in request.path

        # The masked config sent back unchanged (what an edit form does) keeps the stored values.
        patched = http.patch(f"/api/v1/channels/{uuid}", json={"config": shown["config"]})
        assert patched.status_code == 200, patched.text
        request = _send_and_capture(http, uuid, aggregator)
        assert request.headers["X-Api-Key"] == HEADER_SECRET and f"api_key={QUERY_SECRET}" in request.path

    page = Client()
    page.force_login(workspace.memberships.first().user)
    html = page.get(f"/channels/{uuid}/").content.decode()
    assert "Configuration" in html and not any(secret in html for secret in SECRETS)
