"""The flows app's one-off jobs, each dotted path spelled once (flows.jobs imports the services,
so the services cannot import it back); tests/flows/test_wakes.py checks each path resolves."""

from __future__ import annotations

from channels_app import queue

PREPARE_START = "flows.jobs.prepare_start"
RUN_START_BATCHES = "flows.jobs.run_start_batches"
EXPORT_RESULTS = "flows.jobs.export_results"


def prepare_start(start_id: int) -> None:
    queue.enqueue("default", PREPARE_START, start_id)


def run_start_batches(start_id: int) -> None:
    queue.enqueue("default", RUN_START_BATCHES, start_id)


def export_results(export_id: int) -> None:
    queue.enqueue("default", EXPORT_RESULTS, export_id)
