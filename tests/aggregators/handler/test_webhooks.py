"""Event webhooks: signed, retried with backoff, logged, replayable, never lost."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from channels_app import queue
from channels_app.models import Msg, WebhookDelivery
from channels_app.services import webhooks
from channels_app.worker import run_periodic_jobs
from channels_app.workspaces import create_workspace
from tests.conftest import Recorded, run_jobs


def _subscribe(api: Any, url: str, events: list[str]) -> dict[str, Any]:
    response = api.post(
        "/api/v1/webhooks", data={"url": url, "events": events}, content_type="application/json"
    )
    assert response.status_code == 201, response.json()
    return response.json()


def _verified(request: Recorded, secret: str) -> dict[str, Any]:
    """What a receiver does: check the signature over timestamp + raw body, then parse."""
    headers = {k.lower(): v for k, v in request.headers.items()}
    timestamp = headers["x-flowgate-timestamp"]
    # signed when sent: a receiver's freshness window is measured against its own clock on arrival
    assert abs(int(timestamp) - request.received_at) < 60
    assert webhooks.verify(secret, timestamp, request.body, headers["x-flowgate-signature"])
    assert not webhooks.verify("wrong-secret", timestamp, request.body, headers["x-flowgate-signature"])
    body = json.loads(request.body)
    assert body["delivery"] == headers["x-flowgate-delivery"] and body["event"] == headers["x-flowgate-event"]
    return body


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "FLOWGATE_WEBHOOK_BACKOFF_SECONDS", 0.05)


def test_received_and_status_events_are_signed(api, ex_channel, aggregator) -> None:
    hook = _subscribe(api, f"{aggregator.url}/hook", ["message.received", "message.status_changed"])
    assert len(hook["secret"]) == 48
    assert api.get(f"/api/v1/webhooks/{hook['uuid']}").json()["secret"] != hook["secret"]

    client = Client()
    assert (
        client.post(f"/c/ex/{ex_channel.uuid}/receive", {"from": "+250788123123", "text": "hi"}).status_code
        == 200
    )
    run_jobs()
    received = [_verified(r, hook["secret"]) for r in aggregator.requests if r.path == "/hook"]
    assert [b["event"] for b in received] == ["message.received"]
    inbound = Msg.objects.get(direction="in")
    assert received[0]["data"]["uuid"] == str(inbound.uuid) and received[0]["data"]["contact"]

    reply = api.post(
        "/api/v1/messages",
        data={
            "channel": str(ex_channel.uuid),
            "to": "+250788123123",
            "text": "hello",
            "response_to": str(inbound.uuid),
        },
        content_type="application/json",
    ).json()
    run_jobs()
    client.post(f"/c/ex/{ex_channel.uuid}/delivered", {"id": str(reply["id"])})
    run_jobs()
    events = [_verified(r, hook["secret"]) for r in aggregator.requests if r.path == "/hook"]
    statuses = [
        (b["data"]["uuid"], b["data"]["status"]) for b in events if b["event"] == "message.status_changed"
    ]
    assert statuses == [(reply["uuid"], "sent"), (reply["uuid"], "delivered")]
    assert events[-1]["data"]["response_to"] == str(inbound.uuid)


def test_receiver_failing_three_times_gets_it_on_the_fourth(
    api, ex_channel, aggregator, fast_retries
) -> None:
    hook = _subscribe(api, f"{aggregator.url}/hook", ["message.received"])
    aggregator.script = [(500, "down", 0.0), (502, "down", 0.0), (503, "down", 0.0)]
    Client().post(f"/c/ex/{ex_channel.uuid}/receive", {"from": "+250788123123", "text": "retry"})
    run_jobs()
    deadline = time.monotonic() + 10
    while WebhookDelivery.objects.filter(status="delivered").count() == 0 and time.monotonic() < deadline:
        time.sleep(0.06)
        run_periodic_jobs()  # the scheduler tick picks up what is due again
    hook_requests = [r for r in aggregator.requests if r.path == "/hook"]
    assert len(hook_requests) == 4
    bodies = [_verified(r, hook["secret"]) for r in hook_requests]
    assert len({b["delivery"] for b in bodies}) == 1  # same delivery id: receivers can dedupe

    deliveries = api.get(f"/api/v1/webhooks/{hook['uuid']}/deliveries").json()
    assert len(deliveries) == 1
    delivery = deliveries[0]
    assert delivery["status"] == "delivered" and delivery["attempts"] == 4
    assert [a["status_code"] for a in delivery["attempt_log"]] == [500, 502, 503, 200]
    assert delivery["attempt_log"][0]["error"] == "receiver answered HTTP 500"
    assert delivery["attempt_log"][0]["response_body"] == "down"


def test_backoff_grows_and_gives_up(workspace, aggregator, monkeypatch) -> None:
    monkeypatch.setattr(settings, "FLOWGATE_WEBHOOK_MAX_ATTEMPTS", 2)
    assert webhooks.retry_delay(1).total_seconds() * 2 == webhooks.retry_delay(2).total_seconds()
    sub = webhooks.create_subscription(
        workspace=workspace, url=f"{aggregator.url}/hook", events=["flow.completed"]
    )
    aggregator.default = (500, "no", 0.0)
    webhooks.emit(workspace_id=workspace.id, event="flow.completed", data={"flow": "x"})
    webhooks.deliver_due()
    delivery = WebhookDelivery.objects.get(subscription=sub)
    assert delivery.status == "pending" and delivery.attempts == 1
    waited = (delivery.next_attempt_on - delivery.attempt_log.get().created_on).total_seconds()
    assert waited >= settings.FLOWGATE_WEBHOOK_BACKOFF_SECONDS * 0.9
    webhooks.deliver_due(now=delivery.next_attempt_on)
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.last_status_code == 500


def test_nothing_lost_when_the_worker_restarts(workspace, aggregator) -> None:
    sub = webhooks.create_subscription(
        workspace=workspace, url=f"{aggregator.url}/hook", events=["call.event"]
    )
    webhooks.emit(workspace_id=workspace.id, event="call.event", data={"call": "a"})
    # The worker dies before running the wake-up job (and Redis forgets it).
    queue.connection().flushdb()
    # Another delivery was mid-POST when the worker died: its lease has run out.
    webhooks.emit(workspace_id=workspace.id, event="call.event", data={"call": "b"})
    WebhookDelivery.objects.filter(payload__call="b").update(status="sending")
    queue.connection().flushdb()
    run_jobs()
    assert aggregator.requests == []

    run_periodic_jobs()  # the restarted worker's first scheduler tick
    calls = sorted(json.loads(r.body)["data"]["call"] for r in aggregator.requests)
    assert calls == ["a", "b"]
    assert set(WebhookDelivery.objects.filter(subscription=sub).values_list("status", flat=True)) == {
        "delivered"
    }


def test_replay_and_isolation(api, workspace, aggregator) -> None:
    hook = _subscribe(api, f"{aggregator.url}/hook", ["flow.completed"])
    webhooks.emit(workspace_id=workspace.id, event="flow.completed", data={"flow": "f1"})
    run_jobs()
    original = api.get(f"/api/v1/webhooks/{hook['uuid']}/deliveries").json()[0]
    replayed = api.post(f"/api/v1/webhooks/deliveries/{original['uuid']}/replay")
    assert replayed.status_code == 201
    run_jobs()
    assert len(aggregator.requests) == 2
    assert [json.loads(r.body)["data"] for r in aggregator.requests] == [{"flow": "f1"}] * 2
    detail = api.get(f"/api/v1/webhooks/deliveries/{replayed.json()['uuid']}").json()
    assert detail["status"] == "delivered" and detail["attempt_log"][0]["status_code"] == 200

    _, other_token = create_workspace(name="Other")
    outsider = Client(HTTP_AUTHORIZATION=f"Token {other_token}")
    assert outsider.get(f"/api/v1/webhooks/{hook['uuid']}").status_code == 404
    assert outsider.post(f"/api/v1/webhooks/deliveries/{original['uuid']}/replay").status_code == 404
    assert outsider.get("/api/v1/webhooks").json() == []


def test_bad_subscriptions_are_400(api) -> None:
    for body in (
        {"url": "ftp://x", "events": ["message.received"]},
        {"url": "http://x", "events": []},
        {"url": "http://x", "events": ["message.read"]},
        {"url": "http://x"},
    ):
        response = api.post("/api/v1/webhooks", data=body, content_type="application/json")
        assert response.status_code == 400 and response.json()["error"], body
