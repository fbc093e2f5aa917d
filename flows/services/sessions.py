"""Running the engine for stored contacts and persisting what a sprint did.

Every start/resume goes through `apply_sprint`: the session row, the run rows (results), the
contact changes and the outbound messages are written in the caller's transaction, so a sprint is
either fully recorded or not at all.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

from django.utils import timezone

from channels_app.models import Contact, ContactURN, Msg, Workspace
from channels_app.services import append_rows
from channels_app.services.routing import ChannelPool
from channels_app.services.send import SendError, build_message, queue_messages
from flows.engine import Engine, ResumeError, Sprint
from flows.models import Flow, FlowRun, FlowSession, SessionStatus, Ticket, TicketStatus
from flows.services import workspace_snapshot
from flows.services.assets import build_assets, contact_json, environment_for, field_types, make_engine
from flows.services.event_appliers import apply_events
from flows.services.service_actions import (
    open_tickets_json,
)
from flows.services.workspace_snapshot import WorkspaceSnapshot

logger = logging.getLogger(__name__)


def parse_time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def interrupt_waiting(*, contact: Contact) -> int:
    """End the contact's waiting session (a new flow is starting for them)."""
    now = timezone.now()
    sessions = list(
        FlowSession.objects.select_for_update().filter(contact=contact, status=SessionStatus.WAITING)
    )
    for s in sessions:
        s.status, s.ended_on, s.timeout_on, s.expires_on = SessionStatus.INTERRUPTED, now, None, None
        s.save(update_fields=["status", "ended_on", "timeout_on", "expires_on", "modified_on"])
        FlowRun.objects.filter(session=s, status__in=["active", "waiting"]).update(
            status="interrupted", exited_on=now, modified_on=now
        )
    return len(sessions)


class FlowRunner:
    """One engine + assets per workspace for a batch of starts/resumes (assets loaded once)."""

    def __init__(
        self,
        *,
        workspace: Workspace,
        engine: Engine | None = None,
        buffered: bool = False,
        snapshot: WorkspaceSnapshot | None = None,
    ) -> None:
        """`snapshot`: the workspace's assets, engine and flows as this process keeps them
        between batches (`for_workspace`); without it they are loaded for this runner."""
        self.workspace = workspace
        # contacts' open tickets are looked up only in workspaces that have some (one open
        # ticket per contact: open_ticket needs to know)
        self._tickets = Ticket.objects.filter(workspace=workspace, status=TicketStatus.OPEN).exists()
        self._pool: ChannelPool | None = None
        self._flows: dict[str, Flow | None] = {}
        if snapshot is not None:
            self.engine = engine or snapshot.engine
            self.environment, self.field_types = snapshot.environment, snapshot.field_types
            self._flows = snapshot.flows
            self._pool = ChannelPool(workspace.id, channels=snapshot.channels)
        else:
            self.engine = engine or make_engine(build_assets(workspace=workspace), workspace=workspace)
            self.environment = environment_for(workspace=workspace)
            self.field_types = field_types(workspace_id=workspace.id)
        # URN identities whose channel a flow chose in the sprint being applied
        self._affinity_set: set[str] = set()
        # Buffered (batch handling): new sessions, their runs and outbound messages are kept
        # here and written by flush() in bulk. Callers flush before touching a contact again.
        self.buffered = buffered
        self._new_sessions: list[FlowSession] = []
        self._new_runs: list[FlowRun] = []
        self._outbox: list[Msg] = []
        self._completed: list[tuple[FlowSession, list[FlowRun]]] = []

    @classmethod
    def for_workspace(cls, workspace_id: int, *, buffered: bool = False) -> FlowRunner:
        """A runner on the process's current snapshot of the workspace (no asset queries when
        nothing changed since the last batch)."""
        snap = workspace_snapshot.snapshot(workspace_id)
        return cls(workspace=snap.workspace, buffered=buffered, snapshot=snap)

    def flush(self) -> None:
        """Write what buffered sprints produced: a few bulk INSERTs for the whole batch."""
        if self._new_sessions:
            append_rows.insert(self._new_sessions, with_ids=True)  # runs refer to them
        if self._new_runs:
            # runs are not read back by id in this batch: COPY, no ids returned (append_rows)
            append_rows.insert(self._new_runs)
        queue_messages(self._outbox)
        if self._completed:
            emit_completed_many(workspace=self.workspace, completed=self._completed)
        self._new_sessions, self._new_runs, self._outbox, self._completed = [], [], [], []

    # -------------------------------------------------------------------------------- entry points

    def start(
        self,
        *,
        contact: Contact,
        flow: Flow,
        trigger: dict[str, Any] | None = None,
        inbound: Msg | None = None,
        may_be_waiting: bool = True,
    ) -> Sprint:
        """Start `flow` for `contact`; batch callers that know the contact isn't waiting pass
        may_be_waiting=False to save a query per contact."""
        if may_be_waiting:
            interrupt_waiting(contact=contact)
        trig = dict(trigger or {"type": "manual"})
        trig["flow"] = {"uuid": str(flow.uuid), "name": flow.name}
        if inbound is not None and trig.get("type") == "msg":
            trig["event"] = msg_event(inbound)
        sprint = self.engine.start(self._contact_json(contact), trig, self.environment)
        self.apply(contact=contact, sprint=sprint, session_row=None, inbound=inbound)
        return sprint

    def resume(
        self, *, session_row: FlowSession, resume: dict[str, Any], inbound: Msg | None = None
    ) -> Sprint | None:
        contact = session_row.contact
        output = dict(session_row.output)
        # the contact may have changed outside the flow (API, another channel): use the stored row
        output["contact"] = self._contact_json(contact)
        try:
            sprint = self.engine.resume(output, resume)
        except ResumeError as exc:
            logger.warning("session %s could not be resumed: %s", session_row.uuid, exc)
            session_row.status, session_row.ended_on = SessionStatus.FAILED, timezone.now()
            session_row.timeout_on = session_row.expires_on = None
            session_row.save()
            return None
        expired = resume.get("type") in ("wait_expiration", "run_expiration")
        self.apply(contact=contact, sprint=sprint, session_row=session_row, inbound=inbound, expired=expired)
        return sprint

    def _contact_json(self, contact: Contact) -> dict[str, Any]:
        data = contact_json(contact, self.field_types)
        if self._tickets:
            data["tickets"] = open_tickets_json(contact=contact)
        return data

    # -------------------------------------------------------------------------------- persistence

    def apply(
        self,
        *,
        contact: Contact,
        sprint: Sprint,
        session_row: FlowSession | None,
        inbound: Msg | None,
        expired: bool = False,
    ) -> FlowSession:
        session = sprint.session
        data = session.to_json()
        wait = session.wait or {}
        status = sprint.status if sprint.status in SessionStatus.values else SessionStatus.COMPLETED
        if expired and status == SessionStatus.COMPLETED:
            status = SessionStatus.EXPIRED
        now = timezone.now()
        active = session.active_run()
        new = session_row is None
        if session_row is None:
            session_row = FlowSession(uuid=session.uuid, workspace=self.workspace, contact=contact)
        session_row.status = status
        session_row.output = data
        session_row.current_flow = self.flow(active.flow["uuid"]) if active else None
        session_row.timeout_on = parse_time(wait.get("timeout_on")) if status == "waiting" else None
        session_row.expires_on = parse_time(wait.get("expires_on")) if status == "waiting" else None
        session_row.ended_on = None if status == "waiting" else now
        if new and self.buffered:
            self._new_sessions.append(session_row)
        else:
            session_row.save()
        self._save_runs(
            contact=contact, session_row=session_row, runs=data.get("runs") or [], inbound=inbound, new=new
        )
        apply_events(runner=self, contact=contact, events=sprint.events, inbound=inbound, session=data)
        return session_row

    def flow(self, uuid: str) -> Flow | None:
        if uuid not in self._flows:
            self._flows[uuid] = Flow.objects.filter(workspace=self.workspace, uuid=uuid).first()
        return self._flows[uuid]

    def _save_runs(
        self,
        *,
        contact: Contact,
        session_row: FlowSession,
        runs: list[dict[str, Any]],
        inbound: Msg | None,
        new: bool,
    ) -> None:
        existing = {} if new else {str(r.uuid): r for r in FlowRun.objects.filter(session=session_row)}
        now = timezone.now()
        completed: list[FlowRun] = []
        for r in runs:
            flow = self.flow(r["flow"]["uuid"])
            if flow is None:
                continue
            results = r.get("results") or {}
            row = existing.get(r["uuid"])
            was = ""
            if row is None:
                row = FlowRun(
                    uuid=r["uuid"],
                    workspace=self.workspace,
                    flow=flow,
                    contact=contact,
                    session=session_row,
                    created_on=parse_time(r.get("created_on")) or now,
                )
            elif row.status == r.get("status") and row.results == results:
                continue
            else:
                was = row.status
            row.status = r.get("status", "active")
            row.results = results
            row.responded = row.responded or any(v.get("input") for v in results.values() if inbound)
            row.modified_on = parse_time(r.get("modified_on")) or now
            row.exited_on = parse_time(r.get("exited_on"))
            if new and self.buffered:
                self._new_runs.append(row)
            else:
                row.save()
            if row.status == "completed" and was != "completed":
                completed.append(row)
        if completed and new and self.buffered:
            self._completed.append((session_row, completed))
        elif completed:
            emit_completed(workspace=self.workspace, runs=completed, session_row=session_row)

    @property
    def pool(self) -> ChannelPool:
        """The workspace's active channels, loaded once for this runner's sprints."""
        if self._pool is None:
            self._pool = ChannelPool(self.workspace.id)
        return self._pool

    def _queue_msg(self, *, contact: Contact, msg: dict[str, Any], inbound: Msg | None) -> None:
        # The engine's channel pick is ignored: it only knows "the first channel of the scheme".
        # The selection rules (reply, affinity, country, scheme) choose the channel here.
        urn = (msg.get("urn") or "").split("?")[0]
        if not urn:
            return  # the contact has no URN a channel can send to
        metadata: dict[str, Any] = {"source": "flow"}
        if msg.get("quick_replies"):
            metadata["quick_replies"] = msg["quick_replies"]
        try:
            built = build_message(
                workspace_id=self.workspace.id,
                to=urn,
                text=msg.get("text") or "",
                attachments=msg.get("attachments") or None,
                response_to=inbound,
                metadata=metadata,
                # the sender's URN when the batch loaded it (saves a lookup per reply)
                # (not when this sprint changed its affinity: the loaded row is stale then)
                contact_urn=inbound.contact_urn
                if inbound is not None and _urn_loaded(inbound) and urn not in self._affinity_set
                else None,
                pool=self.pool,
                affinity_first=urn in self._affinity_set,
            )
        except SendError as exc:
            logger.warning("flow message to %s not queued: %s", urn, exc)
            return
        if self.buffered:
            self._outbox.append(built)
        else:
            queue_messages([built])


def _urn_loaded(msg: Msg) -> bool:
    if not Msg.contact_urn.is_cached(msg) or msg.contact_urn is None:
        return False
    return ContactURN.contact.is_cached(msg.contact_urn)


def emit_completed(*, workspace: Workspace, runs: list[FlowRun], session_row: FlowSession) -> int:
    """`flow.completed` webhook events, written in the sprint's transaction (so iff it commits)."""
    return emit_completed_many(workspace=workspace, completed=[(session_row, runs)])


def emit_completed_many(*, workspace: Workspace, completed: list[tuple[FlowSession, list[FlowRun]]]) -> int:
    """emit_completed for many sessions: one subscription lookup for a whole batch."""
    from channels_app.services import webhooks

    def items() -> Iterator[dict[str, Any]]:
        # a generator: emit_many only builds payloads when some subscription wants the event
        for session_row, runs in completed:
            contact = session_row.contact
            urn = contact.urns.first()
            for run in runs:
                yield {
                    "run": str(run.uuid),
                    "session": str(session_row.uuid),
                    "flow": {"uuid": str(run.flow.uuid), "name": run.flow.name},
                    "contact": {
                        "uuid": str(contact.uuid),
                        "name": contact.name,
                        "urn": urn.identity if urn else None,
                    },
                    "status": run.status,
                    "responded": run.responded,
                    "results": run.results,
                    "created_on": run.created_on,
                    "exited_on": run.exited_on,
                }

    return webhooks.emit_many(workspace_id=workspace.id, event=webhooks.FLOW_COMPLETED, items=items())


def msg_event(msg: Msg) -> dict[str, Any]:
    created = msg.created_on.isoformat().replace("+00:00", "Z")
    return {
        "type": "msg_received",
        "created_on": created,
        "msg": {
            "uuid": str(msg.uuid),
            "text": msg.text,
            "urn": msg.urn,
            "channel": {"uuid": str(msg.channel.uuid), "name": msg.channel.name},
            "attachments": list(msg.attachments or []),
        },
    }


def msg_resume(msg: Msg) -> dict[str, Any]:
    event = msg_event(msg)
    return {"type": "msg", "resumed_on": event["created_on"], "event": event}
