"""`call.event` webhooks: each status change of a call reaches a subscribed receiver, signed."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from channels_app.models import Call
from channels_app.services import webhooks
from tests.aggregators.voice.conftest import agent, twilio_channel
from tests.aggregators.voice.helpers import FORM, fixture_bytes
from tests.aggregators.xc.conftest import provider_server
from tests.conftest import run_jobs

__all__ = ["agent", "provider_server", "twilio_channel"]  # fixtures


def _post(url: str, fixture: str) -> Any:
    response = Client().post(url, data=fixture_bytes("twilio_voice", fixture), content_type=FORM)
    assert response.status_code == 200, response.content
    return response


def test_call_status_changes_are_delivered_as_call_events(
    api: Any, agent: Any, twilio_channel: dict[str, Any], aggregator: Any
) -> None:
    response = api.post(
        "/api/v1/webhooks",
        {"url": f"{aggregator.url}/hook", "events": ["call.event"]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    secret = response.json()["secret"]
    base = f"/c/xc/{twilio_channel['uuid']}"

    _post(f"{base}/incoming", "incoming.txt")
    call = Call.objects.get(direction="in")
    _post(f"{base}/status?call={call.uuid}", "status_ringing.txt")  # no change: no event
    _post(f"{base}/status?call={call.uuid}", "status_completed.txt")
    _post(f"{base}/status?call={call.uuid}", "status_completed.txt")  # a provider retry: no event
    run_jobs()

    hooks = [r for r in aggregator.requests if r.path == "/hook"]
    assert len(hooks) == 1
    headers = {k.lower(): v for k, v in hooks[0].headers.items()}
    assert abs(int(headers["x-flowgate-timestamp"]) - hooks[0].received_at) < 60
    assert webhooks.verify(
        secret, headers["x-flowgate-timestamp"], hooks[0].body, headers["x-flowgate-signature"]
    )
    body = json.loads(hooks[0].body)
    assert body["event"] == "call.event" == headers["x-flowgate-event"]
    data = body["data"]
    assert data["uuid"] == str(call.uuid) and data["direction"] == "in"
    assert (data["previous_status"], data["status"], data["event"]) == ("ringing", "completed", "status")
    assert data["duration"] == 42 and data["channel"] == twilio_channel["uuid"]
