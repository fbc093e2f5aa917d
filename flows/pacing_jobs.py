"""Jobs of paced sending: a short release loop and its periodic wake-up.

The loop releases due rows for at most PACE_JOB_SECONDS, sleeping up to a second for the next
row, then gives the worker back (re-waking itself while rows fall due soon) so send and inbound
jobs interleave with it. The periodic tick wakes it for windows that start later; a lost job is
therefore only a delay of one scheduler interval.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.utils import timezone

from channels_app import queue
from flows.services import pacing

PACE_JOB_SECONDS = 1.0


def pace() -> int:
    queue.clear_wake("pace")
    released = 0
    started = time.monotonic()
    while True:
        released += pacing.release_due(now=timezone.now())
        upcoming = pacing.next_due(now=timezone.now())
        if upcoming is None:
            return released
        wait = (upcoming - timezone.now()).total_seconds()
        if time.monotonic() - started + max(wait, 0) > PACE_JOB_SECONDS:
            break
        if wait > 0:
            time.sleep(wait)
    interval = float(getattr(settings, "FLOWGATE_SWEEP_INTERVAL_SECONDS", 15))
    if wait <= interval:  # later windows are woken by the periodic tick
        if wait > 0:
            time.sleep(min(wait, PACE_JOB_SECONDS))
        queue.wake_now("default", "flows.jobs.pace", key="pace")
    return released


def tick() -> None:
    """Periodic: wake the release loop when a row falls due before the next tick."""
    upcoming = pacing.next_due(now=timezone.now())
    interval = float(getattr(settings, "FLOWGATE_SWEEP_INTERVAL_SECONDS", 15))
    if upcoming is not None and (upcoming - timezone.now()).total_seconds() <= interval:
        queue.clear_wake("pace")
        queue.wake_now("default", "flows.jobs.pace", key="pace")
