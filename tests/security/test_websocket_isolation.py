"""The websockets (live events, flow simulator) of workspace A carry nothing of workspace B."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from websockets.sync.client import connect

from tests.conftest import run_jobs

FLOW_EXPORT = Path(__file__).resolve().parents[1] / "flows" / "fixtures" / "two_questions.json"


def _login_cookie(email: str) -> str:
    client = Client()
    assert client.login(username=email, password="secret-pass")
    return f"sessionid={client.cookies['sessionid'].value}"


@pytest.fixture
def two(transactional_db: None) -> dict[str, Any]:
    from channels_app.services.channels import create_channel
    from channels_app.workspaces import create_workspace
    from flows.services.importing import import_export

    out: dict[str, Any] = {}
    for name in ("alpha", "bravo"):
        ws, _ = create_workspace(name=name, email=f"{name}@test.org", password="secret-pass")
        channel = create_channel(
            workspace=ws,
            type_code="EX",
            name=f"{name} channel",
            address="+250788000000",
            country="RW",
            config={"send_url": "http://127.0.0.1:9/send"},
        )
        out[name] = {
            "workspace": ws,
            "channel": str(channel.uuid),
            "cookie": _login_cookie(f"{name}@test.org"),
        }
    flows = import_export(workspace=out["bravo"]["workspace"], data=json.loads(FLOW_EXPORT.read_text())).flows
    out["bravo"]["flow"] = str(flows[0].uuid)
    return out


def test_live_events_of_b_never_reach_a(live_asgi: Any, two: dict[str, Any]) -> None:
    ws_url = live_asgi.url.replace("http", "ws")
    with (
        connect(f"{ws_url}/ws/events/", additional_headers={"Cookie": two["alpha"]["cookie"]}) as socket,
        live_asgi.client() as http,
    ):
        assert json.loads(socket.recv(timeout=5))["kind"] == "hello"
        b = http.post(
            f"/c/ex/{two['bravo']['channel']}/receive", data={"from": "+250788111111", "text": "bravo-only"}
        )
        run_jobs()  # B's message is handled (and its events published) before A's is even received
        a = http.post(
            f"/c/ex/{two['alpha']['channel']}/receive", data={"from": "+250788222222", "text": "alpha-only"}
        )
        run_jobs()
        assert b.status_code == 200 and a.status_code == 200
        seen: list[str] = []
        # Events arrive in order, so anything of B's would come before A's own event.
        while "alpha-only" not in "".join(seen):
            seen.append(socket.recv(timeout=15))
    everything = "".join(seen)
    assert "bravo-only" not in everything and two["bravo"]["channel"] not in everything
    assert b.json()["uuid"] not in everything


def test_simulator_refuses_b_flow(live_asgi: Any, two: dict[str, Any]) -> None:
    ws_url = live_asgi.url.replace("http", "ws")
    with connect(f"{ws_url}/ws/simulator/", additional_headers={"Cookie": two["alpha"]["cookie"]}) as socket:
        assert json.loads(socket.recv(timeout=5)) == {"kind": "hello"}
        socket.send(json.dumps({"flow": two["bravo"]["flow"], "input": None}))
        answer = json.loads(socket.recv(timeout=10))
    assert answer.get("kind") == "error" and "not found" in json.dumps(answer), answer
    assert "Hi! What is your name?" not in json.dumps(answer)
