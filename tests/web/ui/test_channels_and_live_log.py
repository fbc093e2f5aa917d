"""In a real browser: add an External API channel, then watch inbound messages arrive live."""

from __future__ import annotations

import httpx

from channels_app import crypto
from channels_app.models import Channel
from tests.conftest import run_jobs


def test_add_external_api_channel_and_watch_messages_arrive_live(browser, aggregator) -> None:
    browser.login()
    browser.goto("/channels/add/")
    browser.page.click("text=External API")
    browser.page.fill("#id_name", "My aggregator")
    browser.page.fill("#id_country", "RW")
    browser.page.fill("#id_config_send_url", f"{aggregator.url}/send")
    browser.page.fill("#id_config_send_authorization", "Bearer top-secret")
    browser.page.click("form.form button[type=submit]")
    browser.page.wait_for_selector("text=Channel My aggregator added.")
    page_text = browser.page.content()
    assert "top-secret" not in page_text  # the secret is masked on the channel page
    channel = Channel.objects.get(name="My aggregator")
    assert channel.config["send_authorization"].startswith("enc:v1:")  # encrypted at rest
    assert crypto.decrypt(channel.config["send_authorization"]) == "Bearer top-secret"
    receive_url = f"{browser.base}/c/ex/{channel.uuid}/receive"
    assert receive_url in page_text

    browser.goto("/messages/")
    browser.page.wait_for_selector("#live.on")  # the websocket is connected
    response = httpx.post(receive_url, data={"from": "0788123123", "text": "Hello from the field"})
    assert response.status_code == 200
    run_jobs()  # the handle job resolves the contact and announces the message
    row = browser.page.wait_for_selector(f"tr[data-uuid='{response.json()['uuid']}']")
    assert "Hello from the field" in row.inner_text()
    assert "tel:+250788123123" in row.inner_text() and "My aggregator" in row.inner_text()
    browser.screenshot("message-log-live.png")


def test_add_channel_form_shows_errors_beside_fields(browser) -> None:
    browser.login()
    browser.goto("/channels/add/EX/")
    browser.page.fill("#id_name", "Broken")
    browser.page.fill("#id_config_send_url", "not a url")
    browser.page.click("form.form button[type=submit]")
    error = browser.page.wait_for_selector(".field.has-error .error")
    assert "URL" in error.inner_text()
    assert not Channel.objects.filter(name="Broken").exists()
