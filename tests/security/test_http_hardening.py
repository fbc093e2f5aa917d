"""Issue 16 #10: allowed hosts from the base URL, Secure cookies and HSTS on HTTPS, a CSP.

On main ALLOWED_HOSTS defaulted to `*`, cookies were never Secure even behind HTTPS, and no
page sent HSTS or a Content-Security-Policy. Checked on a real `manage.py serve` process
configured like a deployment behind a TLS-terminating proxy.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.conf import settings

from tests.channels_app.test_serve import _free_port
from tests.channels_app.test_worker_kill import _database_url

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = "sms.example.org"


@pytest.fixture
def https_deployment(transactional_db: None, tmp_path: Path) -> Any:
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "FLOWGATE_INPROCESS_WORKER": "0",
        "FLOWGATE_BASE_URL": f"https://{PUBLIC}",
        "FLOWGATE_TRUST_X_FORWARDED_PROTO": "1",
        "FLOWGATE_VAR_DIR": str(tmp_path),
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port), "--server", "uvicorn"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("serve did not start")
        yield base
    finally:
        process.terminate()
        process.wait(10)


def test_https_deployment_headers_cookies_and_hosts(https_deployment: str) -> None:
    proxied = {"Host": PUBLIC, "X-Forwarded-Proto": "https"}
    page = httpx.get(f"{https_deployment}/login/", headers=proxied)
    assert page.status_code == 200
    assert int(page.headers["strict-transport-security"].split("max-age=")[1].split(";")[0]) >= 31536000
    csrf_cookie = page.headers["set-cookie"]
    assert (
        "csrftoken=" in csrf_cookie
        and "Secure" in csrf_cookie
        and "HttpOnly" not in csrf_cookie.split("csrftoken")[0]
    )
    policy = page.headers["content-security-policy"]
    assert (
        "script-src 'self'" in policy and "'unsafe-eval'" not in policy and "frame-ancestors 'none'" in policy
    )
    assert page.headers["x-frame-options"] == "DENY" and page.headers["x-content-type-options"] == "nosniff"

    # Plain HTTP (no proxy header): no HSTS, which browsers ignore there anyway.
    plain = httpx.get(f"{https_deployment}/login/", headers={"Host": PUBLIC})
    assert plain.status_code == 200 and "strict-transport-security" not in plain.headers

    # A Host that is not ours is refused rather than trusted in links and redirects.
    assert httpx.get(f"{https_deployment}/login/", headers={"Host": "evil.example"}).status_code == 400


def test_default_hosts_are_not_a_wildcard() -> None:
    assert "*" not in settings.ALLOWED_HOSTS
    assert {"127.0.0.1", "localhost"} <= set(settings.ALLOWED_HOSTS)
    assert settings.SESSION_COOKIE_SECURE is False  # the embedded default serves plain HTTP locally
