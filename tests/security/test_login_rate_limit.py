"""Password guessing on the login form is slowed down: after a few failures, 429 for a while."""

from __future__ import annotations

from typing import Any

from django.test import Client

from web.auth_views import MAX_FAILURES, WINDOW_SECONDS


def _login(client: Client, username: str, password: str, **extra: Any) -> Any:
    return client.post("/login/", {"username": username, "password": password}, **extra)


def test_repeated_failures_lock_the_account_from_that_address(workspace: Any) -> None:
    client = Client()
    for _ in range(MAX_FAILURES):
        response = _login(client, "admin@test.org", "wrong")
        assert response.status_code == 200  # the form again, with an error
    response = _login(client, "admin@test.org", "wrong")
    assert response.status_code == 429
    assert response["Retry-After"] == str(WINDOW_SECONDS)
    # Locked means locked: the right password does not get through either.
    assert _login(client, "admin@test.org", "secret-pass").status_code == 429
    assert "_auth_user_id" not in client.session
    # The username is matched without case or spaces, so variants share the count.
    assert _login(client, " ADMIN@test.org ", "wrong").status_code == 429


def test_lock_is_per_address_and_success_resets_the_count(workspace: Any) -> None:
    client = Client()
    for _ in range(MAX_FAILURES):
        _login(client, "admin@test.org", "wrong")
    other_address = Client()
    response = _login(other_address, "admin@test.org", "secret-pass", REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 302  # another address still logs in

    fresh = Client()
    for _ in range(MAX_FAILURES - 1):
        _login(fresh, "admin@test.org", "wrong", REMOTE_ADDR="10.0.0.10")
    assert _login(fresh, "admin@test.org", "secret-pass", REMOTE_ADDR="10.0.0.10").status_code == 302
    fresh.logout()
    for _ in range(MAX_FAILURES - 1):  # the success cleared the earlier failures
        assert _login(fresh, "admin@test.org", "wrong", REMOTE_ADDR="10.0.0.10").status_code == 200
