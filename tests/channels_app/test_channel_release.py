"""Releasing a channel: its queued messages move to another channel or fail with the reason,
its URLs answer 404, and its history stays."""

from __future__ import annotations

from channels_app.models import Msg
from channels_app.services.channels import create_channel
from channels_app.services.send import queue_message


def test_release_reroutes_queued_messages_or_fails_them_and_urls_404(api, workspace, ex_channel) -> None:
    kept = queue_message(channel=ex_channel, to="+250788123123", text="to move")
    chat = queue_message(channel=ex_channel, to="+250788123124", text="old")
    Msg.objects.filter(id=chat.id).update(status="sent")
    backup = create_channel(
        workspace=workspace, type_code="EX", name="Backup", address="+250788000009", country="RW",
        config={"send_url": "http://127.0.0.1:9/send"},
    )  # fmt: skip
    assert api.delete(f"/api/v1/channels/{ex_channel.uuid}").status_code == 204
    kept.refresh_from_db()
    assert kept.channel_id == backup.id and kept.status == "queued"
    event = kept.events.filter(event_type="channel").last()
    assert event is not None and "'Aggregator' was released" in event.description
    assert Msg.objects.get(id=chat.id).channel_id == ex_channel.id  # history kept
    assert api.get(f"/api/v1/channels/{ex_channel.uuid}").status_code == 404
    response = api.post(f"/c/ex/{ex_channel.uuid}/receive", {"from": "+250788123123", "text": "hi"})
    assert response.status_code == 404

    # the last channel released: nothing can send any more, the message fails with the reason
    orphan = queue_message(channel=backup, to="+250788123125", text="stranded")
    assert api.delete(f"/api/v1/channels/{backup.uuid}").status_code == 204
    orphan.refresh_from_db()
    assert orphan.status == "failed"
    assert orphan.error == "its channel 'Backup' was released and no channel can send to tel:+250788123125"
