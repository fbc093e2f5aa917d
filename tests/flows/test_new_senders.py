"""A handle batch with new senders (issue 22: fewer statements per batch). A new sender's
contact and URN are inserted once, the URN with the channel its message came in on, and
nothing about them is read back: the flow engine gets the new contact's URNs and (empty)
groups without a query. Known contacts still load theirs, and a URN another worker created
first stays theirs."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channels_app.models import Contact, ContactGroup, ContactURN, Msg
from channels_app.services import ingest
from channels_app.services.channels import create_channel
from channels_app.services.contacts import create_contact
from flows.services.definitions import create_flow, save_definition
from flows.services.triggers import create_trigger


def _urn_reply_flow(workspace: Any, keyword: str, groups: list[Any] | None = None) -> Any:
    """Keyword `keyword` replies with the contact's URN (the flow context's URNs at work)."""
    flow = create_flow(workspace=workspace, name=f"Who {keyword}")
    definition = dict(flow.definition)
    definition["nodes"] = [
        {
            "uuid": "7b0e1c2d-0000-4000-8000-000000000001",
            "actions": [{"uuid": "7b0e1c2d-0000-4000-8000-000000000002", "type": "send_msg",
                         "text": f"{keyword}: @contact.urn"}],
            "exits": [{"uuid": "7b0e1c2d-0000-4000-8000-000000000003", "destination_uuid": None}],
        }
    ]  # fmt: skip
    save_definition(flow=flow, definition=definition)
    trigger = create_trigger(workspace=workspace, trigger_type="keyword", flow=flow, keywords=[keyword])
    if groups:
        trigger.groups.add(*groups)
    return flow


@pytest.fixture
def second_channel(workspace: Any) -> Any:
    return create_channel(workspace=workspace, type_code="EX", name="Second", address="+250788000009",
                          country="RW", config={"send_url": "http://127.0.0.1:9/send"})  # fmt: skip


def _replies() -> dict[str, tuple[str, int]]:
    """urn -> (text, channel id) of every outbound message."""
    return {m.urn: (m.text, m.channel_id) for m in Msg.objects.filter(direction="out")}


def test_new_senders_are_inserted_once_with_their_channel_and_the_flow_sees_their_urn(
    ex_channel: Any, second_channel: Any, settings: Any
) -> None:
    settings.FLOWGATE_INBOUND_DEDUPE_SECONDS = 0
    _urn_reply_flow(ex_channel.workspace, "who")
    ingest.receive(channel=ex_channel, sender="+250788300001", text="who")
    ingest.receive(channel=second_channel, sender="+250788300002", text="who")
    ingest.receive(channel=second_channel, sender="+250788300001", text="hello")  # the same sender again
    with CaptureQueriesContext(connection) as captured:
        assert ingest.handle_pending(workspace_id=ex_channel.workspace_id) == 3

    urns = {u.identity: u for u in ContactURN.objects.filter(workspace=ex_channel.workspace)}
    assert set(urns) == {"tel:+250788300001", "tel:+250788300002"}
    # each URN's channel is the one its last message came in on, set when it was inserted
    assert urns["tel:+250788300001"].channel_id == second_channel.id
    assert urns["tel:+250788300002"].channel_id == second_channel.id
    assert Contact.objects.filter(workspace=ex_channel.workspace).count() == 2
    assert all(m.contact_urn_id == urns[m.urn].id for m in Msg.objects.filter(direction="in"))
    replies = _replies()
    assert replies["tel:+250788300001"][0] == "who: tel:+250788300001"
    assert replies["tel:+250788300002"] == ("who: tel:+250788300002", second_channel.id)
    statements = [q["sql"] for q in captured.captured_queries]
    urn_table, groups_table = ContactURN._meta.db_table, ContactGroup.contacts.through._meta.db_table
    assert not [s for s in statements if s.startswith("UPDATE") and urn_table in s]  # no affinity update
    # A new contact's groups are not read; only the one that wrote twice is read again before
    # its second message (its first may have changed them).
    twice = urns["tel:+250788300001"].contact_id
    assert [s for s in statements if groups_table in s] == [
        s for s in statements if groups_table in s and f"IN ({twice})" in s
    ]
    assert len([s for s in statements if groups_table in s]) == 1
    if connection.vendor == "postgresql":
        # one insert that returns the URNs' ids; no read of them afterwards, no savepoint
        inserts = [s for s in statements if s.startswith(f"INSERT INTO {urn_table}")]
        assert len(inserts) == 1 and "RETURNING id, identity" in inserts[0], inserts
        after = statements[statements.index(inserts[0]) + 1 :]
        urn_reads = [s for s in after if s.startswith("SELECT") and f'FROM "{urn_table}"' in s]
        assert len(urn_reads) == 1 and f"IN ({twice})" in urn_reads[0], urn_reads  # the one that wrote twice
        assert not [s for s in statements if s.startswith("SAVEPOINT")], statements


def test_a_known_contact_in_the_same_batch_still_has_its_groups_and_urns(
    ex_channel: Any, settings: Any
) -> None:
    settings.FLOWGATE_INBOUND_DEDUPE_SECONDS = 0
    workspace = ex_channel.workspace
    vips = ContactGroup.objects.create(workspace=workspace, name="VIPs")
    known = create_contact(workspace=workspace, name="Ann", urn_list=["tel:+250788300010", "telegram:5550"])
    vips.contacts.add(known)
    _urn_reply_flow(workspace, "vip", groups=[vips])
    ingest.receive(channel=ex_channel, sender="+250788300010", text="vip")
    ingest.receive(channel=ex_channel, sender="+250788300011", text="vip")  # new: in no group
    assert ingest.handle_pending(workspace_id=workspace.id) == 2
    assert _replies() == {"tel:+250788300010": ("vip: tel:+250788300010", ex_channel.id)}


def test_a_urn_another_worker_created_first_is_theirs_and_our_contact_is_removed(workspace: Any) -> None:
    theirs = create_contact(workspace=workspace, name="Theirs", urn_list=["tel:+250788300020"])
    before = Contact.objects.filter(workspace=workspace).count()
    # As if the other worker's insert committed between our lookup and our insert.
    found = ingest._create_contacts(workspace.id, ["tel:+250788300020", "tel:+250788300021"], {})
    assert found["tel:+250788300020"].contact_id == theirs.id
    assert found["tel:+250788300021"].contact is not None
    assert found["tel:+250788300021"].contact.urns.get().identity == "tel:+250788300021"
    assert Contact.objects.filter(workspace=workspace).count() == before + 1  # the spare one is gone
    assert (
        ContactURN.objects.filter(workspace=workspace, identity="tel:+250788300020").get().contact_id
        == theirs.id
    )
