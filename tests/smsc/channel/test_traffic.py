"""The `smsc` supervisor end to end, on our fake SMSC and on the independent node peer."""

from __future__ import annotations

from typing import Any

from channels_app.models import Direction, Msg, MsgStatus
from channels_app.services.send import queue_message
from smsc import concat
from smsc.models import SubmittedPart

from .conftest import Peer, SupervisorThread, make_channel, wait_until

GSM_LONG = "x" * 152 + "{" + "y" * 100  # the escape pair must move whole into part 2
UCS_LONG = "Muraho 😀" * 12


def statuses(channel: Any) -> dict[int, str]:
    return dict(Msg.objects.filter(channel=channel, direction=Direction.OUT).values_list("id", "status"))


def joined_udh_parts(pdus: list[Any]) -> bytes:
    """Concatenated body from raw submit_sm bytes (8-bit reference UDH: 6 header octets)."""
    bodies = [p.get("short_message") for p in pdus]
    return b"".join(b[6:] for b in sorted(bodies, key=lambda b: b[5]))


def test_queued_messages_submitted_single_and_concatenated(
    peer: Peer, workspace: Any, supervisors: list
) -> None:
    channel = make_channel(workspace, peer.port)
    msgs = [
        queue_message(channel=channel, to="+250788123123", text=text)
        for text in ("Hello €", GSM_LONG, UCS_LONG)
    ]
    supervisors.append(SupervisorThread())
    wait_until(lambda: set(statuses(channel).values()) == {"sent"}, what="all sent")

    pdus = peer.submits()
    assert len(pdus) == 5  # 1 + 2 + 2 parts, each exactly once
    assert {p.get("destination_addr") for p in pdus} == {"250788123123"}
    assert {(p.get("source_addr"), p.get("source_addr_ton"), p.get("source_addr_npi")) for p in pdus} == {
        ("250788000000", 1, 1)
    }
    single = [p for p in pdus if not p.get("esm_class") & 0x40]
    assert [p.get("short_message") for p in single] == [b"Hello \x1b\x65"]
    gsm = [p for p in pdus if p.get("esm_class") & 0x40 and p.get("data_coding") != 8]
    ucs = [p for p in pdus if p.get("esm_class") & 0x40 and p.get("data_coding") == 8]
    assert joined_udh_parts(gsm) == b"x" * 152 + b"\x1b\x28" + b"y" * 100
    assert sorted(gsm, key=lambda p: p.get("short_message")[5])[0].get("short_message")[6:] == b"x" * 152
    assert joined_udh_parts(ucs).decode("utf-16-be") == UCS_LONG

    accepted = set(peer.accepted_ids())
    for msg, parts in zip(msgs, (1, 2, 2), strict=True):
        msg.refresh_from_db()
        assert msg.parts == parts and msg.external_id in accepted and msg.sent_on is not None
        assert SubmittedPart.objects.filter(msg=msg).count() == parts


def test_mo_single_and_concatenated_stored_inbound(peer: Peer, workspace: Any, supervisors: list) -> None:
    channel = make_channel(workspace, peer.port)
    supervisors.append(SupervisorThread())
    long_text = "Igisubizo cyanjye ni YEGO. " * 12  # 3 parts
    wait_until(lambda: any(peer.binds()), what="bind")
    wait_until(lambda: channel.type.live_status(channel)["state"] == "bound", what="bound status")
    peer.deliver(b"YES")
    for part in concat.build_submits(concat.encode_message(long_text, mode="udh", reference=77), {}):
        peer.deliver(part.params["short_message"], esm_class=0x40)
    wait_until(lambda: Msg.objects.filter(channel=channel, direction=Direction.IN).count() == 2, what="2 MOs")
    inbound = list(Msg.objects.filter(channel=channel, direction=Direction.IN).order_by("id"))
    assert [m.text for m in inbound] == ["YES", long_text]
    assert {m.urn for m in inbound} == {"tel:+250788000001"}
    assert inbound[1].metadata["smpp"]["parts"] == 3
    assert {m.status for m in inbound} <= {MsgStatus.PENDING, MsgStatus.HANDLED}


def test_receipts_mark_delivered_and_failed(peer: Peer, workspace: Any, supervisors: list) -> None:
    channel = make_channel(workspace, peer.port)
    single = queue_message(channel=channel, to="+250788123123", text="one part")
    double = queue_message(channel=channel, to="+250788123124", text=GSM_LONG)
    lost = queue_message(channel=channel, to="+250788123125", text="will not arrive")
    supervisors.append(SupervisorThread())
    wait_until(lambda: set(statuses(channel).values()) == {"sent"}, what="all sent")

    parts = {
        m.id: [p.smsc_id for p in SubmittedPart.objects.filter(msg=m).order_by("part")]
        for m in (single, double)
    }
    single.refresh_from_db()
    lost.refresh_from_db()
    double.refresh_from_db()
    # The peer answered hex ids; this receipt spells the same id in decimal.
    peer.receipt(str(int(single.external_id or "", 16)), "DELIVRD")
    peer.receipt(lost.external_id or "", "UNDELIV")
    first_part, second_part = (
        next(a for a in peer.accepted_ids() if a.lower().lstrip("0") == p) for p in parts[double.id]
    )
    peer.receipt(first_part, "DELIVRD")
    wait_until(lambda: Msg.objects.get(id=single.id).status == "delivered", what="single delivered")
    wait_until(lambda: Msg.objects.get(id=lost.id).status == "failed", what="lost failed")
    assert Msg.objects.get(id=double.id).status == "sent"  # one of two parts delivered so far
    peer.receipt(second_part, "DELIVRD")
    wait_until(lambda: Msg.objects.get(id=double.id).status == "delivered", what="double delivered")

    lost.refresh_from_db()
    assert "UNDELIV" in lost.error
    assert Msg.objects.get(id=single.id).delivered_on is not None
    assert lost.events.filter(event_type="smpp_receipt", status="failed").exists()
