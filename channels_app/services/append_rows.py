"""Writing append-only rows (message events, flow runs) in bulk with PostgreSQL's COPY.

bulk_create sends a batch as one INSERT whose parameters psycopg binds client-side in Python:
it parses the long statement (a regex pass per placeholder, not cached past 50 parameters) and
quotes every value, or dumps each column as an array element by element (UNNEST). That was a
fifth of a worker's CPU per message. COPY sends the same rows as one stream formatted by
psycopg's C code, with no statement to parse. COPY cannot hand back the new ids: rows that are
referenced later (outbound messages, sessions) take theirs from the table's sequence first
(`with_ids`, one more round trip), in list order as bulk_create's RETURNING gives them.
Other databases use bulk_create.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models

from channels_app.pgtext import storable


def insert(objs: Sequence[models.Model], *, with_ids: bool = False) -> None:
    """Insert unsaved instances of one model (automatic primary key). With `with_ids` each
    instance gets its new id, ascending in list order; without, the ids stay unset.

    Each field is prepared as bulk_create prepares it (defaults were set when the instance was
    made; pre_save fills auto_now_add / auto_now), so the stored row is the same.
    """
    if not objs:
        return
    model = type(objs[0])
    # The wrapper itself, not the `connection` proxy: every attribute read through the proxy is
    # a thread-local lookup, and get_db_prep_save reads several per value.
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs)
        return
    meta = model._meta
    pk = meta.pk
    if not isinstance(pk, models.AutoField | models.BigAutoField) or any(o.pk is not None for o in objs):
        raise ValueError("append_rows.insert needs unsaved instances with an automatic primary key")
    if any(type(o) is not model for o in objs):
        raise ValueError("append_rows.insert takes instances of one model")
    for o in objs:
        # as bulk_create does: a run built before its session was inserted takes the session's
        # new id now (and an unsaved related object raises instead of storing NULL)
        o._prepare_related_fields_for_save(operation_name="append_rows.insert")  # type: ignore[attr-defined]
    fields = [f for f in meta.concrete_fields if f is not pk]
    # U+0000 or a lone surrogate (a provider's error text, say) would fail the COPY and with it
    # the whole batch
    values = [[storable(f.pre_save(o, True)) for f in fields] for o in objs]
    if any(hasattr(v, "as_sql") for row in values for v in row):
        # an expression (e.g. a database default) is SQL, not a value COPY can carry
        model._default_manager.bulk_create(objs)
        return
    rows = [[_prepared(f, v, connection) for f, v in zip(fields, row, strict=True)] for row in values]
    quote = connection.ops.quote_name
    columns = [quote(str(f.column)) for f in fields]
    with connection.cursor() as cursor:
        if with_ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, pk.column, len(objs)],
            )
            ids = sorted(r[0] for r in cursor.fetchall())
            columns.insert(0, quote(str(pk.column)))
            for obj, row, new_id in zip(objs, rows, ids, strict=True):
                row.insert(0, new_id)
                obj.pk = new_id
        statement = f"COPY {quote(meta.db_table)} ({', '.join(columns)}) FROM STDIN"
        # as Django's own cursor does: psycopg's errors surface as django.db's (IntegrityError...)
        with connection.wrap_database_errors, cursor.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    if with_ids:
        for obj in objs:  # saved, as bulk_create leaves them
            obj._state.adding, obj._state.db = False, connection.alias


def _prepared(field: models.Field[Any, Any], value: Any, connection: Any) -> Any:
    # An aware datetime is what DateTimeField's preparation returns unchanged on PostgreSQL
    # (after reading settings.USE_TZ through a lazy object per value: a few % of a handle job).
    if (
        isinstance(value, dt.datetime)
        and value.tzinfo is not None
        and isinstance(field, models.DateTimeField)
    ):
        return value
    return field.get_db_prep_save(value, connection)
