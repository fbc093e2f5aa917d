"""What flows do beyond replying: broadcasts, channel-specific triggers on import, opting back in,
and the `flow.completed` webhook, all driven by real inbound HTTP and drained by real jobs."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.test import Client

from channels_app.models import Contact, ContactGroup, ContactURN, Msg
from channels_app.services import webhooks
from tests.conftest import Recorded, run_jobs
from tests.flows.conftest import SURVEY, load_export, post_json

from .helpers import export_of, flow_def, node

BROADCAST_FLOW = str(uuid.uuid4())
OPT_IN_FLOW = str(uuid.uuid4())


def _receive(channel: Any, sender: str, text: str) -> Msg:
    response = Client().post(f"/c/ex/{channel.uuid}/receive", {"from": sender, "text": text})
    assert response.status_code == 200, response.content
    run_jobs()
    return Msg.objects.get(uuid=response.json()["uuid"])


def _contact(workspace: Any, number: str, *, status: str = "active", language: str = "") -> Contact:
    contact = Contact.objects.create(workspace=workspace, name=number[-3:], status=status, language=language)
    ContactURN.objects.create(
        workspace=workspace, contact=contact, scheme="tel", path=number, identity=f"tel:{number}"
    )
    return contact


def _sent_to(aggregator: Any) -> dict[str, str]:
    return {r.form()["to"]: r.form()["text"] for r in aggregator.requests if r.path == "/send"}


def _verified(request: Recorded, secret: str) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert abs(int(headers["x-flowgate-timestamp"]) - request.received_at) < 60
    assert webhooks.verify(
        secret, headers["x-flowgate-timestamp"], request.body, headers["x-flowgate-signature"]
    )
    return json.loads(request.body)


def _subscribe(api: Any, url: str, events: list[str]) -> str:
    assert api.get("/api/v1/webhooks/events").json() == list(webhooks.EVENTS)
    response = post_json(api, "/api/v1/webhooks", {"url": url, "events": events})
    assert response.status_code == 201, response.content
    return str(response.json()["secret"])


def test_send_broadcast_queues_to_urns_contacts_and_groups_skipping_stopped(
    api: Any, workspace: Any, ex_channel: Any, aggregator: Any
) -> None:
    team = ContactGroup.objects.create(workspace=workspace, name="Team")
    member = _contact(workspace, "+250788111111")
    quitter = _contact(workspace, "+250788222222", status="stopped")
    team.contacts.add(member, quitter)
    french = _contact(workspace, "+250788333333", language="fra")
    _contact(workspace, "+250788555555", status="stopped")

    broadcast = node(
        [
            {
                "type": "send_broadcast",
                "text": "Meeting at 5",
                "groups": [{"uuid": str(team.uuid), "name": "Team"}],
                "contacts": [{"uuid": str(french.uuid), "name": french.name}],
                "urns": ["tel:+250788444444", "tel:+250788555555"],
            },
            {"type": "send_msg", "text": "Broadcast sent"},
        ]
    )
    definition = flow_def(BROADCAST_FLOW, "Announce", [broadcast])
    definition["localization"] = {"fra": {broadcast["actions"][0]["uuid"]: {"text": ["Réunion à 5"]}}}
    trigger = {"trigger_type": "K", "keyword": "announce", "flow": {"uuid": BROADCAST_FLOW}, "groups": []}
    response = post_json(api, "/api/v1/flows/import", export_of(definition, triggers=[trigger]))
    assert response.status_code == 200, response.content

    inbound = _receive(ex_channel, "+250788999000", "announce")

    assert _sent_to(aggregator) == {
        "+250788999000": "Broadcast sent",
        "+250788111111": "Meeting at 5",
        "+250788333333": "Réunion à 5",
        "+250788444444": "Meeting at 5",
    }
    out = Msg.objects.filter(direction="out", metadata__broadcast=True)
    assert out.count() == 3
    assert {m.response_to_id for m in out} == {inbound.id}
    assert {m.status for m in out} == {"sent"}
    # stopped contacts got nothing, not even a failed row
    assert not Msg.objects.filter(urn__in=["tel:+250788222222", "tel:+250788555555"]).exists()


def test_import_keeps_trigger_channels_of_this_workspace(api: Any, ex_channel: Any, aggregator: Any) -> None:
    export = load_export()
    export["triggers"] = [
        {
            "trigger_type": "K",
            "keyword": "survey",
            "flow": {"uuid": SURVEY},
            "channel": {"uuid": str(ex_channel.uuid), "name": "Aggregator"},
        },
        {
            "trigger_type": "K",
            "keyword": "elsewhere",
            "flow": {"uuid": SURVEY},
            "channel": {"uuid": str(uuid.uuid4()), "name": "Old modem"},
        },
    ]
    body = post_json(api, "/api/v1/flows/import", export).json()
    assert any("'Old modem' is not in this workspace" in w for w in body["warnings"]), body
    by_keyword = {t["keywords"][0]: t for t in api.get("/api/v1/triggers").json()}
    assert by_keyword["survey"]["channel"] == str(ex_channel.uuid)
    assert by_keyword["elsewhere"]["channel"] is None
    exported = api.get(f"/api/v1/flows/{SURVEY}/export").json()
    assert {"uuid": str(ex_channel.uuid), "name": "Aggregator"} in [
        t["channel"] for t in exported["triggers"]
    ]

    # the channel-bound keyword still fires on its channel
    _receive(ex_channel, "+250788123123", "survey")
    assert _sent_to(aggregator) == {"+250788123123": "Hi! What is your name?"}


def test_a_stopped_contact_writing_again_opts_in(api: Any, ex_channel: Any, aggregator: Any) -> None:
    welcome = flow_def(OPT_IN_FLOW, "Welcome back", [node([{"type": "send_msg", "text": "Welcome back!"}])])
    assert post_json(api, "/api/v1/flows/import", export_of(welcome)).status_code == 200
    assert post_json(api, "/api/v1/triggers", {"type": "opt_in", "flow": OPT_IN_FLOW}).status_code == 201

    assert Client().post(f"/c/ex/{ex_channel.uuid}/stopped", {"from": "+250788123123"}).status_code == 200
    contact = Contact.objects.get(urns__identity="tel:+250788123123")
    assert contact.status == "stopped"

    _receive(ex_channel, "+250788123123", "hello again")
    contact.refresh_from_db()
    assert contact.status == "active"
    assert _sent_to(aggregator) == {"+250788123123": "Welcome back!"}
    # an active contact's message is ordinary: the opt-in flow does not run again
    _receive(ex_channel, "+250788123123", "hello")
    assert Msg.objects.filter(direction="out", text="Welcome back!").count() == 1


def test_flow_completed_webhook_is_signed_and_sent_once(api: Any, ex_channel: Any, aggregator: Any) -> None:
    assert post_json(api, "/api/v1/flows/import", load_export()).status_code == 200
    secret = _subscribe(api, f"{aggregator.url}/hook", ["flow.completed"])

    _receive(ex_channel, "+250788123123", "survey")
    _receive(ex_channel, "+250788123123", "Amina")
    assert not [r for r in aggregator.requests if r.path == "/hook"]  # still waiting: not completed
    _receive(ex_channel, "+250788123123", "31")
    _receive(ex_channel, "+250788123123", "anything")  # the catch-all flow completes too

    hooks = [_verified(r, secret) for r in aggregator.requests if r.path == "/hook"]
    assert [h["event"] for h in hooks] == ["flow.completed", "flow.completed"]
    survey = hooks[0]["data"]
    assert survey["flow"] == {"uuid": SURVEY, "name": "Two Questions"}
    assert survey["status"] == "completed" and survey["contact"]["urn"] == "tel:+250788123123"
    assert survey["results"]["age"]["value"] == "31" and survey["results"]["name"]["value"] == "Amina"
    assert hooks[1]["data"]["flow"]["name"] == "Catch All"
