"""Results exports as a background job: progress from 0 to 100, then a file that reads back right."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from openpyxl import load_workbook

from flows.models import Flow, ResultsExport
from flows.services import exports
from tests.conftest import run_jobs
from tests.flows.conftest import SURVEY, post_json

from .helpers import seed_runs

RUNS = 3000
HEADER = [
    "Contact UUID", "URN", "Name", "Status", "Started", "Modified", "Exited",
    "Name (Category)", "Name (Value)", "Name (Text)", "Age (Category)", "Age (Value)", "Age (Text)",
]  # fmt: skip


def _download(api: Any, url: str) -> bytes:
    response = api.get(url)
    assert response.status_code == 200
    return _content(response)


def _content(response: Any) -> bytes:
    return async_to_sync(_join)(response.streaming_content)


async def _join(chunks: Any) -> bytes:
    return b"".join([c async for c in chunks])


@pytest.fixture
def survey(imported: dict[str, Any], workspace: Any) -> Flow:
    flow = Flow.objects.get(workspace=workspace, uuid=SURVEY)
    seed_runs(flow=flow, count=RUNS)
    return flow


def test_csv_export_job_reports_progress_and_writes_every_run(api: Any, survey: Flow) -> None:
    response = post_json(api, f"/api/v1/flows/{SURVEY}/results/export", {"format": "csv"})
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "pending" and body["progress"] == 0 and body["url"] is None
    polled = api.get(f"/api/v1/flows/exports/{body['uuid']}").json()
    assert polled["progress"] == 0 and polled["total"] == RUNS
    assert api.get(f"/api/v1/flows/exports/{body['uuid']}/download").status_code == 409

    run_jobs()

    done = api.get(f"/api/v1/flows/exports/{body['uuid']}").json()
    assert done["status"] == "completed", done
    assert done["progress"] == 100 and done["processed"] == RUNS
    assert done["url"] == f"/api/v1/flows/exports/{body['uuid']}/download"
    response = api.get(done["url"])
    assert response["Content-Disposition"].startswith('attachment; filename="Two Questions-results.csv"')
    rows = list(csv.reader(io.StringIO(_content(response).decode())))
    assert rows[0] == HEADER
    assert len(rows) == RUNS + 1
    first, last = rows[1], rows[-1]
    assert first[1:4] == ["tel:+250780000000", "Person 0", "completed"]
    assert first[7:] == ["Has Text", "Person 0", "Person 0", "Valid", "0", "0 years"]
    assert last[2] == f"Person {RUNS - 1}" and last[11] == str(RUNS - 1)
    assert len({r[0] for r in rows[1:]}) == RUNS  # one row per run, no batch written twice


def test_xlsx_export_progress_climbs_batch_by_batch(workspace: Any, survey: Flow, api: Any) -> None:
    export = exports.create_export(workspace=workspace, flow=survey, format="xlsx")
    seen: list[int] = []

    def observe(_: ResultsExport) -> None:
        # what a poller sees: the committed row, not the job's in-memory object
        seen.append(ResultsExport.objects.get(id=export.id).progress)

    assert ResultsExport.objects.get(id=export.id).progress == 0
    exports.run_export(export_id=export.id, batch_size=500, on_batch=observe)
    assert seen == [16, 33, 50, 66, 83, 99]
    final = api.get(f"/api/v1/flows/exports/{export.uuid}").json()
    assert final["progress"] == 100 and final["status"] == "completed"

    data = _download(api, final["url"])
    sheet = load_workbook(io.BytesIO(data), read_only=True)["Runs"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == HEADER
    assert len(rows) == RUNS + 1
    assert rows[1][2] == "Person 0" and rows[1][12] == "0 years"
    assert rows[-1][2] == f"Person {RUNS - 1}"
    # a second run of the same job (a duplicate wake-up) changes nothing
    assert exports.run_export(export_id=export.id) is None


def test_export_rejects_bad_input_and_other_workspaces(api: Any, survey: Flow) -> None:
    from django.test import Client

    from channels_app.workspaces import create_workspace

    response = post_json(api, f"/api/v1/flows/{SURVEY}/results/export", {"format": "pdf"})
    assert response.status_code == 400 and "csv or xlsx" in response.json()["error"]
    missing = "00000000-0000-4000-8000-000000000000"
    assert post_json(api, f"/api/v1/flows/{missing}/results/export", {"format": "csv"}).status_code == 404
    assert api.get("/api/v1/flows/exports/not-a-uuid").status_code == 404

    export = post_json(api, f"/api/v1/flows/{SURVEY}/results/export", {}).json()
    assert export["format"] == "csv"
    run_jobs()
    _, other_token = create_workspace(name="Other", email="o@test.org", password="secret-pass")
    other = Client(HTTP_AUTHORIZATION=f"Token {other_token}")
    assert other.get(f"/api/v1/flows/exports/{export['uuid']}").status_code == 404
    assert other.get(f"/api/v1/flows/exports/{export['uuid']}/download").status_code == 404
    assert post_json(other, f"/api/v1/flows/{SURVEY}/results/export", {"format": "csv"}).status_code == 404
    assert api.get(f"/api/v1/flows/exports/{export['uuid']}/download").status_code == 200
