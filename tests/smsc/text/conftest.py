"""Fixtures for the UCP/CIMD2 supervisor tests: the fake SMSC on its own loop in a thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from smsc.textfake import TextSmsc
from tests.smsc.channel.conftest import SupervisorThread


class SmscThread:
    def __init__(self, kind: str, **kwargs: Any) -> None:
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.smsc = TextSmsc(kind, **kwargs)  # type: ignore[arg-type]
        self.run(self.smsc.start())
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


@pytest.fixture(params=["ucp", "cimd"])
def smsc(request: pytest.FixtureRequest) -> Iterator[SmscThread]:
    made = SmscThread(request.param)
    yield made
    made.close()


@pytest.fixture
def supervisors() -> Iterator[list[SupervisorThread]]:
    started: list[SupervisorThread] = []
    yield started
    for sup in started:
        if sup.alive:
            sup.stop()
