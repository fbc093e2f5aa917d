"""URNs (scheme:path?query#display) as used for contact addresses, and their display formats."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

_URN_RE = re.compile(r"^([a-z][a-z0-9]*):([^?#]+)(?:\?([^#]*))?(?:#(.*))?$")


@dataclass(frozen=True)
class URN:
    scheme: str
    path: str
    query: str = ""
    display: str = ""

    @property
    def identity(self) -> str:
        """scheme:path, without query/display: what makes two URNs the same address."""
        return f"{self.scheme}:{self.path}"

    def __str__(self) -> str:
        out = self.identity
        if self.query:
            out += "?" + self.query
        if self.display:
            out += "#" + self.display
        return out


@lru_cache(maxsize=4096)
def parse_urn(text: str) -> URN | None:
    """Parses a URN (cached: URNs are immutable and the same few are parsed on every message)."""
    m = _URN_RE.match(text.strip())
    if not m:
        return None
    return URN(m.group(1), m.group(2), m.group(3) or "", m.group(4) or "")


def format_urn(text: str) -> str | None:
    """Human display of a URN: national phone format for tel, display name for social ids."""
    urn = parse_urn(text)
    if urn is None:
        return None
    if urn.display:
        return urn.display
    if urn.scheme == "tel":
        try:
            num = phonenumbers.parse(urn.path, None)
        except phonenumbers.NumberParseException:
            return urn.path
        if phonenumbers.is_possible_number(num):
            return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.NATIONAL)
        return urn.path
    return urn.path


def normalize_tel(text: str, country: str = "") -> str | None:
    """E.164 form of a phone number, or None if it isn't one."""
    try:
        num = phonenumbers.parse(text, country.upper() or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(num):
        return None
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=4096)
def tel_country(number: str) -> str:
    """ISO country code of an international phone number ("" when it can't be told)."""
    try:
        num = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return ""
    return phonenumbers.region_code_for_number(num) or ""
