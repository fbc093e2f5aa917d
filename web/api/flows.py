"""Flows, simulator, flow starts, triggers and runs. Thin: parse, call a service, render.

Import and simulate bodies are free-form JSON (a RapidPro export, engine session JSON), so they
are parsed here with clear 400s rather than through a schema.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from ninja import Router, Schema

from channels_app import jsonlimits
from channels_app.models import Channel
from flows.models import Flow, FlowRevision, FlowRun, FlowStart, ResultsExport, Trigger
from flows.services import definitions, exports, flowtests, importing, results, starts, triggers
from flows.services import simulate as simulator
from web.api.common import get_or_404, keyset_page
from web.api.filters import AFTER_BEFORE_DOC, date_range
from web.api.schemas import ErrorOut
from web.requests import WorkspaceRequest

router = Router(tags=["flows"])
simulate_router = Router(tags=["flows"])
starts_router = Router(tags=["flow starts"])
triggers_router = Router(tags=["triggers"])
runs_router = Router(tags=["runs"])


def _json_body(request: WorkspaceRequest) -> Any:
    try:
        return jsonlimits.loads(request.body or b"null")
    except ValueError as exc:
        raise _BadRequest(f"the body is not valid JSON: {exc}") from None


class _BadRequest(Exception):
    pass


def _invalid(exc: definitions.DefinitionInvalid, message: str) -> tuple[int, dict[str, Any]]:
    return 400, {"error": message, "errors": definitions.error_payload(exc.errors)}


class FlowIn(Schema):
    name: str
    type: str = "messaging"


class DefinitionIn(Schema):
    definition: dict[str, Any]
    comment: str = ""


# ----------------------------------------------------------------------------------------- flows


@router.post("/import", response={200: Any, 400: ErrorOut})
def import_flows(request: WorkspaceRequest) -> Any:
    try:
        data = _json_body(request)
    except _BadRequest as exc:
        return 400, {"error": str(exc)}
    try:
        imported = importing.import_export(workspace=request.workspace, data=data)
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
        body = _json_body(request)
    except _BadRequest as exc:
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
        body = _json_body(request) if request.body else {}
    except _BadRequest as exc:
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
        body = _json_body(request)
    except _BadRequest as exc:
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
        return _run_page(request, response, runs, after=after, before=before, cursor=cursor, limit=limit)
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


# -------------------------------------------------------------------------------------- simulate


@simulate_router.post("", response={200: Any, 400: ErrorOut, 404: ErrorOut})
def simulate(request: WorkspaceRequest) -> Any:
    try:
        body = _json_body(request)
    except _BadRequest as exc:
        return 400, {"error": str(exc)}
    if not isinstance(body, dict):
        return 400, {"error": "the body must be a JSON object"}
    inputs = body.get("inputs") or []
    if not isinstance(inputs, list):
        return 400, {"error": "inputs must be a list"}
    contact = body.get("contact")
    if contact is not None and not isinstance(contact, dict):
        return 400, {"error": "contact must be an object"}
    flow = None
    definition = body.get("definition")
    if body.get("session") is None:
        if isinstance(body.get("flow"), dict):
            definition = body["flow"]
        if definition is not None:
            if not isinstance(definition, dict):
                return 400, {"error": "definition must be an object"}
            errors = definitions.validate_definition(definition)
            if errors:
                return 400, {
                    "error": "the definition has errors",
                    "errors": definitions.error_payload(errors),
                }
        elif body.get("flow"):
            flow = get_or_404(Flow, request, body["flow"])
        else:
            return 400, {"error": "give flow (a uuid) or session (from a previous simulation)"}
    try:
        return simulator.simulate(
            workspace=request.workspace,
            flow=flow,
            definition=definition,
            session=body.get("session"),
            inputs=inputs,
            contact=contact,
        )
    except simulator.SimulateError as exc:
        return 400, {"error": str(exc)}


# ------------------------------------------------------------------------------------ flow starts


class FlowStartIn(Schema):
    flow: str
    contacts: list[str] = []
    groups: list[str] = []
    urns: list[str] = []
    # On by default (as in RapidPro's start dialog): a contact waiting in a flow is not
    # interrupted and messaged again by a start that repeats an earlier one.
    exclude_in_flow: bool = True
    exclude_started_recently: bool = False
    params: dict[str, Any] = {}
    idempotency_key: str = ""


@starts_router.post("", response={200: Any, 201: Any, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def create_start(request: WorkspaceRequest, payload: FlowStartIn) -> Any:
    """Send `idempotency_key` (or an `Idempotency-Key` header) so that a retried request or a
    double click returns the first start (200) instead of starting everybody again."""
    flow = get_or_404(Flow, request, payload.flow)
    key = payload.idempotency_key or request.headers.get("Idempotency-Key", "")
    try:
        start = starts.create_flow_start(
            workspace=request.workspace,
            flow=flow,
            contact_uuids=payload.contacts,
            group_uuids=payload.groups,
            urns=payload.urns,
            exclude_in_flow=payload.exclude_in_flow,
            exclude_started_recently=payload.exclude_started_recently,
            params=payload.params,
            idempotency_key=key,
        )
    except starts.StartConflict as exc:
        return 409, {"error": str(exc)}
    except (starts.StartError, ValueError) as exc:
        return 400, {"error": str(exc)}
    return (200 if getattr(start, "replayed", False) else 201), starts.start_payload(start)


@starts_router.get("/{start_uuid}", response={200: Any, 404: ErrorOut})
def get_start(request: WorkspaceRequest, start_uuid: str) -> Any:
    return starts.start_payload(get_or_404(FlowStart, request, start_uuid))


# --------------------------------------------------------------------------------------- triggers


class TriggerIn(Schema):
    type: str
    flow: str
    keywords: list[str] = []
    match_type: str = "starts"
    channel: str | None = None
    groups: list[str] = []
    exclude_groups: list[str] = []
    repeat: str = "never"
    weekdays: str = ""
    start_on: Any = None


@triggers_router.get("", response=list[dict[str, Any]])
def list_triggers(request: WorkspaceRequest) -> list[dict[str, Any]]:
    qs = (
        Trigger.objects.filter(workspace=request.workspace, archived=False)
        .select_related("flow", "channel")
        .prefetch_related("groups", "exclude_groups")
        .order_by("id")
    )
    return [triggers.trigger_payload(t) for t in qs]


@triggers_router.post("", response={201: Any, 400: ErrorOut, 404: ErrorOut})
def create_trigger(request: WorkspaceRequest, payload: TriggerIn) -> Any:
    from django.utils.dateparse import parse_datetime

    flow = get_or_404(Flow, request, payload.flow)
    channel = get_or_404(Channel, request, payload.channel) if payload.channel else None
    start_on = parse_datetime(str(payload.start_on)) if payload.start_on else None
    if payload.start_on and start_on is None:
        return 400, {"error": "start_on must be an ISO 8601 date and time"}
    try:
        trigger = triggers.create_trigger(
            workspace=request.workspace,
            trigger_type=payload.type,
            flow=flow,
            keywords=payload.keywords,
            match_type=payload.match_type,
            channel=channel,
            group_uuids=payload.groups,
            exclude_group_uuids=payload.exclude_groups,
            repeat=payload.repeat,
            weekdays=payload.weekdays,
            start_on=start_on,
        )
    except (triggers.TriggerError, ValueError) as exc:
        return 400, {"error": str(exc)}
    return 201, triggers.trigger_payload(trigger)


@triggers_router.delete("/{trigger_uuid}", response={204: None, 404: ErrorOut})
def delete_trigger(request: WorkspaceRequest, trigger_uuid: str) -> Any:
    trigger = get_or_404(Trigger, request, trigger_uuid, archived=False)
    trigger.archived = True
    trigger.save(update_fields=["archived"])
    return 204, None


# ------------------------------------------------------------------------------------------- runs


class RunFlowOut(Schema):
    uuid: str
    name: str


class RunContactOut(Schema):
    uuid: str
    name: str
    urn: str | None


class RunOut(Schema):
    uuid: str
    flow: RunFlowOut
    contact: RunContactOut
    status: str
    responded: bool
    results: dict[str, Any]  # by result key: value, category, input, node, created_on
    created_on: datetime
    modified_on: datetime
    exited_on: datetime | None


def _run_page(
    request: WorkspaceRequest,
    response: HttpResponse,
    qs: Any,
    *,
    after: Any,
    before: Any,
    cursor: str,
    limit: int,
) -> list[dict[str, Any]]:
    qs = date_range(qs, "created_on", after=after, before=before)
    qs = qs.select_related("flow", "contact").prefetch_related("contact__urns")
    return [
        results.run_payload(r)
        for r in keyset_page(request, qs, cursor=cursor, limit=limit, response=response)
    ]


@runs_router.get(
    "",
    response={200: list[RunOut], 400: ErrorOut, 404: ErrorOut},
    summary="List flow runs and their results",
    description="`flow` and `contact` are uuids. " + AFTER_BEFORE_DOC.format(field="created_on"),
)
def list_runs(
    request: WorkspaceRequest,
    response: HttpResponse,
    flow: str = "",
    contact: str = "",
    after: datetime | None = None,
    before: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
    cursor: str = "",
) -> Any:
    qs = FlowRun.objects.filter(workspace=request.workspace)
    if flow:
        qs = qs.filter(flow=get_or_404(Flow, request, flow))
    if contact:
        from channels_app.models import Contact

        qs = qs.filter(contact=get_or_404(Contact, request, contact))
    if cursor or not offset:
        return _run_page(request, response, qs, after=after, before=before, cursor=cursor, limit=limit)
    qs = date_range(qs, "created_on", after=after, before=before)
    qs = qs.select_related("flow", "contact").prefetch_related("contact__urns").order_by("-id")
    limit = max(1, min(limit, 1000))
    return [results.run_payload(r) for r in qs[max(offset, 0) : max(offset, 0) + limit]]
