"""Workspace members and their roles, and invitations by link.

An invitation is a random token shown once (its link); only its hash is stored. Opening the
link while logged in, or signing up on it, makes that user a member with the invited role.
A workspace always keeps at least one administrator.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from channels_app.models import Invitation, Membership, Workspace
from channels_app.models.workspace import hash_token

INVITATION_DAYS = 7
ROLES = [r.value for r in Membership.Role]


class MemberError(ValueError):
    pass


def _role(role: str) -> str:
    if role not in ROLES:
        raise MemberError(f"role must be one of {', '.join(ROLES)}")
    return role


def _keeps_an_admin(membership: Membership) -> None:
    others = Membership.objects.filter(
        workspace_id=membership.workspace_id, role=Membership.Role.ADMIN
    ).exclude(id=membership.id)
    if membership.role == Membership.Role.ADMIN and not others.exists():
        raise MemberError("a workspace needs at least one administrator")


@transaction.atomic
def set_role(*, membership: Membership, role: str) -> Membership:
    role = _role(role)
    if role != Membership.Role.ADMIN:
        _keeps_an_admin(membership)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def remove_member(*, membership: Membership) -> None:
    _keeps_an_admin(membership)
    membership.delete()


def invite(
    *,
    workspace: Workspace,
    role: str,
    email: str = "",
    created_by: Any = None,
    now: dt.datetime | None = None,
) -> tuple[Invitation, str]:
    """Returns the invitation and its token (shown once, in the link)."""
    token = secrets.token_urlsafe(24)
    invitation = Invitation.objects.create(
        workspace=workspace,
        email=(email or "").strip()[:254],
        role=_role(role),
        token_hash=hash_token(token),
        created_by=created_by,
        expires_on=(now or timezone.now()) + dt.timedelta(days=INVITATION_DAYS),
    )
    return invitation, token


def find_invitation(*, token: str, now: dt.datetime | None = None) -> Invitation:
    invitation = (
        Invitation.objects.filter(token_hash=hash_token(token or "")).select_related("workspace").first()
    )
    if invitation is None:
        raise MemberError("this invitation link is not valid")
    if invitation.accepted_on is not None:
        raise MemberError("this invitation was already used")
    if invitation.expires_on <= (now or timezone.now()):
        raise MemberError("this invitation has expired: ask for a new one")
    return invitation


@transaction.atomic
def accept(*, token: str, user: Any = None, email: str = "", password: str = "") -> Membership:
    """Accept as `user` (logged in) or as a new user signing up with email and password."""
    invitation = Invitation.objects.select_for_update().get(id=find_invitation(token=token).id)
    if user is None or not getattr(user, "is_authenticated", False):
        email = (email or "").strip().lower()
        if "@" not in email or len(password or "") < 8:
            raise MemberError("give your email and a password of at least 8 characters")
        user_model = get_user_model()
        if user_model.objects.filter(username=email).exists():
            raise MemberError("that email already has an account: log in first, then open the link again")
        user = user_model.objects.create_user(username=email, email=email, password=password)
    if Membership.objects.filter(workspace=invitation.workspace, user=user).exists():
        raise MemberError("you are already a member of this workspace")
    membership = Membership.objects.create(workspace=invitation.workspace, user=user, role=invitation.role)
    invitation.accepted_on, invitation.accepted_by = timezone.now(), user
    invitation.save(update_fields=["accepted_on", "accepted_by"])
    return membership
