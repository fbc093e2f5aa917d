"""Fixtures for the Django side of SMPP: a supervisor in a thread, SMSC peers over real TCP.

Two interchangeable peers: our scriptable FakeSmsc (own event loop in a thread) and the
independent `smpp` npm server (a node subprocess). Tests parametrized with `peer` run on both.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import OperationalError

from smsc.pdu import Pdu, decode
from smsc.supervisor import Supervisor, SupervisorOptions
from tests.smsc.protocol.conftest import NODE_DIR, NodeSmsc
from tests.smsc.protocol.fake_smsc import FakeSmsc

FAST_LINK = {
    "reconnect_min": 0.05,
    "reconnect_max": 0.3,
    "response_timeout": 2.0,
    "bound_wait": 3.0,
    "close_timeout": 2.0,
}


_CRASHED_LOOPS: list[asyncio.AbstractEventLoop] = []


def retry_locked(fn: Callable[[], Any]) -> Any:
    """The in-memory SQLite test database locks whole tables while the supervisor writes."""
    for attempt in range(200):
        try:
            return fn()
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == 199:
                raise
            time.sleep(0.02)


def wait_until(predicate: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = retry_locked(predicate)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class SupervisorThread:
    """The supervisor's event loop in a thread, as `manage.py smsc` runs it in its process."""

    def __init__(self, **options: Any) -> None:
        options.setdefault("poll_interval", 0.05)
        options.setdefault("reconcile_interval", 0.2)
        options.setdefault("status_interval", 0.1)
        options.setdefault("receipt_retry_pause", 0.05)
        options.setdefault("link_overrides", dict(FAST_LINK))
        self.options = SupervisorOptions(**options)
        self.supervisor: Supervisor | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.error: BaseException | None = None
        self.crashed = False
        self._ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        assert self._ready.wait(5)

    def _run(self) -> None:
        async def main() -> None:
            self.loop = asyncio.get_running_loop()
            self.supervisor = Supervisor(self.options)
            self._ready.set()
            await self.supervisor.run()

        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(main())
        except BaseException as exc:  # recorded: a test asserts the supervisor never crashed
            self.error = exc
        if self.crashed:  # its tasks stay where they were, like a killed process's (never collected)
            _CRASHED_LOOPS.append(loop)
            return
        leftover = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in leftover:
            task.cancel()
        if leftover:
            loop.run_until_complete(asyncio.wait(leftover))
        loop.close()

    @property
    def alive(self) -> bool:
        return self.thread.is_alive()

    def stop(self, timeout: float = 30.0) -> None:
        assert self.loop is not None and self.supervisor is not None
        self.loop.call_soon_threadsafe(self.supervisor.stop)
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the supervisor did not stop"
        assert self.error is None, f"the supervisor crashed: {self.error!r}"

    def crash(self) -> None:
        """Like a SIGKILL: the loop stops mid-work, nothing more is recorded or unbound."""
        assert self.loop is not None and self.supervisor is not None
        self.crashed = True
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.supervisor.db.close()  # only so the test database can be dropped afterwards


class SmscThread:
    """FakeSmsc on its own event loop in a thread, so sync test code can drive it."""

    def __init__(self, **kwargs: Any) -> None:
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

        async def make() -> FakeSmsc:
            smsc = FakeSmsc(**kwargs)
            await smsc.start()
            return smsc

        self.smsc: FakeSmsc = self.run(make())
        self.port = self.smsc.port

    def run(self, coro: Any, timeout: float = 10.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn: Callable[[], Any]) -> Any:
        async def wrapper() -> Any:
            return fn()

        return self.run(wrapper())

    def close(self) -> None:
        self.run(self.smsc.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)


class Peer:
    """What the tests need from an SMSC, whichever implementation plays it."""

    name = ""
    port = 0

    def submits(self) -> list[Pdu]:  # every submit_sm received, decoded from raw bytes
        raise NotImplementedError

    def accepted_ids(self) -> list[str]:
        raise NotImplementedError

    def deliver(
        self, short_message: bytes, *, esm_class: int = 0, data_coding: int = 0, source: str = "250788000001"
    ) -> None:
        raise NotImplementedError

    def receipt(self, message_id: str, stat: str) -> None:
        raise NotImplementedError

    def drop_after(self, count: int) -> None:
        raise NotImplementedError

    def binds(self) -> list[bool]:
        raise NotImplementedError

    def garbage(self, data: bytes) -> None:
        raise NotImplementedError

    def unbinds(self) -> int:
        raise NotImplementedError

    def texts(self) -> list[bytes]:
        return [bytes(p.get("short_message") or b"") for p in self.submits()]


class FakePeer(Peer):
    name = "fake"

    def __init__(self, **kwargs: Any) -> None:
        self.t = SmscThread(**kwargs)
        self.smsc = self.t.smsc
        self.port = self.t.port

    def submits(self) -> list[Pdu]:
        return [decode(raw) for raw in self.t.call(lambda: list(self.smsc.raw_submits))]

    def accepted_ids(self) -> list[str]:
        return list(self.t.call(lambda: list(self.smsc.accepted)))

    def deliver(
        self, short_message: bytes, *, esm_class: int = 0, data_coding: int = 0, source: str = "250788000001"
    ) -> None:
        pdu = Pdu(
            0x00000005,
            params={
                "source_addr": source,
                "destination_addr": "1234",
                "esm_class": esm_class,
                "data_coding": data_coding,
                "short_message": short_message,
            },
        )
        self.t.run(self.smsc.deliver(pdu))

    def receipt(self, message_id: str, stat: str) -> None:
        submit = self.smsc.accepted.get(message_id) or next(iter(self.smsc.accepted.values()))
        self.t.run(self.smsc.deliver(self.smsc.receipt_pdu(message_id, submit, stat)))

    def drop_after(self, count: int) -> None:
        def set_it() -> None:
            self.smsc.drop_after = count

        self.t.call(set_it)

    def binds(self) -> list[bool]:
        return [status == 0 for _, _, _, status in self.t.call(lambda: list(self.smsc.binds))]

    def garbage(self, data: bytes) -> None:
        self.t.call(lambda: self.smsc.send_raw(data))

    def unbinds(self) -> int:
        return int(self.smsc.unbinds)

    def close(self) -> None:
        self.t.close()


class NodePeer(Peer):
    name = "node"

    def __init__(self) -> None:
        self.node = NodeSmsc()
        self.port = self.node.port

    def submits(self) -> list[Pdu]:
        return [decode(bytes.fromhex(e["raw"])) for e in self.node.of("submit_sm")]

    def accepted_ids(self) -> list[str]:
        return [e["message_id"] for e in self.node.of("submit_sm") if e.get("status") == 0]

    def deliver(
        self, short_message: bytes, *, esm_class: int = 0, data_coding: int = 0, source: str = "250788000001"
    ) -> None:
        before = len(self.node.of("deliver_sm_resp"))
        self.node.command(
            "deliver",
            short_message_hex=short_message.hex(),
            esm_class=esm_class,
            data_coding=data_coding,
            source_addr=source,
        )
        wait_until(lambda: len(self.node.of("deliver_sm_resp")) > before, what="deliver_sm_resp")

    def receipt(self, message_id: str, stat: str) -> None:
        before = len(self.node.of("deliver_sm_resp"))
        self.node.command("receipt", id=message_id, stat=stat)
        wait_until(lambda: len(self.node.of("deliver_sm_resp")) > before, what="receipt deliver_sm_resp")

    def drop_after(self, count: int) -> None:
        self.node.command("drop_after", count=count)

    def binds(self) -> list[bool]:
        return [bool(e["ok"]) for e in self.node.of("bind")]

    def garbage(self, data: bytes) -> None:
        self.node.command("garbage", hex=data.hex())

    def unbinds(self) -> int:
        return len(self.node.of("unbind"))

    def close(self) -> None:
        self.node.stop()


@pytest.fixture(scope="session")
def node_available() -> bool:
    if not shutil.which("node"):
        pytest.fail("node is not installed: the independent SMPP peer needs it")
    if not (NODE_DIR / "node_modules" / "smpp").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True, timeout=180)
    return True


@pytest.fixture
def fake_peer() -> Iterator[FakePeer]:
    peer = FakePeer()
    yield peer
    peer.close()


@pytest.fixture(params=["fake", "node"])
def peer(request: pytest.FixtureRequest) -> Iterator[Peer]:
    made: Peer
    if request.param == "node":
        request.getfixturevalue("node_available")
        made = NodePeer()
    else:
        made = FakePeer()
    yield made
    made.close()  # type: ignore[attr-defined]


@pytest.fixture
def fast_retries(settings: Any) -> None:
    settings.FLOWGATE_SEND_BACKOFF_SECONDS = 0.05
    # a crashed supervisor's claimed-but-unwritten messages are claimable again after this
    settings.FLOWGATE_SEND_LEASE_SECONDS = 1


@pytest.fixture
def supervisors() -> Iterator[list[SupervisorThread]]:
    """Start with `supervisors.append(SupervisorThread())`; any still running are stopped after."""
    started: list[SupervisorThread] = []
    yield started
    for sup in started:
        if sup.alive:
            sup.stop()


def make_channel(workspace: Any, port: int, **config: Any) -> Any:
    from channels_app.services.channels import create_channel

    base = {"host": "127.0.0.1", "port": port, "system_id": "test", "password": "secret"}
    base.update(config)
    return create_channel(
        workspace=workspace, type_code="SM", name="SMSC", address="+250788000000", country="RW", config=base
    )
