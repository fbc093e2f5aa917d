"""The simulator websocket over the live ASGI server: same service as POST /api/v1/simulate."""

from __future__ import annotations

import json
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests import TESTS

FIXTURE = TESTS / "web" / "ui" / "fixtures" / "colour_survey.json"
FLOW = "9f7e1d36-3b0c-4a8e-9d57-000000000001"


def _cookie(email: str = "admin@test.org", password: str = "secret-pass") -> str:
    from django.test import Client

    client = Client()
    assert client.login(username=email, password=password)
    return f"sessionid={client.cookies['sessionid'].value}"


@pytest.fixture
def survey(workspace: Any) -> Any:
    from flows.services.importing import import_export

    import_export(workspace=workspace, data=json.loads(FIXTURE.read_text()))
    return workspace


def _open(live_asgi: Any, cookie: str) -> Any:
    ws = connect(
        live_asgi.url.replace("http", "ws") + "/ws/simulator/", additional_headers={"Cookie": cookie}
    )
    assert json.loads(ws.recv(timeout=5)) == {"kind": "hello"}
    return ws


def _ask(ws: Any, message: Any) -> dict[str, Any]:
    ws.send(message if isinstance(message, str) else json.dumps(message))
    return json.loads(ws.recv(timeout=10))


def _texts(answer: dict[str, Any]) -> list[str]:
    return [e["msg"]["text"] for e in answer["events"] if e["type"] == "msg_created"]


def test_a_session_per_socket_matches_the_http_api(live_asgi: Any, survey: Any, api: Any) -> None:
    with _open(live_asgi, _cookie()) as ws:
        started = _ask(ws, {"flow": FLOW, "input": None, "contact": {"name": "Ada"}})
        assert started["kind"] == "sprint" and started["status"] == "waiting"
        assert _texts(started) == ["What is your favorite color?"]

        wrong = _ask(ws, {"input": "blue"})
        assert _texts(wrong) == ["I only know red. Try again."] and wrong["status"] == "waiting"
        done = _ask(ws, {"input": "I like red"})
        assert _texts(done) == ["Red it is, Ada!"] and done["status"] == "completed"
        assert done["contact"]["name"] == "Ada"
        result = next(iter(done["results"].values()))
        assert result["category"] == "Red" and result["value"] == "red"

        # the same run through the HTTP API gives the same events, results and contact
        http = api.post("/api/v1/simulate", {"flow": FLOW, "inputs": ["blue", "I like red"], "contact": {"name": "Ada"}},
                        content_type="application/json")  # fmt: skip
        assert http.status_code == 200, http.content
        assert _texts(http.json()) == _texts(started) + _texts(wrong) + _texts(done)
        assert {k: (v["value"], v["category"]) for k, v in http.json()["results"].items()} == {
            k: (v["value"], v["category"]) for k, v in done["results"].items()
        }

        # starting again on the same socket begins a fresh session
        again = _ask(ws, {"flow": FLOW, "input": "red"})
        assert _texts(again) == ["What is your favorite color?", "Red it is, Test Contact!"]

    # a second socket has no session of its own yet
    with _open(live_asgi, _cookie()) as other:
        assert _ask(other, {"input": "red"}) == {
            "kind": "error",
            "error": 'start with {"flow": <uuid>} first',
        }


def test_bad_messages_get_an_error_and_the_socket_stays_usable(live_asgi: Any, survey: Any) -> None:
    with _open(live_asgi, _cookie()) as ws:
        cases = [
            ("not json", "the message is not JSON"),
            ("[1, 2]", "the message must be a JSON object"),
            ({"flow": "nope"}, "flow must be a flow uuid"),
            ({"flow": "9f7e1d36-3b0c-4a8e-9d57-00000000ffff"}, "flow not found"),
            ({"flow": FLOW, "input": 42}, "input must be a text"),
            ({"flow": FLOW, "contact": "Ada"}, "contact must be an object"),
            ({"flow": FLOW, "input": "x" * 5000}, "longer than 4096"),
            ({"flow": FLOW, "input": {"type": "teleport"}}, "unknown input type 'teleport'"),
        ]
        for message, error in cases:
            answer = _ask(ws, message)
            assert answer["kind"] == "error" and error in answer["error"], (message, answer)
        assert _ask(ws, {"flow": FLOW})["status"] == "waiting"
        assert _ask(ws, {"input": None})["error"] == "give an input to continue the session"
        assert _texts(_ask(ws, {"input": "red"})) == ["Red it is, Test Contact!"]


def test_other_workspaces_flows_and_anonymous_sockets_are_refused(live_asgi: Any, survey: Any) -> None:
    from channels_app.workspaces import create_workspace

    create_workspace(name="Other NGO", email="other@test.org", password="other-pass")
    with _open(live_asgi, _cookie("other@test.org", "other-pass")) as ws:
        assert _ask(ws, {"flow": FLOW, "input": "red"}) == {"kind": "error", "error": "flow not found"}
    url = live_asgi.url.replace("http", "ws") + "/ws/simulator/"
    with pytest.raises(InvalidStatus) as refused:  # closed before accept: the handshake is refused
        connect(url)
    assert refused.value.response.status_code == 403
