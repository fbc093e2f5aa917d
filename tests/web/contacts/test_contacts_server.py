"""Contacts screens through Django's test client: search, paging, edits, groups, sending, isolation."""

from __future__ import annotations

from typing import Any

from channels_app.models import Contact, ContactField, ContactGroup, Msg
from channels_app.services import contact_screens
from channels_app.services.contacts import create_contact
from tests.web.dashboard.conftest import make_msg


def _fields(workspace: Any) -> None:
    ContactField.objects.create(workspace=workspace, key="age", name="Age", value_type="number")
    ContactField.objects.create(workspace=workspace, key="born", name="Born", value_type="datetime")
    ContactField.objects.create(workspace=workspace, key="village", name="Village", value_type="text")


def test_list_search_group_filter_and_last_message(client_in: Any, workspace: Any, ex_channel: Any) -> None:
    ada = create_contact(workspace=workspace, name="Ada Lovelace", urn_list=["tel:+250788111111"])
    create_contact(workspace=workspace, name="Grace Hopper", urn_list=["tel:+250788222222"])
    group = ContactGroup.objects.create(workspace=workspace, name="Mothers")
    group.contacts.add(ada)
    make_msg(ex_channel, urn="tel:+250788111111", text="hello from ada", contact=ada)

    page = client_in.get("/contacts/", {"search": "+25078811"}).content.decode()
    assert "Ada Lovelace" in page and "Grace Hopper" not in page
    assert "hello from ada" in page and "Mothers" in page
    page = client_in.get("/contacts/", {"search": "grace"}).content.decode()
    assert "Grace Hopper" in page and "Ada Lovelace" not in page
    page = client_in.get("/contacts/", {"group": str(group.uuid)}).content.decode()
    assert "Ada Lovelace" in page and "Grace Hopper" not in page
    assert "Mothers (1)" in page  # the count in the group select


def test_each_row_shows_its_contacts_newest_message_read_in_one_query(
    workspace: Any, ex_channel: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ada = create_contact(workspace=workspace, name="Ada", urn_list=["tel:+250788111111"])
    bob = create_contact(workspace=workspace, name="Bob", urn_list=["tel:+250788222222"])
    create_contact(workspace=workspace, name="Cy", urn_list=["tel:+250788333333"])  # no message
    make_msg(ex_channel, urn="tel:+250788111111", text="ada first", contact=ada)
    newest = make_msg(
        ex_channel, direction="out", status="sent", urn="tel:+250788111111", text="to ada", contact=ada
    )
    make_msg(ex_channel, urn="tel:+250788222222", text="bob only", contact=bob)
    make_msg(ex_channel, urn="tel:+250788222222", text="not linked yet", status="pending")  # no contact
    with CaptureQueriesContext(connection) as captured:
        rows = {c.name: c for c in contact_screens.search_contacts(workspace=workspace).rows}
    assert (rows["Ada"].last_msg_text, rows["Ada"].last_msg_uuid) == ("to ada", newest.uuid)
    assert rows["Ada"].last_msg_on == newest.created_on
    assert rows["Bob"].last_msg_text == "bob only"
    assert (rows["Cy"].last_msg_text, rows["Cy"].last_msg_uuid, rows["Cy"].last_msg_on) == (None, None, None)
    statements = [q["sql"] for q in captured.captured_queries]
    msg_reads = [sql for sql in statements if sql.startswith('SELECT "channels_app_msg"')]
    assert len(msg_reads) == 1, msg_reads  # the last messages' fields, once for the page
    contacts_read = [sql for sql in statements if sql.startswith('SELECT "channels_app_contact"')]
    assert [sql.count('FROM "channels_app_msg"') for sql in contacts_read] == [1]  # one lookup per row


def test_list_pages_older_and_newer(client_in: Any, workspace: Any) -> None:
    for i in range(contact_screens.CONTACTS_PER_PAGE + 3):
        Contact.objects.create(workspace=workspace, name=f"Person {i:03d}")
    first = client_in.get("/contacts/")
    assert first.context["older"] and first.context["newer"] is None
    assert len(first.context["contacts"]) == contact_screens.CONTACTS_PER_PAGE
    second = client_in.get("/contacts/?" + first.context["older"])
    names = [c.name for c in second.context["contacts"]]
    assert names == ["Person 002", "Person 001", "Person 000"]
    assert second.context["older"] is None and second.context["newer"] is not None


def test_edit_name_language_and_fields(client_in: Any, workspace: Any) -> None:
    _fields(workspace)
    contact = create_contact(workspace=workspace, name="Ada", urn_list=["tel:+250788111111"])
    response = client_in.post(
        f"/contacts/{contact.uuid}/edit",
        {
            "name": "Ada L.",
            "language": "kin",
            "field_age": "36",
            "field_born": "1815-12-10",
            "field_village": "",
        },
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.name, contact.language) == ("Ada L.", "kin")
    assert contact.fields == {"age": "36", "born": "1815-12-10"}


def test_bad_field_value_is_a_clear_error_and_saves_nothing(client_in: Any, workspace: Any) -> None:
    _fields(workspace)
    contact = create_contact(workspace=workspace, name="Ada", fields={"age": "36"})
    response = client_in.post(
        f"/contacts/{contact.uuid}/edit",
        {"name": "Changed", "language": "eng", "field_age": "thirty", "field_born": "last tuesday"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was saved" in page and "&#x27;thirty&#x27; is not a number" in page
    assert "is not an ISO 8601 date" in page
    assert 'value="thirty"' in page  # what was typed stays in the form
    contact.refresh_from_db()
    assert (contact.name, contact.language, contact.fields) == ("Ada", "", {"age": "36"})

    response = client_in.post(f"/contacts/{contact.uuid}/edit", {"name": "Ada", "language": "english"})
    assert response.status_code == 400 and "ISO 639-3" in response.content.decode()


def test_add_and_remove_group(client_in: Any, workspace: Any) -> None:
    contact = create_contact(workspace=workspace, name="Ada")
    group = ContactGroup.objects.create(workspace=workspace, name="Mothers")
    assert client_in.post(f"/contacts/{contact.uuid}/groups", {"add": str(group.uuid)}).status_code == 302
    assert list(contact.groups.all()) == [group]
    assert client_in.post(f"/contacts/{contact.uuid}/groups", {"remove": str(group.uuid)}).status_code == 302
    assert list(contact.groups.all()) == []


def test_history_newest_first_and_send_queues(client_in: Any, workspace: Any, ex_channel: Any) -> None:
    contact = create_contact(workspace=workspace, name="Ada", urn_list=["tel:+250788111111"])
    make_msg(ex_channel, urn="tel:+250788111111", text="first in", contact=contact, days_ago=1)
    make_msg(ex_channel, urn="tel:+250788111111", text="not hers")  # no contact: not in her history
    response = client_in.post(
        f"/contacts/{contact.uuid}/send",
        {"text": "reply out", "urn": "tel:+250788111111", "channel": str(ex_channel.uuid)},
    )
    assert response.status_code == 302
    sent = Msg.objects.get(text="reply out")
    assert (sent.direction, sent.status, sent.contact_id) == ("out", "queued", contact.id)
    history = client_in.get(f"/contacts/{contact.uuid}/").context["msgs"]
    assert [m.text for m in history] == ["reply out", "first in"]

    bad = client_in.post(
        f"/contacts/{contact.uuid}/send",
        {"text": "x", "urn": "tel:+250700000000", "channel": str(ex_channel.uuid)},
    )
    assert bad.status_code == 400 and "choose one of this contact" in bad.content.decode()
    empty = client_in.post(
        f"/contacts/{contact.uuid}/send",
        {"text": "  ", "urn": "tel:+250788111111", "channel": str(ex_channel.uuid)},
    )
    assert empty.status_code == 400 and "write a message first" in empty.content.decode()
    assert Msg.objects.filter(direction="out").count() == 1


def test_groups_page_create_rename_delete(client_in: Any, workspace: Any) -> None:
    assert client_in.post("/contacts/groups/", {"name": "  Mothers  "}).status_code == 302
    group = ContactGroup.objects.get(workspace=workspace)
    assert group.name == "Mothers"
    dup = client_in.post("/contacts/groups/", {"name": "mothers"})
    assert dup.status_code == 400 and "already has a group" in dup.content.decode()
    client_in.post(f"/contacts/groups/{group.uuid}/rename", {"name": "Mothers 2026"})
    group.refresh_from_db()
    assert group.name == "Mothers 2026"
    contact = create_contact(workspace=workspace, name="Ada", groups=[str(group.uuid)])
    page = client_in.get("/contacts/groups/").content.decode()
    assert "Mothers 2026" in page and '<td data-label="Contacts" class="count">1</td>' in page
    client_in.post(f"/contacts/groups/{group.uuid}/delete")
    assert not ContactGroup.objects.filter(id=group.id).exists()
    assert Contact.objects.filter(id=contact.id).exists()


def test_other_workspace_contacts_and_groups_are_404(
    client_in: Any, workspace: Any, other_workspace: Any
) -> None:
    theirs = create_contact(workspace=other_workspace, name="Their Person", urn_list=["tel:+250788999999"])
    their_group = ContactGroup.objects.create(workspace=other_workspace, name="Theirs")
    mine = create_contact(workspace=workspace, name="Ada")
    assert "Their Person" not in client_in.get("/contacts/").content.decode()
    assert client_in.get(f"/contacts/{theirs.uuid}/").status_code == 404
    assert client_in.post(f"/contacts/{theirs.uuid}/edit", {"name": "hacked"}).status_code == 404
    assert client_in.post(f"/contacts/{theirs.uuid}/send", {"text": "x"}).status_code == 404
    assert client_in.get("/contacts/", {"group": str(their_group.uuid)}).status_code == 404
    assert client_in.post(f"/contacts/{mine.uuid}/groups", {"add": str(their_group.uuid)}).status_code == 404
    assert client_in.post(f"/contacts/groups/{their_group.uuid}/rename", {"name": "x"}).status_code == 404
    assert client_in.post(f"/contacts/groups/{their_group.uuid}/delete").status_code == 404
    theirs.refresh_from_db()
    their_group.refresh_from_db()
    assert theirs.name == "Their Person" and their_group.name == "Theirs"
    assert not their_group.contacts.exists()
    assert client_in.get("/contacts/", {"group": "not-a-uuid"}).status_code == 404
    assert client_in.get("/contacts/", {"before": "abc"}).status_code == 200


def test_all_matching_acts_on_the_list_shown_never_past_its_group_or_status(
    client_in: Any, workspace: Any, other_workspace: Any
) -> None:
    """ "All matching" with an empty search inside a group used to archive every contact of the
    workspace: the action bar sent the search text only. It now covers what the list showed —
    search, group and status — on every page, and nothing of another tenant."""
    mothers = ContactGroup.objects.create(workspace=workspace, name="Mothers")
    ada = create_contact(workspace=workspace, name="Ada", urn_list=["tel:+250788111111"])
    bea = create_contact(workspace=workspace, name="Bea", urn_list=["tel:+250788222222"])
    cy = create_contact(workspace=workspace, name="Cy", urn_list=["tel:+250788333333"])
    mothers.contacts.add(ada, bea)
    theirs = create_contact(workspace=other_workspace, name="Ada", urn_list=["tel:+250788444444"])

    def bulk(**fields: str) -> Any:
        return client_in.post("/contacts/bulk", {"all_matching": "1", "action": "archive", **fields})

    # the form carries the list's group and status; the page renders them
    page = client_in.get("/contacts/", {"group": str(mothers.uuid)}).content.decode()
    assert f'name="list_group" value="{mothers.uuid}"' in page

    assert bulk(query="", list_group=str(mothers.uuid)).status_code == 302
    archived = set(Contact.objects.filter(status=Contact.Status.ARCHIVED).values_list("id", flat=True))
    assert archived == {ada.id, bea.id}  # Cy is not in the group: untouched

    # a name fragment, as the list reads it (not as a contact query), in the whole list
    Contact.objects.filter(id__in=archived).update(status=Contact.Status.ACTIVE)
    assert bulk(query="bea").status_code == 302
    assert set(Contact.objects.filter(status=Contact.Status.ARCHIVED).values_list("id", flat=True)) == {
        bea.id
    }

    # the default list hides archived contacts, so "all matching" leaves them as they are
    assert (
        client_in.post("/contacts/bulk", {"all_matching": "1", "action": "block", "query": ""}).status_code
        == 302
    )
    assert dict(Contact.objects.filter(workspace=workspace).values_list("id", "status")) == {
        ada.id: Contact.Status.BLOCKED,
        bea.id: Contact.Status.ARCHIVED,
        cy.id: Contact.Status.BLOCKED,
    }
    assert Contact.objects.get(id=theirs.id).status == Contact.Status.ACTIVE

    # a group of another workspace or a made-up status is refused in words and changes nothing
    before = dict(Contact.objects.values_list("id", "status"))
    other_group = ContactGroup.objects.create(workspace=other_workspace, name="Theirs")
    answer = bulk(query="", list_group=str(other_group.uuid))
    assert answer.status_code == 302
    assert "no such group" in client_in.get("/contacts/").content.decode()
    bulk(query="", list_status="deleted")
    assert "no such contact status: deleted" in client_in.get("/contacts/").content.decode()
    assert dict(Contact.objects.values_list("id", "status")) == before
