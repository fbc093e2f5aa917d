"""UC and CD channels end to end through `manage.py smsc`'s supervisor, over real TCP:
queued rows -> submit -> ack -> sent; notification -> delivered/failed; MO -> inbound message."""

from __future__ import annotations

from typing import Any

from channels_app.models import Direction, Msg
from channels_app.services.channels import create_channel
from channels_app.services.send import queue_message
from smsc.models import SubmittedPart
from tests.smsc.channel.conftest import SupervisorThread, wait_until

from .conftest import SmscThread

TYPE_CODE = {"ucp": "UC", "cimd": "CD"}


def make_channel(workspace: Any, smsc: SmscThread, **config: Any) -> Any:
    base = {"host": "127.0.0.1", "port": smsc.port, "username": "flowgate", "password": "secret"}
    base.update(config)
    return create_channel(
        workspace=workspace,
        type_code=TYPE_CODE[smsc.smsc.kind],
        name="SMSC",
        address="+250788000000",
        country="RW",
        config=base,
    )


def statuses(channel: Any) -> dict[int, str]:
    return dict(Msg.objects.filter(channel=channel, direction=Direction.OUT).values_list("id", "status"))


def test_queued_rows_submitted_then_receipts_applied(
    smsc: SmscThread, workspace: Any, supervisors: list
) -> None:
    channel = make_channel(workspace, smsc)
    texts = ("Hello €", "x" * 200, "Muraho 😀")
    msgs = [queue_message(channel=channel, to=f"+25078812312{i}", text=t) for i, t in enumerate(texts)]
    supervisors.append(SupervisorThread())
    wait_until(lambda: set(statuses(channel).values()) == {"sent"}, what="all sent")
    assert smsc.call(lambda: smsc.smsc.seen.submit_count) == 4  # 1 + 2 + 1 parts, once each
    for msg, parts in zip(msgs, (1, 2, 1), strict=True):
        msg.refresh_from_db()
        assert msg.parts == parts and msg.external_id and ":" in msg.external_id
        assert SubmittedPart.objects.filter(msg=msg).count() == parts
    first, long, ucs = msgs
    smsc.call(lambda: smsc.smsc.receipt(first.external_id, delivered=True))
    smsc.call(lambda: smsc.smsc.receipt(ucs.external_id, delivered=False))
    for part in SubmittedPart.objects.filter(msg=long):
        smsc.call(lambda part=part: smsc.smsc.receipt(part.smsc_id, delivered=True))
    wait_until(
        lambda: statuses(channel) == {first.id: "delivered", long.id: "delivered", ucs.id: "failed"},
        what="receipts applied",
    )
    ucs.refresh_from_db()
    assert "UNDELIV" in ucs.error
    # the channel page / API shows the link as bound with its counters
    wait_until(
        lambda: channel.smpp_link.__class__.objects.get(channel=channel).state == "bound", what="bound"
    )
    from smsc.services import link_status

    # the link writes its counters on its own beat, a moment after the receipts it counts
    wait_until(lambda: link_status(channel=channel)["receipts_received"] == 4, what="receipts counted")
    shown = link_status(channel=channel)
    assert shown["state"] == "bound" and shown["accepted"] == 4 and shown["receipts_received"] == 4


def test_mo_stored_as_inbound_message(smsc: SmscThread, workspace: Any, supervisors: list) -> None:
    channel = make_channel(workspace, smsc)
    supervisors.append(SupervisorThread())
    wait_until(lambda: smsc.call(lambda: any(c.logged_in for c in smsc.smsc.conns)), what="login")
    smsc.call(lambda: smsc.smsc.mo(sender="250788000001", recipient="1234", text="join now"))
    msg = wait_until(
        lambda: Msg.objects.filter(channel=channel, direction=Direction.IN).first(), what="inbound stored"
    )
    assert msg.text == "join now" and msg.urn == "tel:+250788000001"


def test_wrong_password_shown_in_link_status(smsc: SmscThread, workspace: Any, supervisors: list) -> None:
    channel = make_channel(workspace, smsc, password="wrong")
    supervisors.append(SupervisorThread())
    from smsc.services import link_status

    shown = wait_until(
        lambda: (s := link_status(channel=channel)) and "login refused" in s.get("last_error", "") and s,
        what="login error shown",
    )
    assert shown["state"] in ("down", "connecting")
