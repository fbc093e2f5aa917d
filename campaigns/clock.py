"""The campaigns' clock: injectable, so tests (and a worker process they start) can stand at
any instant. FLOWGATE_CLOCK (ISO 8601, in the environment or settings) fixes "now"; tests
usually replace `now` itself."""

from __future__ import annotations

import datetime as dt
import os

from django.conf import settings
from django.utils import timezone


def now() -> dt.datetime:
    fixed = getattr(settings, "FLOWGATE_CLOCK", "") or os.environ.get("FLOWGATE_CLOCK", "")
    if fixed:
        value = dt.datetime.fromisoformat(fixed.replace("Z", "+00:00"))
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return timezone.now()
