"""The one table turning what the inbound edge raises into an HTTP answer: never a 500 for input.

Both adapters (the Django view and the ASGI fast path) answer from this table, so a provider
gets the same status and message whichever path served it. `refusal_for` returns None for an
exception that is a bug, not a refusal; the adapter then lets it propagate.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, DataError
from django.http import JsonResponse

from channels_app import spool, urns
from channels_app.inbound.request import BadRequest
from channels_app.services.ingest import InvalidInbound
from channels_app.services.status import MsgNotFound

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refusal:
    status: int
    message: str
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> bytes:
        return json.dumps({"error": self.message}).encode()


def error(message: str, status: int = 400) -> JsonResponse:
    """A JSON error answer for Django views of the inbound edge (channel types' own actions too)."""
    return JsonResponse({"error": message}, status=status)


def response(refusal: Refusal) -> JsonResponse:
    answer = error(refusal.message, refusal.status)
    for name, value in refusal.headers.items():
        answer[name] = value
    return answer


def unavailable(message: str) -> Refusal:
    """503 + Retry-After: the provider keeps the message and retries it later."""
    return Refusal(
        503,
        f"temporarily unable to store the message, retry: {message}",
        {"Retry-After": str(spool.RETRY_AFTER_SECONDS)},
    )


def _data_error(exc: BaseException) -> Refusal:
    # e.g. a NUL byte in a value a type stores: bad input, not an outage
    logger.info("webhook input refused by the database: %s", exc)
    return Refusal(400, "the request holds a value that cannot be stored (a NUL character or too long)")


def _database_error(exc: BaseException) -> Refusal | None:
    if not spool.is_outage(exc):
        return None  # a bug or a constraint we did not expect: let it surface
    spool.mark_db_down()
    return unavailable("the database is unavailable")


# Checked in order: the first matching row answers (DataError is a DatabaseError, so it comes first).
TABLE: tuple[tuple[tuple[type[BaseException], ...], Callable[[BaseException], Refusal | None]], ...] = (
    ((spool.SpoolUnavailable, spool.UnknownDuringOutage), lambda exc: unavailable(str(exc))),
    ((DataError,), _data_error),
    ((DatabaseError,), _database_error),
    ((RequestDataTooBig,), lambda exc: Refusal(413, "request body too large")),
    ((BadRequest, urns.InvalidURN, InvalidInbound, MsgNotFound), lambda exc: Refusal(400, str(exc))),
)


def refusal_for(exc: BaseException) -> Refusal | None:
    for types, answer in TABLE:
        if isinstance(exc, types):
            return answer(exc)
    return None
