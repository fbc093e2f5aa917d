"""Secrets at rest: Fernet tokens with a recognisable prefix, keys rotatable.

Keys come from ``FLOWGATE_SECRET_KEYS`` (comma-separated Fernet keys): the first encrypts, all
decrypt, so a new key is rolled out by putting it first and running ``manage.py rotate_secrets``.
Without it a key is derived from Django's ``SECRET_KEY`` so a fresh ``make run`` needs no setup
(that key is random per install, infra.secret_key: never a value printed in the source).
Secrets an older install encrypted under the key derived from the old public default still
open, decrypt-only and with a warning, until ``rotate_secrets`` re-encrypts them.
Stored values look like ``enc:v1:<token>``; anything without the prefix is legacy plaintext
(the data migration and ``rotate_secrets`` encrypt those).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import logging
import os
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from infra.secret_key import LEGACY_PUBLIC_SECRET_KEY

PREFIX = "enc:v1:"
logger = logging.getLogger(__name__)


class SecretKeyError(RuntimeError):
    """FLOWGATE_SECRET_KEYS holds something that is not a Fernet key."""


class SecretDecryptionError(RuntimeError):
    """A stored secret none of the configured keys can open (wrong or missing key)."""


def _derived_key(secret_key: str) -> bytes:
    # A dedicated derivation so the Fernet key is not Django's signing key itself.
    digest = hashlib.sha256(b"flowgate-secrets-at-rest:" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest)


def configured_keys() -> tuple[str, ...]:
    raw = getattr(settings, "FLOWGATE_SECRET_KEYS", None)
    if raw is None:
        raw = os.environ.get("FLOWGATE_SECRET_KEYS", "")
    return tuple(k.strip() for k in str(raw).split(",") if k.strip())


@functools.lru_cache(maxsize=8)
def _box(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if not keys:
        return MultiFernet([Fernet(_derived_key(secret_key))])
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key.encode()))
        except (ValueError, TypeError):
            raise SecretKeyError(
                f"FLOWGATE_SECRET_KEYS entry {position} is not a Fernet key "
                "(32 url-safe base64-encoded bytes; make one with "
                "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
            ) from None
    # The derived key still decrypts (never encrypts), so a deployment that started without
    # FLOWGATE_SECRET_KEYS moves to explicit keys by setting them and running rotate_secrets.
    fernets.append(Fernet(_derived_key(secret_key)))
    return MultiFernet(fernets)


def box() -> MultiFernet:
    return _box(configured_keys(), settings.SECRET_KEY)


def is_encrypted(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def encrypt(plaintext: str) -> str:
    """Encrypt a secret; an already encrypted value is returned unchanged."""
    if is_encrypted(plaintext):
        return plaintext
    return PREFIX + box().encrypt(plaintext.encode()).decode()


def decrypt(value: str) -> str:
    """The plaintext of a stored secret; legacy plaintext (no prefix) is returned as is."""
    if not is_encrypted(value):
        return value
    return _decrypt_token(value[len(PREFIX) :], configured_keys(), settings.SECRET_KEY)


def _legacy_decrypt(token: str) -> str | None:
    """Open a value encrypted under the old public default's derived key (upgrades only)."""
    try:
        plain = Fernet(_derived_key(LEGACY_PUBLIC_SECRET_KEY)).decrypt(token.encode()).decode()
    except InvalidToken:
        return None
    logger.warning(
        "a stored secret is still encrypted with the key derived from the old public default "
        "SECRET_KEY: run `manage.py rotate_secrets` to re-encrypt it with your own key"
    )
    return plain


@functools.lru_cache(maxsize=4096)
def _decrypt_token(token: str, keys: tuple[str, ...], secret_key: str) -> str:
    # Cached: senders and the inbound check decrypt the same few secrets on every request.
    try:
        return _box(keys, secret_key).decrypt(token.encode()).decode()
    except InvalidToken:
        legacy = _legacy_decrypt(token)
        if legacy is not None:
            return legacy
        raise SecretDecryptionError(
            "a stored secret cannot be decrypted with the configured keys: "
            "FLOWGATE_SECRET_KEYS (or SECRET_KEY) changed without keeping the old key"
        ) from None


def rotate(value: str) -> str:
    """Re-encrypt with the first key (plaintext gets encrypted)."""
    if not is_encrypted(value):
        return encrypt(value)
    legacy = _legacy_decrypt(value[len(PREFIX) :])
    if legacy is not None:
        return PREFIX + box().encrypt(legacy.encode()).decode()
    try:
        token = box().rotate(value[len(PREFIX) :].encode())
    except InvalidToken:
        raise SecretDecryptionError(
            "a stored secret cannot be decrypted with the configured keys; keep the old key "
            "in FLOWGATE_SECRET_KEYS (after the new one) while rotating"
        ) from None
    return PREFIX + token.decode()


def reveal(config: dict[str, Any]) -> dict[str, Any]:
    """A copy of a stored config with every encrypted value (at any depth) in clear.

    Called where a sender or receiver needs the values; stored configs stay encrypted.
    """
    return {k: _reveal_value(v) for k, v in config.items()}


def reveal_fields(fields: dict[str, Any]) -> dict[str, Any]:
    return reveal(dict(fields))


def _reveal_value(value: Any) -> Any:
    if isinstance(value, str):
        return decrypt(value)
    if isinstance(value, dict):
        return reveal(value)
    if isinstance(value, list):
        return [_reveal_value(v) for v in value]
    return value
