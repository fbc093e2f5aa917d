"""Date-range filters shared by the list endpoints (`after` / `before`, exclusive bounds)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ninja.errors import HttpError

AFTER_BEFORE_DOC = (
    "`after` / `before` (ISO 8601, exclusive) filter on `{field}`; a date without an offset is UTC. "
    "Results are newest first: page with `cursor`, the `X-Next-Cursor` header of the previous page "
    "(absent on the last page). Pages stay stable while new rows arrive."
)


def _utc(value: datetime, name: str) -> datetime:
    # PostgreSQL rejects offsets beyond ±15:59 that Python accepts: compare in UTC.
    try:
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    except (OverflowError, ValueError):
        raise HttpError(400, f"{name} is out of range") from None


def date_range(qs: Any, field: str, *, after: datetime | None, before: datetime | None) -> Any:
    if after is not None:
        qs = qs.filter(**{f"{field}__gt": _utc(after, "after")})
    if before is not None:
        qs = qs.filter(**{f"{field}__lt": _utc(before, "before")})
    return qs
