"""Where Django's SECRET_KEY comes from (imported by settings, so no Django imports here).

A key printed in the source would let anyone forge what it signs (sessions, CSRF, password
resets), so there is none: a production run must set ``SECRET_KEY``; the embedded default makes
a random one on first run and keeps it in ``var/secret_key`` (readable by its owner only).
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

# The key earlier versions fell back to. Never used to sign or encrypt anything any more; kept
# only so secrets an old install encrypted with a key derived from it still open (decrypt-only)
# until `manage.py rotate_secrets` re-encrypts them (see channels_app.crypto).
LEGACY_PUBLIC_SECRET_KEY = "flowgate-insecure-development-key-change-me"

MISSING_KEY_MESSAGE = (
    "SECRET_KEY is not set. This looks like a production run ({reason}), where a missing key "
    "cannot be replaced by a generated one: every process must share it. Set SECRET_KEY to a long "
    "random value, the same for every web and worker process, e.g. "
    "python -c 'import secrets; print(secrets.token_urlsafe(50))'. "
    "See README.md, 'Deploying safely'."
)


class MissingSecretKey(RuntimeError):
    """A production run without SECRET_KEY."""


def is_loopback_url(url: str) -> bool:
    host = (urlsplit(url).hostname or "").strip("[]").lower()
    if host in {"localhost", ""} or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def production_reason(*, redis_url: str, debug: bool, base_url: str) -> str:
    """Why this run counts as production ('' when it is the embedded default or a local debug run)."""
    if redis_url:
        return "REDIS_URL is set"
    if not debug and base_url and not is_loopback_url(base_url):
        return f"DEBUG is off and FLOWGATE_BASE_URL is {base_url}"
    return ""


def load_or_create(var_dir: Path) -> str:
    """The embedded default's key: made once with a CSPRNG, then read back on every start."""
    path = var_dir / "secret_key"
    try:
        existing = path.read_text().strip()
    except FileNotFoundError:
        existing = ""
    if existing:
        return existing
    key = secrets.token_urlsafe(50)
    # O_EXCL: two processes starting at once agree on the first one written.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip() or key
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def resolve(*, environ: dict[str, str] | os._Environ[str], var_dir: Path, debug: bool, base_url: str) -> str:
    given = (environ.get("SECRET_KEY") or "").strip()
    if given == LEGACY_PUBLIC_SECRET_KEY:
        raise MissingSecretKey(
            "SECRET_KEY is set to the value earlier versions printed in their source, which "
            "anyone can read: set a long random value of your own (see README.md, 'Deploying safely')."
        )
    if given:
        return given
    reason = production_reason(redis_url=environ.get("REDIS_URL", ""), debug=debug, base_url=base_url)
    if reason:
        raise MissingSecretKey(MISSING_KEY_MESSAGE.format(reason=reason))
    return load_or_create(var_dir)
