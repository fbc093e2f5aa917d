"""Editing a smart group's query in the UI: checked first (a bad query is a clear 400, nothing
saved), then members recomputed by the background job, whose progress the group page shows."""

from __future__ import annotations

from typing import Any

from channels_app.models import ContactField, ContactGroup
from channels_app.services.contacts import create_contact
from channels_app.services.groups import create_group
from tests.conftest import run_jobs


def _people(workspace: Any) -> None:
    ContactField.objects.create(workspace=workspace, key="district", name="District", value_type="text")
    create_contact(workspace=workspace, name="Amina", fields={"district": "Kigali"})
    create_contact(workspace=workspace, name="Bea", fields={"district": "Huye"})
    create_contact(workspace=workspace, name="Chloe", fields={"district": "Huye"})


def _names(group: ContactGroup) -> set[str]:
    return set(group.contacts.values_list("name", flat=True))


def test_edit_query_recomputes_members_in_the_background_with_progress(
    client_in: Any, workspace: Any
) -> None:
    _people(workspace)
    group = create_group(workspace=workspace, name="Kigali", query='district = "Kigali"')
    run_jobs()
    group.refresh_from_db()
    assert _names(group) == {"Amina"} and group.status == "ready"

    page = client_in.get(f"/contacts/groups/{group.uuid}/")
    assert page.status_code == 200
    assert 'value="district = &quot;Kigali&quot;"' in page.content.decode()
    assert page.context["payload"]["status"] == "ready"

    response = client_in.post(f"/contacts/groups/{group.uuid}/", {"name": "Huye", "query": "district = Huye"})
    assert response.status_code == 302 and response["Location"] == f"/contacts/groups/{group.uuid}/"
    group.refresh_from_db()
    assert (group.name, group.query, group.status) == ("Huye", "district = Huye", "evaluating")
    assert _names(group) == {"Amina"}  # not yet: the job does it
    progress = client_in.get(f"/contacts/groups/{group.uuid}/").content.decode()
    assert 'data-status="evaluating"' in progress and "recomputing the members" in progress
    assert 'id="group-bar"' in progress
    # what the page's script polls: the API, with the login session
    assert client_in.get(f"/api/v1/groups/{group.uuid}").json()["status"] == "evaluating"

    run_jobs()
    assert _names(group) == {"Bea", "Chloe"}
    polled = client_in.get(f"/api/v1/groups/{group.uuid}").json()
    assert (polled["status"], polled["count"]) == ("ready", 2)
    done = client_in.get(f"/contacts/groups/{group.uuid}/").content.decode()
    assert 'data-status="ready"' in done and "up to date" in done and 'id="group-bar"' not in done


def test_bad_query_is_a_clear_400_and_nothing_is_saved(client_in: Any, workspace: Any) -> None:
    _people(workspace)
    group = create_group(workspace=workspace, name="Kigali", query='district = "Kigali"')
    run_jobs()
    for query, message in [
        ("nosuchfield = 3", "nosuchfield"),
        ('district = "Kigali" AND (', "invalid query"),
        ("   ", "a smart group needs a query"),
    ]:
        response = client_in.post(f"/contacts/groups/{group.uuid}/", {"name": "Renamed", "query": query})
        assert response.status_code == 400, query
        page = response.content.decode()
        assert 'id="group-error"' in page and "Nothing was saved" in page and message in page, page
        group.refresh_from_db()
        assert (group.name, group.query, group.status) == ("Kigali", 'district = "Kigali"', "ready")
    assert _names(group) == {"Amina"}


def test_a_later_edit_keeps_the_group_evaluating_until_its_own_job_ran(workspace: Any) -> None:
    from channels_app.services import groups, smart_groups

    _people(workspace)
    group = create_group(workspace=workspace, name="Kigali", query='district = "Kigali"')
    run_jobs()
    groups.set_query(group=group, query="district = Huye")
    first = ContactGroup.objects.get(id=group.id)  # what the first job reads when it starts
    groups.set_query(group=group, query='district = "Kigali" OR district = Huye')
    # the first job finishing must not mark the group ready: the second edit's job is pending
    smart_groups._ready(first)
    group.refresh_from_db()
    assert group.status == "evaluating"
    smart_groups.refresh_group(group.id)
    group.refresh_from_db()
    assert group.status == "ready" and _names(group) == {"Amina", "Bea", "Chloe"}


def test_plain_group_edits_its_name_only(client_in: Any, workspace: Any) -> None:
    group = create_group(workspace=workspace, name="Mothers")
    page = client_in.get(f"/contacts/groups/{group.uuid}/").content.decode()
    assert 'id="id_group_query"' not in page
    response = client_in.post(f"/contacts/groups/{group.uuid}/", {"name": "Mums", "query": "age > 3"})
    assert response.status_code == 302
    group.refresh_from_db()
    assert (group.name, group.query, group.status) == ("Mums", "", "ready")


def test_group_list_links_to_the_edit_page(client_in: Any, workspace: Any) -> None:
    _people(workspace)
    group = create_group(workspace=workspace, name="Kigali", query='district = "Kigali"')
    page = client_in.get("/contacts/groups/").content.decode()
    assert f'href="/contacts/groups/{group.uuid}/"' in page and "recomputing…" in page


def test_another_workspaces_group_is_404_and_viewers_may_not_edit(
    client_in: Any, workspace: Any, other_workspace: Any
) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from channels_app.models import Membership

    theirs = create_group(workspace=other_workspace, name="Theirs", query='name ~ "a"')
    assert client_in.get(f"/contacts/groups/{theirs.uuid}/").status_code == 404
    assert (
        client_in.post(f"/contacts/groups/{theirs.uuid}/", {"name": "x", "query": "name ~ b"}).status_code
        == 404
    )
    theirs.refresh_from_db()
    assert (theirs.name, theirs.query) == ("Theirs", 'name ~ "a"')

    ours = create_group(workspace=workspace, name="Ours", query='name ~ "a"')
    viewer = get_user_model().objects.create_user(username="viewer@test.org", password="x")
    Membership.objects.create(workspace=workspace, user=viewer, role=Membership.Role.VIEWER)
    client = Client()
    client.force_login(viewer)
    assert client.get(f"/contacts/groups/{ours.uuid}/").status_code == 200
    assert (
        client.post(f"/contacts/groups/{ours.uuid}/", {"name": "Ours", "query": "name ~ c"}).status_code
        == 403
    )
    ours.refresh_from_db()
    assert ours.query == 'name ~ "a"'
