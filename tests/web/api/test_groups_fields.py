"""Groups and contact fields through the API: CRUD, validation, members, workspace isolation."""

from __future__ import annotations

from tests.web.api.helpers import json_patch, json_post, outsider_client


def test_group_crud_members_and_counts(api, workspace) -> None:
    created = json_post(api, "/api/v1/groups", {"name": "  Farmers  "})
    assert created.status_code == 201, created.content
    group = created.json()
    assert group["name"] == "Farmers" and group["count"] == 0 and group["query"] is None

    assert (
        json_post(api, "/api/v1/groups", {"name": "farmers"})
        .json()["error"]
        .startswith("the workspace already has a group")
    )
    assert json_post(api, "/api/v1/groups", {"name": " "}).status_code == 400
    assert json_post(api, "/api/v1/groups", {"name": "x\x00y"}).status_code == 400

    a = json_post(api, "/api/v1/contacts", {"name": "A", "urns": ["tel:+250788111111"]}).json()
    b = json_post(api, "/api/v1/contacts", {"name": "B", "urns": ["tel:+250788222222"]}).json()
    path = f"/api/v1/groups/{group['uuid']}/contacts"
    changed = json_post(api, path, {"add": [a["uuid"], b["uuid"]]})
    assert changed.status_code == 200 and changed.json()["added"] == 2 and changed.json()["count"] == 2
    again = json_post(api, path, {"add": [a["uuid"]], "remove": [b["uuid"]]}).json()
    assert (again["added"], again["removed"], again["count"]) == (0, 1, 1)

    # all or nothing: one unknown contact changes nothing
    bad = json_post(api, path, {"add": [b["uuid"], "not-a-uuid"]})
    assert bad.status_code == 400 and "not-a-uuid" in bad.json()["error"]
    assert api.get(f"/api/v1/groups/{group['uuid']}").json()["count"] == 1

    renamed = json_patch(api, f"/api/v1/groups/{group['uuid']}", {"name": "Growers"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Growers"
    assert api.get(f"/api/v1/contacts/{a['uuid']}").json()["groups"] == [
        {"uuid": group["uuid"], "name": "Growers"}
    ]
    assert [g["name"] for g in api.get("/api/v1/groups").json()] == ["Growers"]

    assert api.delete(f"/api/v1/groups/{group['uuid']}").status_code == 204
    assert api.get(f"/api/v1/groups/{group['uuid']}").status_code == 404
    assert api.get(f"/api/v1/contacts/{a['uuid']}").json()["groups"] == []


def test_query_groups_refuse_members_by_hand(api, workspace) -> None:
    from channels_app.models import ContactGroup

    smart = ContactGroup.objects.create(workspace=workspace, name="Adults", query="age > 18")
    contact = json_post(api, "/api/v1/contacts", {"urns": ["tel:+250788111111"]}).json()
    response = json_post(api, f"/api/v1/groups/{smart.uuid}/contacts", {"add": [contact["uuid"]]})
    assert response.status_code == 400 and "query" in response.json()["error"]
    assert api.get(f"/api/v1/groups/{smart.uuid}").json()["query"] == "age > 18"


def test_groups_are_isolated_between_workspaces(api, workspace) -> None:
    group = json_post(api, "/api/v1/groups", {"name": "Mine"}).json()
    contact = json_post(api, "/api/v1/contacts", {"urns": ["tel:+250788111111"]}).json()
    outsider = outsider_client()
    assert outsider.get(f"/api/v1/groups/{group['uuid']}").status_code == 404
    assert json_patch(outsider, f"/api/v1/groups/{group['uuid']}", {"name": "Theirs"}).status_code == 404
    assert outsider.delete(f"/api/v1/groups/{group['uuid']}").status_code == 404
    assert outsider.get("/api/v1/groups").json() == []
    # their own group can't take our contact either
    theirs = json_post(outsider, "/api/v1/groups", {"name": "Mine"}).json()  # same name is fine there
    response = json_post(outsider, f"/api/v1/groups/{theirs['uuid']}/contacts", {"add": [contact["uuid"]]})
    assert response.status_code == 400 and "no such contact" in response.json()["error"]
    assert api.get(f"/api/v1/groups/{group['uuid']}").json()["name"] == "Mine"


def test_field_crud_and_validation(api, workspace) -> None:
    created = json_post(api, "/api/v1/fields", {"name": "Date of birth", "value_type": "datetime"})
    assert created.status_code == 201, created.content
    assert created.json()["key"] == "date_of_birth"
    age = json_post(api, "/api/v1/fields", {"key": "age", "name": "Age", "value_type": "number"}).json()

    for bad, message in [
        ({"key": "age", "name": "Age again"}, "already has a field"),
        ({"key": "Bad Key", "name": "X"}, "lowercase"),
        ({"key": "name", "name": "Name"}, "reserved"),
        ({"key": "ok", "name": "Ok", "value_type": "colour"}, "value_type must be one of"),
        ({"key": "ok", "name": ""}, "give the field a name"),
    ]:
        response = json_post(api, "/api/v1/fields", bad)
        assert response.status_code == 400 and message in response.json()["error"], (bad, response.content)

    renamed = json_patch(api, "/api/v1/fields/age", {"name": "Age in years"})
    assert renamed.json() == {**age, "name": "Age in years"}
    assert api.get(f"/api/v1/fields/{age['uuid']}").json()["key"] == "age"  # by uuid too
    assert [f["key"] for f in api.get("/api/v1/fields").json()] == ["age", "date_of_birth"]

    contact = json_post(
        api,
        "/api/v1/contacts",
        {"urns": ["tel:+250788111111"], "fields": {"age": 42, "date_of_birth": "1982-03-01"}},
    )
    assert contact.status_code == 201, contact.content
    assert contact.json()["fields"] == {"age": "42", "date_of_birth": "1982-03-01"}

    assert api.delete("/api/v1/fields/age").status_code == 204
    assert api.get("/api/v1/fields/age").status_code == 404
    assert api.get(f"/api/v1/contacts/{contact.json()['uuid']}").json()["fields"] == {
        "date_of_birth": "1982-03-01"
    }


def test_fields_are_isolated_between_workspaces(api, workspace) -> None:
    field = json_post(api, "/api/v1/fields", {"key": "district", "name": "District"}).json()
    outsider = outsider_client()
    assert outsider.get("/api/v1/fields/district").status_code == 404
    assert outsider.get(f"/api/v1/fields/{field['uuid']}").status_code == 404
    assert json_patch(outsider, "/api/v1/fields/district", {"name": "Mine now"}).status_code == 404
    assert outsider.delete("/api/v1/fields/district").status_code == 404
    # and their contacts can't use our field
    response = json_post(outsider, "/api/v1/contacts", {"fields": {"district": "Gasabo"}})
    assert response.status_code == 400 and "not a field of this workspace" in response.json()["error"]
    assert api.get("/api/v1/fields/district").json()["name"] == "District"
