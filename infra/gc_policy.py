"""Garbage collection settled for long-lived server processes (web and workers).

After start-up a process holds ~170,000 objects that live as long as it does (modules, Django's
URL resolvers, models, the flow engine's tables). CPython's full collection walks all of them:
about 60-90 ms of CPU in one go, during which the event loop answers nobody, which shows as the
receive path's p99. Freezing them moves them out of the collector's sight for good (they are
never garbage), and a larger young-generation threshold means fewer young collections for the
short-lived objects every request and job makes. Reference counting frees almost all of those
anyway; the collector only has to find cycles.

FLOWGATE_GC_TUNING=0 leaves CPython's defaults (to compare, or to rule this out).
"""

from __future__ import annotations

import gc
import os

# CPython's default is 700: a young collection every 700 net allocations. At 5,000 there are
# about 8 times fewer young and middle collections, so the old generation (what was made after
# start-up: caches, lazily built API schemas) is examined rarely enough that no full collection
# ran in 6,000 requests of `python -m benchmarks.gc_pauses`, where the defaults paused 150-180 ms.
YOUNG_GENERATION_THRESHOLD = 5_000


def settle_after_startup() -> bool:
    """Freeze what start-up made and raise the young threshold; True when applied."""
    if os.environ.get("FLOWGATE_GC_TUNING", "1") == "0":
        return False
    gc.collect()  # what start-up left as garbage goes now, not frozen with the rest
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(max(_young, YOUNG_GENERATION_THRESHOLD), middle, old)
    return True
