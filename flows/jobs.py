"""Flow jobs: they take ids and call services; periodic ones take a lock so overlaps skip."""

from __future__ import annotations

from channels_app import queue
from flows.services import exports, starts, triggers, waits


def prepare_start(start_id: int) -> int:
    return starts.prepare_start(start_id=start_id)


def run_start_batches(start_id: int) -> int:
    return starts.run_start_batches(start_id=start_id)


def export_results(export_id: int) -> None:
    exports.run_export(export_id=export_id)


def fire_waits() -> dict[str, int]:
    """Periodic: wait timeouts, expirations and scheduled triggers that are due."""
    if not queue.try_lock("flows:waits", seconds=300):
        return {}
    try:
        counts = waits.fire_due_waits()
        counts["schedules"] = triggers.fire_schedules()
        return counts
    finally:
        queue.release_lock("flows:waits")


def pace() -> int:
    from flows import pacing_jobs

    return pacing_jobs.pace()


def pace_tick() -> None:
    from flows import pacing_jobs

    pacing_jobs.tick()
