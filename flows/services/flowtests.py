"""Flow tests on the Django side: storing a flow's tests, running them, recording one.

The tests run on the pure engine (flows/engine/flowtests.py) over the workspace's assets, with an
injected clock and mocked webhooks: nothing is sent and no message, contact or run is written.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from channels_app.models import Workspace
from flows.engine.flowtests import (
    FlowTestInvalid,
    from_transcript,
    record_test,
    run_tests,
    validate_test,
    validate_tests,
)
from flows.models import Flow
from flows.services.assets import build_assets, environment_for

__all__ = [
    "FlowTestInvalid",
    "add_test",
    "from_transcript",
    "record",
    "refresh_status",
    "run",
    "set_tests",
    "validate_tests",
]


def run(
    *, flow: Flow, tests: list[dict[str, Any]] | None = None, definition: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Runs `tests` (the flow's stored tests by default) against `definition` (the stored one by
    default): `{"passed", "failed", "results": [{"test", "ok", "diff", "step", "transcript"}]}`."""
    tests = flow.tests if tests is None else tests
    if not tests:
        return {"passed": 0, "failed": 0, "results": []}
    definition = definition if definition is not None else flow.definition
    assets = build_assets(workspace=flow.workspace, overrides={str(flow.uuid): definition})
    return run_tests(
        tests, assets=assets, flow_uuid=str(flow.uuid), environment=environment_for(workspace=flow.workspace)
    )


def refresh_status(*, flow: Flow) -> dict[str, Any]:
    """Runs the stored tests and records how many fail (the flows list marks those flows)."""
    outcome = run(flow=flow)
    if flow.tests_failing != outcome["failed"]:
        flow.tests_failing = outcome["failed"]
        Flow.objects.filter(id=flow.id).update(tests_failing=outcome["failed"])
    return outcome


@transaction.atomic
def set_tests(*, flow: Flow, tests: Any) -> Flow:
    """Replaces the flow's tests (all validated first: a bad one changes nothing)."""
    clean = validate_tests(tests)
    flow = Flow.objects.select_for_update().get(id=flow.id)
    flow.tests = clean
    flow.save(update_fields=["tests", "modified_on"])
    refresh_status(flow=flow)
    return flow


@transaction.atomic
def add_test(*, flow: Flow, test: Any) -> Flow:
    """Adds a test, or replaces the one with the same name."""
    clean = validate_test(test)
    flow = Flow.objects.select_for_update().get(id=flow.id)
    tests = [t for t in flow.tests or [] if t.get("name") != clean["name"]]
    tests.append(clean)
    validate_tests(tests)  # the per-flow limit
    flow.tests = tests
    flow.save(update_fields=["tests", "modified_on"])
    refresh_status(flow=flow)
    return flow


def record(
    *,
    workspace: Workspace,
    flow: Flow,
    name: str,
    contact: dict[str, Any] | None,
    inputs: list[Any],
    webhooks: list[dict[str, Any]] | None = None,
    save: bool = True,
) -> dict[str, Any]:
    """Turns a simulator session (the contact and the inputs played) into a test, stored unless
    `save` is false."""
    assets = build_assets(workspace=workspace, overrides={str(flow.uuid): flow.definition})
    test = record_test(
        name=name,
        contact=contact,
        inputs=inputs,
        assets=assets,
        flow_uuid=str(flow.uuid),
        environment=environment_for(workspace=workspace),
        webhooks=webhooks,
    )
    if save:
        add_test(flow=flow, test=test)
    return test
