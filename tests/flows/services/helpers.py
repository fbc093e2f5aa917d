"""Seeding many runs quickly (bulk inserts) and a few flow definitions built in code."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.utils import timezone

from channels_app.models import Contact, ContactURN
from flows.models import Flow, FlowRun, FlowSession


def seed_runs(*, flow: Flow, count: int) -> list[FlowRun]:
    """`count` completed runs of `flow`, one contact each, answers Name="Person <i>", Age=<i>."""
    ws = flow.workspace
    now = timezone.now()
    contacts = Contact.objects.bulk_create(
        [Contact(workspace=ws, name=f"Person {i}") for i in range(count)], batch_size=1000
    )
    if contacts[0].pk is None:  # backends that don't return ids from bulk inserts
        contacts = list(Contact.objects.filter(workspace=ws).order_by("id"))[-count:]
    ContactURN.objects.bulk_create(
        [
            ContactURN(
                workspace=ws,
                contact=c,
                scheme="tel",
                path=f"+25078{i:07d}",
                identity=f"tel:+25078{i:07d}",
            )
            for i, c in enumerate(contacts)
        ],
        batch_size=1000,
    )
    sessions = FlowSession.objects.bulk_create(
        [FlowSession(workspace=ws, contact=c, status="completed", output={}) for c in contacts],
        batch_size=1000,
    )
    runs = []
    for i, (c, s) in enumerate(zip(contacts, sessions, strict=True)):
        created = now - dt.timedelta(minutes=count - i)
        runs.append(
            FlowRun(
                uuid=uuid.uuid4(),
                workspace=ws,
                flow=flow,
                contact=c,
                session=s,
                status="completed",
                results={
                    "name": {
                        "name": "Name",
                        "value": f"Person {i}",
                        "category": "Has Text",
                        "input": f"Person {i}",
                    },
                    "age": {"name": "Age", "value": str(i), "category": "Valid", "input": f"{i} years"},
                },
                responded=True,
                created_on=created,
                modified_on=created,
                exited_on=created,
            )
        )
    return FlowRun.objects.bulk_create(runs, batch_size=1000)


def node(actions: list[dict[str, Any]], dest: str | None = None) -> dict[str, Any]:
    return {
        "uuid": str(uuid.uuid4()),
        "actions": [{"uuid": str(uuid.uuid4()), **a} for a in actions],
        "exits": [{"uuid": str(uuid.uuid4()), "destination_uuid": dest}],
    }


def flow_def(flow_uuid: str, name: str, nodes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "uuid": flow_uuid,
        "name": name,
        "spec_version": "13.1.0",
        "language": "eng",
        "type": "messaging",
        "nodes": nodes,
    }


def export_of(*flows: dict[str, Any], triggers: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"version": "13", "flows": list(flows), "fields": [], "groups": [], "triggers": triggers or []}
