"""A refused access token, end to end: the shipped MTN connector against a real local provider.

The connector language says a send answered 401 drops the channel's cached `<token>`, and a
message whose cached token was refused is errored and retried; the retry fetches a new token and
sends with it. A token fetched for the very send it fails is a credentials problem: that message
fails at once. Both paths run through the API, the worker and the HTTP fake provider.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from aggregators.xc.token import KEY_PREFIX
from channels_app import queue
from channels_app.models import Msg
from tests.aggregators.external.test_provider_cases import _seed_token
from tests.conftest import run_jobs

from .conftest import Answer
from .helpers import make_channel, queue_message

FIELDS = {"api_key": "customer-key", "secret": "customer-secret123"}
TOKEN_PATH = "/v1/oauth/access_token"
SEND_PATH = "/v2/messages/sms/outbound"
REFUSED = Answer(401, b'{ "error": "failed" }', "application/json")
FRESH = Answer(200, b'{"access_token": "FRESH_TOKEN", "expires_in": "3600"}', "application/json")
SENT = Answer(201, b'{ "transactionId":"OzYDlvf3SQVc" }', "application/json")


def _cached_tokens(channel: dict) -> list[Any]:
    redis = queue.connection()
    return [redis.get(key) for key in redis.scan_iter(f"{KEY_PREFIX}{channel['uuid']}:*")]


def _statuses(row: Msg) -> list[str]:
    return list(row.events.filter(event_type="status").order_by("id").values_list("status", flat=True))


def test_a_refused_cached_token_is_dropped_refetched_and_the_message_sent(api, provider_server, settings):
    settings.FLOWGATE_SEND_BACKOFF_SECONDS = 0  # the same drain claims the errored message again
    channel = make_channel(api, "mtn", provider_server, fields=FIELDS)
    _seed_token(channel, "STALE_TOKEN")
    provider_server.sends = [REFUSED, FRESH, SENT]
    msg = queue_message(api, channel, "mtn")
    run_jobs()

    paths = [urlsplit(seen.path).path for seen in provider_server.requests]
    assert paths == [SEND_PATH, TOKEN_PATH, SEND_PATH]
    stale, fetch, resend = provider_server.requests
    assert stale.headers["Authorization"] == "Bearer STALE_TOKEN"
    assert urlsplit(fetch.path).query == "grant_type=client_credentials"
    assert dict(parse_qsl(fetch.body.decode())) == {
        "client_id": "customer-key",
        "client_secret": "customer-secret123",
    }
    assert resend.headers["Authorization"] == "Bearer FRESH_TOKEN"
    assert resend.json()["clientCorrelator"] == msg["uuid"]

    row = Msg.objects.get(uuid=msg["uuid"])
    assert (row.status, row.external_id, row.attempts) == ("sent", "OzYDlvf3SQVc", 2)
    assert _statuses(row) == ["queued", "errored", "sent"]
    assert _cached_tokens(channel) == [b"FRESH_TOKEN"]  # the stale one is gone, the new one kept


def test_a_token_fetched_for_the_send_and_refused_fails_the_message(api, provider_server, settings):
    settings.FLOWGATE_SEND_BACKOFF_SECONDS = 0  # a retry, were there one, would happen in this drain
    channel = make_channel(api, "mtn", provider_server, fields=FIELDS)
    provider_server.sends = [FRESH, REFUSED]
    msg = queue_message(api, channel, "mtn")
    run_jobs()

    assert [urlsplit(seen.path).path for seen in provider_server.requests] == [TOKEN_PATH, SEND_PATH]
    row = Msg.objects.get(uuid=msg["uuid"])
    assert (row.status, row.attempts) == ("failed", 1)
    assert _statuses(row) == ["queued", "failed"]
    assert _cached_tokens(channel) == []  # dropped: the next message fetches again
