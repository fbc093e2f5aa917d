"""The webhooks screen: subscribe (secret shown once), deliveries with attempts and codes, replay, delete."""

from __future__ import annotations

import re
from typing import Any

from channels_app.models import WebhookDelivery, WebhookSubscription
from channels_app.services import webhooks as webhook_service
from tests.conftest import run_jobs


def test_create_shows_the_secret_once_then_masked(client_in: Any, workspace: Any) -> None:
    response = client_in.post("/settings/webhooks/", {"url": "https://example.org/hook",
                                                      "events": ["message.received", "flow.completed"]})  # fmt: skip
    assert response.status_code == 201
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    subscription = WebhookSubscription.objects.get(workspace=workspace)
    assert subscription.events == ["flow.completed", "message.received"]
    page = response.content.decode()
    assert f'id="new-secret" value="{subscription.plain_secret}"' in page
    again = client_in.get("/settings/webhooks/").content.decode()
    assert subscription.plain_secret not in again
    assert subscription.plain_secret[:4] + "*" * 12 in again
    assert f'data-webhook-uuid="{subscription.uuid}"' in again


def test_bad_subscriptions_are_refused(client_in: Any, workspace: Any) -> None:
    cases = [
        ({"url": "ftp://example.org", "events": ["message.received"]}, "http:// or https://"),
        ({"url": "https://example.org/hook"}, "events must be a non-empty list"),
        ({"url": "https://example.org/hook", "events": ["msg.nope"]}, "unknown events"),
    ]
    for data, message in cases:
        response = client_in.post("/settings/webhooks/", data)
        assert response.status_code == 400 and message in response.content.decode(), data
    assert not WebhookSubscription.objects.exists()
    # the typed URL is kept for correction
    page = client_in.post("/settings/webhooks/", {"url": "https://typed.example/x"}).content.decode()
    assert 'value="https://typed.example/x"' in page


def test_deliveries_show_status_attempts_codes_and_replay(
    client_in: Any, workspace: Any, aggregator: Any, settings: Any
) -> None:
    settings.FLOWGATE_WEBHOOK_MAX_ATTEMPTS = 1  # one refusal makes it "failed" at once
    subscription = webhook_service.create_subscription(
        workspace=workspace, url=f"{aggregator.url}/hook", events=["message.received"]
    )
    aggregator.script.append((503, '{"busy": true}', 0.0))
    webhook_service.emit(workspace_id=workspace.id, event="message.received", data={"text": "first"})
    run_jobs()
    failed = WebhookDelivery.objects.get(subscription=subscription)
    assert failed.status == "failed" and failed.last_status_code == 503

    page = client_in.get(f"/settings/webhooks/{subscription.uuid}/").content.decode()
    row = re.search(rf'<tr data-delivery-uuid="{failed.uuid}" data-status="failed">.*?</tr>', page, re.S)
    assert row, page
    assert '<td data-label="Attempts" class="attempts">1</td>' in row.group(0)
    assert '<span class="code bad">503</span>' in row.group(0)
    assert "receiver answered HTTP 503" in row.group(0) and "{&quot;busy&quot;: true}" in row.group(0)

    response = client_in.post(f"/settings/webhooks/deliveries/{failed.uuid}/replay")
    assert response.status_code == 302 and response["Location"] == f"/settings/webhooks/{subscription.uuid}/"
    run_jobs()
    replayed = WebhookDelivery.objects.exclude(id=failed.id).get()
    assert replayed.status == "delivered" and replayed.last_status_code == 200
    assert replayed.payload == failed.payload == {"text": "first"}
    body = aggregator.requests[-1]
    assert body.json()["data"] == {"text": "first"}
    assert webhook_service.verify(subscription.plain_secret, body.headers["X-Flowgate-Timestamp"], body.body,
                                  body.headers["X-Flowgate-Signature"])  # fmt: skip

    page = client_in.get(f"/settings/webhooks/{subscription.uuid}/").content.decode()
    assert page.count("data-delivery-uuid=") == 2 and '<span class="code ok">200</span>' in page
    filtered = client_in.get(f"/settings/webhooks/{subscription.uuid}/?status=failed").content.decode()
    assert filtered.count("data-delivery-uuid=") == 1 and str(failed.uuid) in filtered
    listing = client_in.get("/settings/webhooks/").content.decode()
    assert "1 delivered" in listing and "1 failed" in listing

    # the JSON answer, for scripts and the page's own JavaScript
    response = client_in.post(
        f"/settings/webhooks/deliveries/{failed.uuid}/replay", HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 201 and response.json()["status"] == "pending"
    assert client_in.get(f"/settings/webhooks/deliveries/{failed.uuid}/replay").status_code == 405


def test_delete_removes_the_subscription_and_its_log(client_in: Any, workspace: Any) -> None:
    subscription = webhook_service.create_subscription(
        workspace=workspace, url="http://127.0.0.1:9/hook", events=["call.event"]
    )
    webhook_service.emit(workspace_id=workspace.id, event="call.event", data={"x": 1})
    assert client_in.post(f"/settings/webhooks/{subscription.uuid}/delete").status_code == 302
    assert not WebhookSubscription.objects.exists() and not WebhookDelivery.objects.exists()
    assert client_in.post(f"/settings/webhooks/{subscription.uuid}/delete").status_code == 404


def test_another_workspaces_webhooks_are_404(client_in: Any, other_workspace: Any) -> None:
    theirs = webhook_service.create_subscription(
        workspace=other_workspace, url="https://their.example/hook", events=["message.received"]
    )
    webhook_service.emit(workspace_id=other_workspace.id, event="message.received", data={"t": "secret"})
    delivery = WebhookDelivery.objects.get()
    assert "their.example" not in client_in.get("/settings/webhooks/").content.decode()
    assert client_in.get(f"/settings/webhooks/{theirs.uuid}/").status_code == 404
    assert client_in.post(f"/settings/webhooks/{theirs.uuid}/delete").status_code == 404
    assert client_in.post(f"/settings/webhooks/deliveries/{delivery.uuid}/replay").status_code == 404
    assert WebhookSubscription.objects.count() == 1 and WebhookDelivery.objects.count() == 1
