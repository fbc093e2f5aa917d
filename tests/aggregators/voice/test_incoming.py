"""Incoming calls: the call record, the XML answer, the websocket popup and missed-call triggers."""

from __future__ import annotations

import json

from websockets.sync.client import connect

from channels_app.models import Call
from channels_app.services.contacts import create_contact
from tests.conftest import run_jobs

from .helpers import AGENT_EXTENSION, FORM, fixture_bytes, next_call_event, session_cookie

INCOMING_SID = "CA5ef8732a3c49700934481addd5ce1659"
CALLER = "+250788123123"


def test_incoming_call_answers_with_xml_and_pops_up(live_asgi, web, agent, twilio_channel, workspace):
    known = create_contact(workspace=workspace, name="Ada Lovelace", urn_list=[f"tel:{CALLER}"])
    url = f"/c/xc/{twilio_channel['uuid']}/incoming"
    ws_url = live_asgi.url.replace("http", "ws") + "/ws/events/"
    with connect(ws_url, additional_headers={"Cookie": session_cookie()}) as ws:
        assert json.loads(ws.recv(timeout=5))["kind"] == "hello"
        response = web.post(
            url, content=fixture_bytes("twilio_voice", "incoming.txt"), headers={"Content-Type": FORM}
        )
        assert response.status_code == 200, response.text
        call = Call.objects.get(external_id=INCOMING_SID)
        status_url = f"{live_asgi.url}/c/xc/{twilio_channel['uuid']}/status?call={call.uuid}"
        assert response.headers["content-type"] == "text/xml"
        assert response.text == (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<Response><Dial action="{status_url}"><Number>{AGENT_EXTENSION}</Number></Dial></Response>'
        )
        popup = next_call_event(ws, "incoming")
    assert popup["uuid"] == str(call.uuid)
    assert popup["from_number"] == CALLER and popup["status"] == "ringing" and popup["direction"] == "in"
    assert popup["contact"] == {
        "uuid": str(known.uuid),
        "name": "Ada Lovelace",
        "urns": [f"tel:{CALLER}"],
        "url": f"/contacts/{known.uuid}/",
    }
    assert popup["user"] == "admin@test.org"
    assert (call.direction, call.contact_id, call.user_id, call.to_number) == (
        "in",
        known.id,
        agent.id,
        "+15005550006",
    )

    # A provider retry answers the same way and records no second call.
    again = web.post(
        url, content=fixture_bytes("twilio_voice", "incoming.txt"), headers={"Content-Type": FORM}
    )
    assert again.status_code == 200 and again.text == response.text
    assert Call.objects.filter(external_id=INCOMING_SID).count() == 1


def test_unknown_caller_becomes_a_contact(live_asgi, web, agent, twilio_channel):
    body = b"CallSid=CAnew1&CallStatus=ringing&From=%2B250788999000&To=%2B15005550006"
    response = web.post(
        f"/c/xc/{twilio_channel['uuid']}/incoming", content=body, headers={"Content-Type": FORM}
    )
    assert response.status_code == 200, response.text
    call = Call.objects.get(external_id="CAnew1")
    assert call.contact is not None
    assert [u.identity for u in call.contact.urns.all()] == ["tel:+250788999000"]


def test_missed_incoming_call_fires_the_missed_call_trigger(live_asgi, web, agent, twilio_channel, workspace):
    from flows.models import Flow, Trigger

    definition = _flow_definition()
    flow = Flow.objects.create(
        workspace=workspace, uuid=definition["uuid"], name="Call back", definition=definition
    )
    Trigger.objects.create(workspace=workspace, trigger_type=Trigger.Type.MISSED_CALL, flow=flow)
    web.post(
        f"/c/xc/{twilio_channel['uuid']}/incoming",
        content=fixture_bytes("twilio_voice", "incoming.txt"),
        headers={"Content-Type": FORM},
    )
    call = Call.objects.get(external_id=INCOMING_SID)
    response = web.post(
        f"/c/xc/{twilio_channel['uuid']}/status",
        content=f"CallSid={INCOMING_SID}&CallStatus=no-answer&From=%2B250788123123".encode(),
        headers={"Content-Type": FORM},
    )
    assert response.status_code == 200, response.text
    run_jobs()
    call.refresh_from_db()
    assert call.status == "no-answer"
    from flows.models import FlowRun

    runs = FlowRun.objects.filter(contact=call.contact)
    assert [(r.flow_id, r.session.output.get("trigger", {}).get("type")) for r in runs] == [
        (flow.id, "channel")
    ]


def _flow_definition() -> dict:
    return {
        "uuid": "4f4b7f1a-4c1a-4b8e-9b62-0d6f5b0e7a11",
        "name": "Call back",
        "spec_version": "13.1.0",
        "language": "eng",
        "type": "messaging",
        "nodes": [
            {
                "uuid": "a1b2c3d4-0000-4000-8000-000000000001",
                "actions": [
                    {
                        "uuid": "a1b2c3d4-0000-4000-8000-000000000002",
                        "type": "send_msg",
                        "text": "Sorry we missed your call",
                    }
                ],
                "exits": [{"uuid": "a1b2c3d4-0000-4000-8000-000000000003"}],
            }
        ],
    }


def test_simultaneous_posts_of_one_incoming_call_make_one_call(
    live_asgi, web, agent, twilio_channel, monkeypatch
):
    """Both posts pass the 'already recorded?' check before either is saved: the database decides."""
    from aggregators.voice import services

    url = f"/c/xc/{twilio_channel['uuid']}/incoming"
    body = b"CallSid=CArace1&CallStatus=ringing&From=%2B250788999001&To=%2B15005550006"
    first = web.post(url, content=body, headers={"Content-Type": FORM})
    assert first.status_code == 200, first.text

    real_lookup = services._existing_incoming
    calls = {"n": 0}

    def lookup_missing_once(channel, call_id):
        calls["n"] += 1
        return None if calls["n"] == 1 else real_lookup(channel, call_id)  # the racing post's view

    monkeypatch.setattr(services, "_existing_incoming", lookup_missing_once)
    second = web.post(url, content=body, headers={"Content-Type": FORM})
    assert second.status_code == 200 and second.text == first.text
    assert calls["n"] == 2  # the insert hit the unique constraint and the winner was looked up
    call = Call.objects.get(external_id="CArace1")
    assert list(call.events.values_list("event_type", flat=True)) == ["incoming", "incoming-retry"]
