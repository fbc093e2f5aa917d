"""Bulk contact writes for imports: one statement per chunk and table.

On PostgreSQL each write is a single `INSERT ... SELECT FROM unnest(arrays)` (or `UPDATE ... FROM
unnest`), which is several times faster than Django's bulk_create/bulk_update: those build a
model instance per row, and bulk_update compiles one CASE WHEN per row and column (quadratic
in the batch). Other databases (the embedded SQLite) use the ORM, which is fine at their size.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import connection
from django.utils import timezone

from channels_app.ids import uuid7
from channels_app.models import Contact, ContactGroup, ContactURN


def _pg() -> bool:
    return connection.vendor == "postgresql"


def insert_contacts(*, workspace_id: int, rows: list[tuple[str, str, str, dict[str, Any]]]) -> list[int]:
    """New contacts from (name, language, status, fields); their ids in the same order."""
    if not rows:
        return []
    if not _pg():
        made = [
            Contact(workspace_id=workspace_id, name=n, language=lang, status=s, fields=f)
            for n, lang, s, f in rows
        ]
        Contact.objects.bulk_create(made, batch_size=1000)
        return [c.id for c in made]
    now = timezone.now()
    uuids = [uuid7() for _ in rows]
    table = Contact._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (uuid, workspace_id, name, language, status, fields, created_on, modified_on) "
            "SELECT u, %s, n, l, s, f::jsonb, %s, %s "
            "FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::text[], %s::text[]) "
            "WITH ORDINALITY AS v(u, n, l, s, f, i) ORDER BY i RETURNING id",
            [
                workspace_id,
                now,
                now,
                uuids,
                [r[0] for r in rows],
                [r[1] for r in rows],
                [r[2] for r in rows],
                [json.dumps(r[3]) for r in rows],
            ],
        )
        ids = [row[0] for row in cursor.fetchall()]
    # RETURNING follows the insertion order, which follows ORDER BY i; checked rather than assumed
    if len(ids) != len(rows):
        raise RuntimeError("contact insert returned a different number of rows")
    return ids


def update_contacts(*, contacts: list[Contact]) -> None:
    """Write name, language, status and fields of loaded contacts back in one statement."""
    if not contacts:
        return
    if not _pg():
        Contact.objects.bulk_update(
            contacts, ["name", "language", "status", "fields", "modified_on"], batch_size=500
        )
        return
    table = Contact._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS c SET name = v.n, language = v.l, status = v.s, fields = v.f::jsonb, "
            "modified_on = %s "
            "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[]) AS v(id, n, l, s, f) "
            "WHERE c.id = v.id",
            [
                timezone.now(),
                [c.id for c in contacts],
                [c.name for c in contacts],
                [c.language for c in contacts],
                [c.status for c in contacts],
                [json.dumps(c.fields) for c in contacts],
            ],
        )


def insert_urns(*, workspace_id: int, rows: list[tuple[int, str, int]]) -> None:
    """New URNs from (contact id, identity, priority)."""
    if not rows:
        return
    split = [identity.partition(":") for _, identity, _ in rows]
    if not _pg():
        ContactURN.objects.bulk_create(
            [
                ContactURN(
                    workspace_id=workspace_id,
                    contact_id=cid,
                    identity=identity,
                    scheme=s[0],
                    path=s[2],
                    priority=priority,
                )  # fmt: skip
                for (cid, identity, priority), s in zip(rows, split, strict=True)
            ],
            batch_size=1000,
        )
        return
    table = ContactURN._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (workspace_id, contact_id, identity, scheme, path, priority) "
            "SELECT %s, c, i, s, p, pr FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::int[]) "
            "AS v(c, i, s, p, pr)",
            [
                workspace_id,
                [r[0] for r in rows],
                [r[1] for r in rows],
                [s[0] for s in split],
                [s[2] for s in split],
                [r[2] for r in rows],
            ],
        )


def add_members(*, pairs: list[tuple[int, int]]) -> None:
    """(group id, contact id) memberships; existing ones are left alone."""
    if not pairs:
        return
    through = ContactGroup.contacts.through
    if not _pg():
        through.objects.bulk_create(
            [through(contactgroup_id=g, contact_id=c) for g, c in pairs],
            batch_size=1000,
            ignore_conflicts=True,
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {through._meta.db_table} (contactgroup_id, contact_id) "
            "SELECT g, c FROM unnest(%s::bigint[], %s::bigint[]) AS v(g, c) ON CONFLICT DO NOTHING",
            [[p[0] for p in pairs], [p[1] for p in pairs]],
        )
