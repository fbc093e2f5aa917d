"""Labels on inbound messages: the API, the add_input_labels flow action over real HTTP, and the
message log filtering by label and folder (archive state); another workspace sees none of it."""

from __future__ import annotations

import json
from typing import Any

from channels_app.models import Label, Msg
from tests.conftest import run_jobs

FLOW = "7a000000-0000-4000-8000-000000000001"
LABEL = "7a000000-0000-4000-8000-0000000000aa"


def _export() -> dict[str, Any]:
    node = {
        "uuid": "7a000000-0000-4000-8000-000000000010",
        "actions": [
            {
                "uuid": "7a000000-0000-4000-8000-000000000011",
                "type": "add_input_labels",
                "labels": [{"uuid": LABEL, "name": "Help requests"}],
            },
            {"uuid": "7a000000-0000-4000-8000-000000000012", "type": "send_msg", "text": "We will call you."},
        ],
        "exits": [{"uuid": "7a000000-0000-4000-8000-000000000013", "destination_uuid": None}],
    }
    flow = {"uuid": FLOW, "name": "Help", "spec_version": "13.1.0", "language": "eng", "type": "messaging",
            "revision": 1, "expire_after_minutes": 60, "localization": {}, "nodes": [node]}  # fmt: skip
    return {
        "version": "13",
        "flows": [flow],
        "labels": [{"uuid": LABEL, "name": "Help requests"}],
        "triggers": [
            {"trigger_type": "K", "keyword": "help", "flow": {"uuid": FLOW, "name": "Help"}, "groups": []}
        ],
    }


def test_flow_labels_input_api_labels_and_log_filters(
    live_asgi: Any, ex_channel: Any, aggregator: Any, token: str, client_in: Any, other_workspace: Any
) -> None:
    web = live_asgi.client(headers={"Authorization": f"Token {token}"})
    imported = web.post("/api/v1/flows/import", content=json.dumps(_export()))
    assert imported.status_code == 200, imported.text
    label = Label.objects.get(workspace=ex_channel.workspace, name="Help requests")

    def inbound(text: str, sender: str = "+250788123123") -> Msg:
        resp = web.post(f"/c/ex/{ex_channel.uuid}/receive", data={"from": sender, "text": text})
        assert resp.status_code == 200, resp.text
        run_jobs()
        return Msg.objects.get(uuid=resp.json()["uuid"])

    helped = inbound("help please")
    other = inbound("hello there", "+250788555555")
    # the flow's add_input_labels labelled the message that started it, and only that one
    assert list(helped.labels.values_list("name", flat=True)) == ["Help requests"]
    assert other.labels.count() == 0

    # API: create a label, label / unlabel / archive / restore
    made = web.post("/api/v1/labels", json={"name": "Feedback"})
    assert made.status_code == 201 and made.json()["count"] == 0
    assert web.post("/api/v1/labels", json={"name": "feedback"}).status_code == 400
    act = lambda body: web.post("/api/v1/message_actions", json=body)  # noqa: E731
    assert (
        act({"messages": [str(other.uuid)], "action": "label", "label": "Feedback"}).json()["affected"] == 1
    )
    reply = Msg.objects.filter(direction="out").first()
    assert reply is not None
    refused = act({"messages": [str(reply.uuid)], "action": "label", "label": "Feedback"})
    assert refused.status_code == 400 and "inbound" in refused.json()["error"]
    labels = {lb["name"]: lb["count"] for lb in web.get("/api/v1/labels").json()}
    assert labels == {"Feedback": 1, "Help requests": 1}
    listed = web.get("/api/v1/messages", params={"label": "Feedback"}).json()
    assert [m["uuid"] for m in listed] == [str(other.uuid)]
    assert listed[0]["labels"] == [{"uuid": made.json()["uuid"], "name": "Feedback"}]
    assert (
        act({"messages": [str(other.uuid)], "action": "unlabel", "label": "Feedback"}).json()["affected"] == 1
    )
    assert web.get("/api/v1/messages", params={"label": "Feedback"}).json() == []

    assert act({"messages": [str(helped.uuid)], "action": "archive"}).json()["affected"] == 1
    inbox = [
        m["uuid"] for m in web.get("/api/v1/messages", params={"folder": "visible", "direction": "in"}).json()
    ]
    assert inbox == [str(other.uuid)]
    archived = [m["uuid"] for m in web.get("/api/v1/messages", params={"folder": "archived"}).json()]
    assert archived == [str(helped.uuid)]

    # the message log: by label, by folder
    page = client_in.get("/messages/", {"label": str(label.uuid)}).content.decode()
    assert "help please" in page and "hello there" not in page
    page = client_in.get("/messages/", {"folder": "archived"}).content.decode()
    assert "help please" in page and "hello there" not in page
    page = client_in.get("/messages/", {"folder": "visible", "direction": "in"}).content.decode()
    assert "hello there" in page and "help please" not in page
    # the log's bulk form labels messages too
    resp = client_in.post("/messages/label-action", {"msgs": [str(other.uuid)], "action": "label",
                                                      "label": str(label.uuid), "next": "/messages/"})  # fmt: skip
    assert resp.status_code == 302
    assert set(label.msgs.values_list("id", flat=True)) == {helped.id, other.id}
    assert act({"messages": [str(other.uuid)], "action": "delete"}).json()["affected"] == 1
    assert "hello there" not in client_in.get("/messages/").content.decode()

    # another workspace: neither the labels nor the messages
    from django.test import Client

    from channels_app.services.tokens import issue_api_token

    theirs = Client(HTTP_AUTHORIZATION=f"Token {issue_api_token(workspace=other_workspace, name='t')[1]}")
    assert theirs.get("/api/v1/labels").json() == []
    resp = theirs.post("/api/v1/message_actions", {"messages": [str(helped.uuid)], "action": "label",
                                                   "label": "Help requests"}, content_type="application/json")  # fmt: skip
    assert resp.status_code == 400
    assert theirs.get("/api/v1/messages", {"label": str(label.uuid)}).json() == []
