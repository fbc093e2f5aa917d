"""The SM channel type through the API: config validation, masked password, link status."""

from __future__ import annotations

from typing import Any


def test_create_sm_channel_validates_config_and_masks_password(api: Any) -> None:
    bad = api.post(
        "/api/v1/channels",
        {
            "type": "SM",
            "name": "SMSC",
            "config": {"host": "127.0.0.1", "port": 70000, "bind_mode": "both", "system_id": "x" * 20},
        },
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"bind_mode", "password"}
    limits = api.post(
        "/api/v1/channels",
        {
            "type": "SM",
            "name": "SMSC",
            "config": {"host": "h", "port": 70000, "system_id": "x" * 20, "password": "p"},
        },
        content_type="application/json",
    )
    assert limits.status_code == 400
    assert set(limits.json()["errors"]) == {"port", "system_id"}

    good = api.post(
        "/api/v1/channels",
        {
            "type": "SM",
            "name": "SMSC",
            "address": "+250788000000",
            "country": "RW",
            "config": {"host": "smsc.example", "system_id": "flowgate", "password": "s3cret", "tls": True},
        },
        content_type="application/json",
    )
    assert good.status_code == 201, good.content
    body = good.json()
    assert body["config"]["password"] == "********" and "s3cret" not in good.content.decode()
    assert body["config"]["tls"] == "yes" and body["config"]["window"] == 100
    assert body["config"]["bind_mode"] == "transceiver" and body["config"]["concatenation"] == "udh"
    assert body["live_status"]["state"] == "down"
    assert "no smsc supervisor" in body["live_status"]["last_error"]


def test_sm_messages_are_left_to_the_supervisor(api: Any, workspace: Any) -> None:
    from channels_app.models import Msg
    from channels_app.services.send import send_channel

    from .conftest import make_channel

    channel = make_channel(workspace, 1)
    resp = api.post(
        "/api/v1/messages",
        {"channel": str(channel.uuid), "to": "+250788123123", "text": "hi"},
        content_type="application/json",
    )
    assert resp.status_code == 201, resp.content
    assert send_channel(channel_id=channel.id) == 0  # the rq send job does not touch SMPP channels
    assert Msg.objects.get(uuid=resp.json()["uuid"]).status == "queued"
