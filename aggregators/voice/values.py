"""Provider call values as we store them: durations, timestamps, recording URLs.

Providers disagree on formats (``42``, ``00:01:05``, ISO 8601, RFC 2822, ``2024-01-15 10:00:00``);
a value we cannot read is kept in the call's data rather than failing the callback.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2})$")
MAX_DURATION = 7 * 24 * 3600  # a week: anything longer is a provider bug, not a call


def parse_duration(value: str | None) -> int | None:
    """Seconds from ``42``, ``42.7`` or ``HH:MM:SS`` / ``MM:SS``; None when unreadable."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    seconds: float | None = None
    match = _CLOCK.match(text)
    if match:
        hours, minutes, secs = (int(g) if g else 0 for g in match.groups())
        seconds = hours * 3600 + minutes * 60 + secs
    else:
        try:
            seconds = float(text)
        except ValueError:
            return None
    if seconds != seconds or seconds < 0 or seconds > MAX_DURATION:  # NaN, negative, absurd
        return None
    return int(seconds)


def parse_time(value: str | None) -> datetime | None:
    """An aware datetime from ISO 8601, RFC 2822 or a Unix timestamp; naive times are UTC."""
    if not value or not value.strip():
        return None
    text = value.strip()
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            if re.fullmatch(r"\d{9,10}(\.\d+)?", text):
                parsed = datetime.fromtimestamp(float(text), tz=UTC)
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def recording_url(value: str | None) -> str | None:
    """Only http(s) URLs that fit the column are stored as the recording link."""
    if not value:
        return None
    text = value.strip()
    if text.startswith(("http://", "https://")) and len(text) <= 1024 and not re.search(r"\s", text):
        return text
    return None


def digits(number: str | None) -> str:
    return re.sub(r"\D", "", number or "")


def same_number(a: str | None, b: str | None) -> bool:
    """Loose match for providers that drop the country code or add a trunk 0 (Ozonetel)."""
    da, db = digits(a), digits(b)
    if len(da) < 6 or len(db) < 6:
        return False
    tail = min(len(da), len(db), 9)
    return da[-tail:] == db[-tail:]
