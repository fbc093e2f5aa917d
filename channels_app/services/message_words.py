"""Which messages a search box's words find: each word of the query starts a word of the text.

On PostgreSQL this is full-text search with the `simple` configuration (no language: a
programme's traffic mixes languages, and stemming one of them would mangle the others; no
stop words), every query word a prefix (`'vacc':*` finds "vaccination"), all of them required,
through the GIN index `msg_text_words` (migration 0020). Words instead of trigrams because
that index is written on every stored message: a GIN entry per distinct word of the text
instead of one per distinct three-letter run, about five times less WAL for a real SMS
(docs/operations/scale.md). The price is that a search no longer finds the middle of a word
("ccination").

The query's words are cut by PostgreSQL's own parser (`to_tsvector` of the query), so both
sides split "e-mail", "ada@example.org" or "3.5kg" the same way. The embedded SQLite default
has no such index: there each word is a case-insensitive substring, which finds what
PostgreSQL finds and, at that size, a little more.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.db.models import BooleanField, F, Func, Q

# The configuration of the index's expression; the query must name the same one to use it.
CONFIG = "simple"
_WORD = re.compile(r"\w+")


class _TextHasWords(Func):
    """`to_tsvector('simple', text) @@ <tsquery>`: the left side is the expression of the index
    `msg_text_words`, which PostgreSQL matches to use it."""

    arity = 1
    output_field = BooleanField()

    def __init__(self, tsquery: str) -> None:
        super().__init__(F("text"))
        self.tsquery = tsquery

    def as_sql(  # type: ignore[override]  # the function and template are fixed
        self, compiler: Any, connection: Any, **extra_context: Any
    ) -> tuple[str, tuple[Any, ...]]:
        column, params = compiler.compile(self.source_expressions[0])
        return f"to_tsvector('{CONFIG}'::regconfig, {column}) @@ %s::tsquery", (*params, self.tsquery)


def _quoted(lexeme: str) -> str:
    """A lexeme as a tsquery operand: quoted, so that no character of it is an operator."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def query_lexemes(query: str) -> list[str]:
    """The words of `query` as PostgreSQL's parser and the `simple` configuration cut them."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT lexeme FROM unnest(to_tsvector('{CONFIG}'::regconfig, %s))", [query])
        return [row[0] for row in cursor.fetchall()]


def prefix_tsquery(lexemes: list[str]) -> str:
    """Every lexeme required, each as a prefix: `'vacc':* & 'kigali':*`."""
    return " & ".join(f"{_quoted(lexeme)}:*" for lexeme in lexemes)


def text_has_words(query: str) -> Q:
    """The messages whose text has every word of `query` (each as the start of a word). A
    query without a word (only punctuation) finds none."""
    if connection.vendor == "postgresql":
        lexemes = query_lexemes(query)
        return Q(_TextHasWords(prefix_tsquery(lexemes))) if lexemes else Q(pk__in=[])
    return substring_words(query)


def substring_words(query: str) -> Q:
    """The fallback without full-text search: each word of `query` anywhere in the text."""
    words = _WORD.findall(query)
    if not words:
        return Q(pk__in=[])
    condition = Q()
    for word in words:
        condition &= Q(text__icontains=word)
    return condition
