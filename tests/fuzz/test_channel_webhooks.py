"""Every provider-facing URL: /c/<type>/<uuid>/<action> for every channel type and action.

Properties: through the Django view, any method, query, form, JSON, XML or raw body and any
headers get an answer below 500; the fast-path parser (`parse_inbound`, used by the ASGI
receive route) raises nothing but BadRequest/InvalidURN for the same inputs.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from channels_app.types.registry import all_types
from tests.fuzz.conftest import fuzz_settings, tried
from tests.fuzz.strategies import deep_json, json_trees, with_nul
from tests.security.world import World

pytestmark = pytest.mark.django_db

# Field names the receive/status handlers and the built-in connectors read, plus noise.
KEYS = [
    "from", "sender", "text", "date", "id", "uuid", "to", "status", "message_id", "external_id",
    "MessageSid", "SmsSid", "MessageStatus", "ErrorCode", "From", "To", "Body", "CallSid", "CallStatus",
    "CallDuration", "RecordingUrl", "Digits", "NumMedia", "MediaUrl0", "messageId", "msisdn", "phoneNumber",
    "dlr", "err", "data", "results", "event", "type", "timestamp",
]  # fmt: skip
values = st.one_of(
    st.text(max_size=30),
    with_nul(st.text(max_size=30)),
    st.sampled_from(
        [
            "+250788123123",
            "tel:+250788123123",
            "",
            "0",
            "-1",
            "2024-02-30T25:00:00Z",
            "delivered",
            "failed",
            "completed",
            "null",
            "\x00",
            "9" * 40,
            "a" * 2000,
        ]
    ),  # fmt: skip
)
keys = st.one_of(st.sampled_from(KEYS), st.text(min_size=1, max_size=12))
params = st.dictionaries(keys, values, max_size=8)
json_values = json_trees(values, keys=keys, width=4, max_leaves=15)
xml_bodies = st.one_of(
    params.map(lambda p: "<r>" + "".join(f"<{_tag(k)}>{_esc(v)}</{_tag(k)}>" for k, v in p.items()) + "</r>"),
    st.text(max_size=200),
    st.just('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'),
)
headers = st.dictionaries(
    st.sampled_from(
        [
            "HTTP_X_TWILIO_SIGNATURE",
            "HTTP_USER_AGENT",
            "HTTP_X_FORWARDED_FOR",
            "HTTP_AUTHORIZATION",
            "HTTP_CONTENT_ENCODING",
            "HTTP_ACCEPT",
        ]
    ),  # fmt: skip
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
    max_size=3,
)


def _tag(key: str) -> str:
    cleaned = "".join(c for c in key if c.isalnum())
    return cleaned if cleaned[:1].isalpha() else "k" + cleaned


def _esc(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace("\x00", "")


def endpoints() -> list[tuple[str, str, str]]:
    """(type slug, action, World.ids key of the channel) for every channel type's webhook actions."""
    own = {"XC": ["channel_XC", "channel_XCV"]}
    found = []
    for channel_type in all_types():
        for action in channel_type.views():
            for key in own.get(channel_type.code, [f"channel_{channel_type.code}"]):
                found.append((channel_type.slug, action, key))
    return found


ENDPOINTS = endpoints()


@st.composite
def webhook_requests(draw: st.DrawFn, urls: list[str]) -> dict[str, Any]:
    url = draw(st.sampled_from(urls))
    kind = draw(st.sampled_from(["query", "form", "json", "deep", "xml", "raw"]))
    query = draw(params) if kind == "query" or draw(st.booleans()) else {}
    request: dict[str, Any] = {"url": url + ("?" + urlencode(query) if query else ""), "extra": draw(headers)}
    if kind == "query":
        request["method"] = draw(st.sampled_from(["GET", "POST", "PUT", "HEAD"]))
        request["body"], request["content_type"] = b"", "application/octet-stream"
    else:
        request["method"] = "POST"
        if kind == "form":
            request["body"] = urlencode(draw(params)).encode()
            request["content_type"] = "application/x-www-form-urlencoded"
        elif kind == "json":
            request["body"] = json.dumps(draw(json_values)).encode()
            request["content_type"] = "application/json"
        elif kind == "deep":
            request["body"] = draw(deep_json(keys=keys)).encode()
            request["content_type"] = "application/json"
        elif kind == "xml":
            request["body"] = draw(xml_bodies).encode()
            request["content_type"] = draw(st.sampled_from(["application/xml", "text/xml"]))
        else:
            request["body"] = draw(st.binary(max_size=300))
            request["content_type"] = draw(
                st.sampled_from(
                    [
                        "application/json",
                        "application/x-www-form-urlencoded",
                        "multipart/form-data",
                        "text/plain; charset=utf-16",
                        "application/xml; charset=latin-1",
                        "",
                    ]
                )  # fmt: skip
            )
    return request


def test_every_type_has_webhooks_to_fuzz() -> None:
    assert {(slug, action) for slug, action, _ in ENDPOINTS} >= {("ex", "receive"), ("xc", "callback")}


@pytest.mark.parametrize(("slug", "action", "channel_key"), ENDPOINTS)
def test_webhook_any_input_never_5xx(fuzz_world: World, slug: str, action: str, channel_key: str) -> None:
    url = f"/c/{slug}/{fuzz_world.ids[channel_key]}/{action}"

    @fuzz_settings
    @given(webhook_requests([url]))
    def check(request: dict[str, Any]) -> None:
        tried(f"channels.webhook {slug}/{action} ({channel_key})")
        response = Client().generic(
            request["method"],
            request["url"],
            request["body"],
            content_type=request["content_type"],
            **request["extra"],
        )
        assert response.status_code < 500, (request, response.content[:500])

    check()


def test_fast_path_parser_raises_only_bad_request(fuzz_world: World) -> None:
    from channels_app.inbound.request import BadRequest, InboundRequest
    from channels_app.models import Channel
    from channels_app.urns import InvalidURN

    channels = [
        c for c in Channel.objects.filter(workspace=fuzz_world.workspace) if c.type.views().get("receive")
    ]
    assert {c.channel_type for c in channels} >= {"EX", "XC"}

    @fuzz_settings
    @given(st.sampled_from(channels), webhook_requests(["/x"]))
    def check(channel: Any, request: dict[str, Any]) -> None:
        tried(f"channels.parse_inbound {channel.channel_type}")
        query = dict(parse_qsl(request["url"].partition("?")[2]))
        inbound = InboundRequest(
            method=request["method"], content_type=request["content_type"], query=query, body=request["body"]
        )
        with contextlib.suppress(BadRequest, InvalidURN):  # the documented refusals
            channel.type.parse_inbound(channel, inbound)

    check()
