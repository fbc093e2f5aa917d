"""`field__any=[...]`: membership in a list sent as one array parameter.

Django's `__in` writes one placeholder per value; with thousands of values (an import chunk of
2,000 URNs) psycopg then spends more time splitting and quoting the query than PostgreSQL spends
running it. `= ANY(array)` is the same test with a single parameter. Other databases (the
embedded SQLite) get the plain IN list, which is fine at their size.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Field, ForeignObject, Lookup


class AnyOf(Lookup):
    lookup_name = "any"

    def as_sql(self, compiler: Any, connection: Any) -> Any:  # (sql, params)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if not values:
            return "1 = 0", []  # nothing is a member of an empty list (like __in=[])
        field = self.lhs.output_field
        if connection.vendor == "postgresql":
            db_type = field.cast_db_type(connection) or field.db_type(connection)
            prepped = [field.get_db_prep_value(v, connection, prepared=False) for v in values]
            return f"{lhs} = ANY(%s::{db_type}[])", [*lhs_params, prepped]
        prepped = [field.get_db_prep_value(v, connection, prepared=False) for v in values]
        return f"{lhs} IN ({', '.join(['%s'] * len(prepped))})", [*lhs_params, *prepped]

    def get_prep_lookup(self) -> Any:
        return list(self.rhs)


# Related fields keep a lookup table of their own (a plain Field lookup doesn't reach
# `contact_id__any`), so it is registered on both.
Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)
