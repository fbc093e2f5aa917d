"""External API behaviour the courier cases imply but do not spell out (issue 25, section 1)."""

from __future__ import annotations

import json

import pytest
from django.urls import resolve

from channels_app.models import Contact, Msg
from channels_app.services.channels import create_channel
from channels_app.services.send import queue_message
from channels_app.types.base import ConfigError
from channels_app.types.registry import all_types
from tests.conftest import run_jobs


def _ex(workspace, aggregator, **config):
    return create_channel(
        workspace=workspace, type_code="EX", name="EX", address="+250788000000", country="RW",
        config={"send_url": f"{aggregator.url}/send", **config},
    )  # fmt: skip


def test_every_channel_url_of_every_type_resolves_with_and_without_a_trailing_slash() -> None:
    checked = 0
    for channel_type in all_types():
        for action in channel_type.views():
            for path in (f"/c/{channel_type.slug}/{'0' * 8}-0000-4000-8000-{'0' * 12}/{action}",):
                for spelling in (path, path + "/"):
                    match = resolve(spelling)
                    assert match.func.__name__ == "channel_webhook", spelling
                    assert match.kwargs["action"] == action
                    checked += 1
    assert checked >= 20  # EX, XC (sms + voice), handler apps... all of them, both spellings


def test_status_and_stopped_urls_with_a_slash_on_the_django_path(client, workspace, aggregator) -> None:
    channel = _ex(workspace, aggregator)
    msg = queue_message(channel=channel, to="+250788123123", text="hi")
    run_jobs()
    for action, letter in (("sent", "S"), ("delivered", "D")):
        response = client.post(f"/c/ex/{channel.uuid}/{action}/", {"id": str(msg.id)})
        assert response.status_code == 200, response.content
        assert f'"status":"{letter}"' in response.content.decode()
    response = client.post(
        f"/c/ex/{channel.uuid}/receive/", {"from": "+250788123124", "text": "slash"}
    )  # multipart
    assert response.status_code == 200 and Msg.objects.filter(text="slash").exists()
    response = client.get(f"/c/ex/{channel.uuid}/stopped/", {"from": "+250788123123"})
    assert response.status_code == 200 and json.loads(response.content)["message"] == "Event Accepted"


def test_alphanumeric_sender_refused_on_tel_but_taken_on_ext(client, workspace, aggregator) -> None:
    tel = _ex(workspace, aggregator)
    for action in ("receive", "stopped"):
        response = client.get(f"/c/ex/{tel.uuid}/{action}", {"from": "MTN", "text": "promo"})
        assert response.status_code == 400 and "not a possible number" in response.json()["error"]
    assert not Contact.objects.filter(urns__identity="tel:MTN").exists()
    ext = _ex(workspace, aggregator, scheme="ext")
    response = client.get(f"/c/ex/{ext.uuid}/receive", {"from": "MTN", "text": "promo"})
    assert response.status_code == 200 and Msg.objects.get(text="promo").urn == "ext:MTN"


def test_unparseable_time_is_400_like_a_bad_date(client, workspace, aggregator) -> None:
    channel = _ex(workspace, aggregator)
    for name in ("date", "time"):
        response = client.get(
            f"/c/ex/{channel.uuid}/receive", {"from": "+250788123123", "text": "x", name: "20170623T123000Z"}
        )
        assert response.status_code == 400 and "RFC 3339" in response.json()["error"]


@pytest.mark.parametrize(
    "body",
    [
        '{"text": "{{text}}", "to": "{{to}}", "id": "{{id}}", "qr": {{quick_replies}}}',  # RapidPro's usual way
        '{"text": {{text}}, "to": {{to}}, "id": {{id}}, "qr": {{quick_replies}}}',  # courier's way
    ],
)
def test_json_body_is_valid_whether_or_not_placeholders_are_quoted(workspace, aggregator, body) -> None:
    channel = _ex(workspace, aggregator, content_type="json", body=body)
    text = 'He said "hi" \\ <b>&</b>\nbye ☺'
    queue_message(
        channel=channel,
        to="+250788123123",
        text=text,
        metadata={"quick_replies": [{"type": "text", "text": 'A "b"'}]},
    )
    run_jobs()
    sent = aggregator.requests[0].json()
    assert sent["text"] == text and sent["to"] == "+250788123123"
    assert sent["qr"] == ['A "b"']
    assert str(sent["id"]) == str(Msg.objects.get(direction="out").id)


@pytest.mark.parametrize(
    ("content_type", "body", "where"),
    [
        ("json", '{"text": {{text}},\n  "to": {{to}} "from": {{from}}}', "line 2, column 16"),
        ("json", '{"text": "{{text}}", "to": {{to}}', "line 1, column 34"),
        ("xml", "<sms>\n  <text>{{text}}</txt>\n</sms>", "line 2, column"),
        ("xml", "<sms><to>{{to}}</to>", "line 1, column"),
    ],
)
def test_body_templates_that_render_malformed_json_or_xml_are_refused_with_line_and_column(
    workspace, content_type, body, where
) -> None:
    with pytest.raises(ConfigError) as caught:
        create_channel(
            workspace=workspace, type_code="EX", name="bad", config={
                "send_url": "http://127.0.0.1:9/send", "content_type": content_type, "body": body
            },
        )  # fmt: skip
    assert where in caught.value.errors["body"], caught.value.errors


def test_default_bodies_and_courier_bodies_pass_the_save_check(workspace) -> None:
    for content_type in ("json", "xml", "urlencoded"):
        create_channel(
            workspace=workspace, type_code="EX", name=content_type,
            config={"send_url": "http://127.0.0.1:9/send", "content_type": content_type},
        )  # fmt: skip
    create_channel(
        workspace=workspace, type_code="EX", name="xml-qr", config={
            "send_url": "http://127.0.0.1:9/send", "content_type": "xml",
            "body": "<msg><text>{{text}}</text><quick_replies>{{quick_replies}}</quick_replies></msg>",
        },
    )  # fmt: skip


def test_api_rejects_a_malformed_body_with_a_400_naming_the_position(api) -> None:
    response = api.post(
        "/api/v1/channels",
        {"type": "EX", "name": "x", "config": {"send_url": "http://127.0.0.1:9/s", "content_type": "json",
                                               "body": '{"text": {{text}'}},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 400
    assert "line 1, column" in response.json()["errors"]["body"]


def test_use_national_and_to_national(workspace, aggregator) -> None:
    channel = _ex(
        workspace,
        aggregator,
        method="GET",
        send_url=f"{aggregator.url}/send?n={{{{to_national}}}}&to={{{{to}}}}",
    )
    queue_message(channel=channel, to="+250788383383", text="x")
    run_jobs()
    assert aggregator.requests[-1].path == "/send?n=788383383&to=%2B250788383383"
    channel.config["use_national"] = True
    channel.save()
    queue_message(channel=channel, to="+250788383384", text="y")
    run_jobs()
    assert aggregator.requests[-1].path == "/send?n=788383384&to=788383384"


def test_attachments_send_only_their_url(workspace, aggregator) -> None:
    from channels_app.attachments import text_with_attachments
    from smsc.services import to_sms

    channel = _ex(workspace, aggregator)
    msg = queue_message(
        channel=channel,
        to="+250788383383",
        text="pics",
        attachments=["image/jpeg:https://x.org/a.jpg", "https://x.org/b"],
    )
    run_jobs()
    assert aggregator.requests[0].form()["text"] == "pics\nhttps://x.org/a.jpg\nhttps://x.org/b"
    assert to_sms(msg).text == text_with_attachments("pics", msg.attachments)  # the SMPP path: same place


def test_quick_replies_from_a_flow_reach_the_last_part(workspace, aggregator) -> None:
    channel = _ex(workspace, aggregator, method="GET", max_length=10,
                  send_url=f"{aggregator.url}/send?t={{{{text}}}}{{{{quick_replies}}}}")  # fmt: skip
    # flows store quick replies in the message metadata (flows/services/sessions.py)
    queue_message(channel=channel, to="+250788383383", text="choose one please",
                  metadata={"quick_replies": [{"type": "text", "text": "Yes"}, {"type": "text", "text": "No"}]})  # fmt: skip
    run_jobs()
    assert [r.path for r in aggregator.requests] == [
        "/send?t=choose+one",
        "/send?t=please&quick_reply=Yes&quick_reply=No",
    ]
