"""Marks the mock channel's sent messages delivered once their delay is over (periodic job)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from channels_app import queue
from channels_app.models import Channel, Direction, Msg, MsgStatus
from channels_app.services.status import update_status


def deliver_due(*, now: datetime | None = None) -> int:
    if not queue.try_lock("dev-deliver", seconds=55):
        return 0
    try:
        now = now or timezone.now()
        delivered = 0
        for channel in Channel.objects.filter(channel_type="DV", is_active=True):
            delay = timedelta(seconds=int(channel.config.get("delivery_delay") or 0))
            due = Msg.objects.filter(
                channel=channel, direction=Direction.OUT, status=MsgStatus.SENT, sent_on__lte=now - delay
            ).order_by("id")[:1000]
            for msg in due:
                delivered += update_status(msg=msg, status=MsgStatus.DELIVERED, source="dev_mock")
        return delivered
    finally:
        queue.release_lock("dev-deliver")
