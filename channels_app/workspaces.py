"""Workspaces: who belongs where, creating one, and its settings (name, time zone)."""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from channels_app.models import APIToken, Membership, Workspace


def workspace_for_user(user: Any, chosen: Any = None) -> Workspace | None:
    """The workspace a user acts in: `chosen` (a workspace uuid, e.g. from their session) when
    they are a member of it, else their first membership's. Membership is checked on each call,
    so a removed member loses a chosen workspace at their next request."""
    memberships = Membership.objects.filter(user=user).select_related("workspace")
    if chosen:
        try:
            picked = memberships.filter(workspace__uuid=chosen).first()
        except ValidationError:  # not a uuid: a stale or forged session value
            picked = None
        if picked is not None:
            return picked.workspace
    membership = memberships.order_by("id").first()
    return membership.workspace if membership else None


def workspaces_of(user: Any) -> list[Workspace]:
    """Every workspace the user is a member of, by name (the header's switcher)."""
    return list(Workspace.objects.filter(memberships__user=user).order_by("name", "id"))


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


class WorkspaceError(ValueError):
    pass


@functools.cache
def time_zones() -> tuple[str, ...]:
    """IANA zone names a workspace may use, sorted (the tz database's, as zoneinfo knows them)."""
    return tuple(sorted(zoneinfo.available_timezones() - {"localtime", "Factory"}))


# Called with the workspace after its time zone changed, inside the transaction that changed
# it: campaigns reschedule delivery hours (registered in their app's ready(); this layer can't
# import the apps built on it).
_zone_listeners: list[Callable[[Workspace], None]] = []


def on_timezone_changed(listener: Callable[[Workspace], None]) -> None:
    if listener not in _zone_listeners:
        _zone_listeners.append(listener)


def clean_timezone(name: Any) -> str:
    if not isinstance(name, str) or name.strip() not in time_zones():
        raise WorkspaceError(f"unknown time zone {name!r}: use an IANA name such as Africa/Kigali or UTC")
    return name.strip()


@transaction.atomic
def update_workspace(
    *, workspace: Workspace, name: str | None = None, timezone: str | None = None
) -> Workspace:
    """Change what is given; a new time zone moves every pending campaign fire that depends on it."""
    workspace = Workspace.objects.select_for_update().get(id=workspace.id)
    changed = []
    if name is not None:
        name = " ".join(str(name).split())
        if not name or len(name) > 128 or not name.isprintable():
            raise WorkspaceError("a workspace name has 1 to 128 printable characters")
        workspace.name = name
        changed.append("name")
    zone_changed = False
    if timezone is not None:
        zone = clean_timezone(timezone)
        zone_changed = zone != workspace.timezone
        workspace.timezone = zone
        changed.append("timezone")
    if changed:
        workspace.save(update_fields=changed)
    if zone_changed:
        for listener in _zone_listeners:
            listener(workspace)
    return workspace


def workspace_payload(workspace: Workspace) -> dict[str, Any]:
    return {
        "uuid": str(workspace.uuid),
        "name": workspace.name,
        "timezone": workspace.timezone,
        "created_on": workspace.created_on,
    }
