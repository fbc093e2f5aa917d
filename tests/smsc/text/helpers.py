"""Shared pieces for the UCP/CIMD2 tests: links on either protocol against the local fake SMSC."""

from __future__ import annotations

import asyncio
from typing import Any

from smsc.cimd.protocol import CimdProtocol
from smsc.textfake import TextSmsc
from smsc.textlink import TextLink, TextLinkConfig, TextProtocol
from smsc.ucp.protocol import UcpProtocol

PROTOCOLS: dict[str, type[TextProtocol]] = {"ucp": UcpProtocol, "cimd": CimdProtocol}


def link_for(kind: str, port: int, **overrides: Any) -> TextLink:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "username": "flowgate",
        "password": "secret",
        "source_addr": "Flowgate",
        "reconnect_min": 0.05,
        "reconnect_max": 0.2,
        "response_timeout": 2.0,
        "bound_wait": 5.0,
    }
    values.update(overrides)
    return TextLink(PROTOCOLS[kind](), TextLinkConfig(**values))


class Served:
    """`async with Served(kind) as (smsc, link):` a fake SMSC and a logged-in link."""

    def __init__(self, kind: str, *, wait: bool = True, smsc: dict[str, Any] | None = None, **link: Any):
        self.kind, self.wait = kind, wait
        self.smsc = TextSmsc(kind, **(smsc or {}))  # type: ignore[arg-type]
        self.link_options = link
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> tuple[TextSmsc, TextLink]:
        await self.smsc.start()
        self.link = link_for(self.kind, self.smsc.port, **self.link_options)
        self.task = asyncio.create_task(self.link.run())
        if self.wait:
            assert await self.link.wait_bound(5), f"no login: {self.link.status.last_error}"
        return self.smsc, self.link

    async def __aexit__(self, *exc: object) -> None:
        await self.link.close()
        assert self.task is not None
        await asyncio.wait_for(self.task, 5)
        await self.smsc.stop()
