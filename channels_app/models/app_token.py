import secrets
import uuid
from typing import Any

from django.db import models

from channels_app.models.workspace import Workspace, hash_token


class AppToken(models.Model):
    """An installed handler app: the grant behind its OAuth2-style access and refresh tokens.

    Access tokens are short-lived random values bound to this row (AppAccessToken, see
    aggregators.handler.auth), so revoking the row revokes them all. Only hashes are stored.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="app_tokens")
    name = models.CharField(max_length=64, default="app")
    scope = models.CharField(max_length=255, default="messageservice")
    refresh_hash = models.CharField(max_length=64, unique=True)
    refresh_prefix = models.CharField(max_length=8)
    # Sent to the app with every handler call so it can tell our calls from anyone else's:
    # stored encrypted (channels_app.crypto), `plain_application_token` is the value sent.
    application_token = models.CharField(max_length=255)
    member_id = models.CharField(max_length=32)
    is_active = models.BooleanField(default=True)
    created_on = models.DateTimeField(auto_now_add=True)
    last_used_on = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.workspace_id})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        from channels_app.services.secret_store import seal

        self.application_token = seal(self.application_token)
        super().save(*args, **kwargs)

    @property
    def plain_application_token(self) -> str:
        from channels_app.crypto import decrypt

        return decrypt(self.application_token)

    @property
    def scopes(self) -> set[str]:
        return {s for s in self.scope.replace(",", " ").split() if s}

    @classmethod
    def issue(
        cls, *, workspace: Workspace, name: str = "app", scope: str = "messageservice"
    ) -> tuple["AppToken", str]:
        """A new installation and its first refresh token (returned once, stored hashed)."""
        refresh = secrets.token_hex(20)
        app = cls.objects.create(
            workspace=workspace,
            name=name,
            scope=scope,
            refresh_hash=hash_token(refresh),
            refresh_prefix=refresh[:6],
            application_token=secrets.token_hex(16),
            member_id=secrets.token_hex(16),
        )
        return app, refresh

    def rotate_refresh(self) -> str:
        refresh = secrets.token_hex(20)
        self.refresh_hash, self.refresh_prefix = hash_token(refresh), refresh[:6]
        self.save(update_fields=["refresh_hash", "refresh_prefix"])
        return refresh


class AppAccessToken(models.Model):
    """A short-lived /rest/ access token: random, stored hashed, bound to one installation.

    Nothing about it is derived from a server key, so nobody can mint one for a workspace or
    an app without being given it. `app` is empty for tokens handed to senders registered with
    the workspace API token (they act for the workspace, as that token does).
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="app_access_tokens")
    app = models.ForeignKey(
        AppToken, null=True, blank=True, on_delete=models.CASCADE, related_name="access_tokens"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    expires_on = models.DateTimeField(db_index=True)
    created_on = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"access token of {self.app_id or 'workspace'} ({self.workspace_id})"
