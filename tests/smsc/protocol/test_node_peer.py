"""SmppLink against an independent SMPP server (the `smpp` npm package), parts checked on raw bytes."""

import asyncio
import struct

from smsc import concat
from smsc.concat import MOMessage
from smsc.dlr import Receipt, ids_match
from smsc.link import OutboundSms, SmppLink
from smsc.pdu import Status, decode

from .conftest import NodeSmsc
from .helpers import Running, async_test, config, eventually


def raw_submits(node: NodeSmsc) -> list:
    return [decode(bytes.fromhex(e["raw"])) for e in node.of("submit_sm")]


def test_bind_right_and_wrong_credentials(node_smsc: NodeSmsc) -> None:
    @async_test()
    async def run() -> None:
        async with Running(SmppLink(config(node_smsc.port))) as link:
            assert link.is_bound
        bad = SmppLink(config(node_smsc.port, password="nope"))
        task = asyncio.create_task(bad.run())
        await eventually(lambda: len(node_smsc.of("bind")) >= 2)
        # The peer logs the bind before its refusal reaches us: wait for the link to read it.
        await eventually(lambda: "ESME_RINVPASWD" in bad.status.last_error)
        assert not bad.is_bound
        await bad.close()
        await task

    run()
    binds = node_smsc.of("bind")
    assert binds[0] == {"event": "bind", "mode": "transceiver", "system_id": "test", "ok": True}
    assert binds[1]["ok"] is False
    assert len(node_smsc.of("unbind")) == 1  # clean unbind from the first link


def test_single_and_concatenated_submits(node_smsc: NodeSmsc) -> None:
    gsm_text = "x" * 152 + "{" + "y" * 100
    ucs_text = "Muraho 😀" * 12

    @async_test()
    async def run() -> list:
        async with Running(SmppLink(config(node_smsc.port))) as link:
            single = await link.submit(OutboundSms("250788123123", "Hello €"))
            gsm = await link.submit(OutboundSms("250788123123", gsm_text))
            ucs = await link.submit(OutboundSms("250788123123", ucs_text))
            return [single, gsm, ucs]

    single, gsm, ucs = run()
    assert single.ok and gsm.ok and ucs.ok and (gsm.parts, ucs.parts) == (2, 2)
    events = node_smsc.of("submit_sm")
    assert [e["message_id"] for e in events[:1]] == single.message_ids
    assert all(e["destination_addr"] == "250788123123" for e in events)
    pdus = raw_submits(node_smsc)
    assert pdus[0].get("short_message") == b"Hello \x1b\x65" and events[0]["esm_class"] == 0
    g1, g2 = sorted(pdus[1:3], key=lambda p: p.get("short_message")[5])
    assert g1.get("short_message")[6:] == b"x" * 152  # the escape pair did not fit: moved whole
    assert g2.get("short_message")[6:8] == b"\x1b\x28"
    u1, u2 = sorted(pdus[3:5], key=lambda p: p.get("short_message")[5])
    body = u1.get("short_message")[6:] + u2.get("short_message")[6:]
    u1.get("short_message")[6:].decode("utf-16-be", errors="strict")
    assert body.decode("utf-16-be") == ucs_text and u1.get("data_coding") == 8
    assert {e["esm_class"] & 0x40 for e in events[1:]} == {0x40}


def test_mo_and_receipts(node_smsc: NodeSmsc) -> None:
    mos: list[MOMessage] = []
    receipts: list[Receipt] = []

    async def on_mo(mo: MOMessage) -> None:
        mos.append(mo)

    async def on_receipt(r: Receipt) -> None:
        receipts.append(r)

    long_text = "Igisubizo cyanjye ni YEGO. " * 12  # 324 septets: 3 parts

    @async_test()
    async def run() -> list[str]:
        link = SmppLink(config(node_smsc.port), on_mo=on_mo, on_receipt=on_receipt)
        async with Running(link):
            node_smsc.command("deliver", short_message_hex=b"YES".hex())
            parts = concat.build_submits(concat.encode_message(long_text, mode="udh", reference=33), {})
            for p in parts:
                node_smsc.command(
                    "deliver", short_message_hex=p.params["short_message"].hex(), esm_class=0x40
                )
            ok = await link.submit(OutboundSms("250788", "will arrive"))
            bad = await link.submit(OutboundSms("250788", "will not"))
            node_smsc.command(
                "receipt", id=str(int(ok.message_ids[0], 16)), stat="DELIVRD"
            )  # decimal spelling
            node_smsc.command("receipt", id=bad.message_ids[0], stat="UNDELIV")
            await eventually(lambda: len(mos) == 2 and len(receipts) == 2)
            return [ok.message_ids[0], bad.message_ids[0]]

    ok_id, bad_id = run()
    assert [m.text for m in mos] == ["YES", long_text] and mos[1].parts == 3
    outcome = {r.outcome: r for r in receipts}
    assert ids_match(outcome["delivered"].message_id, ok_id)
    assert ids_match(outcome["failed"].message_id, bad_id)
    assert [e["status"] for e in node_smsc.of("deliver_sm_resp")] == [0] * 6


def test_throttling(node_smsc: NodeSmsc) -> None:
    @async_test()
    async def run() -> tuple:
        async with Running(SmppLink(config(node_smsc.port, throttle_pause=0.02))) as link:
            node_smsc.command("throttle", count=2)
            await asyncio.sleep(0.1)
            return await link.submit(OutboundSms("250788", "slowly")), link.status.throttled

    result, throttled = run()
    assert result.ok and throttled == 2
    assert [e["status"] for e in node_smsc.of("submit_sm")] == [Status.ESME_RTHROTTLED] * 2 + [0]


def test_drop_mid_window(node_smsc: NodeSmsc) -> None:
    n = 300

    @async_test(timeout=20)
    async def run() -> list:
        async with Running(SmppLink(config(node_smsc.port, window=100))) as link:
            node_smsc.command("drop_after", count=120)
            await asyncio.sleep(0.1)
            return await asyncio.gather(*(link.submit(OutboundSms("250788", f"m{i}")) for i in range(n)))

    results = run()
    events = node_smsc.of("submit_sm")
    accepted_by_server = {e["message_id"]: e for e in events if e.get("message_id")}
    outcomes = [r.outcome for r in results]
    assert set(outcomes) <= {"accepted", "unacknowledged"} and "unacknowledged" in outcomes
    texts = [decode(bytes.fromhex(e["raw"])).get("short_message") for e in events]
    assert len(texts) == len(set(texts))  # nothing was written twice
    for i, r in enumerate(results):
        if r.ok:
            assert decode(bytes.fromhex(accepted_by_server[r.message_ids[0]]["raw"])).get(
                "short_message"
            ) == (f"m{i}".encode())
    assert len(node_smsc.of("bind")) == 2


def test_enquire_link_both_ways_and_garbage(node_smsc: NodeSmsc) -> None:
    @async_test()
    async def run() -> tuple:
        link = SmppLink(config(node_smsc.port, enquire_link_interval=0.1))
        async with Running(link):
            await eventually(lambda: len(node_smsc.of("enquire_link")) >= 2)
            node_smsc.command("enquire_link")
            await eventually(lambda: len(node_smsc.of("enquire_link_resp")) == 1)
            node_smsc.command("garbage", hex=struct.pack(">IIII", 16, 0x00000666, 0, 99).hex())
            await eventually(lambda: len(node_smsc.of("generic_nack")) == 1)
            still_bound = link.is_bound
            node_smsc.command("garbage", hex=struct.pack(">I", 5).hex())  # impossible length
            await eventually(lambda: link.status.reconnects == 1 and link.is_bound)
            return still_bound, (await link.submit(OutboundSms("250788", "after"))).ok

    still_bound, ok_after = run()
    assert node_smsc.of("enquire_link_resp")[0]["status"] == 0
    assert node_smsc.of("generic_nack")[0]["status"] == Status.ESME_RINVCMDID
    assert still_bound and ok_after
