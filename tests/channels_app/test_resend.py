"""Re-queueing failed and outcome-unknown messages (API and the message log's bulk action), and
the plain-language status explanations shown next to them."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from channels_app.models import Msg
from channels_app.services import send
from channels_app.services.send import queue_message
from tests.conftest import run_jobs


def _failed_and_unknown(ex_channel: Any) -> tuple[Msg, Msg, Msg]:
    failed = queue_message(channel=ex_channel, to="+250788123001", text="failed one")
    unknown = queue_message(channel=ex_channel, to="+250788123002", text="unknown one")
    fine = queue_message(channel=ex_channel, to="+250788123003", text="fine one")
    Msg.objects.filter(id=failed.id).update(status="failed", error="HTTP 400 from provider", attempts=4)
    Msg.objects.filter(id=unknown.id).update(status="wired", attempts=1, metadata={"outcome_unknown": True})
    Msg.objects.filter(id=fine.id).update(status="sent", attempts=1)
    return failed, unknown, fine


def test_api_resend_requeues_failed_and_unknown_only_and_they_go_out(api, ex_channel, aggregator) -> None:
    failed, unknown, fine = _failed_and_unknown(ex_channel)
    detail = api.get(f"/api/v1/messages/{unknown.uuid}").json()
    assert detail["status_description"].startswith("Outcome unknown")
    assert "Resend" in detail["status_description"]
    assert "rejected the request" in api.get(f"/api/v1/messages/{failed.uuid}").json()["status_description"]

    response = api.post(
        "/api/v1/messages/resend",
        data=json.dumps({"uuids": [str(failed.uuid), str(unknown.uuid), str(fine.uuid)]}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert sorted(body["resent"]) == sorted([str(failed.uuid), str(unknown.uuid)])
    assert body["skipped"] == [
        {"uuid": str(fine.uuid), "reason": "it is sent, only failed or outcome-unknown messages are resent"}
    ]
    run_jobs()
    assert sorted(r.form()["text"] for r in aggregator.requests) == ["failed one", "unknown one"]
    for msg in (failed, unknown):
        msg.refresh_from_db()
        assert msg.status == "sent" and "outcome_unknown" not in msg.metadata and msg.metadata["resent"] == 1
        assert msg.events.filter(event_type="resent").exists()


def test_api_resend_bad_input_is_a_clear_4xx(api) -> None:
    def post(body: Any) -> Any:
        return api.post("/api/v1/messages/resend", data=json.dumps(body), content_type="application/json")

    assert post({"uuids": []}).status_code == 400
    assert post({"uuids": ["nope"]}).json()["error"] == "not a message uuid: 'nope'"
    assert post({"uuids": ["00000000-0000-4000-8000-000000000000"]}).status_code == 404
    assert post({"uuid": "x"}).status_code in (400, 422)


def test_message_log_bulk_resend_and_message_page_explain(ex_channel, aggregator) -> None:
    failed, unknown, fine = _failed_and_unknown(ex_channel)
    client = Client()
    assert client.login(username="admin@test.org", password="secret-pass")
    log = client.get("/messages/").content.decode()
    assert (
        f'value="{failed.uuid}" form="resend-form"' in log
        and f'value="{unknown.uuid}" form="resend-form"' in log
    )
    assert f'value="{fine.uuid}" form="resend-form"' not in log

    page = client.get(f"/messages/{unknown.uuid}/").content.decode()
    assert "Outcome unknown: the worker stopped" in page and 'id="resend"' in page
    assert 'id="resend"' not in client.get(f"/messages/{fine.uuid}/").content.decode()

    response = client.post(
        "/messages/resend", {"msgs": [str(failed.uuid), str(unknown.uuid), str(fine.uuid)]}
    )
    assert response.status_code == 302
    assert set(Msg.objects.filter(status="queued").values_list("id", flat=True)) == {failed.id, unknown.id}
    assert send.send_channel(channel_id=ex_channel.id) == 2


def test_resend_of_a_message_whose_channel_was_released_reroutes_it(
    api, ex_channel, workspace, aggregator
) -> None:
    from channels_app.services.channels import create_channel

    failed, _, _ = _failed_and_unknown(ex_channel)
    other = create_channel(
        workspace=workspace,
        type_code="EX",
        name="Backup",
        address="+250788000009",
        country="RW",
        config={"send_url": f"{aggregator.url}/backup", "content_type": "urlencoded"},
    )
    assert api.delete(f"/api/v1/channels/{ex_channel.uuid}").status_code == 204
    body = api.post(
        "/api/v1/messages/resend",
        data=json.dumps({"uuids": [str(failed.uuid)]}),
        content_type="application/json",
    ).json()
    assert body["resent"] == [str(failed.uuid)]
    failed.refresh_from_db()
    assert failed.channel_id == other.id
    run_jobs()
    assert [r.path for r in aggregator.requests] == ["/backup"]
