"""SmppLink against the local fake SMSC over real TCP."""

import asyncio
import struct
import time

from smsc import concat
from smsc.concat import MOMessage
from smsc.dlr import Receipt, ids_match
from smsc.link import OutboundSms, SmppLink
from smsc.pdu import CommandId, Pdu, Status, decode

from .fake_smsc import FakeSmsc
from .helpers import Running, async_test, config, eventually


@async_test()
async def test_bind_and_single_gsm_submit() -> None:
    async with FakeSmsc() as smsc, Running(SmppLink(config(smsc.port))) as link:
        result = await link.submit(OutboundSms(to="+250788123123", text="Hello {world} €"))
        assert result.ok and result.parts == 1 and len(result.message_ids) == 1
        assert smsc.binds == [("transceiver", "test", "secret", Status.ESME_ROK)]
        sub = decode(smsc.raw_submits[0])
        assert sub.get("destination_addr") == "250788123123" and sub.get("source_addr") == "Flowgate"
        assert sub.get("data_coding") == 0 and sub.get("registered_delivery") == 1
        assert sub.get("short_message") == b"Hello \x1b\x28world\x1b\x29 \x1b\x65"
        assert result.message_ids[0] in smsc.accepted
        assert link.status.state == "bound" and link.status.accepted == 1


@async_test()
async def test_wrong_password_keeps_retrying_and_reports() -> None:
    states: list[str] = []
    async with FakeSmsc() as smsc:
        link = SmppLink(config(smsc.port, password="wrong"), on_status=lambda s: states.append(s.state))
        task = asyncio.create_task(link.run())
        await eventually(lambda: len(smsc.binds) >= 2)
        assert not link.is_bound
        assert "ESME_RINVPASWD" in link.status.last_error
        assert all(b[3] == Status.ESME_RINVPASWD for b in smsc.binds)
        await link.close()
        await asyncio.wait_for(task, 2)
        assert states[0] == "connecting" and "down" in states and states[-1] == "closed"


@async_test()
async def test_submit_while_never_bound_is_not_sent() -> None:
    async with FakeSmsc({"other": "x"}) as smsc:
        link = SmppLink(config(smsc.port, bound_wait=0.3))
        task = asyncio.create_task(link.run())
        result = await link.submit(OutboundSms("250788", "hello"))
        assert result.outcome == "not_sent" and result.retryable and "INVSYSID" in result.error
        assert smsc.raw_submits == []
        await link.close()
        await task


@async_test()
async def test_concatenated_gsm_parts_on_the_wire() -> None:
    text = "a" * 152 + "€" + "b" * 200  # the € would straddle a naive 153-septet cut
    async with FakeSmsc() as smsc, Running(SmppLink(config(smsc.port))) as link:
        result = await link.submit(OutboundSms("250788", text))
        assert result.ok and result.parts == 3 and len(set(result.message_ids)) == 3
        parts = sorted((decode(raw) for raw in smsc.raw_submits), key=lambda p: p.get("short_message")[5])
        bodies = []
        for n, p in enumerate(parts, 1):
            sm = p.get("short_message")
            assert p.get("esm_class") & 0x40
            assert sm[:3] == b"\x05\x00\x03" and sm[4:6] == bytes([3, n])
            body = sm[6:]
            assert len(body) <= 153 and not (body.endswith(b"\x1b") and not body.endswith(b"\x1b\x1b"))
            bodies.append(body)
        assert bodies[0] == b"a" * 152 and bodies[1].startswith(b"\x1b\x65b")
        assert len({p.get("short_message")[3] for p in parts}) == 1  # one reference for all parts


@async_test()
async def test_concatenated_ucs2_with_emoji_raw() -> None:
    text = "Muraho " + "😀" * 40 + " ж" * 30
    async with FakeSmsc() as smsc, Running(SmppLink(config(smsc.port, concatenation="udh16"))) as link:
        result = await link.submit(OutboundSms("250788", text))
        assert result.ok
        parts = sorted((decode(raw) for raw in smsc.raw_submits), key=lambda p: p.get("short_message")[6])
        joined = b""
        for p in parts:
            sm = p.get("short_message")
            assert p.get("data_coding") == 8 and sm[:3] == b"\x06\x08\x04"
            body = sm[7:]
            assert len(body) <= 132
            body.decode("utf-16-be", errors="strict")  # each part valid alone: no split surrogate
            joined += body
        assert joined.decode("utf-16-be") == text


@async_test()
async def test_sar_and_payload_modes() -> None:
    async with FakeSmsc() as smsc, Running(SmppLink(config(smsc.port, concatenation="sar"))) as link:
        r1 = await link.submit(OutboundSms("250788", "s" * 300))
        r2 = await link.submit(OutboundSms("250788", "p" * 300, concatenation="payload"))
        assert r1.ok and r1.parts == 2 and r2.ok and r2.parts == 1
        sar_parts = [decode(raw) for raw in smsc.raw_submits[:2]]
        assert {p.tlv(0x020F) for p in sar_parts} == {1, 2}
        assert decode(smsc.raw_submits[2]).tlvs[0x0424] == b"p" * 300


@async_test()
async def test_mo_single_and_concatenated() -> None:
    got: list[MOMessage] = []

    async def on_mo(mo: MOMessage) -> None:
        got.append(mo)

    async with FakeSmsc() as smsc, Running(SmppLink(config(smsc.port), on_mo=on_mo)):
        await smsc.wait_bound()
        resp = await smsc.deliver(
            Pdu(CommandId.deliver_sm, params={"source_addr": "250788111", "destination_addr": "1234",
                                              "short_message": b"YES"})
        )  # fmt: skip
        assert resp.command_id == CommandId.deliver_sm_resp and resp.status == 0
        long_text = "Ndashaka amakuru 😀 " * 10
        parts = concat.build_submits(
            concat.encode_message(long_text, mode="udh", reference=200),
            {"source_addr": "250788222", "destination_addr": "1234"},
        )
        for p in reversed(parts):
            mo_pdu = Pdu(CommandId.deliver_sm, params=dict(p.params))
            assert (await smsc.deliver(mo_pdu)).status == 0
        await eventually(lambda: len(got) == 2)
        assert got[0].text == "YES" and got[0].source_addr == "250788111"
        assert got[1].text == long_text and got[1].parts == len(parts) > 1 and got[1].complete


@async_test()
async def test_mo_callback_failure_asks_smsc_to_retry() -> None:
    async def on_mo(mo: MOMessage) -> None:
        raise RuntimeError("database down")

    async with FakeSmsc() as smsc, Running(SmppLink(config(smsc.port), on_mo=on_mo)) as link:
        await smsc.wait_bound()
        resp = await smsc.deliver(Pdu(CommandId.deliver_sm, params={"short_message": b"hi"}))
        assert resp.status == Status.ESME_RX_T_APPN
        assert link.is_bound  # a failing callback never takes the link down


@async_test()
async def test_receipts_delivered_and_failed_with_hex_decimal_ids() -> None:
    receipts: list[Receipt] = []

    async def on_receipt(r: Receipt) -> None:
        receipts.append(r)

    async with FakeSmsc() as smsc, Running(SmppLink(config(smsc.port), on_receipt=on_receipt)) as link:
        smsc.auto_receipt = "DELIVRD"
        smsc.receipt_id_format = "dec"  # submit_sm_resp says hex, receipt says decimal
        ok = await link.submit(OutboundSms("250788", "one"))
        smsc.auto_receipt = "UNDELIV"
        bad = await link.submit(OutboundSms("250788", "two"))
        await eventually(lambda: len(receipts) == 2)
        by_id = {r.message_id: r for r in receipts}
        (r_ok,) = [r for r in receipts if ids_match(r.message_id, ok.message_ids[0])]
        (r_bad,) = [r for r in receipts if ids_match(r.message_id, bad.message_ids[0])]
        assert r_ok.outcome == "delivered" and r_bad.outcome == "failed" and len(by_id) == 2
        assert r_ok.message_id == str(int(ok.message_ids[0], 16))
        assert link.status.receipts_received == 2 and link.status.mo_received == 0


@async_test()
async def test_throttled_answers_back_off_then_succeed() -> None:
    async with FakeSmsc() as smsc, Running(SmppLink(config(smsc.port, throttle_pause=0.05))) as link:
        smsc.throttle_next = 3
        start = time.monotonic()
        result = await link.submit(OutboundSms("250788", "hello"))
        elapsed = time.monotonic() - start
        assert result.ok
        assert link.status.throttled == 3 and len(smsc.raw_submits) == 4 and len(smsc.accepted) == 1
        assert elapsed >= 0.05 + 0.1 + 0.2 - 0.02  # 0.05, 0.1, 0.2 pauses (doubling)
        smsc.throttle_next = 100
        smsc.throttle_status = Status.ESME_RMSGQFUL
        link.config.throttle_retries = 1
        gave_up = await link.submit(OutboundSms("250788", "again"))
        assert gave_up.outcome == "rejected" and gave_up.status == Status.ESME_RMSGQFUL and gave_up.retryable


@async_test()
async def test_permanent_rejection() -> None:
    async with FakeSmsc() as smsc, Running(SmppLink(config(smsc.port))) as link:
        smsc.reject_status = Status.ESME_RINVDSTADR
        result = await link.submit(OutboundSms("bogus", "hello"))
        assert result.outcome == "rejected" and not result.retryable and "INVDSTADR" in result.error


@async_test()
async def test_max_tps_is_respected() -> None:
    async with FakeSmsc() as smsc, Running(SmppLink(config(smsc.port, max_tps=200))) as link:
        start = time.monotonic()
        results = await asyncio.gather(*(link.submit(OutboundSms("250788", f"m{i}")) for i in range(80)))
        elapsed = time.monotonic() - start
        assert all(r.ok for r in results)
        assert elapsed >= (80 - 20) / 200 * 0.9  # burst of 20, then 200/s


@async_test(timeout=25)
async def test_drop_mid_window_nothing_lost_nothing_twice() -> None:
    n = 400
    async with FakeSmsc() as smsc, Running(SmppLink(config(smsc.port, window=100))) as link:
        smsc.drop_after = 150
        results = await asyncio.gather(*(link.submit(OutboundSms("250788", f"msg-{i}")) for i in range(n)))
        outcomes = [r.outcome for r in results]
        assert set(outcomes) <= {"accepted", "unacknowledged"}
        unacked = outcomes.count("unacknowledged")
        assert 1 <= unacked <= 100  # at most one window was in the air when the line died
        assert link.status.reconnects >= 1 and link.is_bound
        accepted_texts = [p.get("short_message") for p in smsc.accepted.values()]
        assert len(accepted_texts) == len(set(accepted_texts))  # nothing accepted twice
        for i, r in enumerate(results):
            if r.ok:
                (mid,) = r.message_ids
                assert smsc.accepted[mid].get("short_message") == f"msg-{i}".encode()
        # each message was written at most once: no silent resend after the drop
        written = [decode(raw).get("short_message") for raw in smsc.raw_submits]
        assert len(written) == len(set(written))
        assert outcomes.count("accepted") + unacked == n
        assert link.status.unacknowledged == unacked


@async_test()
async def test_response_timeout_is_unacknowledged() -> None:
    async with FakeSmsc() as smsc, Running(SmppLink(config(smsc.port, response_timeout=0.2))) as link:
        smsc.silent = True
        result = await link.submit(OutboundSms("250788", "hello"))
        assert result.outcome == "unacknowledged" and not result.retryable and "0.2" in result.error
        assert len(smsc.raw_submits) == 1


@async_test()
async def test_enquire_link_both_ways() -> None:
    async with FakeSmsc() as smsc, Running(SmppLink(config(smsc.port, enquire_link_interval=0.1))) as link:
        await eventually(lambda: smsc.enquire_links >= 2)
        resp = await smsc.bound()[0].request(Pdu(CommandId.enquire_link))
        assert resp.command_id == CommandId.enquire_link_resp and resp.status == 0
        assert link.is_bound


@async_test()
async def test_dead_peer_detected_by_enquire_link() -> None:
    async with FakeSmsc() as smsc:
        link = SmppLink(config(smsc.port, enquire_link_interval=0.1, response_timeout=0.2))
        async with Running(link):
            smsc.enquire_links = 0
            orig = smsc._handle

            def mute(s, pdu):  # stop answering anything, like a hung SMSC
                if pdu.command_id != CommandId.enquire_link or smsc.enquire_links > 0:
                    return orig(s, pdu)
                smsc.enquire_links += 1

            smsc._handle = mute
            await eventually(lambda: link.status.reconnects >= 1)
            assert "enquire_link timed out" in link.status.last_error


@async_test()
async def test_malformed_pdus_get_generic_nack_and_link_survives() -> None:
    async with FakeSmsc() as smsc, Running(SmppLink(config(smsc.port))) as link:
        await smsc.wait_bound()
        smsc.send_raw(struct.pack(">IIII", 20, 0x00000777, 0, 4242) + b"junk")  # unknown command id
        smsc.send_raw(struct.pack(">IIII", 19, CommandId.deliver_sm, 0, 4243) + b"abc")  # truncated body
        await eventually(lambda: len(smsc.generic_nacks) == 2)
        assert [(p.sequence, p.status) for p in smsc.generic_nacks] == [
            (4242, Status.ESME_RINVCMDID),
            (4243, Status.ESME_RINVCMDLEN),
        ]
        assert link.is_bound and link.status.reconnects == 0
        assert (await link.submit(OutboundSms("250788", "still fine"))).ok


@async_test()
async def test_oversized_length_forces_clean_reconnect() -> None:
    async with FakeSmsc() as smsc, Running(SmppLink(config(smsc.port))) as link:
        await smsc.wait_bound()
        smsc.send_raw(struct.pack(">I", 0x7FFFFFFF) + b"\x00" * 12)
        await eventually(lambda: link.status.reconnects == 1 and link.is_bound)
        assert "framing" in link.status.last_error
        assert len([b for b in smsc.binds if b[3] == 0]) == 2
        assert (await link.submit(OutboundSms("250788", "after"))).ok


@async_test()
async def test_smsc_unbind_and_clean_shutdown() -> None:
    async with FakeSmsc() as smsc:
        link = SmppLink(config(smsc.port))
        async with Running(link):
            await smsc.wait_bound()
            resp = await smsc.bound()[0].request(Pdu(CommandId.unbind))
            assert resp.command_id == CommandId.unbind_resp
            await eventually(lambda: link.status.reconnects == 1 and link.is_bound)
        assert smsc.unbinds == 1  # our own unbind on close()
        assert link.status.state == "closed"
        assert (await link.submit(OutboundSms("1", "late"))).outcome == "not_sent"


@async_test()
async def test_pair_mode_binds_tx_and_rx() -> None:
    got: list[MOMessage] = []

    async def on_mo(mo: MOMessage) -> None:
        got.append(mo)

    async with (
        FakeSmsc() as smsc,
        Running(SmppLink(config(smsc.port, bind_mode="pair"), on_mo=on_mo)) as link,
    ):
        await smsc.wait_bound(2)
        assert sorted(b[0] for b in smsc.binds) == ["receiver", "transmitter"]
        assert (await link.submit(OutboundSms("250788", "via tx"))).ok
        await smsc.deliver(Pdu(CommandId.deliver_sm, params={"short_message": b"via rx"}))
        assert [m.text for m in got] == ["via rx"]
        tx = [s for s in smsc.bound() if s.mode == "transmitter"][0]
        tx.writer.transport.abort()  # losing one half rebinds both
        await eventually(lambda: link.status.reconnects == 1 and link.is_bound and len(smsc.bound()) == 2)
