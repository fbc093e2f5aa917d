"""Every example in the docs runs: each page's marked blocks, in order, against a live server.

The server is the real ASGI app on a local port (``live_asgi``); provider hosts named in the docs
are answered by a local stand-in that records what Flowgate sent it. See tests/docs/examples.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_jobs
from tests.docs.conftest import Provider
from tests.docs.examples import DOCS, RUNNABLE, Runner, counts, examples_in, pages_with_examples

PAGES = [str(p.relative_to(DOCS)) for p in pages_with_examples()]


@pytest.mark.parametrize("page", PAGES)
def test_examples_run(
    page: str,
    live_asgi: Any,
    workspace_and_token: tuple[Any, str],
    provider: Provider,
    tmp_path: Path,
    settings: Any,
) -> None:
    # The guides describe the embedded default (`make run`), whose demo echo aggregator is on
    # there; a run with REDIS_URL (as this suite's) is otherwise a production one without it.
    settings.FLOWGATE_DEMO = True
    runner = Runner(
        live_url=live_asgi.url,
        token=workspace_and_token[1],
        provider=provider,
        workdir=tmp_path,
        run_jobs=lambda: run_jobs(20),
    )
    examples = examples_in(DOCS / page)
    for example in examples:
        runner.run(example)
    assert runner.ran == sum(1 for e in examples if e.kind in RUNNABLE)


def test_the_docs_have_examples_of_every_kind() -> None:
    found = counts()
    assert all(found.get(kind, 0) > 0 for kind in RUNNABLE), found
    assert sum(found.get(kind, 0) for kind in RUNNABLE) >= 60, found  # 64 when written: never fewer unnoticed
