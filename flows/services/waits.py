"""Firing wait timeouts and expirations of waiting sessions (called by a periodic job).

Sessions are claimed with SKIP LOCKED and re-checked under the lock, so a reply racing the
timeout wins or loses cleanly and two schedulers never fire the same wait twice.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from flows.models import FlowSession, SessionStatus
from flows.services.sessions import FlowRunner

logger = logging.getLogger(__name__)


def fire_due_waits(*, now: dt.datetime | None = None, limit: int = 500) -> dict[str, int]:
    now = now or timezone.now()
    counts = {"timeouts": 0, "expirations": 0}
    for kind, field, resume in (
        ("expirations", "expires_on", "wait_expiration"),
        ("timeouts", "timeout_on", "wait_timeout"),
    ):
        ids = list(
            FlowSession.objects.filter(status=SessionStatus.WAITING, **{f"{field}__lte": now})
            .order_by(field)
            .values_list("id", flat=True)[:limit]
        )
        for session_id in ids:
            try:
                with transaction.atomic():
                    row = (
                        FlowSession.objects.select_for_update(skip_locked=True)
                        .select_related("contact", "workspace")
                        .filter(id=session_id, status=SessionStatus.WAITING, **{f"{field}__lte": now})
                        .first()
                    )
                    if row is None:
                        continue
                    FlowRunner.for_workspace(row.workspace_id).resume(
                        session_row=row, resume={"type": resume}
                    )
                    counts[kind] += 1
            except Exception:
                logger.exception("could not fire %s for session %s", resume, session_id)
    return counts
