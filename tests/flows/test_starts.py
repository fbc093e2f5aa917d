"""Flow starts: recipients resolved into batches, progress, exclusions; scheduled triggers."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

from django.test import override_settings
from django.utils import timezone

from channels_app.models import Contact, ContactGroup, ContactURN, Msg
from flows.models import FlowRun, FlowSession, FlowStart, FlowStartBatch, Trigger
from flows.services import starts, triggers
from tests.conftest import run_jobs
from tests.flows.conftest import CATCH_ALL, SURVEY, post_json


def _contacts(workspace, n: int, group: ContactGroup | None = None) -> list[Contact]:
    contacts = Contact.objects.bulk_create([Contact(workspace=workspace, name=f"C{i}") for i in range(n)])
    ContactURN.objects.bulk_create(
        [
            ContactURN(
                workspace=workspace,
                contact=c,
                identity=f"tel:+25078810{i:04d}",
                scheme="tel",
                path=f"+25078810{i:04d}",
            )
            for i, c in enumerate(contacts)
        ]
    )
    if group is not None:
        group.contacts.add(*contacts)
    return contacts


@override_settings(FLOWGATE_FLOW_START_BATCH=10)
def test_group_start_runs_in_batches_with_progress(api, imported, workspace, ex_channel, aggregator) -> None:
    group = ContactGroup.objects.create(workspace=workspace, name="Everyone")
    contacts = _contacts(workspace, 35, group)
    # one contact is stopped: skipped; one has an unfinished session elsewhere: skipped on request
    Contact.objects.filter(id=contacts[0].id).update(status="stopped")
    post_json(api, "/api/v1/flow_starts", {"flow": SURVEY, "contacts": [str(contacts[1].uuid)]})
    run_jobs()
    assert FlowSession.objects.filter(contact=contacts[1], status="waiting").exists()

    response = post_json(
        api,
        "/api/v1/flow_starts",
        {
            "flow": CATCH_ALL,
            "groups": [str(group.uuid)],
            "exclude_in_flow": True,
            "params": {"source": "api"},
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == "pending" and created["progress"] == 0

    start = FlowStart.objects.get(uuid=created["uuid"])
    assert starts.prepare_start(start_id=start.id) == 33
    assert FlowStartBatch.objects.filter(start=start).count() == 4
    assert starts.run_start_batches(start_id=start.id, max_batches=2) == 20
    partial = api.get(f"/api/v1/flow_starts/{created['uuid']}").json()
    assert (partial["status"], partial["total"], partial["processed"], partial["progress"]) == (
        "starting",
        33,
        20,
        60.6,
    )
    run_jobs()  # the enqueued jobs finish the remaining batches (and a re-run of prepare is a no-op)
    done = api.get(f"/api/v1/flow_starts/{created['uuid']}").json()
    assert (done["status"], done["processed"], done["started"], done["progress"]) == (
        "completed",
        33,
        33,
        100.0,
    )
    assert FlowRun.objects.filter(flow__uuid=CATCH_ALL).count() == 33
    assert Msg.objects.filter(direction="out", text="Send SURVEY to start.").count() == 33
    assert not FlowRun.objects.filter(flow__uuid=CATCH_ALL, contact__in=contacts[:2]).exists()
    # (the local test aggregator may refuse part of a 20-wide burst: those are retried later)
    assert Msg.objects.filter(direction="out", channel=ex_channel).count() == 34
    assert aggregator.requests

    # started recently: a second start of the same flow reaches nobody
    again = post_json(
        api,
        "/api/v1/flow_starts",
        # (exclude_in_flow is on by default: off here, so only "started recently" excludes)
        {
            "flow": CATCH_ALL,
            "groups": [str(group.uuid)],
            "exclude_started_recently": True,
            "exclude_in_flow": False,
        },
    ).json()
    run_jobs()
    assert api.get(f"/api/v1/flow_starts/{again['uuid']}").json()["total"] == 1  # only contacts[1]


def test_start_by_urns_creates_contacts_and_interrupts_waiting(api, imported, workspace, ex_channel) -> None:
    first = post_json(
        api, "/api/v1/flow_starts", {"flow": SURVEY, "urns": ["+250788000111", "tel:+250788000222"]}
    )
    assert first.status_code == 201
    run_jobs()
    assert FlowSession.objects.filter(status="waiting").count() == 2
    # interrupting a waiting contact must be asked for: "skip contacts in a flow" is the default
    post_json(
        api, "/api/v1/flow_starts", {"flow": CATCH_ALL, "urns": ["+250788000111"], "exclude_in_flow": False}
    )
    run_jobs()
    statuses = sorted(
        FlowSession.objects.filter(contact__urns__identity="tel:+250788000111").values_list(
            "status", flat=True
        )
    )
    assert statuses == ["completed", "interrupted"]
    assert (
        FlowRun.objects.get(flow__uuid=SURVEY, contact__urns__identity="tel:+250788000111").status
        == "interrupted"
    )


def test_bad_starts_are_400(api, imported) -> None:
    assert post_json(api, "/api/v1/flow_starts", {"flow": SURVEY}).status_code == 400
    assert post_json(api, "/api/v1/flow_starts", {"urns": ["+250788000111"]}).status_code == 400
    assert post_json(api, "/api/v1/flow_starts", {"flow": SURVEY, "urns": "x"}).status_code == 400
    assert api.get("/api/v1/flow_starts/00000000-0000-4000-8000-000000000123").status_code == 404


def test_scheduled_trigger_fires_and_reschedules(api, imported, workspace, ex_channel) -> None:
    group = ContactGroup.objects.create(workspace=workspace, name="Daily")
    _contacts(workspace, 3, group)
    due = timezone.now() - dt.timedelta(minutes=1)
    response = post_json(
        api,
        "/api/v1/triggers",
        {
            "type": "schedule",
            "flow": CATCH_ALL,
            "groups": [str(group.uuid)],
            "repeat": "daily",
            "start_on": due.isoformat(),
        },
    )
    assert response.status_code == 201, response.content
    assert triggers.fire_schedules() == 1
    assert triggers.fire_schedules() == 0  # rescheduled for tomorrow, not fired twice
    trigger = Trigger.objects.get(trigger_type="schedule")
    assert trigger.next_fire is not None and trigger.next_fire > timezone.now()
    run_jobs()
    assert FlowRun.objects.filter(flow__uuid=CATCH_ALL).count() == 3


def test_results_xlsx_and_import_command(api, imported, workspace, tmp_path) -> None:
    from django.core.management import call_command
    from openpyxl import load_workbook

    response = api.get(f"/api/v1/flows/{SURVEY}/results?format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert header[:3] == ["Contact UUID", "URN", "Name"] and "Age (Category)" in header
    assert api.get(f"/api/v1/flows/{SURVEY}/results?format=pdf").status_code == 400

    path = tmp_path / "export.json"
    path.write_text(json.dumps(api.get(f"/api/v1/flows/{SURVEY}/export").json()))
    out = io.StringIO()
    call_command(
        "import_flows", str(path), "--workspace", str(workspace.uuid), stdout=out, stderr=io.StringIO()
    )
    assert json.loads(out.getvalue())["flows"] == [{"uuid": SURVEY, "name": "Two Questions"}]
    assert api.get(f"/api/v1/flows/{SURVEY}").json()["revision"] == 2


def test_a_retried_or_double_clicked_start_messages_contacts_once(
    api, imported, workspace, ex_channel, aggregator
):
    contacts = _contacts(workspace, 3)
    body = {"flow": SURVEY, "contacts": [str(c.uuid) for c in contacts], "idempotency_key": "dialog-1"}
    first = post_json(api, "/api/v1/flow_starts", body)
    again = post_json(api, "/api/v1/flow_starts", body)  # the double click / the retried request
    assert (first.status_code, again.status_code) == (201, 200), (first.content, again.content)
    assert first.json()["uuid"] == again.json()["uuid"] and again.json()["idempotency_key"] == "dialog-1"
    # the header works too
    header = api.post(
        "/api/v1/flow_starts",
        data=json.dumps({k: v for k, v in body.items() if k != "idempotency_key"}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="dialog-1",
    )
    assert header.status_code == 200 and header.json()["uuid"] == first.json()["uuid"]
    run_jobs()
    assert FlowStart.objects.count() == 1
    assert len(aggregator.requests) == 3  # one question per contact, not two
    # the same key for another start is a conflict, not a silent replay
    other = post_json(api, "/api/v1/flow_starts", {**body, "flow": CATCH_ALL})
    assert other.status_code == 409 and "idempotency key" in other.json()["error"]
    assert post_json(api, "/api/v1/flow_starts", {**body, "idempotency_key": "x" * 65}).status_code == 400


def test_skip_contacts_in_a_flow_is_the_default(api, imported, workspace, ex_channel, aggregator):
    contacts = _contacts(workspace, 2)
    uuids = [str(c.uuid) for c in contacts]
    assert post_json(api, "/api/v1/flow_starts", {"flow": SURVEY, "contacts": uuids[:1]}).status_code == 201
    run_jobs()
    assert len(aggregator.requests) == 1
    # a second start without a key (another person, another tab) does not message the waiting one again
    response = post_json(api, "/api/v1/flow_starts", {"flow": SURVEY, "contacts": uuids})
    assert response.json()["exclude_in_flow"] is True
    run_jobs()
    assert sorted(r.form()["to"] for r in aggregator.requests) == ["+250788100000", "+250788100001"]
    # asking for it explicitly still restarts everybody
    post_json(api, "/api/v1/flow_starts", {"flow": SURVEY, "contacts": uuids, "exclude_in_flow": False})
    run_jobs()
    assert len(aggregator.requests) == 4


def test_start_dialog_sends_an_idempotency_key_and_skips_by_default(live_asgi, workspace) -> None:
    """The dialog's markup and bundle: checked by default, one key per intended start."""
    from pathlib import Path

    from django.test import Client

    client = Client()
    assert client.login(username="admin@test.org", password="secret-pass")
    page = client.get("/flows/").content.decode()
    assert re.search(r'<input[^>]*name="exclude_in_flow"[^>]*\bchecked\b', page)
    root = Path(__file__).resolve().parents[2] / "web"
    for path in (root / "frontend/src/list.js", root / "static/flowgate/editor/flows-list.js"):
        code = path.read_text()
        assert "idempotency_key" in code and "crypto.randomUUID()" in code, path
