"""Results exports of large flows, written to a file by a background job with progress.

The job walks the flow's runs by id in batches (a keyset, so a batch costs the same at run
100 as at run 1,000,000) up to the last run that existed when it started, so the file is one
consistent snapshot; `processed` is committed after each batch for the progress bar. CSV is
streamed to disk; XLSX uses openpyxl's write-only mode, whose memory does not grow with rows.
The file is written under a temporary name and renamed, so a download never sees half a file.
"""

from __future__ import annotations

import asyncio
import csv
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from channels_app.models import Workspace
from flows import wakes
from flows.models import Flow, FlowRun, ResultsExport
from flows.services.results import header, result_names, run_row

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
EXPORT_DIR = "exports"
CONTENT_TYPES: dict[str, str] = {
    ResultsExport.Format.CSV: "text/csv",
    ResultsExport.Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ExportError(ValueError):
    pass


def create_export(*, workspace: Workspace, flow: Flow, format: str) -> ResultsExport:
    """Record the export and start its job once the row is committed."""
    if format not in ResultsExport.Format.values:
        raise ExportError("format must be csv or xlsx")
    export = ResultsExport.objects.create(
        workspace=workspace, flow=flow, format=format, total=FlowRun.objects.filter(flow=flow).count()
    )
    wakes.export_results(export.id)
    return export


def _var_dir() -> Path:
    return Path(settings.VAR_DIR).resolve()


def file_path(export: ResultsExport) -> Path | None:
    """The finished file, or None (not done yet, or the path points outside the var dir)."""
    if export.status != ResultsExport.Status.COMPLETED or not export.path:
        return None
    path = (_var_dir() / export.path).resolve()
    if not path.is_relative_to(_var_dir()) or not path.is_file():
        return None
    return path


async def read_chunks(path: Path, size: int = 256 * 1024) -> AsyncIterator[bytes]:
    """The file in chunks, read off the event loop."""
    with path.open("rb") as f:
        while chunk := await asyncio.to_thread(f.read, size):
            yield chunk


def download_name(export: ResultsExport) -> str:
    safe = "".join(c if c.isalnum() or c in "-_ " else "_" for c in export.flow.name).strip() or "flow"
    return f"{safe}-results.{export.format}"


def export_payload(export: ResultsExport) -> dict[str, Any]:
    done = export.status == ResultsExport.Status.COMPLETED
    return {
        "uuid": str(export.uuid),
        "flow": {"uuid": str(export.flow.uuid), "name": export.flow.name},
        "format": export.format,
        "status": export.status,
        "progress": export.progress,
        "total": export.total,
        "processed": export.processed,
        "error": export.error,
        "url": f"/api/v1/flows/exports/{export.uuid}/download" if done else None,
        "created_on": export.created_on,
        "completed_on": export.completed_on,
    }


def _batches(flow: Flow, last_id: int, batch_size: int) -> Iterator[list[FlowRun]]:
    cursor = 0
    while True:
        batch = list(
            FlowRun.objects.filter(flow=flow, id__gt=cursor, id__lte=last_id)
            .select_related("contact")
            .prefetch_related("contact__urns")
            .order_by("id")[:batch_size]
        )
        if not batch:
            return
        yield batch
        cursor = batch[-1].id


class _CsvWriter:
    def __init__(self, path: Path) -> None:
        self._file = path.open("w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._file)

    def write(self, row: list[Any]) -> None:
        self._writer.writerow(row)

    def close(self) -> None:
        self._file.close()


class _XlsxWriter:
    def __init__(self, path: Path) -> None:
        from openpyxl import Workbook
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        self._path = path
        self._illegal = ILLEGAL_CHARACTERS_RE
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet("Runs")

    def write(self, row: list[Any]) -> None:
        # contacts type control characters that openpyxl refuses to store
        self._sheet.append([self._illegal.sub("", v) if isinstance(v, str) else v for v in row])

    def close(self) -> None:
        self._book.save(self._path)


def run_export(
    *,
    export_id: int,
    batch_size: int = BATCH_SIZE,
    on_batch: Callable[[ResultsExport], None] | None = None,
) -> ResultsExport | None:
    """Write the file; `on_batch` sees the export after each committed batch (progress hooks)."""
    claimed = ResultsExport.objects.filter(id=export_id, status=ResultsExport.Status.PENDING).update(
        status=ResultsExport.Status.RUNNING, modified_on=timezone.now()
    )
    if not claimed:
        return None  # a duplicate wake-up, or already done
    export = ResultsExport.objects.select_related("flow", "workspace").get(id=export_id)
    flow = export.flow
    relative = Path(EXPORT_DIR) / str(export.workspace.uuid) / f"{export.uuid}.{export.format}"
    final = _var_dir() / relative
    final.parent.mkdir(parents=True, exist_ok=True)
    temp = final.with_name(final.name + ".part")
    try:
        last_id = FlowRun.objects.filter(flow=flow).aggregate(m=Max("id"))["m"] or 0
        export.total = FlowRun.objects.filter(flow=flow, id__lte=last_id).count()
        export.processed = 0
        export.save(update_fields=["total", "processed", "modified_on"])
        names = result_names(flow)
        writer = _XlsxWriter(temp) if export.format == ResultsExport.Format.XLSX else _CsvWriter(temp)
        try:
            writer.write(header(names))
            for batch in _batches(flow, last_id, batch_size):
                for run in batch:
                    writer.write(run_row(run, names))
                export.processed += len(batch)
                export.save(update_fields=["processed", "modified_on"])
                if on_batch is not None:
                    on_batch(export)
        finally:
            writer.close()
        os.replace(temp, final)
    except Exception as exc:
        logger.exception("results export %s failed", export.uuid)
        temp.unlink(missing_ok=True)
        export.status, export.error = ResultsExport.Status.FAILED, f"the export failed: {type(exc).__name__}"
        export.save(update_fields=["status", "error", "modified_on"])
        return export
    export.status, export.path, export.completed_on = (
        ResultsExport.Status.COMPLETED,
        str(relative),
        timezone.now(),
    )
    export.save(update_fields=["status", "path", "completed_on", "modified_on"])
    return export
