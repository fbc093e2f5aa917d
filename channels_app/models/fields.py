"""Model fields with a bulk-insert cost fit for large documents."""

from __future__ import annotations

from typing import Any

from django.db import models


class DocumentJSONField(models.JSONField):
    """A JSONField whose bulk_create writes VALUES rows instead of PostgreSQL's UNNEST arrays.

    Django inserts a batch as one array per column. A jsonb[] array is written by psycopg in
    Python, escaping every double quote of every document one regex callback at a time: for
    session outputs (hundreds of quotes each) that was a third of a handle batch's CPU. As a
    plain VALUES parameter the same document is escaped by libpq in C. VALUES costs a Python
    parse of the long statement instead (a few microseconds per row and column), so small
    documents (message metadata and events) stay on UNNEST. Defining get_placeholder is what
    makes Django skip UNNEST; the column is unchanged.
    """

    def get_placeholder(self, value: Any, compiler: Any, connection: Any) -> str:
        return "%s"

    def deconstruct(self) -> Any:
        # The same column as a JSONField: no migration, and none when this class moves.
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.JSONField", args, kwargs
