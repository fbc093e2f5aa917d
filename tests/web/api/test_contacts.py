"""Contacts through the API: edit, delete, group and date filters, cursor pages, isolation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.web.api.helpers import all_pages, json_patch, json_post, outsider_client


def _setup_fields(api) -> None:
    assert (
        json_post(api, "/api/v1/fields", {"key": "age", "name": "Age", "value_type": "number"}).status_code
        == 201
    )
    assert json_post(api, "/api/v1/fields", {"key": "district", "name": "District"}).status_code == 201


def test_patch_contact_name_language_fields_groups_urns(api, workspace) -> None:
    _setup_fields(api)
    farmers = json_post(api, "/api/v1/groups", {"name": "Farmers"}).json()
    json_post(api, "/api/v1/groups", {"name": "Teachers"})
    created = json_post(
        api,
        "/api/v1/contacts",
        {"name": "Aline", "urns": ["tel:+250788111111"], "fields": {"age": "30"}, "groups": ["farmers"]},
    )
    assert created.status_code == 201, created.content
    contact = created.json()
    assert contact["groups"] == [{"uuid": farmers["uuid"], "name": "Farmers"}]
    path = f"/api/v1/contacts/{contact['uuid']}"

    response = json_patch(
        api,
        path,
        {
            "name": "Aline Uwase",
            "language": "kin",
            "fields": {"district": "Gasabo", "age": None},
            "groups": ["Teachers"],
            "urns": ["tel:+250 788 222 222", "tel:+250788111111"],
        },
    )
    assert response.status_code == 200, response.content
    edited = response.json()
    assert edited["name"] == "Aline Uwase" and edited["language"] == "kin"
    assert edited["fields"] == {"district": "Gasabo"}  # age cleared, district merged in
    assert [g["name"] for g in edited["groups"]] == ["Teachers"]
    # normalised like on create, in the given order (first = preferred)
    assert edited["urns"] == ["tel:+250788222222", "tel:+250788111111"]
    assert edited["modified_on"] > contact["modified_on"]

    # only what is given changes
    assert json_patch(api, path, {"name": "A. Uwase"}).json()["fields"] == {"district": "Gasabo"}


def test_patch_contact_rejects_bad_input_without_changing_anything(api, workspace) -> None:
    _setup_fields(api)
    other = json_post(api, "/api/v1/contacts", {"urns": ["tel:+250788999999"]}).json()
    contact = json_post(api, "/api/v1/contacts", {"name": "Bosco", "urns": ["tel:+250788111111"]}).json()
    path = f"/api/v1/contacts/{contact['uuid']}"
    for body, message in [
        ({"fields": {"shoe_size": "42"}}, "'shoe_size' is not a field of this workspace"),
        ({"fields": {"age": "forty"}}, "age: 'forty' is not a number"),
        ({"fields": {"age": True}}, "a value is text, a number or null"),
        ({"groups": ["Nobody"]}, "no such group: 'Nobody'"),
        ({"urns": ["tel:+250788999999"]}, "belongs to another contact"),
        ({"urns": ["tel:abc!"]}, "not a valid phone number"),
        ({"language": "english"}, "ISO 639-3"),
        ({"name": "x" * 200}, "at most 128"),
        ({"name": "Jean", "fields": {"age": "NaN"}}, "not a number"),
    ]:
        response = json_patch(api, path, body)
        assert response.status_code == 400, (body, response.content)
        assert message in response.json()["error"], (body, response.json())
    assert json_patch(api, path, {"fields": "age=3"}).status_code == 400  # not an object
    unchanged = api.get(path).json()
    assert unchanged["name"] == "Bosco" and unchanged["urns"] == ["tel:+250788111111"]
    assert api.get(f"/api/v1/contacts/{other['uuid']}").json()["urns"] == ["tel:+250788999999"]


def test_delete_contact_keeps_its_messages_and_frees_the_urn(api, workspace, ex_channel) -> None:
    from channels_app.models import ContactURN, Msg

    sent = json_post(
        api, "/api/v1/messages", {"channel": str(ex_channel.uuid), "to": "tel:+250788111111", "text": "Hi"}
    )
    assert sent.status_code == 201, sent.content
    contact_uuid = sent.json()["contact"]
    assert api.delete(f"/api/v1/contacts/{contact_uuid}").status_code == 204
    assert api.get(f"/api/v1/contacts/{contact_uuid}").status_code == 404
    assert api.delete(f"/api/v1/contacts/{contact_uuid}").status_code == 404
    msg = Msg.objects.get(uuid=sent.json()["uuid"])
    assert msg.contact_id is None and msg.urn == "tel:+250788111111"
    assert ContactURN.objects.get(workspace=workspace, identity="tel:+250788111111").contact_id is None
    again = json_post(api, "/api/v1/contacts", {"name": "New owner", "urns": ["tel:+250788111111"]})
    assert again.status_code == 201 and again.json()["uuid"] != contact_uuid


def test_contacts_are_isolated_between_workspaces(api, workspace) -> None:
    contact = json_post(api, "/api/v1/contacts", {"name": "Ours", "urns": ["tel:+250788111111"]}).json()
    outsider = outsider_client()
    path = f"/api/v1/contacts/{contact['uuid']}"
    assert outsider.get(path).status_code == 404
    assert json_patch(outsider, path, {"name": "Theirs"}).status_code == 404
    assert outsider.delete(path).status_code == 404
    assert outsider.get("/api/v1/contacts").json() == []
    # the same number is a different contact over there
    assert json_post(outsider, "/api/v1/contacts", {"urns": ["tel:+250788111111"]}).status_code == 201
    assert api.get(path).json()["name"] == "Ours"


def test_contact_list_filters_by_group_and_dates(api, workspace) -> None:
    from channels_app.models import Contact

    group = json_post(api, "/api/v1/groups", {"name": "Farmers"}).json()
    uuids = [
        json_post(api, "/api/v1/contacts", {"name": f"C{i}", "groups": ["Farmers"] if i % 2 else []}).json()[
            "uuid"
        ]
        for i in range(6)
    ]
    base = datetime(2024, 1, 1, tzinfo=UTC)
    for i, contact_uuid in enumerate(uuids):
        Contact.objects.filter(uuid=contact_uuid).update(created_on=base + timedelta(days=i))

    in_group = api.get(f"/api/v1/contacts?group={group['uuid']}").json()
    assert [c["name"] for c in in_group] == ["C5", "C3", "C1"]
    assert [c["name"] for c in api.get("/api/v1/contacts?group=farmers").json()] == ["C5", "C3", "C1"]
    assert api.get("/api/v1/contacts?group=nobody").status_code == 404

    window = api.get("/api/v1/contacts?after=2024-01-02T00:00:00Z&before=2024-01-05T00:00:00%2B00:00").json()
    assert [c["name"] for c in window] == ["C3", "C2"]  # both bounds exclusive
    assert [c["name"] for c in api.get("/api/v1/contacts?after=2024-01-05T12:00:00").json()] == [
        "C5"
    ]  # no offset: UTC
    assert api.get("/api/v1/contacts?after=yesterday").status_code == 400


def test_contact_cursor_pages_stay_stable_while_contacts_are_added(api, workspace) -> None:
    for i in range(7):
        json_post(api, "/api/v1/contacts", {"name": f"old {i}"})
    added = []

    def add_one(_page: int) -> None:
        added.append(json_post(api, "/api/v1/contacts", {"name": f"new {len(added)}"}).json()["uuid"])

    pages = all_pages(api, "/api/v1/contacts", limit=3, between=add_one)
    names = [c["name"] for page in pages for c in page]
    assert [len(p) for p in pages] == [3, 3, 1]
    assert names == [f"old {i}" for i in range(6, -1, -1)]  # nothing skipped, nothing twice
    assert len(added) == 3
    assert api.get("/api/v1/contacts?cursor=abc").status_code == 400
