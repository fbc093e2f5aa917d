"""Channel selection over real HTTP: three channels in one workspace (two in Rwanda, one in
Kenya). Replies go out where the inbound came in, later sends follow the URN's affinity, a new
number goes to the channel of its country, and nothing goes out on the first channel created."""

from __future__ import annotations

import json
from typing import Any

from channels_app.models import ContactURN, Msg
from tests.conftest import run_jobs
from tests.flows.conftest import load_export

SET_CHANNEL_FLOW = "5f2b6e0a-1c55-4d4e-9a57-0000000000c1"


def _channels(web: Any, aggregator: Any) -> list[dict[str, Any]]:
    made = []
    for n, (address, country) in enumerate(
        [("+250788000001", "RW"), ("+250788000002", "RW"), ("+254700000003", "KE")], start=1
    ):
        response = web.post(
            "/api/v1/channels",
            json={
                "type": "EX",
                "name": f"Channel {n}",
                "address": address,
                "country": country,
                "config": {"send_url": f"{aggregator.url}/send{n}", "content_type": "urlencoded"},
            },
        )
        assert response.status_code == 201, response.text
        made.append(response.json())
    return made


def _sent(aggregator: Any) -> list[tuple[str, str, str]]:
    """(channel path, to, text) of every request the aggregator received."""
    return [(r.path, r.form()["to"], r.form()["text"]) for r in aggregator.requests]


def test_replies_affinity_and_country_pick_the_channel_never_the_first(live_asgi, aggregator, token) -> None:
    web = live_asgi.client(headers={"Authorization": f"Token {token}"})
    first, second, third = _channels(web, aggregator)
    assert web.post("/api/v1/flows/import", content=json.dumps(load_export())).status_code == 200

    # inbound on the second channel: the flow's question goes out on the second channel
    response = web.post(f"/c/ex/{second['uuid']}/receive", data={"from": "+250788123123", "text": "survey"})
    assert response.status_code == 200, response.text
    run_jobs()
    assert _sent(aggregator) == [("/send2", "+250788123123", "Hi! What is your name?")]
    question = Msg.objects.get(direction="out", text="Hi! What is your name?")
    log = web.get(f"/api/v1/messages/{question.uuid}").json()["events"]
    assert log[0]["type"] == "channel" and log[0]["data"]["rule"] == "reply"
    assert (
        log[0]["data"]["channel"] == second["uuid"] and "where the message came in" in log[0]["description"]
    )

    # the answer too (the catch-all would answer an echo on the first channel: it must not)
    web.post(f"/c/ex/{second['uuid']}/receive", data={"from": "+250788123123", "text": "Amina"})
    run_jobs()
    assert _sent(aggregator)[-1] == ("/send2", "+250788123123", "How old are you, Amina?")

    # the URN remembers the channel it wrote in on
    assert ContactURN.objects.get(identity="tel:+250788123123").channel.uuid.hex == second["uuid"].replace(
        "-", ""
    )

    # a later API send without a channel follows the affinity
    response = web.post("/api/v1/messages", json={"to": "tel:+250788123123", "text": "Your order shipped"})
    assert response.status_code == 201, response.text
    assert response.json()["channel"] == second["uuid"]
    detail = web.get(f"/api/v1/messages/{response.json()['uuid']}").json()
    assert detail["events"][0]["data"]["rule"] == "affinity"

    # a new number of the other country goes on the channel of that country
    response = web.post("/api/v1/messages", json={"to": "tel:+254722123456", "text": "Habari"})
    assert response.status_code == 201, response.text
    assert response.json()["channel"] == third["uuid"]
    assert (
        web.get(f"/api/v1/messages/{response.json()['uuid']}").json()["events"][0]["data"]["rule"]
        == "country"
    )
    run_jobs()

    sent = _sent(aggregator)
    assert ("/send2", "+250788123123", "Your order shipped") in sent
    assert ("/send3", "+254722123456", "Habari") in sent
    assert not [s for s in sent if s[0] == "/send1"], sent  # nothing on the first channel
    assert not Msg.objects.filter(direction="out", channel__uuid=first["uuid"]).exists()


def test_longest_address_prefix_wins_within_a_country(workspace) -> None:
    from channels_app.services.channels import create_channel
    from channels_app.services.routing import select_channel

    def make(name: str, address: str, country: str) -> Any:
        return create_channel(
            workspace=workspace,
            type_code="EX",
            name=name,
            address=address,
            country=country,
            config={"send_url": "http://127.0.0.1:9/send"},
        )

    make("Other country", "+254700000000", "KE")
    airtel = make("Airtel", "+250730000000", "RW")
    mtn = make("MTN", "+250788000000", "RW")
    assert select_channel(workspace_id=workspace.id, identity="tel:+250788555000").channel == mtn
    assert select_channel(workspace_id=workspace.id, identity="tel:+250730555000").channel == airtel
    # no channel in the number's country: any channel of the scheme
    assert select_channel(workspace_id=workspace.id, identity="tel:+14155550100").rule == "scheme"


def test_no_channel_for_the_scheme_is_a_clear_400(api, ex_channel) -> None:
    response = api.post(
        "/api/v1/messages",
        data=json.dumps({"to": "telegram:12345", "text": "hi"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"] == "no channel can send to telegram:12345"


def test_response_to_must_be_a_message_of_the_same_contact(live_asgi, ex_channel, token) -> None:
    web = live_asgi.client(headers={"Authorization": f"Token {token}"})
    inbound = web.post(f"/c/ex/{ex_channel.uuid}/receive", data={"from": "+250788123123", "text": "hello"})
    run_jobs()
    uuid = inbound.json()["uuid"]
    other = web.post("/api/v1/messages", json={"to": "+250788999999", "text": "hi", "response_to": uuid})
    assert other.status_code == 400 and "same contact" in other.json()["error"]
    same = web.post("/api/v1/messages", json={"to": "+250788123123", "text": "hi", "response_to": uuid})
    assert same.status_code == 201, same.text
    assert same.json()["response_to"] == uuid


def _set_channel_export(channel_uuid: str) -> dict[str, Any]:
    return {
        "version": "13",
        "site": "https://flowgate.test",
        "flows": [
            {
                "uuid": SET_CHANNEL_FLOW,
                "name": "Move to channel 3",
                "spec_version": "13.1.0",
                "language": "eng",
                "type": "messaging",
                "revision": 1,
                "expire_after_minutes": 60,
                "localization": {},
                "nodes": [
                    {
                        "uuid": "00000000-0000-4000-8000-0000000000d1",
                        "actions": [
                            {
                                "uuid": "00000000-0000-4000-8000-0000000000d2",
                                "type": "set_contact_channel",
                                "channel": {"uuid": channel_uuid, "name": "Channel 3"},
                            },
                            {
                                "uuid": "00000000-0000-4000-8000-0000000000d3",
                                "type": "send_msg",
                                "text": "moved",
                            },
                        ],
                        "exits": [{"uuid": "00000000-0000-4000-8000-0000000000d4", "destination_uuid": None}],
                    }
                ],
            }
        ],
        "campaigns": [],
        "triggers": [
            {"trigger_type": "K", "keyword": "move", "flow": {"uuid": SET_CHANNEL_FLOW}, "groups": []}
        ],
        "fields": [],
        "groups": [],
    }


def test_set_contact_channel_sets_affinity_for_the_reply_and_later_sends(
    live_asgi, aggregator, token
) -> None:
    web = live_asgi.client(headers={"Authorization": f"Token {token}"})
    first, second, third = _channels(web, aggregator)
    response = web.post("/api/v1/flows/import", content=json.dumps(_set_channel_export(third["uuid"])))
    assert response.status_code == 200, response.text

    web.post(f"/c/ex/{second['uuid']}/receive", data={"from": "+250788123123", "text": "move"})
    run_jobs()
    assert _sent(aggregator) == [("/send3", "+250788123123", "moved")]
    urn = ContactURN.objects.get(identity="tel:+250788123123")
    assert str(urn.channel.uuid) == third["uuid"]
    response = web.post("/api/v1/messages", json={"to": "tel:+250788123123", "text": "later"})
    assert response.json()["channel"] == third["uuid"]
