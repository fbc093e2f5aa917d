"""Workspace objects flows refer to by name: message labels, globals and ticket topics.

Imports create them from what an export lists or its flows reference (RapidPro does the same),
and the engine reads them as assets (`add_input_labels`, `@globals.<key>`, `open_ticket`).
"""

import uuid

from django.db import models

from channels_app.models.workspace import Workspace


class Label(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="labels")
    name = models.CharField(max_length=64)
    created_on = models.DateTimeField(auto_now_add=True)
    # Labelled inbound messages; the relation lives here so the hot message table is untouched.
    msgs = models.ManyToManyField("channels_app.Msg", related_name="labels", blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="unique_label_name")]

    def __str__(self) -> str:
        return self.name


class Global(models.Model):
    """A workspace-wide value flows read as `@globals.<key>`."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="globals")
    key = models.SlugField(max_length=36)
    name = models.CharField(max_length=64)
    value = models.TextField(blank=True, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "key"], name="unique_global_key")]

    def __str__(self) -> str:
        return self.key
