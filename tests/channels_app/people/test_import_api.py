"""Contact import end to end: the API upload, the worker's job, the status endpoint, the rows."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest

from tests.conftest import run_jobs


def _csv(rows: list[list[str]]) -> bytes:
    import csv

    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def _upload(api: Any, content: bytes, name: str = "people.csv", **data: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return api.post("/api/v1/contacts/imports", {"file": SimpleUploadedFile(name, content), **data})


def _status(api: Any, uuid: str) -> dict[str, Any]:
    resp = api.get(f"/api/v1/contacts/imports/{uuid}")
    assert resp.status_code == 200, resp.content
    return resp.json()


@pytest.fixture
def rw_channel(workspace: Any) -> Any:
    from channels_app.services.channels import create_channel

    return create_channel(workspace=workspace, type_code="EX", name="RW", country="RW",
                          config={"send_url": "http://127.0.0.1:9/send"})  # fmt: skip


def test_import_1000_contacts_with_date_field_groups_and_update_by_urn(
    api: Any, workspace: Any, rw_channel: Any, other_workspace: Any
) -> None:
    from channels_app.models import Contact, ContactField, ContactGroup, ContactURN
    from channels_app.services.contacts import create_contact

    existing = create_contact(workspace=workspace, name="Old Name", urn_list=["tel:+250788000007"])
    header = ["URN:Tel", "Name", "Field:EDD", "Field:District", "Group:Mothers"]
    rows = [header]
    for i in range(1000):
        edd = (dt.date(2027, 1, 1) + dt.timedelta(days=i % 200)).isoformat()
        rows.append(
            [f"0788{i:06d}", f"Mother {i}", edd, "Kigali" if i % 2 else "Huye", "true" if i % 3 == 0 else ""]
        )
    resp = _upload(api, _csv(rows), field_types='{"edd": "datetime"}', groups="Programme")
    assert resp.status_code == 202, resp.content
    body = resp.json()
    assert body["status"] == "pending" and body["progress"] == 0
    run_jobs()
    done = _status(api, body["uuid"])
    assert done["status"] == "complete", done["errors"]
    assert done["progress"] == 100
    # row 8 is +250788000007: the existing contact, updated rather than duplicated
    assert done["counts"] == {"created": 999, "updated": 1, "errors": 0}
    contacts = Contact.objects.filter(workspace=workspace)
    assert contacts.count() == 1000
    existing.refresh_from_db()
    assert existing.name == "Mother 7"
    assert existing.fields == {"edd": "2027-01-08", "district": "Kigali"}
    edd = ContactField.objects.get(workspace=workspace, key="edd")
    assert edd.value_type == "datetime" and edd.name == "EDD"
    assert ContactField.objects.get(workspace=workspace, key="district").value_type == "text"
    mothers = ContactGroup.objects.get(workspace=workspace, name="Mothers")
    assert mothers.contacts.count() == 334  # i % 3 == 0 for i in 0..999
    assert ContactGroup.objects.get(workspace=workspace, name="Programme").contacts.count() == 1000
    # numbers read in the workspace's channels' country, stored as E.164
    assert ContactURN.objects.filter(workspace=workspace, identity="tel:+250788000999").exists()
    first = Contact.objects.get(workspace=workspace, urns__identity="tel:+250788000000")
    assert first.name == "Mother 0" and first.fields["district"] == "Huye"
    # queries see the imported values by type
    found = api.get("/api/v1/contacts", {"query": 'edd < 2027-01-03 AND district = "huye"', "limit": 1000})
    assert found.status_code == 200
    assert sorted(c["name"] for c in found.json()) == sorted(
        f"Mother {i}" for i in range(1000) if i % 200 < 2 and i % 2 == 0
    )

    # the other workspace sees none of it
    from django.test import Client

    from channels_app.services.tokens import issue_api_token

    other_key = issue_api_token(workspace=other_workspace, name="t")[1]
    other = Client(HTTP_AUTHORIZATION=f"Token {other_key}")
    assert other.get(f"/api/v1/contacts/imports/{body['uuid']}").status_code == 404
    assert other.get("/api/v1/contacts").json() == []
    assert [g["name"] for g in other.get("/api/v1/groups").json()] == []
    assert other.get("/api/v1/fields").json() == []


def test_second_import_updates_by_urn_and_clears_with_dashes(
    api: Any, workspace: Any, rw_channel: Any
) -> None:
    from channels_app.models import Contact

    first = _upload(api, _csv([["URN:Tel", "Name", "Field:District"], ["+250788111111", "Ada", "Kigali"]]))
    run_jobs()
    assert _status(api, first.json()["uuid"])["counts"]["created"] == 1
    second = _upload(
        api,
        _csv([["URN:tel", "name", "field:district", "Status"], ["0788 111 111", "Ada L.", "--", "blocked"]]),
    )
    run_jobs()
    result = _status(api, second.json()["uuid"])
    assert result["counts"] == {"created": 0, "updated": 1, "errors": 0}
    ada = Contact.objects.get(workspace=workspace)
    assert (ada.name, ada.fields, ada.status) == ("Ada L.", {}, "blocked")


def test_group_column_false_takes_existing_contacts_out_of_the_group(
    api: Any, workspace: Any, rw_channel: Any
) -> None:
    from channels_app.models import ContactGroup

    rows = [
        ["URN:Tel", "Name", "Group:Mothers"],
        ["+250788111111", "Ada", "true"],
        ["+250788222222", "Bea", "yes"],
    ]
    _upload(api, _csv(rows))
    run_jobs()
    group = ContactGroup.objects.get(workspace=workspace, name="Mothers")
    assert set(group.contacts.values_list("name", flat=True)) == {"Ada", "Bea"}
    _upload(api, _csv([["URN:Tel", "Group:Mothers"], ["+250788111111", "false"], ["+250788222222", ""]]))
    run_jobs()
    assert set(group.contacts.values_list("name", flat=True)) == {"Bea"}  # empty leaves it alone


def test_a_bad_file_imports_nothing_and_names_the_rows(api: Any, workspace: Any, rw_channel: Any) -> None:
    from channels_app.models import Contact, ContactField, ContactGroup

    ContactField.objects.create(workspace=workspace, key="age", name="Age", value_type="number")
    rows = [["URN:Tel", "Name", "Field:Age", "Field:Village", "Group:New"]]
    rows += [[f"+25078820{i:04d}", f"P{i}", str(20 + i % 50), "V", "yes"] for i in range(300)]
    rows[51][2] = "twenty"  # spreadsheet row 52
    rows[120][0] = "not a phone"  # row 121
    rows[200][0] = rows[10][0]  # row 201 repeats row 11's number
    resp = _upload(api, _csv(rows))
    assert resp.status_code == 202
    run_jobs()
    result = _status(api, resp.json()["uuid"])
    assert result["status"] == "failed"
    assert result["counts"]["created"] == 0 and result["counts"]["errors"] == 3
    by_row = {e["row"]: e["message"] for e in result["errors"]}
    assert set(by_row) == {52, 121, 201}
    assert "not a number" in by_row[52]
    assert "row 11" in by_row[201]
    # nothing half-imported: no contact, no new field, no new group
    assert Contact.objects.filter(workspace=workspace).count() == 0
    assert not ContactField.objects.filter(workspace=workspace, key="village").exists()
    assert not ContactGroup.objects.filter(workspace=workspace, name="New").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"URN:Tel,Name\n", "no rows"),
        (b"Phone,Name\n+250788123123,Ada\n", "'Phone'"),
        (b"URN:pigeon,Name\nx,Ada\n", "unknown URN scheme"),
        (b"URN:Tel,Field:Name\n+250788123123,Ada\n", "reserved"),
        (b"Name\nAda\n", "URN column"),
    ],
)
def test_bad_headers_are_refused_at_upload(api: Any, workspace: Any, content: bytes, message: str) -> None:
    from channels_app.models import ContactImport

    resp = _upload(api, content)
    assert resp.status_code == 400
    assert message in resp.json()["error"]
    assert not ContactImport.objects.exists()


def test_xlsx_import_with_dates_and_numbers(api: Any, workspace: Any, rw_channel: Any) -> None:
    import openpyxl

    from channels_app.models import Contact

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["URN:Tel", "Name", "Field:EDD", "Field:Age"])
    sheet.append(["+250788300001", "Xena", dt.datetime(2027, 3, 1), 31])
    sheet.append([250788300002, "Yara", dt.date(2027, 4, 2), 27.5])
    buf = io.BytesIO()
    book.save(buf)
    resp = _upload(
        api, buf.getvalue(), name="people.xlsx", field_types='{"edd": "datetime", "age": "number"}'
    )
    assert resp.status_code == 202, resp.content
    run_jobs()
    assert _status(api, resp.json()["uuid"])["counts"]["created"] == 2
    xena = Contact.objects.get(workspace=workspace, name="Xena")
    yara = Contact.objects.get(workspace=workspace, name="Yara")
    assert xena.fields == {"edd": "2027-03-01", "age": "31"}
    assert yara.fields == {"edd": "2027-04-02", "age": "27.5"}
    assert yara.urns.get().identity == "tel:+250788300002"
