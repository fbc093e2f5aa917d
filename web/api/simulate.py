"""The simulator: a flow run against a test contact, nothing stored or sent. Thin: parse, call a service, render."""

from __future__ import annotations

from typing import Any

from ninja import Router

from flows.models import Flow
from flows.services import definitions
from flows.services import simulate as simulator
from web.api.common import BadBody, get_or_404, json_body
from web.api.schemas import ErrorOut
from web.requests import WorkspaceRequest

router = Router(tags=["flows"])


@router.post("", response={200: Any, 400: ErrorOut, 404: ErrorOut})
def simulate(request: WorkspaceRequest) -> Any:
    try:
        body = json_body(request)
    except BadBody as exc:
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
