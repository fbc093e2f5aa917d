"""Small shared helpers for the SMPP tests (no pytest-asyncio here: plain asyncio.run)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any

from smsc.link import LinkConfig, SmppLink


def async_test(timeout: float = 15.0) -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., Any]]:
    """Run an async test function in a fresh event loop with a hard timeout."""

    def wrap(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def runner(*args: Any, **kwargs: Any) -> Any:
            async def main() -> Any:
                return await asyncio.wait_for(fn(*args, **kwargs), timeout)

            return asyncio.run(main())

        return runner

    return wrap


def config(port: int, **overrides: Any) -> LinkConfig:
    base: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "system_id": "test",
        "password": "secret",
        "reconnect_min": 0.05,
        "reconnect_max": 0.2,
        "response_timeout": 2.0,
        "bound_wait": 5.0,
        "source_addr": "Flowgate",
    }
    base.update(overrides)
    return LinkConfig(**base)


class Running:
    """`async with Running(link):` runs link.run() in the background and closes it after."""

    def __init__(self, link: SmppLink, wait_bound: bool = True):
        self.link = link
        self.wait = wait_bound
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> SmppLink:
        self.task = asyncio.create_task(self.link.run())
        if self.wait:
            assert await self.link.wait_bound(5), f"link did not bind: {self.link.status.last_error}"
        return self.link

    async def __aexit__(self, *exc: object) -> None:
        await self.link.close()
        assert self.task is not None
        await asyncio.wait_for(self.task, 5)


async def eventually(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)
