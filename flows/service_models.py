"""What the service actions of flows work with: tickets and their topics (open_ticket),
resthook subscribers (call_resthook), the workspace's airtime service (transfer_airtime) and its
LLM services (call_llm).

Secrets (the airtime Authorization header, LLM API keys) are stored encrypted (channels_app.crypto)
and shown masked, like channel secrets.
"""

from __future__ import annotations

import uuid

from django.db import models

from channels_app.models import Contact, Workspace
from channels_app.services.secret_store import register_sealed_field


class Topic(models.Model):
    """What a ticket is about; flows name one in open_ticket."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="topics")
    name = models.CharField(max_length=64)
    created_on = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="unique_topic_uuid"),
            models.UniqueConstraint(fields=["workspace", "name"], name="unique_topic_name"),
        ]
        ordering = ["name", "id"]


class TicketStatus(models.TextChoices):
    OPEN = "open"
    CLOSED = "closed"


class Ticket(models.Model):
    """A contact's request for a person's attention, opened by a flow's open_ticket action."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="tickets")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="tickets")
    topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    status = models.CharField(max_length=8, choices=TicketStatus.choices, default=TicketStatus.OPEN)
    assignee = models.CharField(max_length=254, blank=True, default="")  # a user's email
    note = models.TextField(blank=True, default="")
    opened_on = models.DateTimeField(auto_now_add=True)
    closed_on = models.DateTimeField(null=True, blank=True)
    modified_on = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "uuid"], name="unique_ticket_uuid")]
        indexes = [models.Index(fields=["workspace", "status", "-opened_on"], name="ticket_ws_status")]
        ordering = ["-opened_on", "-id"]


class TicketEvent(models.Model):
    """The ticket's thread besides the contact's messages: notes, replies typed by members,
    assignment and status changes, in order."""

    class Kind(models.TextChoices):
        OPENED = "opened"
        NOTE = "note"  # internal: never sent to the contact
        REPLY = "reply"  # a member's reply; `msg` is the outbound message
        ASSIGNED = "assigned"
        CLOSED = "closed"
        REOPENED = "reopened"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    text = models.TextField(blank=True, default="")
    msg = models.ForeignKey(
        "channels_app.Msg", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author = models.CharField(max_length=254, blank=True, default="")  # a member's email, "" for flows
    created_on = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_on", "id"]


class ResthookSubscriber(models.Model):
    """A URL that call_resthook posts to when a flow calls the resthook `resthook` (a slug)."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="resthook_subscribers")
    resthook = models.SlugField(max_length=100)
    target_url = models.URLField(max_length=2048)
    created_on = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="unique_resthook_subscriber_uuid"),
            models.UniqueConstraint(
                fields=["workspace", "resthook", "target_url"], name="unique_resthook_subscription"
            ),
        ]
        ordering = ["resthook", "id"]


class AirtimeService(models.Model):
    """The workspace's airtime provider, configured like an External API channel: a URL and
    method, headers and an Authorization header (secret), a body template with {{variables}},
    and where in the JSON answer the transfer id, currency and amount are."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="airtime_service")
    url = models.URLField(max_length=2048)
    method = models.CharField(max_length=8, default="POST")
    headers = models.JSONField(default=dict, blank=True)
    authorization = models.TextField(blank=True, default="")  # encrypted at rest
    body = models.TextField(blank=True, default="")
    currency = models.CharField(max_length=3)  # the currency of the amounts this provider sends
    # response field -> dotted path in the provider's JSON answer, e.g. {"external_id": "data.id"}
    response_mapping = models.JSONField(default=dict, blank=True)
    modified_on = models.DateTimeField(auto_now=True)


class LLMService(models.Model):
    """An OpenAI-compatible chat-completions endpoint flows can call (call_llm)."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="llm_services")
    name = models.CharField(max_length=64)
    url = models.URLField(max_length=2048)  # e.g. https://api.openai.com/v1/chat/completions
    api_key = models.TextField(blank=True, default="")  # encrypted at rest
    model = models.CharField(max_length=128)
    created_on = models.DateTimeField(auto_now_add=True)
    modified_on = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="unique_llm_service_uuid"),
            models.UniqueConstraint(fields=["workspace", "name"], name="unique_llm_service_name"),
        ]
        ordering = ["name", "id"]


# `manage.py rotate_secrets` re-encrypts these with the channels' secrets.
register_sealed_field(AirtimeService, "authorization")
register_sealed_field(LLMService, "api_key")
