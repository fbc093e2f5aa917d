"""Issue 16 #4: the login brake counts look-alike spellings of an account as that account.

On main the brake keyed on the raw lower-cased username while the login form NFKC-normalises
it: `ａdmin@test.org` (a fullwidth a) got a fresh counter and logged in as the locked account.
"""

from __future__ import annotations

import re
from typing import Any

from web.auth_views import MAX_FAILURES


def _login(http: Any, username: str, password: str) -> Any:
    page = http.get("/login/")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert csrf, "the login form carries a CSRF token"
    return http.post(
        "/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": csrf.group(1)},
        headers={"Referer": http.base_url.join("/login/").__str__()},
    )


def test_lookalike_usernames_share_the_locked_counter(live_asgi: Any, workspace: Any) -> None:
    with live_asgi.client() as http:
        for _ in range(MAX_FAILURES):
            assert _login(http, "admin@test.org", "wrong").status_code == 200
        for lookalike in (
            "ａdmin@test.org",
            "ADMİN@test.org".replace("İ", "I"),
            "ａｄｍｉｎ＠ｔｅｓｔ．ｏｒｇ",
        ):
            answer = _login(http, lookalike, "secret-pass")
            assert answer.status_code == 429, (lookalike, answer.status_code)
            assert "sessionid" not in http.cookies
