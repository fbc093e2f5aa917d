"""The flows app's job paths resolve to the jobs the worker runs."""

from __future__ import annotations

from django.utils.module_loading import import_string

from flows import jobs, wakes


def test_each_flow_job_path_imports_the_job() -> None:
    assert import_string(wakes.PREPARE_START) is jobs.prepare_start
    assert import_string(wakes.RUN_START_BATCHES) is jobs.run_start_batches
    assert import_string(wakes.EXPORT_RESULTS) is jobs.export_results
