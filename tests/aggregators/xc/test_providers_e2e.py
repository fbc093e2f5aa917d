"""Every built-in SMS connector end to end: real local provider server, the worker, callbacks.

The provider server answers with the recorded bodies in tests/aggregators/connector/fixtures;
callbacks are posted to the live ASGI server exactly as the provider would.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from aggregators.xc import jobs
from channels_app.models import Msg
from tests.conftest import run_jobs

from .conftest import case, fixture_bytes
from .helpers import make_channel, queue_message

SMS_PROVIDERS = ["twilio", "bulksms", "plivo", "infobip", "vonage", "africastalking", "telnyx"]


def _expected_body(provider: str, callback: str, msg_uuid: str) -> tuple[str, object]:
    spec = case(provider)
    want = spec["request"]
    kind = "json" if "json" in want else "form"
    text = json.dumps(want[kind])
    text = text.replace(spec["ctx"]["callback"], callback).replace(spec["ctx"]["messageid"], msg_uuid)
    return kind, json.loads(text)


def _post_callback(web, channel, provider: str, item: dict) -> object:
    url = f"/c/xc/{channel['uuid']}/callback"
    if "query_file" in item:
        return web.get(url + "?" + fixture_bytes(provider, item["query_file"]).decode().strip())
    return web.post(
        url, content=fixture_bytes(provider, item["file"]), headers={"Content-Type": item["content_type"]}
    )


@pytest.mark.parametrize("provider", SMS_PROVIDERS)
def test_send_map_callback_or_poll_ends_delivered(provider, live_asgi, api, provider_server, settings):
    spec = case(provider)
    ok = spec["responses"][0]
    assert ok["expect"]["status"] == "processing"
    provider_server.sends = [provider_server.recorded(provider, ok["file"], ok["status"], ok["content_type"])]
    channel = make_channel(api, provider, provider_server)
    msg = queue_message(api, channel, provider)

    run_jobs()

    (sent,) = provider_server.requests
    want = spec["request"]
    parts = urlsplit(want["url"])
    assert sent.method == want["method"]
    assert sent.path == parts.path + (f"?{parts.query}" if parts.query else "")
    headers = {k.lower(): v for k, v in sent.headers.items()}
    for name, value in want["headers"].items():
        assert headers.get(name.lower()) == value, name
    kind, body = _expected_body(provider, channel["urls"]["callback"], msg["uuid"])
    assert (sent.json() if kind == "json" else sent.form()) == body
    detail = api.get(f"/api/v1/messages/{msg['uuid']}").json()
    assert detail["status"] == "sent", detail
    assert detail["external_id"] == ok["expect"]["external_id"]

    delivered = [c for c in spec["callbacks"] if c["expect"][0]["status"] == "delivered"]
    if delivered:
        web = live_asgi.client()
        response = _post_callback(web, channel, provider, delivered[0])
        assert response.status_code == 200, response.text
        assert response.json()["results"][0]["status"] == "delivered"
    else:
        # No callback in this connector: the periodic poll job asks the provider.
        poll = spec["poll"]
        provider_server.polls = [provider_server.recorded(provider, poll["file"], 200, poll["content_type"])]
        settings.FLOWGATE_XC_POLL_FIRST_SECONDS = 0
        assert jobs.poll_statuses()["poll_wakeups"] == 1
        run_jobs()
        assert provider_server.requests[-1].method == "GET"
        assert provider_server.requests[-1].path == urlsplit(poll["url"]).path

    detail = api.get(f"/api/v1/messages/{msg['uuid']}").json()
    assert detail["status"] == "delivered", detail
    assert detail["delivered_on"]


def _failure_cases():
    for provider in SMS_PROVIDERS:
        for i, item in enumerate(case(provider)["responses"]):
            if item["expect"]["status"] == "failed" and not item["expect"].get("retryable"):
                yield pytest.param(provider, item, id=f"{provider}-{i}-{item['status']}")


@pytest.mark.parametrize(("provider", "item"), list(_failure_cases()))
def test_failure_answer_ends_failed_with_the_providers_reason(provider, item, api, provider_server):
    provider_server.sends = [
        provider_server.recorded(provider, item["file"], item["status"], item["content_type"])
    ]
    channel = make_channel(api, provider, provider_server)
    msg = queue_message(api, channel, provider)
    run_jobs()
    detail = api.get(f"/api/v1/messages/{msg['uuid']}").json()
    assert detail["status"] == "failed"
    assert detail["error"] == item["expect"]["error"]
    assert len(provider_server.requests) == 1  # a refusal is final: never retried
    http_log = [e for e in detail["events"] if e["type"] == "http"]
    assert http_log and http_log[0]["data"]["status_code"] == item["status"]


@pytest.mark.parametrize(
    ("provider", "busy_file", "busy_status", "reason"),
    [
        ("telnyx", "send_busy.json", 503, "Please retry (code 10011)"),
        # Kills the mutation "a connector answer 429 is no longer retryable": a rate-limited
        # send must be errored and tried again, never failed on the first 429.
        ("twilio", "send_rate_limited.xml", 429, "Too Many Requests (code 20429)"),
    ],
)
def test_busy_provider_is_retried_then_sent(
    provider, busy_file, busy_status, reason, api, provider_server, settings
):
    settings.FLOWGATE_SEND_BACKOFF_SECONDS = 0
    ok = case(provider)["responses"][0]
    content_type = ok["content_type"]
    provider_server.sends = [
        provider_server.recorded(provider, busy_file, busy_status, content_type),
        provider_server.recorded(provider, ok["file"], ok["status"], content_type),
    ]
    channel = make_channel(api, provider, provider_server)
    msg = queue_message(api, channel, provider)
    run_jobs()  # no backoff: the same job claims the errored message again
    row = Msg.objects.get(uuid=msg["uuid"])
    assert (row.status, row.external_id) == ("sent", ok["expect"]["external_id"])
    assert row.attempts == 2 and len(provider_server.requests) == 2
    statuses = list(row.events.filter(event_type="status").order_by("id").values_list("status", flat=True))
    assert statuses == ["queued", "errored", "sent"]
    errored = row.events.filter(event_type="status", status="errored").get()
    assert errored.description == reason  # the provider's own words


@pytest.mark.parametrize("provider", [p for p in SMS_PROVIDERS if case(p)["callbacks"]])
def test_failed_callback_ends_failed_with_reason(provider, live_asgi, api, provider_server):
    spec = case(provider)
    ok = spec["responses"][0]
    provider_server.sends = [provider_server.recorded(provider, ok["file"], ok["status"], ok["content_type"])]
    channel = make_channel(api, provider, provider_server)
    msg = queue_message(api, channel, provider)
    run_jobs()
    failed = [c for c in spec["callbacks"] if c["expect"][-1]["status"] == "failed"]
    item = failed[0]
    want = item["expect"][-1]
    if want["message_id"] != ok["expect"]["external_id"]:
        Msg.objects.filter(uuid=msg["uuid"]).update(external_id=want["message_id"])
    response = _post_callback(live_asgi.client(), channel, provider, item)
    assert response.status_code == 200, response.text
    detail = api.get(f"/api/v1/messages/{msg['uuid']}").json()
    assert detail["status"] == "failed"
    assert detail["error"] == want["error"]
