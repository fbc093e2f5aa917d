"""Flow starts: resolve the recipients into batches once, then workers run batches in parallel.

Resolution streams contact ids from the database (never the whole list in memory) into batch
rows; progress is the count of contacts in finished batches, so a 100,000-contact start shows a
moving bar and survives a worker restart (unfinished batches are simply claimed again).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from channels_app import urns
from channels_app.models import Contact, Workspace
from channels_app.services.ingest import get_or_create_contact
from flows import wakes
from flows.models import Flow, FlowRun, FlowSession, FlowStart, FlowStartBatch, SessionStatus
from flows.services import paced_starts
from flows.services.sessions import FlowRunner

logger = logging.getLogger(__name__)

RECENT_DAYS = 90
PARALLEL_BATCH_JOBS = 4


class StartError(ValueError):
    pass


def batch_size() -> int:
    return int(getattr(settings, "FLOWGATE_FLOW_START_BATCH", 500))


def create_flow_start(
    *,
    workspace: Workspace,
    flow: Flow,
    contact_uuids: list[str] | None = None,
    group_uuids: list[str] | None = None,
    urns: list[str] | None = None,
    exclude_in_flow: bool = False,
    exclude_started_recently: bool = False,
    params: dict[str, Any] | None = None,
    idempotency_key: str = "",
    send_at: dt.datetime | None = None,
    spread_over_minutes: int = 0,
) -> FlowStart:
    """Record the start; a job resolves and runs it after commit.

    With an `idempotency_key` already used in the workspace the earlier start is returned (its
    `replayed` attribute set) and nothing is started again; the same key for a different start
    raises StartConflict.
    """
    if flow.archived:
        raise StartError("the flow is archived")
    if not (contact_uuids or group_uuids or urns):
        raise StartError("give contacts, groups or urns to start")
    key = (idempotency_key or "").strip()
    if len(key) > 64:
        raise StartError("the idempotency key has at most 64 characters")
    if not 0 <= spread_over_minutes <= 7 * 24 * 60:
        raise StartError("spread_over_minutes is 0 to 10080 (a week)")
    if send_at is not None and timezone.is_naive(send_at):
        raise StartError("send_at needs a time zone (e.g. 2026-12-06T09:00:00Z)")
    fields = {
        "flow": flow,
        "contact_uuids": list(contact_uuids or []),
        "group_uuids": list(group_uuids or []),
        "urns": list(urns or []),
        "exclude_in_flow": exclude_in_flow,
        "exclude_started_recently": exclude_started_recently,
        "params": params or {},
        "send_at": send_at,
        "spread_over_minutes": spread_over_minutes,
    }
    if key and (earlier := _replay(workspace, key, fields)) is not None:
        return earlier
    try:
        with transaction.atomic():
            start = FlowStart.objects.create(workspace=workspace, idempotency_key=key, **fields)
    except IntegrityError:
        # the same key raced us (a double click hitting two web processes): theirs won
        earlier = _replay(workspace, key, fields)
        if earlier is None:
            raise
        return earlier
    wakes.prepare_start(start.id)
    start.replayed = False  # type: ignore[attr-defined]
    return start


class StartConflict(StartError):
    """The idempotency key was used for a different start."""


def _replay(workspace: Workspace, key: str, fields: dict[str, Any]) -> FlowStart | None:
    earlier = (
        FlowStart.objects.filter(workspace=workspace, idempotency_key=key).select_related("flow").first()
    )
    if earlier is None:
        return None
    same = earlier.flow_id == fields["flow"].id and all(
        getattr(earlier, name) == value for name, value in fields.items() if name != "flow"
    )
    if not same:
        raise StartConflict("this idempotency key was already used for a different flow start")
    earlier.replayed = True  # type: ignore[attr-defined]
    return earlier


def _urn_contact_ids(start: FlowStart) -> list[int]:
    country = start.workspace.channels.exclude(country="").values_list("country", flat=True).first() or ""
    ids = []
    for raw in start.urns:
        try:
            identity = urns.normalize(raw, country)
        except urns.InvalidURN:
            continue
        contact, _ = get_or_create_contact(workspace_id=start.workspace_id, identity=identity)
        ids.append(contact.id)
    return ids


def recipients(start: FlowStart) -> Iterator[int]:
    """Ids of the contacts to start, in id order, streamed from the database."""
    match = Q()
    if start.contact_uuids:
        match |= Q(uuid__in=start.contact_uuids)
    if start.group_uuids:
        match |= Q(groups__uuid__in=start.group_uuids)
    if start.urns:
        match |= Q(id__in=_urn_contact_ids(start))
    qs = Contact.objects.filter(match, workspace_id=start.workspace_id, status=Contact.Status.ACTIVE)
    if start.exclude_in_flow:
        qs = qs.exclude(
            id__in=FlowSession.objects.filter(
                workspace_id=start.workspace_id, status=SessionStatus.WAITING
            ).values("contact_id")
        )
    if start.exclude_started_recently:
        since = timezone.now() - dt.timedelta(days=RECENT_DAYS)
        qs = qs.exclude(
            id__in=FlowRun.objects.filter(flow=start.flow, created_on__gte=since).values("contact_id")
        )
    if start.group_uuids:
        qs = qs.distinct()
    yield from qs.order_by("id").values_list("id", flat=True).iterator(chunk_size=5000)


def prepare_start(*, start_id: int) -> int:
    """Split the start's recipients into batches and wake batch workers; returns the total."""
    with transaction.atomic():
        start = FlowStart.objects.select_for_update().select_related("workspace", "flow").get(id=start_id)
        if start.status != FlowStart.Status.PENDING:
            return start.total
        if paced_starts.is_paced(start):  # scheduled rows instead of batches (issue 20)
            return paced_starts.prepare(start=start)
        size = batch_size()
        total = 0
        pending: list[FlowStartBatch] = []
        chunk: list[int] = []
        for contact_id in recipients(start):
            chunk.append(contact_id)
            if len(chunk) == size:
                pending.append(FlowStartBatch(start=start, contact_ids=chunk))
                total += len(chunk)
                chunk = []
                if len(pending) == 50:
                    FlowStartBatch.objects.bulk_create(pending)
                    pending = []
        if chunk:
            pending.append(FlowStartBatch(start=start, contact_ids=chunk))
            total += len(chunk)
        FlowStartBatch.objects.bulk_create(pending)
        start.total = total
        start.status = FlowStart.Status.STARTING if total else FlowStart.Status.COMPLETED
        start.save(update_fields=["total", "status", "modified_on"])
        if total:
            batches = -(-total // size)
            for _ in range(min(batches, PARALLEL_BATCH_JOBS)):
                wakes.run_start_batches(start.id)
    return total


def _claim_batch(start_id: int) -> FlowStartBatch | None:
    return (
        FlowStartBatch.objects.select_for_update(skip_locked=True)
        .filter(start_id=start_id, done=False)
        .order_by("id")
        .first()
    )


def run_start_batches(*, start_id: int, max_batches: int | None = None) -> int:
    """Claim and run batches until none is left; returns the contacts started here."""
    start = FlowStart.objects.select_related("workspace", "flow").get(id=start_id)
    runner = FlowRunner.for_workspace(start.workspace_id)
    started = 0
    ran = 0
    while max_batches is None or ran < max_batches:
        with transaction.atomic():
            batch = _claim_batch(start_id)
            if batch is None:
                break
            started += run_batch(start=start, batch=batch, runner=runner)
            ran += 1
    _maybe_complete(start_id)
    return started


def run_batch(*, start: FlowStart, batch: FlowStartBatch, runner: FlowRunner) -> int:
    contacts = (
        Contact.objects.filter(id__in=batch.contact_ids, status=Contact.Status.ACTIVE)
        .prefetch_related("urns", "groups")
        .order_by("id")
    )
    trigger: dict[str, Any] = {"type": "manual"}
    if start.params:
        trigger["params"] = start.params
    waiting = set(
        FlowSession.objects.filter(
            contact_id__in=batch.contact_ids, status=SessionStatus.WAITING
        ).values_list("contact_id", flat=True)
    )
    started = 0
    for contact in contacts:
        try:
            with transaction.atomic():
                runner.start(
                    contact=contact, flow=start.flow, trigger=trigger, may_be_waiting=contact.id in waiting
                )
            started += 1
        except Exception:
            # one contact's failure (bad data, a flow bug) must not stall the other 99,999
            logger.exception("flow start %s failed for contact %s", start.uuid, contact.id)
    batch.done = True
    batch.save(update_fields=["done"])
    FlowStart.objects.filter(id=start.id).update(
        processed=F("processed") + len(batch.contact_ids),
        started=F("started") + started,
        modified_on=timezone.now(),
    )
    return started


def _maybe_complete(start_id: int) -> None:
    if not FlowStartBatch.objects.filter(start_id=start_id, done=False).exists():
        FlowStart.objects.filter(id=start_id, status=FlowStart.Status.STARTING).update(
            status=FlowStart.Status.COMPLETED, modified_on=timezone.now()
        )


def start_payload(start: FlowStart) -> dict[str, Any]:
    progress = 100.0 if start.status == FlowStart.Status.COMPLETED else 0.0
    if start.total and start.status != FlowStart.Status.COMPLETED:
        progress = round(100.0 * start.processed / start.total, 1)
    return {
        "uuid": str(start.uuid),
        "flow": {"uuid": str(start.flow.uuid), "name": start.flow.name},
        "status": start.status,
        "total": start.total,
        "processed": start.processed,
        "started": start.started,
        "progress": progress,
        "exclude_in_flow": start.exclude_in_flow,
        "exclude_started_recently": start.exclude_started_recently,
        "idempotency_key": start.idempotency_key or None,
        "send_at": start.send_at,
        "spread_over_minutes": start.spread_over_minutes,
        **({"pacing": paced_starts.progress(start)} if paced_starts.is_paced(start) else {}),
        "created_on": start.created_on,
        "modified_on": start.modified_on,
    }
