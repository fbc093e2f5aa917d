"""The contact page shows only the fields with a value; the "add field" picker sets another one,
checked against its type on the server (plain form posts: no JavaScript needed)."""

from __future__ import annotations

from typing import Any

from channels_app.models import ContactField
from channels_app.services.contacts import create_contact


def _fields(workspace: Any) -> None:
    ContactField.objects.create(workspace=workspace, key="age", name="Age", value_type="number")
    ContactField.objects.create(workspace=workspace, key="edd", name="Due date", value_type="datetime")
    ContactField.objects.create(workspace=workspace, key="village", name="Village", value_type="text")


def test_only_fields_with_values_are_inputs_the_rest_are_in_the_picker(
    client_in: Any, workspace: Any
) -> None:
    _fields(workspace)
    contact = create_contact(workspace=workspace, name="Ada", fields={"village": "Gisozi"})
    response = client_in.get(f"/contacts/{contact.uuid}/")
    page = response.content.decode()
    assert 'id="field_village"' in page and 'value="Gisozi"' in page
    assert 'id="field_age"' not in page and 'id="field_edd"' not in page
    assert [f.key for f in response.context["unset_fields"]] == ["age", "edd"]
    assert '<option value="age" data-type="number">Age (number)</option>' in page
    assert '<option value="village"' not in page  # already shown as an input


def test_add_field_sets_a_value_by_type_and_then_it_is_an_input(client_in: Any, workspace: Any) -> None:
    _fields(workspace)
    contact = create_contact(workspace=workspace, name="Ada", fields={"village": "Gisozi"})
    response = client_in.post(
        f"/contacts/{contact.uuid}/edit",
        {
            "name": "Ada",
            "language": "",
            "field_village": "Gisozi",
            "add_field": "edd",
            "add_value": "2027-01-15",
        },
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.fields == {"village": "Gisozi", "edd": "2027-01-15"}
    page = client_in.get(f"/contacts/{contact.uuid}/").content.decode()
    assert 'id="field_edd"' in page and 'value="2027-01-15"' in page
    assert '<option value="edd"' not in page


def test_added_value_of_the_wrong_type_is_refused_and_kept_in_the_form(
    client_in: Any, workspace: Any
) -> None:
    _fields(workspace)
    contact = create_contact(workspace=workspace, name="Ada", fields={"village": "Gisozi"})
    response = client_in.post(
        f"/contacts/{contact.uuid}/edit",
        {"name": "Renamed", "field_village": "Kacyiru", "add_field": "age", "add_value": "thirty"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was saved" in page and "&#x27;thirty&#x27; is not a number" in page
    assert '<option value="age" data-type="number" selected>' in page and 'value="thirty"' in page
    assert 'value="Kacyiru"' in page  # the shown input keeps what was typed too
    contact.refresh_from_db()
    assert (contact.name, contact.fields) == ("Ada", {"village": "Gisozi"})

    bad_date = client_in.post(
        f"/contacts/{contact.uuid}/edit", {"add_field": "edd", "add_value": "next week"}
    )
    assert bad_date.status_code == 400 and "is not an ISO 8601 date" in bad_date.content.decode()
    empty = client_in.post(f"/contacts/{contact.uuid}/edit", {"add_field": "age", "add_value": "  "})
    assert empty.status_code == 400 and "give a value for Age" in empty.content.decode()
    contact.refresh_from_db()
    assert contact.fields == {"village": "Gisozi"}


def test_unknown_or_other_workspaces_field_is_a_400(
    client_in: Any, workspace: Any, other_workspace: Any
) -> None:
    _fields(workspace)
    ContactField.objects.create(workspace=other_workspace, key="secret", name="Secret", value_type="text")
    contact = create_contact(workspace=workspace, name="Ada")
    response = client_in.post(f"/contacts/{contact.uuid}/edit", {"add_field": "secret", "add_value": "x"})
    assert response.status_code == 400
    assert "&#x27;secret&#x27; is not a field of this workspace" in response.content.decode()
    contact.refresh_from_db()
    assert contact.fields == {}


def test_emptying_a_shown_field_clears_it_and_it_goes_back_to_the_picker(
    client_in: Any, workspace: Any
) -> None:
    _fields(workspace)
    contact = create_contact(workspace=workspace, name="Ada", fields={"village": "Gisozi", "age": "36"})
    response = client_in.post(
        f"/contacts/{contact.uuid}/edit", {"name": "Ada", "field_village": "", "field_age": "37"}
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.fields == {"age": "37"}
    after = client_in.get(f"/contacts/{contact.uuid}/")
    assert [f.key for f in after.context["unset_fields"]] == ["edd", "village"]


def test_workspace_without_fields_says_so(client_in: Any, workspace: Any) -> None:
    contact = create_contact(workspace=workspace, name="Ada")
    page = client_in.get(f"/contacts/{contact.uuid}/").content.decode()
    assert "The workspace has no contact fields yet" in page and 'id="add-field"' not in page
