"""Issue 16 #6: deeply nested JSON is a 400 with a reason, never a 500.

On main 50,000 nested brackets raised RecursionError in json.loads: 500 on
/c/ex/<uuid>/receive, /rest/… and the flow import.
"""

from __future__ import annotations

from typing import Any

import pytest

from channels_app.models import Msg

DEEP = "[" * 50_000 + "]" * 50_000
# Under Python's recursion limit, so the parser accepts it; still far beyond any real body.
NESTED_FIELD = '{"from": "+250788123123", "text": "hi", "extra": ' + "[" * 500 + "]" * 500 + "}"


@pytest.mark.parametrize("fast", [True, False], ids=["fast-path", "django-view"])
def test_receive_refuses_deep_json(live_asgi: Any, ex_channel: Any, settings: Any, fast: bool) -> None:
    settings.FLOWGATE_FAST_INGEST = fast
    with live_asgi.client() as http:
        for body in (DEEP, NESTED_FIELD):
            answer = http.post(
                f"/c/ex/{ex_channel.uuid}/receive", content=body, headers={"Content-Type": "application/json"}
            )
            assert answer.status_code == 400, answer.text
            assert "nested too deeply" in answer.json()["error"]
    assert not Msg.objects.exists()


def test_rest_and_api_refuse_deep_json(live_asgi: Any, token: str) -> None:
    json_headers = {"Content-Type": "application/json"}
    with live_asgi.client() as http:
        answer = http.post(
            "/rest/messageservice.sender.list",
            content=DEEP,
            headers={**json_headers, "Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 400
        assert (
            answer.json()["error"] == "INVALID_REQUEST"
            and "nested too deeply" in answer.json()["error_description"]
        )

        api_headers = {**json_headers, "Authorization": f"Token {token}"}
        for body in (DEEP, '{"flows": ' + "[" * 500 + "]" * 500 + "}"):
            answer = http.post("/api/v1/flows/import", content=body, headers=api_headers)
            assert answer.status_code == 400, answer.text
            assert "nested too deeply" in answer.json()["error"]
        for body in (DEEP, '{"type": "EX", "name": "x", "config": ' + '{"a":' * 500 + "1" + "}" * 501):
            answer = http.post("/api/v1/channels", content=body, headers=api_headers)
            assert answer.status_code == 400, answer.text
