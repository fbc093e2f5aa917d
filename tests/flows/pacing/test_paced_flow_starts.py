"""Flow starts with spread_over_minutes: contacts are started evenly over the window, and the
start can be paused, resumed and cancelled through the API."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from flows.models import FlowRun, FlowStart, PacedSend
from flows.services import pacing, starts
from tests.flows.conftest import SURVEY, post_json

from .helpers import make_group


def test_paced_flow_start_spreads_starts_and_obeys_controls(api, imported, workspace, ex_channel) -> None:
    group = make_group(workspace, 60)
    response = post_json(
        api, "/api/v1/flow_starts", {"flow": SURVEY, "groups": [str(group.uuid)], "spread_over_minutes": 6}
    )
    assert response.status_code == 201, response.content
    uuid = response.json()["uuid"]
    assert response.json()["spread_over_minutes"] == 6
    start = FlowStart.objects.get(uuid=uuid)
    # the job prepare_start plans rows instead of batches (run here: run_jobs would also run the
    # release loop, which keeps itself awake in real time until the window closes)
    assert starts.prepare_start(start_id=start.id) == 60
    start.refresh_from_db()
    assert start.total == 60 and start.status == "starting"
    due = sorted(PacedSend.objects.filter(flow_start=start).values_list("due_at", flat=True))
    gaps = {round((b - a).total_seconds(), 3) for a, b in zip(due, due[1:], strict=False)}
    assert gaps == {6.0}  # 60 contacts, 6 minutes: one every 6 s

    t0 = due[0]
    pacing.release_due(now=t0 + dt.timedelta(seconds=59))  # the first minute: 10 contacts
    assert FlowRun.objects.filter(flow__uuid=SURVEY).count() == 10
    payload = api.get(f"/api/v1/flow_starts/{uuid}").json()
    assert payload["pacing"]["sent"] == 10 and payload["pacing"]["scheduled"] == 50
    assert payload["started"] == 10

    paused = api.post(f"/api/v1/flow_starts/{uuid}/pause")
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    assert pacing.release_due(now=t0 + dt.timedelta(minutes=30)) == 0
    assert api.post(f"/api/v1/flow_starts/{uuid}/pause").status_code == 409
    resumed = api.post(f"/api/v1/flow_starts/{uuid}/resume")
    assert resumed.status_code == 200 and resumed.json()["status"] == "starting"
    # paused for a moment in real time: the next row (60 s into the window) is due about then
    assert pacing.release_due(now=t0 + dt.timedelta(seconds=62)) == 1
    cancelled = api.post(f"/api/v1/flow_starts/{uuid}/cancel").json()
    assert cancelled["status"] == "cancelled"
    statuses = Counter(PacedSend.objects.filter(flow_start=start).values_list("status", flat=True))
    assert statuses["released"] >= 11 and statuses["released"] + statuses["cancelled"] == 60
    assert FlowRun.objects.filter(flow__uuid=SURVEY).count() == statuses["released"]
    assert api.post(f"/api/v1/flow_starts/{uuid}/bogus").status_code == 400
