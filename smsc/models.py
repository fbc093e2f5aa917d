"""Rows the SMPP supervisor keeps next to core messages.

`SubmittedPart` ties each submit_sm_resp message id to our message so delivery receipts, which
name only the SMSC's id (per part), can find it. `LinkState` is the link's last reported state:
a row rather than Redis because the `smsc` process and the web process share only the database
on the embedded default (each has its own in-process fakeredis).
"""

from __future__ import annotations

from django.db import models

from channels_app.models import Channel, Msg


class SubmittedPart(models.Model):
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    msg = models.ForeignKey(Msg, on_delete=models.CASCADE, related_name="smpp_parts")
    smsc_id = models.CharField(max_length=80, help_text="canonical spelling (smsc.dlr.normalize_id)")
    part = models.PositiveSmallIntegerField(default=1)
    stat = models.CharField(max_length=16, blank=True, default="")
    created_on = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["channel", "smsc_id"], name="smpp_part_channel_smsc_id")]


class LinkState(models.Model):
    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="smpp_link")
    state = models.CharField(max_length=16, default="down")
    last_error = models.TextField(blank=True, default="")
    stats = models.JSONField(default=dict, blank=True)
    # Which supervisor runs the link; another one takes over only once `updated_on` is stale.
    owner = models.CharField(max_length=80, blank=True, default="")
    updated_on = models.DateTimeField()
