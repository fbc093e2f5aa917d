"""`__any` (one array parameter) finds exactly what `__in` finds, for the column types imports use."""

from __future__ import annotations

from typing import Any

from django.db import connection

from channels_app.models import Contact, ContactURN
from channels_app.services.contacts import create_contact


def test_any_matches_in_for_ids_uuids_text_and_foreign_keys(workspace: Any) -> None:
    made = [
        create_contact(workspace=workspace, name=f"P{i}", urn_list=[f"tel:+25078800000{i}"]) for i in range(5)
    ]
    ids = [made[0].id, made[3].id, 10**12]
    uuids = [str(made[1].uuid), made[2].uuid, "00000000-0000-0000-0000-000000000000"]
    tels = ["tel:+250788000004", "tel:+250788000000", "tel:+19999999999"]

    def names(**lookup: Any) -> list[str]:
        return sorted(Contact.objects.filter(workspace=workspace, **lookup).values_list("name", flat=True))

    assert names(id__any=ids) == names(id__in=ids) == ["P0", "P3"]
    assert names(uuid__any=uuids) == names(uuid__in=uuids) == ["P1", "P2"]
    assert names(id__any=[]) == names(id__in=[]) == []
    urns = ContactURN.objects.filter(workspace=workspace, identity__any=tels)
    assert sorted(urns.values_list("identity", flat=True)) == ["tel:+250788000000", "tel:+250788000004"]
    owners = ContactURN.objects.filter(contact_id__any=[made[4].id]).values_list("identity", flat=True)
    assert list(owners) == ["tel:+250788000004"]


def test_any_sends_one_parameter_on_postgresql(workspace: Any) -> None:
    query = Contact.objects.filter(id__any=list(range(3000))).query
    sql, params = query.sql_with_params()
    if connection.vendor == "postgresql":
        assert "= ANY(" in sql and len(params) == 1 and len(params[0]) == 3000
    else:
        assert len(params) == 3000
