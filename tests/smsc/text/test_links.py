"""TextLink on UCP/EMI and on CIMD2 against the local fake SMSC over real TCP."""

from __future__ import annotations

import asyncio

import pytest

from smsc.cimd import codec as cimd
from smsc.concat import MOMessage
from smsc.dlr import Receipt
from smsc.link import OutboundSms
from smsc.ucp import codec as ucp
from tests.smsc.protocol.helpers import async_test, eventually

from .helpers import Served

KINDS = ["ucp", "cimd"]
LONG_GSM = "x" * 152 + "{" + "y" * 100
UCS = "Muraho 😀 ñ"


def payloads(kind: str, submits: list) -> list[tuple[str, str, bytes]]:
    """(destination, udh hex, user data) of each recorded submit, whatever the protocol."""
    out = []
    for s in submits:
        if kind == "ucp":
            f = s.named()
            xser = ucp.decode_xser(f["XSer"])
            body = bytes.fromhex(f["Msg"])
            out.append((f["AdC"], xser.get(ucp.XSER_UDH, b"").hex(), body))
        else:
            body = bytes.fromhex(s.get(cimd.USER_DATA_BINARY)) if s.has(cimd.USER_DATA_BINARY) else b""
            if not body:
                body = cimd.user_data_to_text(s.get(cimd.USER_DATA)).encode("latin-1", "replace")
            out.append((s.get(cimd.DESTINATION_ADDRESS), s.get(cimd.USER_DATA_HEADER).lower(), body))
    return out


@pytest.mark.parametrize("kind", KINDS)
@async_test()
async def test_login_and_single_submit_with_alphanumeric_sender(kind: str) -> None:
    async with Served(kind) as (smsc, link):
        result = await link.submit(OutboundSms(to="+250788123123", text="Hello @ world"))
        assert result.ok and result.parts == 1
        assert smsc.seen.logins == [("flowgate", "secret", True)]
        assert result.message_ids[0] in smsc.seen.accepted
        sub = smsc.seen.submits[0]
        if kind == "ucp":
            f = sub.named()
            assert f["AdC"] == "250788123123" and f["OTOA"] == "5039" and f["MT"] == "3"
            assert ucp.decode_alphanumeric_oadc(f["OAdC"]) == "Flowgate"
            assert ucp.ira_unhex(f["Msg"]) == "Hello @ world"
            assert f["NRq"] == "1" and f["NT"] == "3"
        else:
            assert sub.get(cimd.ALPHANUMERIC_ORIGINATOR) == "Flowgate"
            assert sub.get(cimd.USER_DATA) == "Hello _Oa world"
            assert sub.get(cimd.STATUS_REPORT_REQUEST) == "14"
        assert link.status.state == "bound" and link.status.accepted == 1


@pytest.mark.parametrize("kind", KINDS)
@async_test()
async def test_concatenated_gsm_and_ucs2(kind: str) -> None:
    async with Served(kind) as (smsc, link):
        long_result = await link.submit(OutboundSms(to="250788123123", text=LONG_GSM))
        ucs_result = await link.submit(OutboundSms(to="250788123123", text=UCS))
        assert long_result.ok and long_result.parts == 2 and len(set(long_result.message_ids)) == 2
        assert ucs_result.ok and ucs_result.parts == 1
        rows = payloads(kind, smsc.seen.submits)
        udhs = [udh for _, udh, _ in rows[:2]]
        assert (
            udhs[0][:8] == "05000300"[:6] + udhs[0][6:8] and udhs[0][-4:] == "0201" and udhs[1][-4:] == "0202"
        )
        joined = rows[0][2] + rows[1][2]
        if kind == "ucp":
            assert joined.decode("latin-1") == "x" * 152 + "\x1b(" + "y" * 100  # GSM septets, hex
        else:
            assert joined.decode("latin-1") == LONG_GSM
        assert rows[2][2].decode("utf-16-be") == UCS
        ucs_sub = smsc.seen.submits[2]
        if kind == "ucp":
            f = ucs_sub.named()
            assert f["MT"] == "4" and f["NB"] == f"{len(UCS.encode('utf-16-be')) * 8:04d}"
            assert ucp.decode_xser(f["XSer"])[ucp.XSER_DCS] == b"\x08"
        else:
            assert ucs_sub.get(cimd.DATA_CODING_SCHEME) == "8"


@pytest.mark.parametrize("kind", KINDS)
@async_test()
async def test_mo_single_concatenated_and_receipts(kind: str) -> None:
    mos: list[MOMessage] = []
    receipts: list[Receipt] = []

    async def on_mo(mo: MOMessage) -> None:
        mos.append(mo)

    async def on_receipt(r: Receipt) -> None:
        receipts.append(r)

    async with Served(kind) as (smsc, link):
        link.on_mo, link.on_receipt = on_mo, on_receipt
        smsc.mo(sender="250788000001", recipient="1234", text="join {now}")
        body = "Ndashaka 😀".encode("utf-16-be")
        smsc.mo(
            sender="250788000002", recipient="1234", data=body[:8], udh=bytes.fromhex("0500037F0201"), dcs=8
        )
        smsc.mo(
            sender="250788000002", recipient="1234", data=body[8:], udh=bytes.fromhex("0500037F0202"), dcs=8
        )
        await eventually(lambda: len(mos) == 2)
        assert (mos[0].source_addr, mos[0].destination_addr, mos[0].text) == (
            "250788000001",
            "1234",
            "join {now}",
        )
        assert mos[1].text == "Ndashaka 😀" and mos[1].parts == 2 and mos[1].complete
        ok = await link.submit(OutboundSms(to="250788123123", text="a"))
        bad = await link.submit(OutboundSms(to="250788123124", text="b"))
        smsc.receipt(ok.message_ids[0], delivered=True)
        smsc.receipt(bad.message_ids[0], delivered=False)
        await eventually(lambda: len(receipts) == 2)
        by_id = {r.message_id: r for r in receipts}
        assert by_id[ok.message_ids[0]].outcome == "delivered" and by_id[ok.message_ids[0]].stat == "DELIVRD"
        assert by_id[bad.message_ids[0]].outcome == "failed"
        # every MO and notification was acknowledged positively
        await eventually(lambda: len(smsc.seen.answers) == 5)
        assert all((a.ack if kind == "ucp" else not a.error) for a in smsc.seen.answers)


@pytest.mark.parametrize("kind", KINDS)
@async_test()
async def test_wrong_password_is_reported_and_retried(kind: str) -> None:
    async with Served(kind, wait=False, password="wrong") as (smsc, link):
        await eventually(lambda: len(smsc.seen.logins) >= 2)
        assert not link.is_bound and "login refused" in link.status.last_error
        assert all(not ok for _, _, ok in smsc.seen.logins)


@pytest.mark.parametrize("kind", KINDS)
@async_test()
async def test_window_keeps_many_in_flight_and_numbers_stay_in_range(kind: str) -> None:
    async with Served(kind, window=40) as (smsc, link):
        results = await asyncio.gather(
            *(link.submit(OutboundSms(to=f"25078812{i:04d}", text=f"m{i}")) for i in range(300))
        )
        assert all(r.ok for r in results) and len({r.message_ids[0] for r in results}) == 300
        numbers = [s.trn if kind == "ucp" else s.number for s in smsc.seen.submits]
        if kind == "ucp":
            assert all(0 <= n <= 99 for n in numbers)
        else:
            assert all(n % 2 == 1 and n <= 255 for n in numbers)
        assert smsc.seen.submit_count == 300


@pytest.mark.parametrize("kind", KINDS)
@async_test()
async def test_rejection_and_reconnect_after_drop(kind: str) -> None:
    async with Served(kind) as (smsc, link):
        smsc.reject_next = 1
        refused = await link.submit(OutboundSms(to="250788123123", text="no"))
        assert refused.outcome == "rejected" and not refused.retryable
        smsc.drop_connections()
        await eventually(lambda: len(smsc.seen.logins) == 2 and link.is_bound)
        again = await link.submit(OutboundSms(to="250788123123", text="yes"))
        assert again.ok and link.status.reconnects == 1


@pytest.mark.parametrize("kind", KINDS)
@async_test()
async def test_drop_with_a_full_window_fails_only_what_was_written(kind: str) -> None:
    """Written and unanswered at the drop: in doubt, never resent. Still waiting for a free
    transaction number at the drop: nothing went out, so it is sent after the next login."""
    async with Served(kind, window=2, smsc={"hold_after": 0}) as (smsc, link):
        sends = [
            asyncio.ensure_future(link.submit(OutboundSms(to="250788123123", text=f"m{i}"))) for i in range(5)
        ]
        await eventually(lambda: smsc.seen.submit_count == 2)
        await asyncio.sleep(0.05)  # the other three are queued for a number, not written
        assert smsc.seen.submit_count == 2
        smsc.hold_after = None
        smsc.drop_connections()
        results = await asyncio.gather(*sends)
    outcomes = [r.outcome for r in results]
    assert outcomes.count("unacknowledged") == 2 and outcomes.count("accepted") == 3, outcomes
    texts = [p[2] for p in payloads(kind, smsc.seen.submits)]
    assert len(texts) == len(set(texts)) == 5  # each submitted once: none of the two resent
    assert link.status.submitted == 5 and link.status.unacknowledged == 2


@pytest.mark.parametrize("kind", KINDS)
@async_test()
async def test_unanswered_submits_time_out_as_in_doubt_and_the_link_goes_on(kind: str) -> None:
    async with Served(kind, window=5, response_timeout=0.3, smsc={"hold_after": 1}) as (smsc, link):
        loop = asyncio.get_running_loop()
        started = loop.time()
        results = await asyncio.gather(
            *(link.submit(OutboundSms(to="250788123123", text=f"t{i}")) for i in range(4))
        )
        waited = loop.time() - started
        outcomes = sorted(r.outcome for r in results)
        assert outcomes == ["accepted", "unacknowledged", "unacknowledged", "unacknowledged"]
        assert all("no answer in 0.3s" in r.error for r in results if not r.ok)
        assert 0.25 <= waited < 2.0  # the deadline fired, not much later
        smsc.hold_after = None
        assert (await link.submit(OutboundSms(to="250788123123", text="after"))).ok
        assert link.is_bound and link.status.unacknowledged == 3
    texts = [p[2] for p in payloads(kind, smsc.seen.submits)]
    assert len(texts) == len(set(texts)) == 5  # nothing resent after its timeout


@pytest.mark.parametrize("kind", KINDS)
@async_test()
async def test_keepalive_sent_when_idle_and_logout_on_close(kind: str) -> None:
    async with Served(kind, keepalive_interval=0.2) as (smsc, link):
        await eventually(lambda: smsc.seen.alives >= 2)
        assert link.is_bound
    if kind == "cimd":
        assert smsc.seen.logouts == 1


@pytest.mark.parametrize("kind", KINDS)
@async_test()
async def test_garbage_is_counted_and_the_link_survives(kind: str) -> None:
    async with Served(kind) as (smsc, link):
        smsc.send_raw(b"\x02garbage\x03" + b"noise")
        await eventually(lambda: link.status.malformed == 1)
        assert (await link.submit(OutboundSms(to="250788123123", text="still here"))).ok
