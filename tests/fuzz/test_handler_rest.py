"""/rest/<method>: the message-service methods handler apps call with their token.

Property: any method name, parameters (query, form with `KEY[sub]` arrays, JSON) and token get
a JSON answer below 500 that is either `{"result": ...}` or `{"error": CODE, ...}`.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from aggregators.handler.rest import METHODS
from tests.fuzz.conftest import EXAMPLES, fuzz_settings, tried
from tests.fuzz.strategies import deep_json, json_trees, with_nul
from tests.security.world import World

pytestmark = pytest.mark.django_db

NAMES = [
    "CODE",
    "TYPE",
    "HANDLER",
    "NAME",
    "DESCRIPTION",
    "MESSAGE_ID",
    "STATUS",
    "code",
    "message_id",
    "status",
]
values = st.one_of(
    st.text(max_size=30),
    with_nul(st.text(max_size=30)),
    st.sampled_from(
        [
            "SMS",
            "delivered",
            "failed",
            "queued",
            "http://127.0.0.1:9/h",
            "http://169.254.169.254/",
            "file:///etc/passwd",
            "",
            "\x00",
            "x" * 3000,
        ]
    ),  # fmt: skip
)
keys = st.one_of(
    st.sampled_from(NAMES),
    st.tuples(st.sampled_from(NAMES), st.text(max_size=5)).map(lambda t: f"{t[0]}[{t[1]}]"),
    st.text(min_size=1, max_size=10),
)
json_values = json_trees(values, max_leaves=10)
methods = st.one_of(
    st.sampled_from(sorted(METHODS)),
    st.sampled_from(sorted(METHODS)),  # twice: the real methods get most of the budget
    st.sampled_from(sorted(METHODS)).map(lambda m: m + ".json"),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz.", min_size=1, max_size=40),
)


def test_rest_methods_never_5xx(fuzz_world: World) -> None:
    good_tokens = [fuzz_world.app_token, fuzz_world.token]

    @settings(fuzz_settings, max_examples=EXAMPLES * 3)  # five methods and the unknown ones
    @given(
        methods,
        st.dictionaries(keys, values, max_size=6),
        st.one_of(st.sampled_from(good_tokens), st.text(max_size=20)),
        st.sampled_from(["form", "query", "json", "bearer"]),
        json_values,
    )
    def check(method: str, params: dict[str, str], token: str, how: str, extra: Any) -> None:
        tried(f"handler.rest {method if method in METHODS else '(other)'}")
        url = f"/rest/{method}"
        client = Client()
        if how == "form":
            response = client.post(
                url, urlencode({**params, "auth": token}), content_type="application/x-www-form-urlencoded"
            )
        elif how == "query":
            response = client.get(url + "?" + urlencode({**params, "auth": token}))
        elif how == "json":
            body = {**params, "auth": token, "EXTRA": extra}
            response = client.post(url, json.dumps(body), content_type="application/json")
        else:
            response = client.post(
                url, json.dumps(extra), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
            )
        assert response.status_code < 500, response.content[:500]
        body = response.json()
        assert ("result" in body) != ("error" in body), body

    check()


def test_rest_deep_json_bodies_are_refused_not_5xx(fuzz_world: World) -> None:
    good_tokens = [fuzz_world.app_token, fuzz_world.token]

    @fuzz_settings
    @given(methods, st.sampled_from(good_tokens), deep_json(keys=keys))
    def check(method: str, token: str, body: str) -> None:
        tried("handler.rest (deep JSON)")
        response = Client().post(
            f"/rest/{method}", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
        )
        assert response.status_code < 500, response.content[:500]
        assert "error" in response.json()

    check()
