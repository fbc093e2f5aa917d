"""Kannel as the independent peer for UCP/EMI and CIMD2 (Debian's `kannel` package).

Kannel's bearerbox logs in to our fake SMSC, submits what its smsbox's sendsms HTTP interface
is given, and takes the fake's acks, MOs and delivery notifications. That shows the fake speaks
each protocol as a mature client expects. Then Flowgate's own link sends the same messages
to a fresh fake and the two clients' operations are compared field for field, so our client
and our fake cannot merely agree with each other.

Known, deliberate differences (the comparison allows exactly these): Kannel asks for a
delivery report on the first part of a concatenated message only, we ask on every part (we
track receipts per part); the concatenation reference in the UDH is each client's own counter.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from smsc.cimd import codec as cimd
from smsc.link import OutboundSms
from smsc.textfake import TextSmsc
from smsc.ucp import codec as ucp

from .conftest import SmscThread
from .helpers import link_for

ROOT = Path(__file__).resolve().parents[3]
SMSC_DRIVER = {"ucp": "emi", "cimd": "cimd2"}
LONG_GSM = "x" * 152 + "{" + "y" * 100
# (sender, text, sendsms extra parameters): one GSM text with escapes and an alphanumeric
# sender, one UCS-2 text with an astral character and a numeric sender, one long GSM text.
MESSAGES = [
    ("Flowgate", "Hello @ world $ £", {}),
    ("250788000000", "Muraho 😀", {"coding": "2", "charset": "UTF-8"}),
    ("Flowgate", LONG_GSM, {}),
]
TO = "250788123123"


def _bearerbox() -> str | None:
    return shutil.which("bearerbox") or (
        "/usr/sbin/bearerbox" if Path("/usr/sbin/bearerbox").exists() else None
    )


@pytest.fixture(scope="session")
def kannel_bin() -> Path:
    if _bearerbox() is None:
        result = subprocess.run([str(ROOT / "scripts/ensure_kannel.sh")], capture_output=True, text=True)
        if _bearerbox() is None:
            reason = f"kannel could not be installed here: {(result.stderr or result.stdout).strip()[-300:]}"
            print(reason)
            pytest.skip(reason)
    return Path(_bearerbox() or "").parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Kannel:
    def __init__(self, bin_dir: Path, workdir: Path, kind: str, smsc_port: int) -> None:
        self.admin, self.box, self.http = free_port(), free_port(), free_port()
        self.workdir = workdir
        conf = workdir / "kannel.conf"
        conf.write_text(
            f"""group = core
admin-port = {self.admin}
admin-password = adminpw
status-password = adminpw
smsbox-port = {self.box}
log-file = "{workdir}/bearerbox.log"
log-level = 0
box-allow-ip = 127.0.0.1
dlr-storage = internal

group = smsc
smsc = {SMSC_DRIVER[kind]}
smsc-id = fake
host = 127.0.0.1
port = {smsc_port}
smsc-username = flowgate
smsc-password = secret
keepalive = 30

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {self.box}
sendsms-port = {self.http}
log-file = "{workdir}/smsbox.log"
log-level = 0

group = sendsms-user
username = tester
password = testpw
max-messages = 10
concatenation = true

group = sms-service
keyword = default
text = "got %a"
"""
        )
        out = (workdir / "kannel.out").open("w")
        self.procs = [subprocess.Popen([str(bin_dir / "bearerbox"), str(conf)], stdout=out, stderr=out)]
        time.sleep(0.5)
        self.procs.append(subprocess.Popen([str(bin_dir / "smsbox"), str(conf)], stdout=out, stderr=out))

    def sendsms(self, sender: str, text: str, extra: dict[str, str]) -> None:
        params = {"username": "tester", "password": "testpw", "from": sender, "to": TO, "text": text}
        params["dlr-mask"] = "3"
        params.update(extra)
        deadline = time.monotonic() + 20
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{self.http}/cgi-bin/sendsms", params=params, timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert r.status_code == 202 and "Accepted" in r.text, r.text

    def status(self) -> str:
        return httpx.get(f"http://127.0.0.1:{self.admin}/status.txt", params={"password": "adminpw"}).text

    def warnings(self) -> list[str]:
        log = (self.workdir / "bearerbox.log").read_text(errors="replace")
        return [
            line
            for line in log.splitlines()
            if re.search(r"WARNING|ERROR", line) and ("EMI" in line or "CIMD" in line)
        ]

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def wait_for(predicate: Any, what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
    return value


@pytest.fixture(params=["ucp", "cimd"])
def kannel_and_fake(
    request: pytest.FixtureRequest, kannel_bin: Path, tmp_path: Path
) -> Iterator[tuple[str, Kannel, SmscThread]]:
    kind = request.param
    fake = SmscThread(kind)
    kannel = Kannel(kannel_bin, tmp_path, kind, fake.port)
    yield kind, kannel, fake
    kannel.stop()
    fake.close()


def comparable(kind: str, submits: list[Any]) -> list[dict[str, str]]:
    """Each submit as {field: value}, minus the two known differences (see the module doc)."""
    rows = []
    for s in submits:
        if kind == "ucp":
            fields = dict(s.named())
            xser = ucp.decode_xser(fields.get("XSer", ""))
        else:
            fields = {f"{code:03d}": value for code, value in s.params}
            xser = {1: bytes.fromhex(fields.get("032", ""))} if fields.get("032") else {}
        udh = xser.get(1, b"")
        if udh:  # concatenated: blank the reference, and report requests beyond part 1
            if kind == "ucp":
                xser[1] = udh[:3] + b"\x00" + udh[4:]
                fields["XSer"] = ucp.encode_xser(sorted(xser.items()))
                if udh[-1] > 1:
                    fields["NRq"] = fields["NT"] = "*"
            else:
                fields["032"] = (udh[:3] + b"\x00" + udh[4:]).hex().upper()
                if udh[-1] > 1:
                    fields["056"] = "*"
        rows.append(fields)
    return rows


def test_kannel_speaks_with_our_fake_and_flowgate_sends_what_kannel_sends(
    kannel_and_fake: tuple[str, Kannel, SmscThread],
) -> None:
    kind, kannel, fake = kannel_and_fake
    seen = fake.smsc.seen
    wait_for(lambda: fake.call(lambda: list(seen.logins)), "Kannel's login")
    assert fake.call(lambda: list(seen.logins)) == [("flowgate", "secret", True)]

    for sender, text, extra in MESSAGES:
        kannel.sendsms(sender, text, extra)
        time.sleep(0.3)  # keep Kannel's submits in this order
    wait_for(lambda: fake.call(lambda: len(seen.submits)) == 4, "Kannel's 4 submits")
    wait_for(lambda: "sent: sms 3" in kannel.status(), "Kannel counting 3 sent")
    assert "failed 0" in kannel.status() and "online" in kannel.status()
    kannel_submits = fake.call(lambda: list(seen.submits))

    # The fake pushes an MO and a delivery notification; Kannel acknowledges both and acts on them.
    first_id = next(iter(fake.call(lambda: dict(seen.accepted))))
    fake.call(lambda: fake.smsc.mo(sender="250788000001", recipient="1234", text="join"))
    fake.call(lambda: fake.smsc.receipt(first_id, delivered=True))
    wait_for(lambda: fake.call(lambda: len(seen.answers)) == 2, "Kannel's answers")
    answers = fake.call(lambda: list(seen.answers))
    assert all((a.ack if kind == "ucp" else not a.error) for a in answers), answers
    wait_for(lambda: "rcvd: sms 1" in kannel.status() and "dlr 1" in kannel.status(), "MO and DLR counted")
    # Kannel decoded our MO: its sms-service answers "got <text>" to the sender.
    reply = wait_for(lambda: fake.call(lambda: seen.submits[4:]), "Kannel's reply to the MO")[0]
    if kind == "ucp":
        assert reply.named()["AdC"] == "250788000001" and ucp.ira_unhex(reply.named()["Msg"]) == "got join"
    else:
        assert reply.get(cimd.DESTINATION_ADDRESS) == "250788000001"
        assert cimd.user_data_to_text(reply.get(cimd.USER_DATA)) == "got join"
    assert kannel.warnings() == []  # nothing of ours made Kannel complain

    # Flowgate's link sends the same three messages to a fresh fake.
    async def flowgate() -> list[Any]:
        ours = TextSmsc(kind)  # type: ignore[arg-type]
        await ours.start()
        link = link_for(kind, ours.port)
        task = asyncio.create_task(link.run())
        assert await link.wait_bound(5)
        for sender, text, _ in MESSAGES:
            assert (await link.submit(OutboundSms(to=TO, text=text, source=sender))).ok
        await link.close()
        await task
        await ours.stop()
        return ours.seen.submits

    flowgate_submits = asyncio.run(flowgate())
    assert comparable(kind, flowgate_submits) == comparable(kind, kannel_submits[:4])
