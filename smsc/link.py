"""An ESME link to one SMSC: bind, submit with a window and a rate, receive MOs and receipts.

Usage::

    link = SmppLink(LinkConfig(host=..., port=..., system_id=..., password=...),
                    on_mo=handle_mo, on_receipt=handle_receipt, on_status=show_status)
    runner = asyncio.create_task(link.run())      # connects, binds, reconnects until close()
    result = await link.submit(OutboundSms(to="250788123123", text="hello"))
    await link.close()                            # waits for in-flight, unbinds

Outcome rule for `submit()` (what the caller does with each `SubmitResult.outcome`):

* ``accepted``       - every part got ESME_ROK; store `message_ids` to correlate receipts.
* ``rejected``       - the SMSC answered with an error status. `retryable` is True for transient
                       statuses (throttling, queue full, system error) after our own retries ran
                       out: re-queue later. Otherwise the message failed permanently.
* ``not_sent``       - nothing was written for at least one part and no part is unacknowledged
                       (link down, closing, text not encodable...): safe to retry, no duplicate.
* ``unacknowledged`` - a submit_sm was written but its response never came (timeout or drop).
                       The SMSC may or may not have it. Retrying risks a duplicate, so the rule
                       is: mark it errored/unknown and do NOT resend automatically (unless the
                       channel opts into at-least-once). Never silently counted as sent.

The link never resends a written submit_sm on its own except after an explicit
ESME_RTHROTTLED / ESME_RMSGQFUL answer, which means the SMSC did not take it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Literal

from . import gsm
from .concat import ConcatMode, MOMessage, Reassembler, build_submits, encode_message
from .dlr import Receipt, parse_receipt
from .pdu import MAX_PDU_LENGTH, CommandId, Pdu, Status, bind, status_name
from .session import BindRejected, SessionClosed, SmppSession

log = logging.getLogger("smsc.link")

BindMode = Literal["transceiver", "transmitter", "receiver", "pair"]
LinkState = Literal["down", "connecting", "bound", "closed"]
Outcome = Literal["accepted", "rejected", "not_sent", "unacknowledged"]

THROTTLE_STATUSES = frozenset({Status.ESME_RTHROTTLED, Status.ESME_RMSGQFUL})
RETRYABLE_STATUSES = THROTTLE_STATUSES | {Status.ESME_RSYSERR, Status.ESME_RX_T_APPN}


@dataclass
class LinkConfig:
    host: str
    port: int
    system_id: str
    password: str
    system_type: str = ""
    bind_mode: BindMode = "transceiver"
    address_range: str = ""
    source_addr: str = ""  # default sender when OutboundSms.source is empty
    source_ton: int = 5  # alphanumeric; use 1/1 for an international number
    source_npi: int = 0
    dest_ton: int = 1
    dest_npi: int = 1
    window: int = 100  # submit_sm in flight without a response
    max_tps: float = 0.0  # 0 = no limit; otherwise the SMSC's agreed rate
    encoding: gsm.EncodingChoice = "auto"
    concatenation: ConcatMode = "udh"
    gsm7_packed: bool = False  # most SMSCs want one septet per octet over SMPP
    mo_default_encoding: gsm.Encoding = "gsm7"  # what data_coding 0 means for MO text
    registered_delivery: int = 1  # ask for final delivery receipts
    service_type: str = ""
    tls: bool = False
    tls_verify: bool = True
    ssl_context: ssl.SSLContext | None = None
    connect_timeout: float = 10.0
    response_timeout: float = 10.0  # per submit_sm and per bind/enquire_link
    enquire_link_interval: float = 30.0
    bound_wait: float = 30.0  # how long submit() waits for a (re)bind before "not_sent"
    reconnect_min: float = 1.0
    reconnect_max: float = 60.0
    throttle_pause: float = 0.5  # first pause after ESME_RTHROTTLED, doubled while it repeats
    throttle_pause_max: float = 10.0
    throttle_retries: int = 8  # resends of one part after throttling answers
    mo_reassembly_timeout: float = 120.0
    close_timeout: float = 5.0
    max_pdu_length: int = MAX_PDU_LENGTH

    def tls_context(self) -> ssl.SSLContext | None:
        if not self.tls:
            return None
        if self.ssl_context is not None:
            return self.ssl_context
        ctx = ssl.create_default_context()
        if not self.tls_verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx


@dataclass
class OutboundSms:
    to: str
    text: str
    source: str = ""
    registered_delivery: int | None = None  # None = the link's default
    encoding: gsm.EncodingChoice | None = None
    concatenation: ConcatMode | None = None


@dataclass
class SubmitResult:
    outcome: Outcome
    message_ids: list[str] = field(default_factory=list)  # one per accepted part, in part order
    status: int = Status.ESME_ROK  # the first non-OK command_status, if any
    parts: int = 1
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome == "accepted"

    @property
    def retryable(self) -> bool:
        """Safe and sensible to queue again (see module docstring for the rule)."""
        return self.outcome == "not_sent" or (
            self.outcome == "rejected" and self.status in RETRYABLE_STATUSES
        )


@dataclass
class LinkStatus:
    state: LinkState = "down"
    bound_since: float | None = None
    last_error: str = ""
    reconnects: int = 0
    submitted: int = 0  # submit_sm PDUs written
    accepted: int = 0
    rejected: int = 0
    unacknowledged: int = 0
    throttled: int = 0
    mo_received: int = 0
    receipts_received: int = 0
    malformed: int = 0
    in_flight: int = 0
    tps: float = 0.0  # accepted submit_sm per second over the last few seconds

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


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


@dataclass
class _PartResult:
    outcome: Outcome
    status: int = Status.ESME_ROK
    message_id: str = ""
    error: str = ""


MoCallback = Callable[[MOMessage], Awaitable[None]]
ReceiptCallback = Callable[[Receipt], Awaitable[None]]
StatusCallback = Callable[[LinkStatus], None]


class SmppLink:
    def __init__(
        self,
        config: LinkConfig,
        *,
        on_mo: MoCallback | None = None,
        on_receipt: ReceiptCallback | None = None,
        on_status: StatusCallback | None = None,
        name: str | None = None,
    ):
        self.config = config
        self.name = name or f"{config.system_id}@{config.host}:{config.port}"
        self.on_mo = on_mo
        self.on_receipt = on_receipt
        self.on_status = on_status
        self.status = LinkStatus()
        self._bucket = TokenBucket(config.max_tps)
        self._window = asyncio.Semaphore(max(1, config.window))
        self._bound = asyncio.Event()
        self._closing = asyncio.Event()
        self._sessions: list[SmppSession] = []
        self._tx: SmppSession | None = None
        self._refs = itertools.count(random.randrange(1 << 16))
        self._throttle_delay = config.throttle_pause
        self._reassembler = Reassembler(
            config.mo_reassembly_timeout,
            gsm7_packed=config.gsm7_packed,
            default_encoding=config.mo_default_encoding,
        )
        self._rate_samples: list[tuple[float, int]] = []

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
        """Connect, bind and stay bound until close(); reconnects with exponential backoff."""
        delay = self.config.reconnect_min
        housekeeping = asyncio.ensure_future(self._housekeeping())
        try:
            while not self._closing.is_set():
                self._set_state("connecting")
                try:
                    await self._connect()
                except BindRejected as e:
                    self._drop(str(e))
                except (OSError, TimeoutError, SessionClosed) as e:
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
            for s in self._sessions:
                s.abort("link stopped")
            self._bound.clear()
            self._set_state("closed")

    async def close(self) -> None:
        """Stop taking submits, let in-flight ones finish, unbind; run() then returns."""
        self._closing.set()

    async def submit(self, sms: OutboundSms) -> SubmitResult:
        cfg = self.config
        if self._closing.is_set():
            return SubmitResult("not_sent", error="link is closing")
        if cfg.bind_mode == "receiver":
            return SubmitResult("not_sent", error="link is bound as receiver only")
        mode = sms.concatenation or cfg.concatenation
        ref = next(self._refs) & (0xFF if mode == "udh" else 0xFFFF)
        try:
            message = encode_message(
                sms.text,
                encoding=sms.encoding or cfg.encoding,
                mode=mode,
                reference=ref,
                gsm7_packed=cfg.gsm7_packed,
            )
        except gsm.EncodeError as e:
            return SubmitResult("not_sent", error=f"cannot encode: {e}")
        params = {
            "service_type": cfg.service_type,
            "source_addr_ton": cfg.source_ton,
            "source_addr_npi": cfg.source_npi,
            "source_addr": sms.source or cfg.source_addr,
            "dest_addr_ton": cfg.dest_ton,
            "dest_addr_npi": cfg.dest_npi,
            "destination_addr": sms.to.lstrip("+"),
            "registered_delivery": cfg.registered_delivery
            if sms.registered_delivery is None
            else sms.registered_delivery,
        }
        pdus = build_submits(message, params)
        if len(pdus) == 1:
            parts = [await self._submit_part(pdus[0])]
        else:
            parts = list(await asyncio.gather(*(self._submit_part(p) for p in pdus)))
        return _combine(parts)

    # ---- submitting ----

    async def _submit_part(self, pdu: Pdu) -> _PartResult:
        cfg = self.config
        throttled = 0
        while True:
            if not self._bound.is_set() and not await self.wait_bound(cfg.bound_wait):
                return _PartResult("not_sent", error=self.status.last_error or "link not bound")
            async with self._window:
                if self._bucket.rate or self._bucket.paused_until:
                    await self._bucket.acquire()
                session = self._tx
                if session is None or session.is_closed or self._closing.is_set():
                    if self._closing.is_set():
                        return _PartResult("not_sent", error="link is closing")
                    await asyncio.sleep(0)  # the run loop is about to clear _bound; let it
                    continue
                try:
                    fut = session.send_request(pdu)
                except SessionClosed:
                    continue  # nothing was written; try again on the next bind
                self.status.submitted += 1
                self.status.in_flight += 1
                # A bare timer is much cheaper than wait_for() on this hot path.
                timer = asyncio.get_running_loop().call_later(cfg.response_timeout, _time_out, fut)
                try:
                    resp = await fut
                except TimeoutError:
                    session.forget(pdu.sequence)
                    self.status.unacknowledged += 1
                    return _PartResult(
                        "unacknowledged", error=f"no submit_sm_resp in {cfg.response_timeout}s"
                    )
                except SessionClosed as e:
                    self.status.unacknowledged += 1
                    return _PartResult("unacknowledged", error=f"connection lost before submit_sm_resp: {e}")
                finally:
                    timer.cancel()
                    self.status.in_flight -= 1
            if resp.status == Status.ESME_ROK and resp.command_id == CommandId.submit_sm_resp:
                self.status.accepted += 1
                self._throttle_delay = cfg.throttle_pause
                return _PartResult("accepted", message_id=str(resp.get("message_id")))
            if resp.status in THROTTLE_STATUSES and throttled < cfg.throttle_retries:
                throttled += 1
                self._on_throttled(resp.status)
                continue  # the SMSC refused it, so sending again cannot duplicate
            self.status.rejected += 1
            status = resp.status or Status.ESME_RUNKNOWNERR  # generic_nack with 0: still a refusal
            return _PartResult("rejected", status=status, error=f"{resp.command} {status_name(status)}")

    def _on_throttled(self, status: int) -> None:
        self.status.throttled += 1
        self._bucket.pause(self._throttle_delay)
        log.info("%s: %s, pausing %.2fs", self.name, status_name(status), self._throttle_delay)
        self._throttle_delay = min(self.config.throttle_pause_max, self._throttle_delay * 2)

    # ---- connection management ----

    async def _connect(self) -> None:
        cfg = self.config
        modes = ["transmitter", "receiver"] if cfg.bind_mode == "pair" else [cfg.bind_mode]
        sessions: list[SmppSession] = []
        try:
            for mode in modes:
                session = await SmppSession.connect(
                    cfg.host,
                    cfg.port,
                    ssl_context=cfg.tls_context(),
                    connect_timeout=cfg.connect_timeout,
                    name=f"{self.name}/{mode}",
                    on_request=self._on_request,
                    on_closed=self._on_session_closed,
                    enquire_interval=cfg.enquire_link_interval,
                    response_timeout=cfg.response_timeout,
                    max_pdu_length=cfg.max_pdu_length,
                )
                sessions.append(session)
                await session.bind(
                    bind(
                        mode,
                        cfg.system_id,
                        cfg.password,
                        system_type=cfg.system_type,
                        address_range=cfg.address_range,
                    ),
                    cfg.response_timeout,
                )
        except BaseException:
            for s in sessions:
                s.abort("bind failed")
            raise
        self._sessions = sessions
        self._tx = sessions[0] if modes[0] != "receiver" else None
        self.status.bound_since = time.time()
        self._bound.set()
        self._set_state("bound")
        log.info("%s: bound as %s", self.name, cfg.bind_mode)

    def _on_session_closed(self, session: SmppSession) -> None:
        # Synchronously, so no submit can pick a dead session between the drop and the run loop.
        if session in self._sessions:
            self._bound.clear()

    async def _wait_disconnect(self) -> str:
        waits = [asyncio.ensure_future(s.wait_closed()) for s in self._sessions]
        closing = asyncio.ensure_future(self._closing.wait())
        done, _ = await asyncio.wait([*waits, closing], return_when=asyncio.FIRST_COMPLETED)
        for w in [*waits, closing]:
            w.cancel()
        reasons = [s.close_reason for s in self._sessions if s.is_closed]
        for s in self._sessions:  # one half of a pair gone: drop the other, rebind both
            if not self._closing.is_set():
                s.abort("peer session closed")
        return "; ".join(reasons) or "closed"

    async def _shutdown(self) -> None:
        """Clean unbind: wait (bounded) for in-flight submits, then unbind every session."""
        deadline = time.monotonic() + self.config.close_timeout
        while self.status.in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        self._bound.clear()
        await asyncio.gather(*(s.unbind() for s in self._sessions if not s.is_closed))

    def _drop(self, reason: str) -> None:
        self._bound.clear()
        self._tx = None
        self.status.last_error = reason
        self.status.bound_since = None
        log.warning("%s: link down: %s", self.name, reason)
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
                    log.exception("%s: on_status callback failed", self.name)

    async def _housekeeping(self) -> None:
        """Once a second: hand over MO sets that timed out, refresh the throughput figure."""
        while True:
            await asyncio.sleep(1.0)
            now = time.monotonic()
            self._rate_samples.append((now, self.status.accepted))
            self._rate_samples = self._rate_samples[-6:]
            (t0, a0), (t1, a1) = self._rate_samples[0], self._rate_samples[-1]
            self.status.tps = (a1 - a0) / (t1 - t0) if t1 > t0 else 0.0
            self.status.malformed = sum(s.malformed for s in self._sessions)
            for mo in self._reassembler.expire():
                with contextlib.suppress(Exception):
                    await self._deliver_mo(mo)

    # ---- requests from the SMSC ----

    async def _on_request(self, session: SmppSession, pdu: Pdu) -> Pdu | None:
        cid = pdu.command_id
        if cid in (CommandId.deliver_sm, CommandId.data_sm):
            receipt = parse_receipt(pdu)
            if receipt is not None:
                self.status.receipts_received += 1
                if self.on_receipt:
                    await self.on_receipt(receipt)  # an exception -> ESME_RX_T_APPN, SMSC retries
            else:
                mo = self._reassembler.add(pdu)
                if mo is not None:
                    await self._deliver_mo(mo)
            return pdu.response(0, message_id="") if cid == CommandId.deliver_sm else pdu.response(0)
        if cid in (CommandId.alert_notification, CommandId.outbind):
            return None  # no response PDU exists for these
        return pdu.response(Status.ESME_RINVBNDSTS)  # e.g. submit_sm sent to us: wrong direction

    async def _deliver_mo(self, mo: MOMessage) -> None:
        self.status.mo_received += 1
        if self.on_mo:
            await self.on_mo(mo)


def _time_out(fut: asyncio.Future[Pdu]) -> None:
    if not fut.done():
        fut.set_exception(TimeoutError())


def _combine(parts: list[_PartResult]) -> SubmitResult:
    ids = [p.message_id for p in parts if p.outcome == "accepted"]
    n = len(parts)
    for outcome in ("unacknowledged", "rejected", "not_sent"):
        bad = [p for p in parts if p.outcome == outcome]
        if not bad:
            continue
        if outcome == "not_sent" and ids:
            # Some parts went out: resending would duplicate them, so this is not "safe to retry".
            return SubmitResult(
                "rejected", ids, Status.ESME_RSUBMITFAIL, n, f"partially sent: {bad[0].error}"
            )
        return SubmitResult(outcome, ids, bad[0].status, n, bad[0].error)  # type: ignore[arg-type]
    return SubmitResult("accepted", ids, Status.ESME_ROK, n)
