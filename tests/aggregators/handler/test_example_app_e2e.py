"""The example handler app, run as a real process over local HTTP, through the whole loop."""

from __future__ import annotations

import re
import time

from channels_app.models import Channel, Msg
from tests.aggregators.handler.helpers import ExampleApp, wait_until
from tests.conftest import run_jobs


def test_register_send_receive_report_delivered(live_asgi, workspace, token) -> None:
    web = live_asgi.client(headers={"Authorization": f"Token {token}"})
    # The admin installs the app: it gets OAuth-style tokens (shown once).
    issued = web.post("/api/v1/tokens/apps", json={"name": "Example SMS app"})
    assert issued.status_code == 201, issued.text
    tokens = issued.json()
    assert tokens["scope"] == "messageservice" and tokens["refresh_token"] and tokens["expires_in"] == 3600

    app = ExampleApp(
        "--flowgate", live_asgi.url,
        "--token", tokens["access_token"],
        "--port", "0",
        "--code", "example_sms",
        "--application-token", tokens["application_token"],
    )  # fmt: skip
    try:
        registered = app.wait_for("registered")
        assert registered["answer"]["result"] is True

        # 1. The sender is a channel of the workspace, its secrets masked.
        channels = [c for c in web.get("/api/v1/channels").json() if c["type"] == "HX"]
        assert len(channels) == 1
        hx = channels[0]
        assert hx["config"]["code"] == "example_sms"
        assert hx["config"]["handler"] == registered["handler"]
        assert hx["config"]["application_token"] == "********"

        # 2. A message sent through it is posted to the app's handler as a form.
        sent = web.post(
            "/api/v1/messages", json={"channel": hx["uuid"], "to": "+250788123123", "text": "Hello app"}
        )
        assert sent.status_code == 201, sent.text
        msg = sent.json()
        started = time.time()
        run_jobs()
        form = app.wait_for("received")["form"]
        assert re.fullmatch(r"[0-9a-f]{32}", form["message_id"])
        assert form["message_id"] == msg["uuid"].replace("-", "")
        assert form["type"] == "SMS" and form["code"] == "example_sms"
        assert form["message_to"] == "+250788123123" and form["message_body"] == "Hello app"
        assert form["properties[phone_number]"] == "+250788123123"
        assert form["properties[message_text]"] == "Hello app"
        assert abs(int(form["ts"]) - started) < 30
        # Bitrix's binding: the CRM entity the message belongs to (3 = contact) and its id.
        assert form["bindings[0][OWNER_TYPE_ID]"] == "3"
        assert form["bindings[0][OWNER_ID]"] == str(Msg.objects.get(uuid=msg["uuid"]).contact_id)

        # 3. The app reports "delivered" with the token that came with the message.
        reported = app.wait_for("reported")
        assert reported["answer"]["result"] is True, reported
        assert set(reported["answer"]["time"]) >= {"start", "finish", "duration"}

        # 4. The message is delivered, through the status service (event log says so).
        def delivered() -> dict | None:
            detail = web.get(f"/api/v1/messages/{msg['uuid']}").json()
            return detail if detail["status"] == "delivered" else None

        detail = wait_until(delivered)
        assert detail["delivered_on"] and detail["sent_on"]
        assert any(e["type"] == "handler_app" and e["status"] == "delivered" for e in detail["events"])
        # The access token sent to the app never lands in the message log.
        http_logs = [e for e in detail["events"] if e["type"] == "http"]
        assert http_logs and "access_token" not in str(http_logs)
    finally:
        app.stop()
    assert Msg.objects.get(uuid=msg["uuid"]).status == "delivered"
    assert Channel.objects.get(uuid=hx["uuid"]).workspace == workspace
