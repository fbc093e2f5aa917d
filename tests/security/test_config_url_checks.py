"""Issue 16 #9: private, loopback and metadata URLs are refused when a config is saved.

On main they were accepted for channels, webhooks, connectors and handler senders and only
refused at send time, so an admin learnt nothing until every message failed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
INTERNAL = ["http://127.0.0.1:9/send", "http://169.254.169.254/latest/meta-data", "http://10.1.2.3/x",
            "http://[::1]:8080/x", "http://localhost:8000/x"]  # fmt: skip


@pytest.fixture
def private_urls_off(settings: Any) -> None:
    settings.FLOWGATE_ALLOW_PRIVATE_URLS = False


def _ex(url: str) -> dict[str, Any]:
    return {
        "type": "EX",
        "name": "EX",
        "address": "+250788000000",
        "country": "RW",
        "config": {"send_url": url},
    }


def test_channels_webhooks_connectors_and_senders_refuse_internal_urls(
    live_asgi: Any, token: str, private_urls_off: None
) -> None:
    twilio = (ROOT / "aggregators" / "connectors" / "twilio.xml").read_text()
    with live_asgi.client(headers={"Authorization": f"Token {token}"}) as http:
        for url in INTERNAL:
            answer = http.post("/api/v1/channels", json=_ex(url))
            assert answer.status_code == 400, (url, answer.text)
            assert "private/loopback/link-local" in answer.text and "send_url" in answer.text

            answer = http.post("/api/v1/webhooks", json={"url": url, "events": ["message.received"]})
            assert answer.status_code == 400 and "private/loopback/link-local" in answer.text, (
                url,
                answer.text,
            )

            answer = http.post("/rest/messageservice.sender.add", data={"auth": token, "CODE": "c", "TYPE": "SMS",
                                                                         "NAME": "n", "HANDLER": url})  # fmt: skip
            assert answer.status_code == 400, (url, answer.text)
            assert answer.json()["error"] == "ERROR_SENDER_VALIDATION_FAILURE"
            assert "private/loopback/link-local" in answer.json()["error_description"]

        xml = twilio.replace("https://api.twilio.com", "http://169.254.169.254")
        answer = http.post("/api/v1/connectors", json={"name": "Metadata", "xml": xml})
        assert answer.status_code == 400, answer.text
        error = answer.json()["errors"][0]
        assert error["line"] > 1 and "169.254.169.254" in error["message"]

        # Public addresses are still accepted (no DNS needed for an address).
        assert http.post("/api/v1/channels", json=_ex("https://93.184.216.34/send")).status_code == 201
        assert http.post("/api/v1/connectors", json={"name": "Twilio copy", "xml": twilio}).status_code == 201


def test_deployments_that_allow_private_urls_can_save_them(live_asgi: Any, token: str, settings: Any) -> None:
    settings.FLOWGATE_ALLOW_PRIVATE_URLS = True
    with live_asgi.client(headers={"Authorization": f"Token {token}"}) as http:
        assert http.post("/api/v1/channels", json=_ex("http://10.1.2.3/send")).status_code == 201
