import hashlib
import secrets
import uuid

from django.conf import settings
from django.db import models


class Workspace(models.Model):
    """The tenant: every row a user can see hangs off exactly one workspace."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=128)
    # an IANA zone: campaign delivery hours and dates without an offset are read in it
    timezone = models.CharField(max_length=64, default="UTC")
    created_on = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin"  # everything, members included
        EDITOR = "editor"  # channels, flows, contacts, campaigns; not members
        AGENT = "agent"  # answers tickets and reads; changes no channel or flow
        VIEWER = "viewer"  # reads only

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ADMIN)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "user"], name="unique_membership")]


class Invitation(models.Model):
    """A link that makes whoever opens it (logged in or signing up) a member with `role`.
    Only the token's hash is stored, like API keys."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(blank=True, default="")
    role = models.CharField(max_length=16, choices=Membership.Role.choices, default=Membership.Role.VIEWER)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_on = models.DateTimeField(auto_now_add=True)
    expires_on = models.DateTimeField()
    accepted_on = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class APIToken(models.Model):
    """A per-workspace API key. Only its hash is stored: a leaked database leaks no keys."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="api_tokens")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    name = models.CharField(max_length=64, default="default")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text="first characters, to tell keys apart in the UI")
    created_on = models.DateTimeField(auto_now_add=True)
    last_used_on = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    @classmethod
    def issue(
        cls, *, workspace: Workspace, user: object | None = None, name: str = "default"
    ) -> tuple["APIToken", str]:
        key = secrets.token_hex(20)
        token = cls.objects.create(
            workspace=workspace, user=user, name=name, key_hash=hash_token(key), prefix=key[:6]
        )
        return token, key

    @property
    def masked(self) -> str:
        return f"{self.prefix}{'*' * 12}"
