import uuid

from django.db import models

from channels_app.ids import uuid7
from channels_app.models.workspace import Workspace


class Contact(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active"
        STOPPED = "stopped"  # opted out: nothing is sent to them
        BLOCKED = "blocked"
        ARCHIVED = "archived"  # kept for history, out of lists, groups and sends

    uuid = models.UUIDField(default=uuid7, unique=True, editable=False)
    # Indexed by (workspace, -id) below: the list's order, and it serves the foreign key too.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="contacts", db_index=False
    )
    name = models.CharField(max_length=128, blank=True, default="")
    language = models.CharField(max_length=3, blank=True, default="")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    fields = models.JSONField(default=dict, blank=True)
    created_on = models.DateTimeField(auto_now_add=True)
    modified_on = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "-id"], name="contact_ws_id")]

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
    # Affinity: the channel this URN last wrote in on (or a flow's set_contact_channel chose);
    # messages without an explicit channel go out on it while it is active.
    channel = models.ForeignKey(
        "channels_app.Channel", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "identity"], name="unique_urn_identity")]
        ordering = ["-priority", "id"]

    def __str__(self) -> str:
        return self.identity


class ContactGroup(models.Model):
    """A named set of contacts; `query` groups are computed, others are managed by hand or flows."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="contact_groups")
    name = models.CharField(max_length=128)
    query = models.TextField(blank=True, default="")
    contacts = models.ManyToManyField(Contact, related_name="groups", blank=True)

    class Status(models.TextChoices):
        READY = "ready"
        EVALUATING = "evaluating"  # a smart group whose members a background job is recomputing

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.READY)
    created_on = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="unique_group_name")]

    def __str__(self) -> str:
        return self.name


class ContactField(models.Model):
    """A custom contact field (`@fields.<key>` in flows); values live in Contact.fields by key."""

    class ValueType(models.TextChoices):
        TEXT = "text"
        NUMBER = "number"
        DATETIME = "datetime"
        STATE = "state"
        DISTRICT = "district"
        WARD = "ward"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="contact_fields")
    key = models.SlugField(max_length=36)
    name = models.CharField(max_length=64)
    value_type = models.CharField(max_length=10, choices=ValueType.choices, default=ValueType.TEXT)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "key"], name="unique_field_key")]

    def __str__(self) -> str:
        return self.key
