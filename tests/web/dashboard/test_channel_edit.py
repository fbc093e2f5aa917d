"""Issues 14 and 18: the channel page edits (name, settings, active) and releases a channel
through the API's services, and channel forms show only the settings that apply."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from channels_app import crypto
from channels_app.models import Channel, Msg
from channels_app.services.channels import create_channel
from tests.web.dashboard.conftest import make_msg
from tests.web.ui.conftest import Browser


def _ex(workspace: Any, name: str = "Gateway") -> Channel:
    return create_channel(workspace=workspace, type_code="EX", name=name, country="RW",
                          config={"send_url": "http://127.0.0.1:9/send", "send_authorization": "Bearer s3cr3t-xyz"})  # fmt: skip


def test_edit_keeps_masked_secrets_and_release_fails_queued_messages(client_in: Any, workspace: Any) -> None:
    channel = _ex(workspace)
    page = client_in.get(f"/channels/{channel.uuid}/edit").content.decode()
    assert 'value="Gateway"' in page and "s3cr3t-xyz" not in page
    form = {
        "name": "Gateway 2",
        "address": "+250788000111",
        "country": "RW",
        "config_send_url": "http://127.0.0.1:9/send2",
        "config_method": "POST",
        "config_content_type": "json",
        "config_send_authorization": "********",  # the mask: the stored secret is kept
        "config_max_length": "160",
        "config_encoding": "default",
        "config_max_tps": "0",
        "config_scheme": "tel",
        "config_inbound_auth": "none",
        "is_active": "on",
    }
    response = client_in.post(f"/channels/{channel.uuid}/edit", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    channel.refresh_from_db()
    assert channel.name == "Gateway 2" and channel.config["send_url"].endswith("/send2")
    assert channel.config["content_type"] == "json"
    assert crypto.reveal(channel.config)["send_authorization"] == "Bearer s3cr3t-xyz"

    bad = client_in.post(f"/channels/{channel.uuid}/edit", {**form, "config_send_url": "not a url"})
    assert bad.status_code == 200 and "URL" in bad.content.decode()

    queued = make_msg(channel, direction="out", status="queued")
    response = client_in.post(f"/channels/{channel.uuid}/release")
    assert response.status_code == 302 and response.url == "/channels/"
    channel.refresh_from_db()
    assert channel.is_active is False
    queued.refresh_from_db()
    assert queued.status == "failed" and "released" in queued.error  # no other channel can send it
    assert Msg.objects.filter(channel=channel).count() == 1  # history is kept
    assert client_in.get(f"/channels/{channel.uuid}/edit").status_code == 404
    assert client_in.post(f"/channels/{channel.uuid}/release").status_code == 404


def test_channel_forms_show_only_what_applies_and_the_page_edits_and_releases(
    browser: Browser, workspace: Any
) -> None:
    b = browser
    b.page.set_viewport_size({"width": 1366, "height": 900})
    b.login()
    b.goto("/channels/add/EX/")
    xpath = b.page.locator("#id_config_mo_text_xpath")
    custom = b.page.locator("#id_config_custom_content_type")
    username = b.page.locator("#id_config_inbound_username")
    header = b.page.locator("#id_config_inbound_header_name")
    for hidden in (xpath, custom, username, header):
        expect(hidden).to_be_hidden()
    expect(b.page.locator("#id_config_mo_text_field")).to_be_visible()
    b.page.select_option("#id_config_content_type", "xml")
    expect(xpath).to_be_visible()
    expect(b.page.locator("#id_config_mo_text_field")).to_be_hidden()
    b.page.select_option("#id_config_content_type", "custom")
    expect(custom).to_be_visible()
    b.page.select_option("#id_config_inbound_auth", "basic")
    expect(username).to_be_visible()
    expect(header).to_be_hidden()
    b.screenshot("channel-add-ex-1366.png")

    channel = _ex(workspace)
    b.goto(f"/channels/{channel.uuid}/")
    config = b.page.locator("#config")
    expect(config).to_contain_text("Send URL")
    assert "mo_from_field" not in config.inner_text() and "{" not in config.inner_text()
    b.screenshot("channel-page-1366.png")
    b.page.click("#channel-edit-link")
    b.page.fill("#id_name", "Renamed gateway")
    b.page.click("#channel-edit button[type=submit]")
    expect(b.page.locator("h1")).to_contain_text("Renamed gateway")
    b.page.click("text=Release…")
    b.page.click("#channel-release")
    b.page.wait_for_url("**/channels/")
    expect(b.page.locator(".flash")).to_contain_text("released")
    channel.refresh_from_db()
    assert not channel.is_active
    b.page.set_viewport_size({"width": 390, "height": 844})
    b.goto(f"/channels/{channel.uuid}/")
    b.screenshot("channel-page-390.png")
