"""The UC and CD channel types through the API and the channel page: config, masking, link status."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize(("code", "port", "max_window"), [("UC", 5000, 100), ("CD", 9971, 128)])
def test_create_validates_config_masks_password_and_shows_link_status(
    api: Any, code: str, port: int, max_window: int
) -> None:
    missing = api.post(
        "/api/v1/channels",
        {"type": code, "name": "SMSC", "config": {"host": "h", "username": "u"}},
        content_type="application/json",
    )
    assert missing.status_code == 400 and set(missing.json()["errors"]) == {"password"}
    too_wide = api.post(
        "/api/v1/channels",
        {
            "type": code,
            "name": "SMSC",
            "config": {"host": "h", "username": "u", "password": "p", "window": max_window + 1},
        },
        content_type="application/json",
    )
    assert too_wide.status_code == 400 and set(too_wide.json()["errors"]) == {"window"}
    good = api.post(
        "/api/v1/channels",
        {
            "type": code,
            "name": "SMSC",
            "address": "+250788000000",
            "country": "RW",
            "config": {"host": "smsc.example", "username": "flowgate", "password": "s3cret", "tls": True},
        },
        content_type="application/json",
    )
    assert good.status_code == 201, good.content
    body = good.json()
    assert body["type"] == code and body["config"]["password"] == "********"
    assert "s3cret" not in good.content.decode()
    assert (
        body["config"]["port"] == port and body["config"]["tls"] == "yes" and body["config"]["window"] == 50
    )
    assert body["live_status"]["state"] == "down"
    from channels_app.models import Channel

    channel = Channel.objects.get(uuid=body["uuid"])
    assert channel.config["password"] != "s3cret"  # stored encrypted, like SM's
    from django.contrib.auth import get_user_model
    from django.test import Client

    web = Client()
    web.force_login(get_user_model().objects.get(username="admin@test.org"))
    page = web.get(f"/channels/{body['uuid']}/").content.decode()
    assert "Link status" in page and "no smsc supervisor has run this link yet" in page


def test_uc_and_cd_messages_are_left_to_the_supervisor(api: Any, workspace: Any) -> None:
    from channels_app.models import Msg
    from channels_app.services.channels import create_channel
    from channels_app.services.send import send_channel

    channel = create_channel(
        workspace=workspace,
        type_code="UC",
        name="UCP",
        address="+250788000000",
        country="RW",
        config={"host": "127.0.0.1", "port": 1, "username": "u", "password": "p"},
    )
    resp = api.post(
        "/api/v1/messages",
        {"channel": str(channel.uuid), "to": "tel:+250788123123", "text": "hi"},
        content_type="application/json",
    )
    assert resp.status_code == 201, resp.content
    assert send_channel(channel_id=channel.id) == 0  # the rq send job does not touch these
    assert Msg.objects.get(uuid=resp.json()["uuid"]).status == "queued"
