"""Flow results: the run list for the API and CSV/XLSX exports (one row per run).

Exports stream rows from the database in chunks so a flow with a million runs doesn't load
them all at once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from flows.engine.definition import snakify
from flows.models import Flow, FlowRun

BASE_COLUMNS = ["Contact UUID", "URN", "Name", "Status", "Started", "Modified", "Exited"]


def result_names(flow: Flow) -> list[tuple[str, str]]:
    """(key, name) of every result the flow saves, in node order."""
    seen: dict[str, str] = {}
    for node in flow.definition.get("nodes") or []:
        router = node.get("router") or {}
        if router.get("result_name"):
            seen.setdefault(snakify(router["result_name"]), router["result_name"])
        for action in node.get("actions") or []:
            name = action.get("result_name") or (
                action.get("name") if action.get("type") == "set_run_result" else None
            )
            if name:
                seen.setdefault(snakify(name), name)
    return list(seen.items())


def run_payload(run: FlowRun) -> dict[str, Any]:
    urns = list(run.contact.urns.all())
    return {
        "uuid": str(run.uuid),
        "flow": {"uuid": str(run.flow.uuid), "name": run.flow.name},
        "contact": {
            "uuid": str(run.contact.uuid),
            "name": run.contact.name,
            "urn": urns[0].identity if urns else None,
        },
        "status": run.status,
        "responded": run.responded,
        "results": run.results,
        "created_on": run.created_on,
        "modified_on": run.modified_on,
        "exited_on": run.exited_on,
    }


def header(names: list[tuple[str, str]]) -> list[str]:
    out = list(BASE_COLUMNS)
    for _, name in names:
        out += [f"{name} (Category)", f"{name} (Value)", f"{name} (Text)"]
    return out


def run_row(run: FlowRun, names: list[tuple[str, str]]) -> list[Any]:
    """One export row; the run's contact and its URNs should be prefetched."""
    urns = list(run.contact.urns.all())
    row: list[Any] = [
        str(run.contact.uuid),
        urns[0].identity if urns else "",
        run.contact.name,
        run.status,
        run.created_on.isoformat(),
        run.modified_on.isoformat(),
        run.exited_on.isoformat() if run.exited_on else "",
    ]
    for key, _ in names:
        res = run.results.get(key) or {}
        row += [res.get("category", ""), res.get("value", ""), res.get("input", "")]
    return row


def rows(flow: Flow) -> Iterator[list[Any]]:
    names = result_names(flow)
    yield header(names)
    qs = (
        FlowRun.objects.filter(flow=flow)
        .select_related("contact")
        .prefetch_related("contact__urns")
        .order_by("id")
    )
    for run in qs.iterator(chunk_size=1000):
        yield run_row(run, names)


def export_csv(flow: Flow) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    for row in rows(flow):
        writer.writerow(row)
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()


def export_xlsx(flow: Flow) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Runs")
    for row in rows(flow):
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
