"""Members with a role, each with a logged-in test client and an API client of their own key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client

from channels_app.models import APIToken, Membership


@dataclass
class Member:
    user: Any
    web: Client  # logged in
    api: Client  # Authorization: Token <their key>


def member(workspace: Any, role: str, email: str | None = None) -> Member:
    email = email or f"{role}-{workspace.id}@test.org"
    user = get_user_model().objects.create_user(username=email, email=email, password="x-secret-pass")
    Membership.objects.create(workspace=workspace, user=user, role=role)
    web = Client()
    web.force_login(user)
    _, key = APIToken.issue(workspace=workspace, user=user)
    return Member(user=user, web=web, api=Client(HTTP_AUTHORIZATION=f"Token {key}"))
