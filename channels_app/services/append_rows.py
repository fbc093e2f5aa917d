"""Writing append-only rows (message events, flow runs) in bulk with PostgreSQL's COPY.

bulk_create sends a batch as one INSERT whose parameters psycopg binds client-side in Python:
it parses the long statement (a regex pass per placeholder, not cached past 50 parameters) and
quotes every value, or dumps each column as an array element by element (UNNEST). That was a
fifth of a worker's CPU per message. COPY sends the same rows as one stream formatted by
psycopg's C code, with no statement to parse. What COPY cannot do is hand back the new ids,
so it is only for rows nobody reads again by primary key within the same batch (events, runs).
Other databases use bulk_create.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models


def insert(objs: Sequence[models.Model]) -> None:
    """Insert unsaved instances of one model (auto primary key, left unset on the instances).

    Each field is prepared as bulk_create prepares it (defaults were set when the instance was
    made; pre_save fills auto_now_add / auto_now), so the stored row is the same.
    """
    if not objs:
        return
    model = type(objs[0])
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
        o._prepare_related_fields_for_save(operation_name="append_rows.insert")
    fields = [f for f in meta.concrete_fields if f is not pk]
    rows = [[f.get_db_prep_save(f.pre_save(o, True), connection) for f in fields] for o in objs]
    quote = connection.ops.quote_name
    statement = f"COPY {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) FROM STDIN"
    connection.ensure_connection()
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
