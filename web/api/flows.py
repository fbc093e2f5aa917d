"""Flows: definitions, revisions, import/export, results exports and flow tests. Thin: parse,
call a service, render. The simulator, flow starts, triggers and runs have modules of their own.

Import bodies are free-form JSON (a RapidPro export), so they are parsed here with clear 400s
rather than through a schema.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from ninja import Router, Schema

from flows.models import Flow, FlowRevision, FlowRun, ResultsExport
from flows.services import definitions, exports, flowtests, importing, results
from flows.services import simulate as simulator
from web.api.common import BadBody, get_or_404, json_body
from web.api.filters import AFTER_BEFORE_DOC
from web.api.runs import run_page
from web.api.schemas import ErrorOut
from web.requests import WorkspaceRequest

router = Router(tags=["flows"])


def _invalid(exc: definitions.DefinitionInvalid, message: str) -> tuple[int, dict[str, Any]]:
    return 400, {"error": message, "errors": definitions.error_payload(exc.errors)}


class FlowIn(Schema):
    name: str
    type: str = "messaging"


class DefinitionIn(Schema):
    definition: dict[str, Any]
    comment: str = ""


# ----------------------------------------------------------------------------------------- flows


@router.post("/import", response={200: Any, 400: ErrorOut, 409: Any})
def import_flows(request: WorkspaceRequest, catch_all: str = "replace") -> Any:
    """`?catch_all=ask` answers 409 with the conflicts, importing nothing, when the export's
    catch-all trigger would replace another flow's; `replace` (the default) or `skip` decide."""
    if catch_all not in ("replace", "skip", "ask"):
        return 400, {"error": "catch_all must be replace, skip or ask"}
    try:
        data = json_body(request)
    except BadBody as exc:
        return 400, {"error": str(exc)}
    try:
        imported = importing.import_export(workspace=request.workspace, data=data, catch_all=catch_all)
    except importing.CatchAllConflict as exc:
        return 409, {"error": str(exc), "conflicts": exc.conflicts, "triggers": exc.triggers}
    except definitions.DefinitionInvalid as exc:
        return _invalid(exc, "the export has errors; nothing was imported")
    return 200, imported.answer()


class ExportIn(Schema):
    format: str = "csv"


@router.get("/exports/{export_uuid}", response={200: Any, 404: ErrorOut})
def get_results_export(request: WorkspaceRequest, export_uuid: str) -> Any:
    return exports.export_payload(get_or_404(ResultsExport, request, export_uuid))


@router.get("/exports/{export_uuid}/download", response={200: Any, 404: ErrorOut, 409: ErrorOut})
def download_results_export(request: WorkspaceRequest, export_uuid: str) -> Any:
    export = get_or_404(ResultsExport, request, export_uuid)
    path = exports.file_path(export)
    if path is None:
        return 409, {"error": f"the export is {export.status}, not ready to download"}
    # an async stream: under ASGI Django would read a sync file response whole into memory
    response = StreamingHttpResponse(
        exports.read_chunks(path), content_type=exports.CONTENT_TYPES[export.format]
    )
    response["Content-Disposition"] = content_disposition_header(True, exports.download_name(export))
    response["Content-Length"] = str(path.stat().st_size)
    return response


@router.post("/{flow_uuid}/results/export", response={202: Any, 400: ErrorOut, 404: ErrorOut})
def start_results_export(request: WorkspaceRequest, flow_uuid: str, payload: ExportIn) -> Any:
    flow = get_or_404(Flow, request, flow_uuid)
    try:
        export = exports.create_export(workspace=request.workspace, flow=flow, format=payload.format)
    except exports.ExportError as exc:
        return 400, {"error": str(exc)}
    return 202, exports.export_payload(export)


@router.get("", response=list[dict[str, Any]])
def list_flows(request: WorkspaceRequest, archived: bool = False) -> list[dict[str, Any]]:
    flows = Flow.objects.filter(workspace=request.workspace, archived=archived)
    return [definitions.flow_payload(f, with_definition=False) for f in flows]


@router.post("", response={201: Any, 400: ErrorOut})
def create_flow(request: WorkspaceRequest, payload: FlowIn) -> Any:
    try:
        flow = definitions.create_flow(workspace=request.workspace, name=payload.name, flow_type=payload.type)
    except definitions.DefinitionInvalid as exc:
        return _invalid(exc, "invalid flow")
    return 201, definitions.flow_payload(flow)


@router.get("/{flow_uuid}", response={200: Any, 404: ErrorOut})
def get_flow(request: WorkspaceRequest, flow_uuid: str) -> Any:
    return definitions.flow_payload(get_or_404(Flow, request, flow_uuid))


@router.put("/{flow_uuid}/definition", response={200: Any, 400: ErrorOut, 404: ErrorOut})
def save_definition(request: WorkspaceRequest, flow_uuid: str, payload: DefinitionIn) -> Any:
    flow = get_or_404(Flow, request, flow_uuid)
    try:
        flow = definitions.save_definition(flow=flow, definition=payload.definition, comment=payload.comment)
    except definitions.DefinitionInvalid as exc:
        return _invalid(exc, "the definition has errors; it was not saved")
    return {"revision": flow.revision, "errors": []}


@router.get("/{flow_uuid}/revisions", response={200: Any, 404: ErrorOut})
def list_revisions(request: WorkspaceRequest, flow_uuid: str) -> Any:
    flow = get_or_404(Flow, request, flow_uuid)
    return [
        {"revision": r.revision, "comment": r.comment, "created_on": r.created_on}
        for r in FlowRevision.objects.filter(flow=flow).only("revision", "comment", "created_on")
    ]


@router.post("/{flow_uuid}/revisions/{revision}/revert", response={200: Any, 400: ErrorOut, 404: ErrorOut})
def revert_revision(request: WorkspaceRequest, flow_uuid: str, revision: int) -> Any:
    flow = get_or_404(Flow, request, flow_uuid)
    try:
        flow = definitions.revert(flow=flow, revision=revision)
    except LookupError as exc:
        return 404, {"error": str(exc)}
    except definitions.DefinitionInvalid as exc:
        return _invalid(exc, "that revision no longer validates")
    return definitions.flow_payload(flow)


@router.post("/{flow_uuid}/archive", response={200: Any, 404: ErrorOut})
def archive_flow(request: WorkspaceRequest, flow_uuid: str, archived: bool = True) -> Any:
    flow = get_or_404(Flow, request, flow_uuid)
    flow.archived = archived
    flow.save(update_fields=["archived", "modified_on"])
    return definitions.flow_payload(flow, with_definition=False)


# ------------------------------------------------------------------------------------ flow tests


@router.get("/{flow_uuid}/tests", response={200: Any, 404: ErrorOut})
def list_flow_tests(request: WorkspaceRequest, flow_uuid: str) -> Any:
    flow = get_or_404(Flow, request, flow_uuid)
    return {"tests": flow.tests or [], "failing": flow.tests_failing}


@router.post("/{flow_uuid}/tests", response={200: Any, 201: Any, 400: ErrorOut, 404: ErrorOut})
def save_flow_tests(request: WorkspaceRequest, flow_uuid: str) -> Any:
    """One test `{"name", "contact", "steps"}` is added (or replaces its namesake);
    `{"tests": [...]}` replaces them all (editing a test is editing this list)."""
    flow = get_or_404(Flow, request, flow_uuid)
    try:
        body = json_body(request)
    except BadBody as exc:
        return 400, {"error": str(exc)}
    if not isinstance(body, dict):
        return 400, {"error": "the body must be a test object or {tests: [...]}"}
    try:
        if "tests" in body and "steps" not in body:
            flow = flowtests.set_tests(flow=flow, tests=body["tests"])
            return 200, {"tests": flow.tests, "failing": flow.tests_failing}
        flow = flowtests.add_test(flow=flow, test=body)
    except flowtests.FlowTestInvalid as exc:
        return 400, {"error": str(exc)}
    return 201, {"tests": flow.tests, "failing": flow.tests_failing}


@router.post("/{flow_uuid}/tests/run", response={200: Any, 400: ErrorOut, 404: ErrorOut})
def run_flow_tests(request: WorkspaceRequest, flow_uuid: str) -> Any:
    """Runs the stored tests, or the `tests` given (not stored), against the stored definition or
    the `definition` given (the editor's unsaved one)."""
    flow = get_or_404(Flow, request, flow_uuid)
    try:
        body = json_body(request) if request.body else {}
    except BadBody as exc:
        return 400, {"error": str(exc)}
    if not isinstance(body, dict):
        return 400, {"error": "the body must be a JSON object"}
    tests = body.get("tests")
    definition = body.get("definition")
    try:
        if tests is not None:
            tests = flowtests.validate_tests(tests)
    except flowtests.FlowTestInvalid as exc:
        return 400, {"error": str(exc)}
    if definition is not None:
        if not isinstance(definition, dict):
            return 400, {"error": "definition must be an object"}
        definition = dict(definition, uuid=str(flow.uuid))
        errors = definitions.validate_definition(definition)
        if errors:
            return 400, {"error": "the definition has errors", "errors": definitions.error_payload(errors)}
        return flowtests.run(flow=flow, tests=tests, definition=definition)
    if tests is None:
        return flowtests.refresh_status(flow=flow)
    return flowtests.run(flow=flow, tests=tests)


@router.post("/{flow_uuid}/tests/record", response={201: Any, 200: Any, 400: ErrorOut, 404: ErrorOut})
def record_flow_test(request: WorkspaceRequest, flow_uuid: str) -> Any:
    """Turns a simulator session into a test: `{"name", "contact", "inputs": [null | text |
    {"type": "timeout"}], "webhooks": [{"url", "status", "body"}], "save": true}`; `inputs` are what
    was played in the simulator (a leading null: started without a message). Or, instead of
    inputs and webhooks, `"transcript": [{"input", "events"}]` as the simulator returned them."""
    flow = get_or_404(Flow, request, flow_uuid)
    try:
        body = json_body(request)
    except BadBody as exc:
        return 400, {"error": str(exc)}
    if not isinstance(body, dict):
        return 400, {"error": "the body must be a JSON object"}
    inputs = body.get("inputs")
    webhooks = body.get("webhooks") or []
    if "transcript" in body:  # the simulator's own log: inputs and webhook answers read from it
        try:
            inputs, webhooks = flowtests.from_transcript(body["transcript"])
        except flowtests.FlowTestInvalid as exc:
            return 400, {"error": str(exc)}
    if not isinstance(inputs, list) or len(inputs) > simulator.MAX_INPUTS:
        return 400, {"error": f"inputs must be a list of at most {simulator.MAX_INPUTS} simulator inputs"}
    if not isinstance(webhooks, list) or not all(isinstance(w, dict) for w in webhooks):
        return 400, {"error": "webhooks must be a list of {url, status, body}"}
    contact = body.get("contact")
    if contact is not None and not isinstance(contact, dict):
        return 400, {"error": "contact must be an object"}
    save = body.get("save", True) is not False
    try:
        test = flowtests.record(
            workspace=request.workspace,
            flow=flow,
            name=str(body.get("name") or ""),
            contact=contact,
            inputs=inputs,
            webhooks=webhooks,
            save=save,
        )
    except flowtests.FlowTestInvalid as exc:
        return 400, {"error": str(exc)}
    except (ValueError, KeyError, TypeError) as exc:  # a definition the engine can't run
        return 400, {"error": f"the session could not be replayed: {exc}"}
    return (201 if save else 200), {"test": test}


@router.get("/{flow_uuid}/export", response={200: Any, 404: ErrorOut})
def export_flow(request: WorkspaceRequest, flow_uuid: str) -> Any:
    return definitions.export_flows(flows=[get_or_404(Flow, request, flow_uuid)])


@router.get(
    "/{flow_uuid}/results",
    response={200: Any, 400: ErrorOut, 404: ErrorOut},
    summary="Flow results",
    description="`format=csv` or `xlsx` (default csv): every run as a spreadsheet download. "
    "`format=json`: the runs with their results as a JSON array (see /api/v1/runs). "
    + AFTER_BEFORE_DOC.format(field="created_on"),
)
def export_results(
    request: WorkspaceRequest,
    response: HttpResponse,
    flow_uuid: str,
    format: str = "csv",
    after: datetime | None = None,
    before: datetime | None = None,
    limit: int = 100,
    cursor: str = "",
) -> Any:
    flow = get_or_404(Flow, request, flow_uuid)
    if format == "json":
        runs = FlowRun.objects.filter(workspace=request.workspace, flow=flow)
        return run_page(request, response, runs, after=after, before=before, cursor=cursor, limit=limit)
    filename = f"{flow.name or 'flow'}-results".replace('"', "")
    if format == "csv":
        # under ASGI Django buffers a sync stream anyway, so build the text in one go
        response = HttpResponse("".join(results.export_csv(flow)), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    if format == "xlsx":
        response = HttpResponse(
            results.export_xlsx(flow),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
        return response
    return 400, {"error": "format must be csv, xlsx or json"}
