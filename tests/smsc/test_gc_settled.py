"""`manage.py smsc` settles the collector as web and worker processes do (infra.gc_policy): the
supervisor's per-message work no longer pays for full collections of the start-up heap."""

from __future__ import annotations

import pytest

from infra.gc_policy import YOUNG_GENERATION_THRESHOLD
from tests.infra.test_gc_policy import _run

# The command up to the point where its event loop would start.
SMSC_PROCESS = """
import gc, json, django
django.setup()
from smsc.management.commands import smsc

seen = {}

def run(coro):
    coro.close()  # the supervisor itself is not started
    seen.update(frozen=gc.get_freeze_count(), threshold=gc.get_threshold())

smsc.asyncio.run = run
smsc.Command().handle(poll=0.5, batch=500, stale=15.0)
print(json.dumps(seen))
"""


@pytest.mark.parametrize(
    "tuning, frozen, young", [(None, True, YOUNG_GENERATION_THRESHOLD), ("0", False, 700)]
)
def test_smsc_process_settles_the_collector_before_its_loop(
    tuning: str | None, frozen: bool, young: int
) -> None:
    state = _run(SMSC_PROCESS, **({"FLOWGATE_GC_TUNING": tuning} if tuning else {}))
    assert (state["frozen"] > 50_000) is frozen
    assert state["threshold"][0] == young
