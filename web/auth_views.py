"""Login with a brake on password guessing: a few failures per account and address, then a pause."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

MAX_FAILURES = 5
WINDOW_SECONDS = 300


def _key(request: HttpRequest) -> str:
    username = (request.POST.get("username") or "").strip().lower()
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
