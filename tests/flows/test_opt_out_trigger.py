"""An aggregator's opt-out (`/stopped`) fires the workspace's opt-out trigger."""

from __future__ import annotations

import uuid

from channels_app.models import Contact

FLOW_UUID = str(uuid.uuid4())
NODE_UUID = str(uuid.uuid4())


def _opt_out_flow() -> dict:
    return {
        "uuid": FLOW_UUID,
        "name": "Goodbye",
        "spec_version": "13.1.0",
        "language": "eng",
        "type": "messaging",
        "nodes": [
            {
                "uuid": NODE_UUID,
                "actions": [
                    {
                        "uuid": str(uuid.uuid4()),
                        "type": "set_contact_field",
                        "field": {"key": "left_on", "name": "Left On"},
                        "value": "@(format_date(now()))",
                    }
                ],
                "exits": [{"uuid": str(uuid.uuid4())}],
            }
        ],
    }


def test_stopped_callback_fires_the_opt_out_trigger(api, ex_channel, client) -> None:
    export = {
        "version": "13",
        "flows": [_opt_out_flow()],
        "fields": [{"key": "left_on", "name": "Left On", "type": "text"}],
        "groups": [],
        "triggers": [],
    }
    response = api.post("/api/v1/flows/import", export, content_type="application/json")
    assert response.status_code == 200, response.content
    response = api.post(
        "/api/v1/triggers", {"type": "opt_out", "flow": FLOW_UUID}, content_type="application/json"
    )
    assert response.status_code == 201, response.content

    response = client.post(f"/c/ex/{ex_channel.uuid}/stopped", {"from": "+250788123123"})
    assert response.status_code == 200
    contact = Contact.objects.get(urns__identity="tel:+250788123123")
    assert contact.status == "stopped"
    assert contact.fields.get("left_on"), contact.fields
