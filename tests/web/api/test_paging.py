"""Cursor pages and date filters on the lists that grow: calls, runs, flow results, deliveries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.web.api.helpers import all_pages, outsider_client

BASE = datetime(2024, 3, 1, tzinfo=UTC)


def _dated(model: Any, rows: list[Any]) -> None:
    for i, row in enumerate(rows):
        model.objects.filter(id=row.id).update(created_on=BASE + timedelta(hours=i))


def _check_paged(api: Any, path: str, make_row: Any, key: str = "uuid") -> None:
    """Pages of 3 while a row is added after each page: newest first, none lost or repeated."""
    expected = [row[key] if isinstance(row, dict) else str(getattr(row, key)) for row in reversed(_made)]
    pages = all_pages(api, path, limit=3, between=lambda _n: make_row())
    seen = [item[key] for page in pages for item in page]
    assert [len(p) for p in pages] == [3] * (len(expected) // 3) + (
        [len(expected) % 3] if len(expected) % 3 else []
    )
    assert seen == expected


_made: list[Any] = []


def test_calls_pages_and_date_filters(api, workspace, ex_channel) -> None:
    from channels_app.models import Call

    def make() -> Call:
        return Call.objects.create(
            workspace=workspace, channel=ex_channel, direction="out", to_number="+250788111111"
        )

    _made[:] = [make() for _ in range(7)]
    _check_paged(api, "/api/v1/calls", make)
    _dated(Call, _made)
    window = api.get("/api/v1/calls?after=2024-03-01T01:00:00Z&before=2024-03-01T04:00:00Z").json()
    assert [c["uuid"] for c in window] == [str(_made[3].uuid), str(_made[2].uuid)]
    assert outsider_client().get("/api/v1/calls").json() == []


def _flow_and_contact(workspace: Any) -> Any:
    from channels_app.models import Contact
    from flows.models import Flow, FlowSession

    flow = Flow.objects.create(workspace=workspace, name="Survey")
    contact = Contact.objects.create(workspace=workspace, name="Aline")
    session = FlowSession.objects.create(workspace=workspace, contact=contact, status="completed")
    return flow, contact, session


def test_runs_and_flow_results_pages_and_date_filters(api, workspace) -> None:
    from django.utils import timezone

    from flows.models import FlowRun

    flow, contact, session = _flow_and_contact(workspace)

    def make() -> FlowRun:
        now = timezone.now()
        return FlowRun.objects.create(
            uuid=uuid.uuid4(),
            workspace=workspace,
            flow=flow,
            contact=contact,
            session=session,
            status="completed",
            results={"age": {"value": "30", "category": "Adult"}},
            created_on=now,
            modified_on=now,
        )

    _made[:] = [make() for _ in range(7)]
    _check_paged(api, "/api/v1/runs", make)
    _made[:] = list(FlowRun.objects.order_by("id"))  # the 7 and the 3 added while paging
    _check_paged(api, f"/api/v1/flows/{flow.uuid}/results?format=json", make)
    runs = list(FlowRun.objects.order_by("id"))
    _dated(FlowRun, runs)
    after = (BASE + timedelta(hours=len(runs) - 3)).isoformat()
    results = api.get(f"/api/v1/flows/{flow.uuid}/results", {"format": "json", "after": after}).json()
    assert [r["uuid"] for r in results] == [str(runs[-1].uuid), str(runs[-2].uuid)]
    assert results[0]["results"]["age"]["category"] == "Adult"
    before = (BASE + timedelta(hours=1)).isoformat()
    assert [r["uuid"] for r in api.get("/api/v1/runs", {"before": before}).json()] == [str(runs[0].uuid)]
    assert api.get(f"/api/v1/flows/{flow.uuid}/results?format=pdf").status_code == 400
    outsider = outsider_client()
    assert outsider.get("/api/v1/runs").json() == []
    assert outsider.get(f"/api/v1/flows/{flow.uuid}/results?format=json").status_code == 404


def test_webhook_deliveries_pages_and_date_filters(api, workspace) -> None:
    from django.utils import timezone

    from channels_app.models import WebhookDelivery, WebhookSubscription

    subscription = WebhookSubscription.objects.create(
        workspace=workspace, url="http://127.0.0.1:9/hook", events=["msg_received"], secret="s" * 32
    )

    def make() -> WebhookDelivery:
        return WebhookDelivery.objects.create(
            workspace=workspace,
            subscription=subscription,
            event="msg_received",
            payload={"n": 1},
            status="delivered",
            next_attempt_on=timezone.now(),
        )

    _made[:] = [make() for _ in range(7)]
    path = f"/api/v1/webhooks/{subscription.uuid}/deliveries"
    _check_paged(api, path, make)
    rows = list(WebhookDelivery.objects.order_by("id"))
    _dated(WebhookDelivery, rows)
    window = api.get(
        path, {"after": BASE.isoformat(), "before": (BASE + timedelta(hours=2)).isoformat()}
    ).json()
    assert [d["uuid"] for d in window] == [str(rows[1].uuid)]
    assert outsider_client().get(path).status_code == 404
