"""Database side of the SMPP supervisor: sync functions it runs in worker threads.

Outcome rule for a claimed message (see smsc.link for what each SubmitResult outcome means):

* accepted       -> `sent`; every part's SMSC id is stored (SubmittedPart) so receipts find it.
* rejected       -> `errored` with backoff when the SMSC status is transient, else `failed`.
* not_sent       -> `errored` with backoff: nothing reached the SMSC, a retry cannot duplicate.
* unacknowledged -> `failed` with `metadata.outcome_unknown`: the SMSC may have it, so it is NOT
                    resent (no duplicates) unless the channel sets resend_unacknowledged=yes.

Messages a crashed supervisor left `wired` (claimed, maybe written, result never recorded) get
the unacknowledged rule when the next supervisor takes the link over.

Receipts: a message is `delivered` when every part has a delivered receipt, `failed` as soon as
one part has a failed one; intermediate states (ENROUTE, ACCEPTD) change nothing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from channels_app import bulk, realtime, urns
from channels_app.attachments import text_with_attachments
from channels_app.crypto import reveal
from channels_app.models import Channel, Direction, Msg, MsgEvent, MsgStatus
from channels_app.services import ingest, send, status, webhooks
from channels_app.types.base import SendResult
from smsc.concat import MOMessage
from smsc.dlr import Receipt, id_variants, normalize_id
from smsc.link import LinkConfig, OutboundSms, SubmitResult
from smsc.links import LINK_TYPES
from smsc.models import LinkState, SubmittedPart

logger = logging.getLogger(__name__)

TYPE_CODE = "SM"
UNKNOWN_PREFIX = "outcome unknown"
# A supervisor that has not reported for this long no longer owns its links.
STALE_SECONDS = 15.0

# Tables of the raw SQL below. On PostgreSQL the supervisor's per-batch statements are written
# out: a batch is a handful of statements whatever its size, and built by the ORM each cost
# ~0.5 ms of CPU to compile (an IN list a parameter per value on top), which at a hundred
# messages a batch was a third of the supervisor's work. Other databases keep the ORM path.
_PART = SubmittedPart._meta.db_table
_MSG = Msg._meta.db_table
_CHANNEL = Channel._meta.db_table


# ---- channels and link configuration ---------------------------------------------------------


def active_channels() -> dict[int, str]:
    """Active SMSC-link channels (SMPP, UCP, CIMD2): id -> fingerprint of what the link is built from."""
    rows = Channel.objects.filter(channel_type__in=LINK_TYPES, is_active=True).values_list(
        "id", "address", "config"
    )
    return {cid: json.dumps([address, config], sort_keys=True) for cid, address, config in rows}


def link_config(*, channel: Channel, **overrides: Any) -> LinkConfig:
    cfg = reveal(channel.config)  # the bind password is stored encrypted
    source = channel.address.strip().lstrip("+")
    numeric = source.isdigit()
    tls = cfg.get("tls") or "no"
    values: dict[str, Any] = {
        "host": cfg["host"],
        "port": int(cfg.get("port") or 2775),
        "system_id": cfg["system_id"],
        "password": cfg.get("password") or "",
        "system_type": cfg.get("system_type") or "",
        "bind_mode": cfg.get("bind_mode") or "transceiver",
        "source_addr": source,
        "source_ton": _int_or(cfg.get("source_ton"), 1 if numeric else 5),
        "source_npi": _int_or(cfg.get("source_npi"), 1 if numeric else 0),
        "window": int(cfg.get("window") or 100),
        "max_tps": float(cfg.get("max_tps") or 0),
        "encoding": cfg.get("encoding") or "auto",
        "concatenation": cfg.get("concatenation") or "udh",
        "tls": tls != "no",
        "tls_verify": tls != "insecure",
    }
    values.update(overrides)
    return LinkConfig(**values)


def _int_or(value: Any, default: int) -> int:
    return default if value in (None, "") else int(value)


def resends_unacknowledged(*, channel: Channel) -> bool:
    return channel.config.get("resend_unacknowledged") == "yes"


def get_channel(*, channel_id: int) -> Channel:
    return Channel.objects.get(id=channel_id)


# ---- ownership and link status ---------------------------------------------------------------


def take_over(*, channel_id: int, owner: str, stale_seconds: float = STALE_SECONDS) -> bool:
    """Become the supervisor of this channel's link unless another live one already is."""
    now = timezone.now()
    with transaction.atomic():
        state, created = LinkState.objects.select_for_update().get_or_create(
            channel_id=channel_id, defaults={"owner": owner, "updated_on": now, "state": "connecting"}
        )
        if created:
            return True
        if state.owner not in ("", owner) and state.updated_on > now - timedelta(seconds=stale_seconds):
            return False
        state.owner, state.updated_on, state.state = owner, now, "connecting"
        state.save(update_fields=["owner", "updated_on", "state"])
    return True


def save_link_status(*, channel_id: int, owner: str, stats: dict[str, Any]) -> bool:
    """Store the link's status; False when another supervisor has taken the link over."""
    return bool(
        LinkState.objects.filter(channel_id=channel_id, owner=owner).update(
            state=str(stats.get("state", "down")),
            last_error=str(stats.get("last_error", ""))[:2000],
            stats=stats,
            updated_on=timezone.now(),
        )
    )


def release(*, channel_id: int, owner: str, stats: dict[str, Any]) -> None:
    LinkState.objects.filter(channel_id=channel_id, owner=owner).update(
        state="down",
        last_error=str(stats.get("last_error") or "stopped"),
        stats=stats,
        owner="",
        updated_on=timezone.now(),
    )


def link_status(*, channel: Channel, stale_seconds: float = STALE_SECONDS) -> dict[str, Any]:
    """What the UI and API show: bound/connecting/down, throughput, counters, last error."""
    state = LinkState.objects.filter(channel=channel).first()
    if state is None:
        return {"state": "down", "last_error": "no smsc supervisor has run this link yet", "updated_on": None}
    shown: dict[str, Any] = {
        k: v for k, v in state.stats.items() if k not in ("state", "last_error", "bound_since")
    }
    since = state.stats.get("bound_since")
    shown.update(
        state=state.state,
        last_error=state.last_error,
        updated_on=state.updated_on.isoformat(),
        bound_since=datetime.fromtimestamp(since, tz=UTC).isoformat() if since else None,
    )
    if state.owner and state.updated_on < timezone.now() - timedelta(seconds=stale_seconds):
        shown.update(state="down", last_error="the smsc supervisor stopped reporting", tps=0.0)
    return shown


# ---- outbound ----------------------------------------------------------------------------------


# What the supervisor reads of a claimed message: to_sms, wire, record (send.record_results and
# the realtime event it publishes). The other columns, five timestamps among them, stay unloaded:
# building 500 whole messages per claim was a sixth of the supervisor's CPU.
_CLAIMED_FIELDS = (
    "id", "uuid", "workspace_id", "channel_id", "contact_id", "urn", "direction", "status", "text",
    "attachments", "external_id", "error", "attempts", "parts", "metadata", "created_on",
)  # fmt: skip


class ClaimFailed(Exception):
    """claim_wired failed before its transaction committed: nothing was claimed or wired."""


def claim_wired(*, channel_id: int, limit: int, token: str) -> list[Msg]:
    """claim() and wire() in one transaction: up to `limit` due messages (a window), `wired` and
    committed right before their submits are written. Nothing is left leased-but-unwired, so
    a killed supervisor leaves only this window (and one being recorded) in doubt, and each
    message costs one UPDATE less than a lease first and `wired` later.

    Raises ClaimFailed when nothing was committed (try again later); any other error came from
    the commit itself, after which the rows may be wired without anyone writing them, as after
    a failed wire().
    """
    with transaction.atomic():  # (a failure of its commit is not a ClaimFailed)
        try:
            if connection.vendor != "postgresql":
                return wire(msgs=claim(channel_id=channel_id, limit=limit, token=token), token=token)
            channel = Channel.objects.get(id=channel_id)
            batch = send.claim_returning(channel_id, limit, token=token, fields=_CLAIMED_FIELDS, wire=True)
        except Exception as exc:
            raise ClaimFailed(f"claiming messages failed: {exc!r}") from exc
    for msg in batch:
        msg.channel = channel  # spares the status events one channel query per message
    return batch


def claim(*, channel_id: int, limit: int, token: str) -> list[Msg]:
    """Queued messages leased to this runner (`token`), not yet wired: see wire()."""
    channel = Channel.objects.get(id=channel_id)
    with transaction.atomic():  # one transaction, so a retried call cannot strand claimed rows
        if connection.vendor == "postgresql":
            batch = send.claim_returning(channel_id, limit, token=token, fields=_CLAIMED_FIELDS)
        else:
            batch = send.claim_batch(channel, limit, token=token)
    for msg in batch:
        msg.channel = channel  # spares the status events one channel query per message
    return batch


def wire(*, msgs: list[Msg], token: str) -> list[Msg]:
    """Mark one window's worth `wired`, committed right before those submits are written: a
    killed supervisor leaves only what was in the window in doubt; the rest of its claimed
    batch stays queued and goes out after the lease (send.wire's rule)."""
    return send.wire(msgs, token=token)


def release_claims(*, token: str) -> int:
    return send.release_claims(token=token)


def to_sms(msg: Msg) -> OutboundSms:
    # SMS cannot carry media: attachment URLs ("image/jpeg:https://...") go in the text.
    text = text_with_attachments(msg.text, msg.attachments)
    return OutboundSms(to=urns.tel_path(msg.urn).lstrip("+"), text=text)


def to_send_result(result: SubmitResult, *, resend_unacknowledged: bool) -> SendResult:
    if result.outcome == "accepted":
        return SendResult(
            ok=True, external_id=result.message_ids[0] if result.message_ids else None, parts=result.parts
        )
    if result.outcome == "unacknowledged":
        return SendResult(
            ok=False,
            retryable=resend_unacknowledged,
            parts=result.parts,
            error=f"{UNKNOWN_PREFIX}: {result.error}; "
            + (
                "sent again (resend_unacknowledged)"
                if resend_unacknowledged
                else "not resent to avoid a duplicate"
            ),
        )
    return SendResult(ok=False, retryable=result.retryable, parts=result.parts, error=result.error)


_PART_FIELDS = ("channel_id", "msg_id", "smsc_id", "part", "stat", "created_on")


def record(
    *, channel_id: int, batch: list[Msg], results: list[SubmitResult], resend_unacknowledged: bool = False
) -> None:
    """Apply submit outcomes through the send service and keep the SMSC ids for receipts."""
    # claim() left each message its channel: no query for it per recorded window
    cached = bool(batch) and Msg.channel.is_cached(batch[0])  # type: ignore[attr-defined]
    channel = batch[0].channel if cached else Channel.objects.get(id=channel_id)
    now = timezone.now()
    parts = [
        (channel_id, msg.id, normalize_id(mid), i, "", now)
        for msg, result in zip(batch, results, strict=True)
        if result.outcome == "accepted"
        for i, mid in enumerate(result.message_ids, start=1)
    ]
    unknown = [m.id for m, r in zip(batch, results, strict=True) if r.outcome == "unacknowledged"]
    sent: list[tuple[Msg, SubmitResult]] = []
    rest: list[tuple[Msg, SubmitResult]] = []
    for pair in zip(batch, results, strict=True):
        (sent if _plainly_sent(*pair) else rest).append(pair)
    with transaction.atomic():
        bulk.copy_rows(SubmittedPart, _PART_FIELDS, parts)
        if sent:
            _record_sent(channel, sent, now)
        if rest:
            send.record_results(
                channel,
                [m for m, _ in rest],
                [to_send_result(r, resend_unacknowledged=resend_unacknowledged) for _, r in rest],
            )
        if unknown:
            _flag_unknown(unknown)


def _plainly_sent(msg: Msg, result: SubmitResult) -> bool:
    """Accepted, on PostgreSQL, with no earlier attempt's part progress in the message: what
    `_record_sent` writes exactly as send.record_results would (almost every SMPP outcome)."""
    return (
        result.outcome == "accepted"
        and connection.vendor == "postgresql"
        and not msg.metadata.get("parts_sent")
    )


def _record_sent(channel: Channel, sent: list[tuple[Msg, SubmitResult]], now: datetime) -> None:
    """send.record_results for accepted submits: the same row changes, status event, realtime
    event and webhooks, without a model instance per event and without its per-field
    preparation (both were most of recording a window)."""
    msgs: list[Msg] = []
    events: list[tuple[Any, ...]] = []
    for msg, result in sent:
        msg.status, msg.external_id, msg.error, msg.parts = (
            MsgStatus.SENT,
            result.message_ids[0] if result.message_ids else None,
            "",
            result.parts,
        )
        msgs.append(msg)
        events.append((msg.id, "status", MsgStatus.SENT.value, "", {"attempt": msg.attempts}, now))
    send._mark_sent(msgs, now, moved=set())
    bulk.copy_rows(MsgEvent, status.EVENT_FIELDS, events)
    realtime.publish_many(channel.workspace_id, [realtime.msg_event(m) for m in msgs])
    webhooks.emit_msg_status(msgs)


def _flag_unknown(msg_ids: list[int]) -> None:
    for msg in Msg.objects.filter(id__in=msg_ids).only("id", "metadata"):
        Msg.objects.filter(id=msg.id).update(metadata={**msg.metadata, "outcome_unknown": True})


def recover_in_flight(*, channel_id: int, resend_unacknowledged: bool = False) -> int:
    """Messages a previous supervisor claimed but never recorded: the unacknowledged rule."""
    batch = list(
        Msg.objects.filter(channel_id=channel_id, direction=Direction.OUT, status=MsgStatus.WIRED).order_by(
            "id"
        )
    )
    if not batch:
        return 0
    lost = SubmitResult("unacknowledged", error="the smsc supervisor stopped before recording the outcome")
    record(
        channel_id=channel_id,
        batch=batch,
        results=[lost] * len(batch),
        resend_unacknowledged=resend_unacknowledged,
    )
    return len(batch)


# ---- inbound -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Part:
    id: int
    smsc_id: str
    msg_id: int
    part: int
    parts: int | None  # the message's part count


@dataclass(frozen=True)
class StoredMo:
    uuid: str
    duplicate: bool


def store_mo(*, channel_id: int, mo: MOMessage) -> StoredMo | None:
    """An MO through the ingest service; None when its sender cannot be a URN (logged, dropped)."""
    channel = Channel.objects.get(id=channel_id)
    sender = mo.source_addr.strip()
    if mo.source_addr_ton == 1 and sender.isdigit():
        sender = "+" + sender
    metadata: dict[str, Any] = {"smpp": {"to": mo.destination_addr, "data_coding": mo.data_coding}}
    if mo.parts > 1 or not mo.complete:
        metadata["smpp"].update(parts=mo.parts, complete=mo.complete)
    try:
        received = ingest.receive(channel=channel, sender=sender, text=mo.text, metadata=metadata)
    except urns.InvalidURN as exc:
        logger.error("smsc: MO from %r on channel %s dropped: %s", mo.source_addr, channel.uuid, exc)
        return None
    return StoredMo(uuid=received.uuid, duplicate=received.duplicate)


def apply_receipts(*, channel_id: int, receipts: list[Receipt]) -> list[bool]:
    """Apply a batch of receipts; returns, per receipt, whether it matched one of our parts.

    Unmatched ones may belong to a submit whose outcome is still being recorded: the caller
    retries them for a few seconds.
    """
    variants = [id_variants(r.message_id) for r in receipts]
    # U+0000 cannot be in a stored id (PostgreSQL text cannot hold it): such an id matches none
    wanted = list({v for vs in variants for v in vs if "\x00" not in v})
    # Plain tuples joined with the message's part count: model instances cost more than the query.
    # The newest part first: an SMSC that reuses ids means the latest submit.
    by_id: dict[str, _Part] = {}
    for row in _parts_with_ids(channel_id, wanted):
        by_id.setdefault(row[1], _Part(*row))
    matched: list[bool] = []
    touched: dict[int, tuple[Receipt, _Part]] = {}
    new_stat: dict[int, str] = {}  # part id -> stat
    for receipt, spellings in zip(receipts, variants, strict=True):
        # Exact spelling first: an id such as "12345" is valid hex and decimal at once.
        found = next((by_id[v] for v in spellings if v in by_id), None)
        matched.append(found is not None)
        if found is None:
            continue
        part = found
        new_stat[part.id] = receipt.stat[:16]
        earlier = touched.get(part.msg_id)
        if receipt.outcome != "other" and not (earlier and earlier[0].outcome == "failed"):
            touched[part.msg_id] = (receipt, part)  # one failed part fails the message
    if not new_stat:
        return matched
    with transaction.atomic():
        _set_stats(new_stat)
        parts_of = {mid: part.parts or 1 for mid, (_, part) in touched.items()}
        multi = [mid for mid, n in parts_of.items() if n > 1]
        stats: dict[int, list[str]] = {}
        if multi:
            for mid, stat in SubmittedPart.objects.filter(msg_id__in=multi).values_list("msg_id", "stat"):
                stats.setdefault(mid, []).append(stat)
        updates: list[status.StatusUpdate] = []
        partial: list[tuple[int, str, dict[str, Any]]] = []  # (msg id, description, data)
        for msg_id, (receipt, part) in touched.items():
            n = parts_of.get(msg_id, 1)
            data = {"id": receipt.message_id, "stat": receipt.stat, "err": receipt.error, "part": part.part}
            if receipt.outcome == "failed":
                error = f"SMSC receipt {receipt.stat}" + (f" err:{receipt.error}" if receipt.error else "")
                updates.append(status.StatusUpdate(msg_id, MsgStatus.FAILED, error, data))
            elif n <= 1 or (len(stats.get(msg_id, [])) >= n and all(s == "DELIVRD" for s in stats[msg_id])):
                updates.append(status.StatusUpdate(msg_id, MsgStatus.DELIVERED, "", data))
            else:
                partial.append((msg_id, f"part {part.part} of {n} delivered", data))
        status.update_statuses(
            updates=updates,
            source="smpp_receipt",
            events=[(mid, "smpp_receipt", "", text, data) for mid, text, data in partial],
        )
    return matched


def _parts_with_ids(channel_id: int, smsc_ids: list[str]) -> list[tuple[Any, ...]]:
    """(part id, smsc id, msg id, part, the message's part count) of these ids, newest first."""
    if connection.vendor != "postgresql":
        return list(
            SubmittedPart.objects.filter(channel_id=channel_id, smsc_id__in=smsc_ids)
            .order_by("-id")
            .values_list("id", "smsc_id", "msg_id", "part", "msg__parts")
        )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.id, p.smsc_id, p.msg_id, p.part, m.parts FROM {_PART} p "
            f"JOIN {_MSG} m ON m.id = p.msg_id "
            "WHERE p.channel_id = %s AND p.smsc_id = ANY(%s::text[]) ORDER BY p.id DESC",
            [channel_id, bulk.array_literal(smsc_ids)],
        )
        return cursor.fetchall()


def _set_stats(new_stat: dict[int, str]) -> None:
    """Each part's latest receipt stat (part id -> stat)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {_PART} AS p SET stat = v.stat "
                "FROM unnest(%s::bigint[], %s::text[]) AS v(id, stat) WHERE p.id = v.id",
                [bulk.array_literal(list(new_stat)), bulk.array_literal(list(new_stat.values()))],
            )
        return
    by_stat: dict[str, list[int]] = {}
    for part_id, stat in new_stat.items():
        by_stat.setdefault(stat, []).append(part_id)
    for stat, ids in by_stat.items():
        SubmittedPart.objects.filter(id__in=ids).update(stat=stat)
