"""One asyncio process running the SMPP link of every active SM channel.

Per channel a `ChannelRunner` owns an `SmppLink` and three loops:

* pump: while bound, claim one window's worth of queued messages and mark them `wired` in the
  same committed statement (services.claim_wired), submit them through the link's window and
  record the outcomes. Recording window N overlaps submitting window N+1, so at most two
  windows are ever in doubt; nothing else is claimed. Wake-ups: the database is polled every
  `poll_interval` (0.5 s) while idle, so no Redis is needed between the web process and this
  one; a full window loops at once.
* receipts: deliver_sm receipts are applied in batches; the deliver_sm_resp goes out only after
  the batch commits, so a crash makes the SMSC redeliver instead of losing a receipt. A receipt
  for a part accepted but not recorded yet waits for that record (the runner knows which ids
  those are); one for an id not stored at all is retried for a few seconds.
* status: the link's state and counters are written to `LinkState` every second.

The supervisor re-reads the channel list every `reconcile_interval` and starts, restarts (config
changed) or stops links. Sync DB work runs on a small thread pool; nothing a link or the SMSC
does can raise out of `run()` - each runner's failures are logged and the runner restarted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import OperationalError, connection

from channels_app import realtime
from smsc import services
from smsc.concat import MOMessage
from smsc.dlr import Receipt, id_variants, normalize_id
from smsc.link import SmppLink, SubmitResult
from smsc.links import build_link
from smsc.textlink import TextLink

log = logging.getLogger("smsc.supervisor")

T = TypeVar("T")
LOCKED_RETRIES = 100
# A receipt waiting to be applied: the future its deliver_sm_resp waits on; the time to give up.
_ReceiptItem = tuple[Receipt, "asyncio.Future[bool]", float]


@dataclass
class SupervisorOptions:
    poll_interval: float = 0.5
    reconcile_interval: float = 2.0
    status_interval: float = 1.0
    batch_size: int = 500  # messages claimed at a time, at most one window (claim_wired)
    receipt_batch: int = 1000
    receipt_retry_seconds: float = 5.0
    receipt_retry_pause: float = 0.1
    stale_seconds: float = services.STALE_SECONDS
    db_threads: int = 4
    concurrent_records: int = 1  # batches recorded side by side (more only helps a slow database)
    # LinkConfig fields to force on every link (tests use short reconnect/response timeouts).
    link_overrides: dict[str, Any] = field(default_factory=dict)


class Database:
    """Runs sync ORM calls on a few dedicated threads, each keeping its own connection."""

    def __init__(self, threads: int):
        self.threads = threads
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="smsc-db")

    async def __call__(self, fn: Callable[..., T], **kwargs: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.pool, _call, fn, kwargs)

    def close(self) -> None:
        # One close per thread: the barrier keeps a thread from taking two of them.
        barrier = threading.Barrier(self.threads, timeout=5)

        def close_here() -> None:
            connection.close()
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()

        for _ in range(self.threads):
            self.pool.submit(close_here)
        self.pool.shutdown(wait=True)


def _call(fn: Callable[..., T], kwargs: dict[str, Any]) -> T:
    """Every service called here is one transaction (or read-only), so a retry cannot double-apply."""
    for attempt in range(LOCKED_RETRIES):
        try:
            return fn(**kwargs)
        except OperationalError as exc:
            # SQLite reports a busy table at once in some modes (shared cache): wait, then retry.
            if "locked" in str(exc) and attempt < LOCKED_RETRIES - 1:
                time.sleep(min(0.01 * (attempt + 1), 0.2))
                continue
            connection.close()
            raise
        except Exception:
            # A broken connection (database restart) must not poison every later call on this thread.
            connection.close()
            raise
    raise AssertionError("unreachable")


class ChannelRunner:
    def __init__(self, sup: Supervisor, channel_id: int, fingerprint: str):
        self.sup = sup
        self.db = sup.db
        self.opts = sup.options
        self.channel_id = channel_id
        self.fingerprint = fingerprint
        self.link: SmppLink | TextLink | None = None
        self.resend_unacknowledged = False
        self.stopping = False
        self.lost_ownership = False
        self.tasks: list[asyncio.Task[Any]] = []
        self.receipts: asyncio.Queue[_ReceiptItem] = asyncio.Queue()
        # Canonical SMSC ids of parts accepted but not recorded yet, and the receipts waiting for
        # them: a fast SMSC's receipt overtakes the recording of its own submit, and looking it
        # up before that commit only misses (most receipts were looked up twice).
        self.unrecorded: set[str] = set()
        self.held: list[_ReceiptItem] = []
        self.held_timer: asyncio.TimerHandle | None = None
        self.state_changed = asyncio.Event()
        self.unmatched_receipts = 0
        self.mo_dropped = 0
        self.recovered = 0
        self.token = uuid.uuid4().hex  # this runner's claims (Msg.claimed_by)

    @property
    def finished(self) -> bool:
        return bool(self.tasks) and all(t.done() for t in self.tasks)

    async def start(self) -> None:
        channel = await self.db(services.get_channel, channel_id=self.channel_id)
        self.resend_unacknowledged = services.resends_unacknowledged(channel=channel)
        self.recovered = await self.db(
            services.recover_in_flight,
            channel_id=self.channel_id,
            resend_unacknowledged=self.resend_unacknowledged,
        )
        if self.recovered:
            log.warning(
                "channel %s: %d messages left in flight by a previous run marked",
                channel.uuid,
                self.recovered,
            )
        self.link = build_link(
            channel=channel,
            overrides=self.opts.link_overrides,
            on_mo=self._on_mo,
            on_receipt=self._on_receipt,
            on_status=lambda _s: self.state_changed.set(),
        )
        self.tasks = [
            asyncio.create_task(self.link.run(), name=f"link-{self.channel_id}"),
            asyncio.create_task(self._pump(), name=f"pump-{self.channel_id}"),
            asyncio.create_task(self._apply_receipts(), name=f"receipts-{self.channel_id}"),
            asyncio.create_task(self._report(), name=f"status-{self.channel_id}"),
        ]

    async def stop(self) -> None:
        """Stop claiming, let written submits finish and get recorded, unbind, release the link."""
        self.stopping = True
        link, (run, pump, receipts, report) = self.link, self.tasks
        assert link is not None
        await link.close()
        for task in (pump, run):
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(task, link.config.close_timeout + link.config.response_timeout + 5)
        for task in (receipts, report):
            task.cancel()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await task
        # Receipts not applied never got their deliver_sm_resp: the SMSC sends them again.
        waiting, self.held = self.held, []
        while not self.receipts.empty():
            waiting.append(self.receipts.get_nowait())
        for _, fut, _ in waiting:
            if not fut.done():
                fut.cancel()
        if not self.lost_ownership:
            with contextlib.suppress(Exception):
                await self.db(
                    services.release, channel_id=self.channel_id, owner=self.sup.owner, stats=self.stats()
                )

    def stats(self) -> dict[str, Any]:
        assert self.link is not None
        data = self.link.status.as_dict()
        data.update(
            unmatched_receipts=self.unmatched_receipts,
            mo_dropped=self.mo_dropped,
            recovered_in_flight=self.recovered,
            bind_mode=self.link.config.bind_mode,
        )
        return data

    # ---- outbound ----

    async def _pump(self) -> None:
        link = self.link
        assert link is not None
        recording: list[asyncio.Task[None]] = []
        try:
            while not self.stopping:
                if not link.is_bound:
                    await link.wait_bound(self.opts.poll_interval)
                    continue
                try:
                    # One window at a time, wired as it is claimed (services.claim_wired).
                    chunk = await self.db(
                        services.claim_wired,
                        channel_id=self.channel_id,
                        limit=max(1, min(self.opts.batch_size, link.config.window)),
                        token=self.token,
                    )
                except services.ClaimFailed:
                    log.exception("channel %s: claiming messages failed", self.channel_id)
                    await asyncio.sleep(1.0)
                    continue
                if not chunk:
                    await asyncio.sleep(self.opts.poll_interval)
                    continue
                results = await asyncio.gather(*(self._submit(m) for m in chunk))
                # Chunks hold disjoint rows, so a few may be recorded side by side.
                recording = [t for t in recording if not t.done()]
                if len(recording) >= self.opts.concurrent_records:
                    await recording.pop(0)
                recording.append(asyncio.create_task(self._record(chunk, list(results))))
        finally:
            for task in recording:
                await task
            with contextlib.suppress(Exception):
                await self.db(services.release_claims, token=self.token)

    async def _submit(self, msg: Any) -> SubmitResult:
        assert self.link is not None
        try:
            result = await self.link.submit(services.to_sms(msg))
        except Exception as exc:  # a bug for one message must not lose the batch's outcomes
            log.exception("channel %s: submit of message %s failed", self.channel_id, msg.id)
            return SubmitResult("not_sent", error=f"internal error: {exc}")
        for mid in result.message_ids:
            self.unrecorded.add(normalize_id(mid))  # until _record commits it (receipts wait)
        return result

    async def _record(self, batch: list[Any], results: list[SubmitResult]) -> None:
        delay = 0.5
        while True:
            try:
                await self.db(
                    services.record,
                    channel_id=self.channel_id,
                    batch=batch,
                    results=results,
                    resend_unacknowledged=self.resend_unacknowledged,
                )
                # Committed: receipts held for these ids find them now.
                for result in results:
                    for mid in result.message_ids:
                        self.unrecorded.discard(normalize_id(mid))
                self._release_held()
                return
            except Exception:
                # The database is down: keep the outcomes in memory and try again (they are
                # the only record of which messages reached the SMSC).
                log.exception(
                    "channel %s: recording %d outcomes failed, retrying", self.channel_id, len(batch)
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    # ---- inbound ----

    async def _on_mo(self, mo: MOMessage) -> None:
        stored = await self.db(services.store_mo, channel_id=self.channel_id, mo=mo)
        if stored is None:
            self.mo_dropped += 1

    async def _on_receipt(self, receipt: Receipt) -> None:
        fut: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.receipts.put_nowait((receipt, fut, time.monotonic() + self.opts.receipt_retry_seconds))
        await fut  # deliver_sm_resp only once the receipt is committed (or given up on)

    def _hold(self, item: _ReceiptItem) -> bool:
        """Keep back a receipt whose part is accepted but not recorded yet (see `unrecorded`);
        past its deadline it is looked up anyway, as any other."""
        receipt, _, deadline = item
        if not self.unrecorded or time.monotonic() >= deadline:
            return False
        if not any(v in self.unrecorded for v in id_variants(receipt.message_id)):
            return False
        self.held.append(item)
        if self.held_timer is None:  # a record that never commits must not hold it for good
            self.held_timer = asyncio.get_running_loop().call_later(
                self.opts.receipt_retry_pause, self._release_held
            )
        return True

    def _release_held(self) -> None:
        if self.held_timer is not None:
            self.held_timer.cancel()
            self.held_timer = None
        held, self.held = self.held, []
        for item in held:
            self.receipts.put_nowait(item)

    async def _apply_receipts(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            items = [await self.receipts.get()]
            while len(items) < self.opts.receipt_batch and not self.receipts.empty():
                items.append(self.receipts.get_nowait())
            items = [item for item in items if not self._hold(item)]
            if not items:
                continue
            try:
                matched = await self.db(
                    services.apply_receipts, channel_id=self.channel_id, receipts=[r for r, _, _ in items]
                )
            except Exception:
                log.exception("channel %s: applying %d receipts failed", self.channel_id, len(items))
                for _, fut, _ in items:  # the SMSC gets ESME_RX_T_APPN and sends them again
                    if not fut.done():
                        fut.set_exception(RuntimeError("receipt not stored"))
                await asyncio.sleep(1.0)
                continue
            now = time.monotonic()
            for item, ok in zip(items, matched, strict=True):
                receipt, fut, deadline = item
                if ok or now >= deadline:
                    if not ok:
                        self.unmatched_receipts += 1
                        log.warning(
                            "channel %s: receipt for unknown id %s", self.channel_id, receipt.message_id
                        )
                    if not fut.done():
                        fut.set_result(ok)
                else:
                    loop.call_later(self.opts.receipt_retry_pause, self.receipts.put_nowait, item)

    # ---- status ----

    async def _report(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.state_changed.wait(), self.opts.status_interval)
            self.state_changed.clear()
            try:
                owned = await self.db(
                    services.save_link_status,
                    channel_id=self.channel_id,
                    owner=self.sup.owner,
                    stats=self.stats(),
                )
            except Exception:
                log.exception("channel %s: could not save the link status", self.channel_id)
                continue
            if not owned:
                log.error(
                    "channel %s: another supervisor took this link over; stopping it here", self.channel_id
                )
                self.lost_ownership = True
                return


class Supervisor:
    def __init__(self, options: SupervisorOptions | None = None, *, owner: str | None = None):
        self.options = options or SupervisorOptions()
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.db = Database(self.options.db_threads)
        self.runners: dict[int, ChannelRunner] = {}
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        # Status events from the DB threads are handed to this loop instead of each one
        # spinning up an event loop of its own (async_to_sync) to reach the channel layer.
        realtime.register_server_loop(asyncio.get_running_loop())
        try:
            while not self._stop.is_set():
                try:
                    await self.reconcile()
                except Exception:
                    log.exception("smsc supervisor: reconcile failed")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), self.options.reconcile_interval)
        finally:
            await asyncio.gather(*(self._stop_runner(cid) for cid in list(self.runners)))
            await asyncio.to_thread(self.db.close)

    async def reconcile(self) -> None:
        wanted = await self.db(services.active_channels)
        for cid, runner in list(self.runners.items()):
            if wanted.get(cid) != runner.fingerprint or runner.finished or runner.lost_ownership:
                await self._stop_runner(cid)
        for cid, fingerprint in wanted.items():
            if cid in self.runners:
                continue
            if not await self.db(
                services.take_over, channel_id=cid, owner=self.owner, stale_seconds=self.options.stale_seconds
            ):
                continue
            runner = ChannelRunner(self, cid, fingerprint)
            try:
                await runner.start()
            except Exception:
                log.exception("smsc supervisor: could not start the link of channel %s", cid)
                continue
            self.runners[cid] = runner

    async def _stop_runner(self, channel_id: int) -> None:
        runner = self.runners.pop(channel_id, None)
        if runner is None:
            return
        try:
            await runner.stop()
        except Exception:
            log.exception("smsc supervisor: stopping the link of channel %s failed", channel_id)
