"""What every SMSC link kind shares: the supervisor-facing lifecycle, reconnect, rate and status.

`SmppLink` (smsc.link) and `TextLink` (smsc.textlink, UCP/EMI and CIMD2) differ in how they
connect, log in, frame and number requests; the supervisor drives both the same way (`run()`,
`close()`, `is_bound`, `wait_bound()`, `status`). That part lives here once: the run loop that
reconnects with jittered exponential backoff, the bounded drain on close, link state reporting,
the throttle back-off, the once-a-second throughput figure, and the rate limiter.

A subclass provides `_connect()` (connect and log in, then set `_bound`), `_wait_disconnect()`,
`_close_connections()` (clean logout), `_abort_connections()` and `_housekeep()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Literal, Protocol, TypedDict

from .concat import MOMessage
from .dlr import Receipt

LinkState = Literal["down", "connecting", "bound", "closed"]

MoCallback = Callable[[MOMessage], Awaitable[None]]
ReceiptCallback = Callable[[Receipt], Awaitable[None]]


@dataclass
class LinkStatus:
    state: LinkState = "down"
    bound_since: float | None = None
    last_error: str = ""
    reconnects: int = 0
    submitted: int = 0  # submit requests written
    accepted: int = 0
    rejected: int = 0
    unacknowledged: int = 0
    throttled: int = 0
    mo_received: int = 0
    receipts_received: int = 0
    malformed: int = 0
    in_flight: int = 0
    tps: float = 0.0  # accepted submits per second over the last few seconds

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


StatusCallback = Callable[[LinkStatus], None]


class LinkOptions(TypedDict, total=False):
    """The keyword arguments every link kind takes besides its config."""

    on_mo: MoCallback | None
    on_receipt: ReceiptCallback | None
    on_status: StatusCallback | None
    name: str | None  # for logs; defaults to user@host:port


class TokenBucket:
    """Rate limiter that hands out send slots in arrival order, plus a pause for back-off."""

    def __init__(self, rate: float, burst: float | None = None, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate / 10)
        self.clock = clock
        self._tokens = self.burst
        self._stamp = clock()
        self.paused_until = 0.0

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, self.clock() + seconds)

    async def acquire(self) -> None:
        while (wait := self.paused_until - self.clock()) > 0:
            await asyncio.sleep(wait)
        if self.rate <= 0:
            return
        now = self.clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        # Reserve a token even if it is not there yet; going negative queues callers fairly.
        self._tokens -= 1
        if self._tokens < 0:
            await asyncio.sleep(-self._tokens / self.rate)


class BaseLinkConfig(Protocol):
    """The settings the shared plumbing reads (both link configs have them)."""

    max_tps: float
    reconnect_min: float
    reconnect_max: float
    throttle_pause: float
    throttle_pause_max: float
    close_timeout: float
    tls: bool
    tls_verify: bool
    ssl_context: ssl.SSLContext | None


def tls_context(cfg: BaseLinkConfig) -> ssl.SSLContext | None:
    if not cfg.tls:
        return None
    if cfg.ssl_context is not None:
        return cfg.ssl_context
    ctx = ssl.create_default_context()
    if not cfg.tls_verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


class LinkBase(ABC):
    log: ClassVar[logging.Logger]
    # Errors of one connection attempt: logged as "connect failed", then retried after a backoff.
    connect_errors: ClassVar[tuple[type[BaseException], ...]] = (OSError, TimeoutError)
    # The SMSC refused our credentials: its own words are the error shown on the channel page.
    refused_errors: ClassVar[tuple[type[BaseException], ...]] = ()

    def __init__(self, config: Any, default_name: str, options: LinkOptions):
        self.config = config
        self.name = options.get("name") or default_name
        self.on_mo = options.get("on_mo")
        self.on_receipt = options.get("on_receipt")
        self.on_status = options.get("on_status")
        self.status = LinkStatus()
        self._bucket = TokenBucket(config.max_tps)
        self._bound = asyncio.Event()
        self._closing = asyncio.Event()
        self._throttle_delay: float = config.throttle_pause
        self._rate_samples: list[tuple[float, int]] = []

    # ---- what each link kind provides ----

    @abstractmethod
    async def _connect(self) -> None:
        """Connect and log in; on success set `_bound` and state "bound"."""

    @abstractmethod
    async def _wait_disconnect(self) -> str:
        """Wait until the connection drops or close() is called; the reason it dropped."""

    @abstractmethod
    async def _close_connections(self) -> None:
        """Log out cleanly from whatever connection is still open."""

    @abstractmethod
    def _abort_connections(self, reason: str) -> None:
        """Close every connection now, without a goodbye."""

    @abstractmethod
    async def _housekeep(self, now: float) -> None:
        """Once a second, after the throughput figure: expire MO sets and the like."""

    # ---- public API ----

    @property
    def is_bound(self) -> bool:
        return self._bound.is_set()

    async def wait_bound(self, timeout: float | None = None) -> bool:
        if self._bound.is_set():
            return True
        if self._closing.is_set():
            return False
        bound = asyncio.ensure_future(self._bound.wait())
        closing = asyncio.ensure_future(self._closing.wait())
        try:
            await asyncio.wait({bound, closing}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            bound.cancel()
            closing.cancel()
        return self._bound.is_set() and not self._closing.is_set()

    async def run(self) -> None:
        """Connect, log in and stay connected until close(); reconnects with exponential backoff."""
        delay = self.config.reconnect_min
        housekeeping = asyncio.ensure_future(self._housekeeping())
        try:
            while not self._closing.is_set():
                self._set_state("connecting")
                try:
                    await self._connect()
                except self.refused_errors as e:
                    self._drop(str(e))
                except self.connect_errors as e:
                    self._drop(f"connect failed: {e!r}")
                else:
                    delay = self.config.reconnect_min
                    reason = await self._wait_disconnect()
                    if self._closing.is_set():
                        break
                    self.status.reconnects += 1
                    self._drop(reason)
                # Jitter keeps a fleet of links from reconnecting in lockstep after an SMSC restart.
                await self._sleep_unless_closing(delay * random.uniform(0.8, 1.2))
                delay = min(self.config.reconnect_max, delay * 2)
            await self._shutdown()
        finally:
            housekeeping.cancel()
            self._abort_connections("link stopped")
            self._bound.clear()
            self._set_state("closed")

    async def close(self) -> None:
        """Stop taking submits, let in-flight ones finish, log out; run() then returns."""
        self._closing.set()

    # ---- shared plumbing ----

    async def _shutdown(self) -> None:
        """Wait (bounded) for in-flight submits, then log out."""
        deadline = time.monotonic() + self.config.close_timeout
        while self.status.in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        self._bound.clear()
        await self._close_connections()

    def _on_throttled(self, what: str) -> None:
        """The SMSC asked us to slow down: pause every sender, longer while it repeats."""
        self.status.throttled += 1
        self._bucket.pause(self._throttle_delay)
        self.log.info("%s: %s, pausing %.2fs", self.name, what, self._throttle_delay)
        self._throttle_delay = min(self.config.throttle_pause_max, self._throttle_delay * 2)

    def _drop(self, reason: str) -> None:
        self._bound.clear()
        self.status.last_error = reason
        self.status.bound_since = None
        self.log.warning("%s: link down: %s", self.name, reason)
        self._set_state("down")

    async def _sleep_unless_closing(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    def _set_state(self, state: LinkState) -> None:
        if self.status.state != state:
            self.status.state = state
            if self.on_status:
                try:
                    self.on_status(self.status)
                except Exception:
                    self.log.exception("%s: on_status callback failed", self.name)

    async def _housekeeping(self) -> None:
        """Once a second: refresh the throughput figure, then the link kind's own chores."""
        while True:
            await asyncio.sleep(1.0)
            now = time.monotonic()
            self._rate_samples.append((now, self.status.accepted))
            self._rate_samples = self._rate_samples[-6:]
            (t0, a0), (t1, a1) = self._rate_samples[0], self._rate_samples[-1]
            self.status.tps = (a1 - a0) / (t1 - t0) if t1 > t0 else 0.0
            await self._housekeep(now)


def time_out(fut: asyncio.Future[Any]) -> None:
    """A bare call_later timer for a response future: much cheaper than wait_for() on a hot path."""
    if not fut.done():
        fut.set_exception(TimeoutError())
