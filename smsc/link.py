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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from . import gsm
from .concat import ConcatMode, MOMessage, Reassembler, build_submits, encode_message
from .dlr import parse_receipt
from .linkbase import LinkBase, LinkOptions, time_out, tls_context

if TYPE_CHECKING:
    from typing_extensions import Unpack
from .pdu import MAX_PDU_LENGTH, CommandId, Pdu, Status, bind, status_name
from .session import BindRejected, SessionClosed, SmppSession

log = logging.getLogger("smsc.link")

BindMode = Literal["transceiver", "transmitter", "receiver", "pair"]
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
        return tls_context(self)


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
class _PartResult:
    outcome: Outcome
    status: int = Status.ESME_ROK
    message_id: str = ""
    error: str = ""


class SmppLink(LinkBase):
    log = log
    connect_errors = (OSError, TimeoutError, SessionClosed)
    refused_errors = (BindRejected,)
    config: LinkConfig

    def __init__(self, config: LinkConfig, **options: Unpack[LinkOptions]):
        super().__init__(config, f"{config.system_id}@{config.host}:{config.port}", options)
        self._window = asyncio.Semaphore(max(1, config.window))
        self._sessions: list[SmppSession] = []
        self._tx: SmppSession | None = None
        self._refs = itertools.count(random.randrange(1 << 16))
        self._reassembler = Reassembler(
            config.mo_reassembly_timeout,
            gsm7_packed=config.gsm7_packed,
            default_encoding=config.mo_default_encoding,
        )

    # ---- public API ----

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
                timer = asyncio.get_running_loop().call_later(cfg.response_timeout, time_out, fut)
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
                self._on_throttled(status_name(resp.status))
                continue  # the SMSC refused it, so sending again cannot duplicate
            self.status.rejected += 1
            status = resp.status or Status.ESME_RUNKNOWNERR  # generic_nack with 0: still a refusal
            return _PartResult("rejected", status=status, error=f"{resp.command} {status_name(status)}")

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

    async def _close_connections(self) -> None:
        await asyncio.gather(*(s.unbind() for s in self._sessions if not s.is_closed))

    def _abort_connections(self, reason: str) -> None:
        for s in self._sessions:
            s.abort(reason)

    def _drop(self, reason: str) -> None:
        self._tx = None
        super()._drop(reason)

    async def _housekeep(self, now: float) -> None:
        """Hand over MO sets that timed out; refresh the malformed count."""
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


def _combine(parts: list[_PartResult]) -> SubmitResult:
    if len(parts) == 1 and parts[0].outcome == "accepted":  # the common case, once per submit
        return SubmitResult("accepted", [parts[0].message_id], Status.ESME_ROK, 1)
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
