"""Web and worker processes freeze their start-up objects and collect young objects less often.

Each case starts a fresh interpreter: the policy acts on the whole process, and this test
process has its own collector state that must not be changed under the rest of the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.gc_policy import YOUNG_GENERATION_THRESHOLD

ROOT = Path(__file__).resolve().parents[2]

WEB_PROCESS = """
import gc, json
import web.asgi
print(json.dumps({"frozen": gc.get_freeze_count(), "threshold": gc.get_threshold()}))
"""

# The worker command up to the point where it would start consuming queues.
WORKER_PROCESS = """
import gc, json, django
django.setup()
from channels_app.management.commands import worker

class Started(BaseException):  # not caught by the command's crash loop
    pass

def make_worker(**kwargs):
    raise Started

worker.make_worker = make_worker
try:
    worker.Command().handle(burst=True, no_scheduler=True)
except Started:
    pass
import sys
print(json.dumps({
    "frozen": gc.get_freeze_count(),
    "threshold": gc.get_threshold(),
    "jobs_imported": "channels_app.jobs" in sys.modules,
}))
"""


def _run(script: str, **env: str) -> dict:
    environ = {k: v for k, v in os.environ.items() if k != "FLOWGATE_GC_TUNING"}
    environ.update(DJANGO_SETTINGS_MODULE="web.settings", **env)
    # The embedded default (no REDIS_URL): the worker's in-process queue needs no server.
    environ.pop("REDIS_URL", None)
    environ.pop("DATABASE_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("script", [WEB_PROCESS, WORKER_PROCESS], ids=["web", "worker"])
def test_start_up_objects_are_frozen_and_young_collections_are_rarer(script: str) -> None:
    state = _run(script)
    # Django, the URL map and the engine: far more than any request leaves behind.
    assert state["frozen"] > 50_000
    assert state["threshold"][0] == YOUNG_GENERATION_THRESHOLD
    if "jobs_imported" in state:
        assert state["jobs_imported"] is True  # imported before the freeze, not on the first job


@pytest.mark.parametrize("script", [WEB_PROCESS, WORKER_PROCESS], ids=["web", "worker"])
def test_the_switch_leaves_cpythons_defaults(script: str) -> None:
    state = _run(script, FLOWGATE_GC_TUNING="0")
    assert state["frozen"] == 0
    assert state["threshold"][0] == 700
