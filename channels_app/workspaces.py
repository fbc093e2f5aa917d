from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from channels_app.models import APIToken, Membership, Workspace


def workspace_for_user(user: Any) -> Workspace | None:
    membership = Membership.objects.filter(user=user).select_related("workspace").order_by("id").first()
    return membership.workspace if membership else None


@transaction.atomic
def create_workspace(
    *, name: str, email: str | None = None, password: str | None = None
) -> tuple[Workspace, str]:
    """Create a workspace, its admin user (when an email is given) and a first API token."""
    workspace = Workspace.objects.create(name=name)
    user = None
    if email:
        user_model = get_user_model()
        user = user_model.objects.filter(username=email).first()
        if user is None:
            user = user_model.objects.create_user(username=email, email=email, password=password)
        elif password:
            user.set_password(password)
            user.save(update_fields=["password"])
        Membership.objects.create(workspace=workspace, user=user, role=Membership.Role.ADMIN)
    _, key = APIToken.issue(workspace=workspace, user=user)
    return workspace, key
