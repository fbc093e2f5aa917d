"""The claim behind migration 0020, measured: indexing a message's text by words writes less WAL
than by trigrams, and much less for a real SMS (benchmarks.text_index_wal, a fresh table per
case, only the index's own WAL records counted)."""

from __future__ import annotations

import os

import psycopg
import pytest

from benchmarks import text_index_wal

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="pg_walinspect is PostgreSQL's"
)


def test_words_write_a_fraction_of_the_trigrams_wal(monkeypatch: pytest.MonkeyPatch) -> None:
    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/flowgate_test_text_wal"
    monkeypatch.setattr(text_index_wal, "DB_URL", url)
    monkeypatch.setattr(text_index_wal, "PREFILL", 2000)
    text_index_wal._recreate_database()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_walinspect")
        trigrams = text_index_wal.measure(conn, "trigrams", 160, messages=300)
        words = text_index_wal.measure(conn, "words", 160, messages=300)
    assert words["without_images"] > 0  # the window saw the index's records at all
    # 4,398 against 502 bytes without images in the bench's 5,000-message run
    assert words["without_images"] < trigrams["without_images"] / 3, (words, trigrams)


def test_texts_have_the_length_asked_and_repeat_common_words() -> None:
    made = text_index_wal.texts(500, 60, seed=3)
    assert {len(text) for text in made} == {60}
    words = [word for text in made for word in text.split()]
    assert len(set(words)) < len(words) / 2  # a Zipf-like skew: common words come back
    assert made == text_index_wal.texts(500, 60, seed=3) != text_index_wal.texts(500, 60, seed=4)
