"""The External API channel end to end over real HTTP, the worker and the websocket."""

from __future__ import annotations

import json
from typing import Any

from websockets.sync.client import connect

from channels_app.models import Msg
from tests.conftest import run_jobs


def _session_cookie(live_url: str) -> str:
    from django.test import Client

    client = Client()
    assert client.login(username="admin@test.org", password="secret-pass")
    return f"sessionid={client.cookies['sessionid'].value}"


def _next_msg_event(ws: Any, status: str) -> dict[str, Any]:
    while True:
        event = json.loads(ws.recv(timeout=10))
        if event.get("kind") == "msg" and event["status"] == status:
            return event


def test_receive_reply_send_and_delivery_round_trip(live_asgi, ex_channel, aggregator, token) -> None:
    web = live_asgi.client(headers={"Authorization": f"Token {token}"})
    ws_url = live_asgi.url.replace("http", "ws") + "/ws/events/"
    with connect(ws_url, additional_headers={"Cookie": _session_cookie(live_asgi.url)}) as ws:
        assert json.loads(ws.recv(timeout=5))["kind"] == "hello"

        # 1. The aggregator posts an inbound message exactly as in the integration guide.
        response = web.post(
            f"/c/ex/{ex_channel.uuid}/receive",
            content=b"from=%2B250788123123&text=Love+is+patient.&date=2012-04-23T18:25:43.511Z",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 200, response.text
        inbound_uuid = response.json()["uuid"]
        inbound = Msg.objects.get(uuid=inbound_uuid)
        assert (inbound.direction, inbound.text, inbound.urn) == (
            "in",
            "Love is patient.",
            "tel:+250788123123",
        )
        assert inbound.created_on.isoformat().startswith("2012-04-23T18:25:43.511")
        run_jobs()
        inbound.refresh_from_db()
        assert inbound.status == "handled" and inbound.contact is not None

        # 2. A reply queued through the API is posted by a worker to the aggregator.
        response = web.post(
            "/api/v1/messages",
            json={"channel": str(ex_channel.uuid), "to": "tel:+250788123123", "text": "Love is kind & true"},
        )
        assert response.status_code == 201, response.text
        reply = response.json()
        assert reply["status"] == "queued"
        run_jobs()
        assert len(aggregator.requests) == 1
        sent = aggregator.requests[0]
        assert sent.method == "POST" and sent.path == "/send"
        assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
        assert sent.form() == {
            "id": str(reply["id"]),
            "text": "Love is kind & true",
            "to": "+250788123123",
            "to_no_plus": "250788123123",
            "from": "+250788000000",
            "from_no_plus": "250788000000",
            "channel": str(ex_channel.uuid),
        }
        assert web.get(f"/api/v1/messages/{reply['uuid']}").json()["status"] == "sent"
        assert _next_msg_event(ws, "sent")["uuid"] == reply["uuid"]

        # 3. The aggregator reports delivery; the API and the websocket show it.
        response = web.post(f"/c/ex/{ex_channel.uuid}/delivered", data={"id": str(reply["id"])})
        assert response.status_code == 200, response.text
        detail = web.get(f"/api/v1/messages/{reply['uuid']}").json()
        assert detail["status"] == "delivered" and detail["delivered_on"]
        assert [e["status"] for e in detail["events"] if e["type"] in ("status", "callback")][
            -1
        ] == "delivered"
        assert _next_msg_event(ws, "delivered")["uuid"] == reply["uuid"]


def test_json_body_get_method_and_status_by_uuid(live_asgi, ex_channel, aggregator, token) -> None:
    web = live_asgi.client(headers={"Authorization": f"Token {token}"})
    response = web.post(f"/c/ex/{ex_channel.uuid}/receive", json={"sender": "0788123124", "text": "json in"})
    assert response.status_code == 200, response.text
    assert Msg.objects.get(uuid=response.json()["uuid"]).urn == "tel:+250788123124"  # RW national number
    response = web.get(
        f"/c/ex/{ex_channel.uuid}/receive", params={"from": "+250788123125", "text": "query in"}
    )
    assert response.status_code == 200

    response = web.patch(
        f"/api/v1/channels/{ex_channel.uuid}",
        json={
            "config": {"method": "GET", "send_url": f"{aggregator.url}/send?to={{{{to}}}}&msg={{{{text}}}}"}
        },
    )
    assert response.status_code == 200, response.text
    msg = web.post("/api/v1/messages", json={"to": "+250788123125", "text": "a b&c"}).json()
    run_jobs()
    assert aggregator.requests[-1].method == "GET"
    assert aggregator.requests[-1].path == "/send?to=%2B250788123125&msg=a+b%26c"
    response = web.post(f"/c/ex/{ex_channel.uuid}/failed", json={"uuid": msg["uuid"], "error": "handset off"})
    assert response.status_code == 200
    detail = web.get(f"/api/v1/messages/{msg['uuid']}").json()
    assert detail["status"] == "failed" and detail["error"] == "handset off"
