"""Login with a brake on password guessing: a few failures per account and address, then a pause."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

MAX_FAILURES = 5
WINDOW_SECONDS = 300


def login_identity(raw: str) -> str:
    """The account a login attempt names, as the login form resolves it.

    The form NFKC-normalises the username (Django's UsernameField), so `ｂ@example.org` logs in
    as `b@example.org`: the brake must count both as one account, and case or spaces as well.
    """
    return unicodedata.normalize("NFKC", raw).strip().casefold()


def _key(request: HttpRequest) -> str:
    username = login_identity(request.POST.get("username") or "")
    address = request.META.get("REMOTE_ADDR", "")
    return f"flowgate:login-failures:{address}:{username}"


class RateLimitedLoginView(auth_views.LoginView):
    template_name = "login.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        key = _key(request)
        if (cache.get(key) or 0) >= MAX_FAILURES:
            response = self.render_to_response(
                {**self.get_context_data(), "locked": True, "retry_minutes": WINDOW_SECONDS // 60}
            )
            response.status_code = 429
            response["Retry-After"] = str(WINDOW_SECONDS)
            return response
        response = super().post(request, *args, **kwargs)
        if response.status_code == 200:  # the form came back: the password was wrong
            if not cache.add(key, 1, WINDOW_SECONDS):
                try:
                    cache.incr(key)
                except ValueError:
                    cache.set(key, 1, WINDOW_SECONDS)
        else:
            cache.delete(key)
        return response
