import uuid

from django.db import models

from channels_app.models.workspace import Workspace


class Contact(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active"
        STOPPED = "stopped"  # opted out: nothing is sent to them
        BLOCKED = "blocked"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=128, blank=True, default="")
    language = models.CharField(max_length=3, blank=True, default="")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    fields = models.JSONField(default=dict, blank=True)
    created_on = models.DateTimeField(auto_now_add=True)
    modified_on = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name or str(self.uuid)


class ContactURN(models.Model):
    """A way to reach a contact: `scheme:path`, e.g. `tel:+250788123123` (E.164 for tel)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="urns")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="urns", null=True)
    identity = models.CharField(max_length=255)
    scheme = models.CharField(max_length=32)
    path = models.CharField(max_length=255)
    priority = models.IntegerField(default=1000)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "identity"], name="unique_urn_identity")]
        ordering = ["-priority", "id"]

    def __str__(self) -> str:
        return self.identity
