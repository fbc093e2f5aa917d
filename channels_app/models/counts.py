from django.db import models

from channels_app.models.channel import Channel
from channels_app.models.workspace import Workspace


class MsgDailyCount(models.Model):
    """Messages of one channel created on one day (current time zone), by outcome.

    Kept by a periodic job over the last days only (channels_app.services.stats), so the
    dashboard reads 30 x channels rows instead of counting every message of the month.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, db_index=False)
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, db_index=False)
    day = models.DateField()
    incoming = models.IntegerField(default=0)
    outgoing = models.IntegerField(default=0)
    sent = models.IntegerField(default=0)
    delivered = models.IntegerField(default=0)
    failed = models.IntegerField(default=0)
    in_flight = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "day", "channel"], name="unique_msg_daily_count")
        ]
        indexes = [models.Index(fields=["channel"], name="msg_daily_count_channel")]


class ContactGroupCount(models.Model):
    """Membership changes of a group as +n/-n rows, written by database triggers on the
    membership table (migration 0009) and squashed into one row per group by a periodic job.

    Appending rows instead of updating one counter keeps concurrent adds to the same group from
    waiting on each other; the count is the sum of a group's (few) rows. `group_id` has no foreign
    key on purpose: a group's deletion removes its members first, and the triggers' rows for
    them must not block it (the squash job drops rows of deleted groups).
    """

    group_id = models.IntegerField(db_index=True)
    count = models.IntegerField()
    is_squashed = models.BooleanField(default=False)
