"""A contact import: an uploaded spreadsheet, validated and then written by a background job."""

import uuid

from django.conf import settings
from django.db import models

from channels_app.models.workspace import Workspace


class ContactImport(models.Model):
    class Status(models.TextChoices):
        PREVIEW = "preview"  # uploaded, waiting for the user to choose new fields' types
        PENDING = "pending"  # queued for the worker
        VALIDATING = "validating"
        IMPORTING = "importing"
        COMPLETE = "complete"
        FAILED = "failed"  # nothing was written; `errors` says why, by spreadsheet row

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="contact_imports")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    filename = models.CharField(max_length=255)
    # The file itself: the worker may run in another process or machine than the upload.
    content = models.BinaryField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)  # percent; live value is in Redis
    rows = models.PositiveIntegerField(default=0)
    # {"<column header>": {"key", "name", "value_type", "new"}}: where each field column goes
    field_columns = models.JSONField(default=dict)
    group_names = models.JSONField(default=list)  # everyone imported joins these groups
    counts = models.JSONField(default=dict)
    errors = models.JSONField(default=list)  # [{"row", "message"}]
    created_on = models.DateTimeField(auto_now_add=True)
    finished_on = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"
