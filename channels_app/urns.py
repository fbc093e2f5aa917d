"""URN parsing and normalisation: `tel:` numbers become E.164 using the channel's country."""

from __future__ import annotations

import functools
import re

import phonenumbers

VALID_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]{0,31}$")


class InvalidURN(ValueError):
    pass


# A contact in a conversation sends again and again: phonenumbers' parse is the costliest step
# of validating an inbound message, and its answer for (number, country) never changes.
@functools.lru_cache(maxsize=16_384)
def normalize_tel(number: str, country: str = "") -> str:
    raw = number.strip()
    if not raw:
        raise InvalidURN("the phone number is empty")
    region = country.upper() or None
    candidates = [raw]
    if not raw.startswith("+") and raw.isdigit() and len(raw) > 8:
        # Aggregators often drop the plus on international numbers ("250788123123").
        candidates.append("+" + raw)
    for candidate in candidates:
        try:
            parsed = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    # Short codes and alphanumeric senders are real senders too: keep them as given, cleaned.
    cleaned = re.sub(r"[\s\-().]", "", raw)
    if re.fullmatch(r"\+?[0-9]{2,15}|[A-Za-z0-9 ]{2,11}", cleaned):
        return cleaned
    raise InvalidURN(f"{number!r} is not a valid phone number")


def normalize(urn: str, country: str = "", default_scheme: str = "tel") -> str:
    """`tel:0788123123` + RW -> `tel:+250788123123`; a bare value takes `default_scheme`."""
    if not isinstance(urn, str) or not urn.strip():
        raise InvalidURN("the URN is empty")
    urn = urn.strip()
    scheme, sep, path = urn.partition(":")
    if not sep or not VALID_SCHEME.match(scheme.lower()):
        scheme, path = default_scheme, urn
    scheme = scheme.lower()
    if scheme == "tel":
        return f"tel:{normalize_tel(path, country)}"
    if not path.strip():
        raise InvalidURN(f"the URN {urn!r} has no path")
    return f"{scheme}:{path.strip()}"


def split(identity: str) -> tuple[str, str]:
    scheme, _, path = identity.partition(":")
    return scheme, path


def tel_path(identity: str) -> str:
    """The number of a tel URN (with its plus), or the path of any other URN."""
    return split(identity)[1]


def check_possible_number(sender: str) -> None:
    """Refuse a sender that cannot be a phone number on a tel channel (courier: 'not a possible number').

    Short codes are numbers too; `MTN` is not: stored as `tel:MTN` it would become a contact
    nobody can reach, and an opt-out for it would stop that phantom contact.
    """
    if any(c.isalpha() for c in sender):
        raise InvalidURN(
            f"{sender.strip()!r} is not a possible number: not a valid phone number for a tel channel"
        )
