"""The agent's own phone: what click-to-call rings first and where incoming calls are put through."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AgentPhone(models.Model):
    """Per user, not per workspace: it is the person's desk phone or extension wherever they work."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_phone"
    )
    extension = models.CharField(max_length=64, blank=True, default="", help_text="phone number or extension")
    # Some providers (Ozonetel) name the agent's campaign or home phone: the @user_phone_home variable.
    phone_home = models.CharField(max_length=128, blank=True, default="")
    takes_incoming = models.BooleanField(
        default=True, help_text="incoming calls may be put through to this agent"
    )
    modified_on = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "aggregators"

    def __str__(self) -> str:
        return f"{self.user} · {self.extension}"
