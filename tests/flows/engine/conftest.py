"""The engine is pure Python: shadow the project-wide Django fixtures so these tests run without
Django settings (e.g. `pytest -p no:django tests/flows/engine`)."""

from collections.abc import Iterator

import pytest

from flows.engine import contactql, definition, expressions, functions, regex, runner, template, urns


@pytest.fixture(autouse=True)
def _isolated_queue_and_cache() -> Iterator[None]:
    yield


@pytest.fixture(autouse=True)
def _cold_engine_caches() -> None:
    """Each test parses and compiles what it uses itself, not what an earlier test left cached.

    Otherwise a test passes or fails depending on which ran before it, and mutation testing
    (scripts/mutation.py runs tests in processes forked after a first full run) never executes
    a mutated parser or tokenizer whose results are already cached: false survivors."""
    expressions._CACHE.clear()
    template._SPLIT_CACHE.clear()
    runner._DEPRECATED_CACHE.clear()
    for cached in (
        functions._tokenize_cached,
        regex.compile_pattern,
        urns.parse_urn,
        urns.tel_country,
        contactql.compile_query,
        definition.snakify,
    ):
        cached.cache_clear()
