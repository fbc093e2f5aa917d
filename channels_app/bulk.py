"""Bulk rows for batches of hundreds of messages, without Python work per value where it can.

A batch reads and writes hundreds of rows by id. `id__in=[...]` makes one placeholder per value,
which Django prepares one by one and psycopg then parses and quotes in Python (it caches no
parse past 50 parameters); `array_literal` sends a whole list as one `%s::bigint[]` parameter.
`copy_rows` streams new rows with COPY from plain tuples (bulk_create on other databases), and
`load` makes model instances from rows without Model.__init__.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import DEFERRED
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

from channels_app.pgtext import storable

M = TypeVar("M", bound=models.Model)


def array_literal(values: Sequence[int | str]) -> str:
    """PostgreSQL's text form of an array of ints or strings, for a `%s::type[]` parameter.

    psycopg dumps a list element by element in Python; this is a join. Every string is quoted,
    so commas, braces, quotes, spaces or the word NULL inside one stay data; U+0000, which
    PostgreSQL text cannot hold (it would fail the statement), is dropped from it.
    """
    if all(type(v) is int for v in values):
        return "{" + ",".join(map(str, values)) + "}"
    quoted = (str(v).replace("\x00", "").replace("\\", "\\\\").replace('"', '\\"') for v in values)
    return "{" + ",".join(f'"{v}"' for v in quoted) + "}"


def copy_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert rows of plain values (in `fields` order, attnames such as "msg_id") into `model`.

    Fields left out take no Python default: give every NOT NULL column (auto_now_add ones too).
    Text loses U+0000, which PostgreSQL cannot store (one would fail the whole COPY); dicts and
    lists go to jsonb columns.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    rows = list(rows)
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create([model(**dict(zip(fields, row, strict=True))) for row in rows])
        return
    meta = model._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(column(model, name)) for name in fields)
    # as Django's own cursor does: psycopg's errors surface as django.db's (IntegrityError...)
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([_value(v) for v in row])


def load(
    model: type[M], fields: Sequence[str], rows: Iterable[Sequence[Any]], *, convert: bool = True
) -> list[M]:
    """Saved instances of `model` from rows of column values in `fields` order (names or
    attnames; the other fields stay deferred), as Model.from_db makes them but without
    Model.__init__: its per-field descriptors and signal sends cost ~12 µs a message, a tenth of
    the supervisor's work per message. `convert=False` for rows the ORM already converted
    (values_list); otherwise each field's from_db_value runs, as for a queryset.

    Only for models nobody hooks pre_init/post_init on (checked: then it takes the slow path).
    """
    connection = connections[DEFAULT_DB_ALIAS]
    meta = model._meta
    concrete = [meta.get_field(name) for name in fields]
    attnames = [f.attname for f in concrete if isinstance(f, models.Field)]
    assert len(attnames) == len(fields), "concrete fields only"
    if pre_init.has_listeners(model) or post_init.has_listeners(model):
        order = [f.attname for f in meta.concrete_fields]
        return [
            model.from_db(connection.alias, order, [given.get(a, DEFERRED) for a in order])
            for given in (
                dict(zip(attnames, row, strict=True))
                for row in _converted(concrete, rows, connection, convert)
            )
        ]
    out = []
    new = model.__new__
    alias = connection.alias
    for row in _converted(concrete, rows, connection, convert):
        obj = new(model)
        state = ModelState()
        state.adding, state.db = False, alias
        obj.__dict__["_state"] = state
        obj.__dict__.update(zip(attnames, row, strict=True))
        out.append(obj)
    return out


def _converted(
    fields: list[Any], rows: Iterable[Sequence[Any]], connection: Any, convert: bool
) -> Iterable[Sequence[Any]]:
    converters = [(i, c) for i, f in enumerate(fields) for c in f.get_db_converters(connection)]
    if not convert or not converters:
        return rows
    return (_convert(row, converters, connection) for row in rows)


def _convert(row: Sequence[Any], converters: list[tuple[int, Any]], connection: Any) -> list[Any]:
    values = list(row)
    for i, converter in converters:
        values[i] = converter(values[i], None, connection)
    return values


def column(model: type[models.Model], name: str) -> str:
    """The column of a concrete field, by name or attname."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column
    return field.column


def _value(value: Any) -> Any:
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict | list):
        # JSON text for the jsonb column; the common case (no U+0000, no surrogate escape: those
        # are lone halves or emoji pairs) costs one dumps
        text = json.dumps(value)
        return json.dumps(storable(value)) if "\\u0000" in text or "\\ud" in text else text
    return value
