"""The call UI in headless Chromium: the incoming-call popup on any page, click-to-call from a contact."""

from __future__ import annotations

import httpx

from channels_app.models import Call
from channels_app.services.contacts import create_contact
from tests.web.ui.conftest import EMAIL, PASSWORD, Browser

from .helpers import AGENT_EXTENSION, FORM, fixture_bytes

CALLER = "+250788123123"


def login(b: Browser, next_path: str) -> None:
    """Log in straight to `next_path`: these tests are about call pages, not the dashboard."""
    b.goto(f"/login/?next={next_path}")
    b.page.fill("#id_username", EMAIL)
    b.page.fill("#id_password", PASSWORD)
    b.page.click("button[type=submit]")
    b.page.wait_for_url(b.base + next_path)


def test_incoming_call_pops_up_with_the_callers_contact(browser: Browser, workspace, agent, twilio_channel):
    contact = create_contact(workspace=workspace, name="Ada Lovelace", urn_list=[f"tel:{CALLER}"])
    login(browser, "/channels/")  # any page of a logged-in user
    browser.page.wait_for_selector("html[data-calls-live]", state="attached")

    channel_url = f"{browser.base}/c/xc/{twilio_channel['uuid']}"
    response = httpx.post(
        f"{channel_url}/incoming",
        content=fixture_bytes("twilio_voice", "incoming.txt"),
        headers={"Content-Type": FORM},
    )
    assert response.status_code == 200, response.text
    popup = browser.page.wait_for_selector(".call-popup")
    assert popup is not None
    text = popup.inner_text()
    assert "Incoming call" in text and "Ada Lovelace" in text and CALLER in text
    assert popup.query_selector(".call-popup-status").inner_text() == "ringing"
    browser.screenshot("voice-incoming-popup.png")

    # The provider reports the call ended: the popup says so.
    call = Call.objects.get(direction="in")
    httpx.post(
        f"{channel_url}/status",
        content=f"CallSid={call.external_id}&CallStatus=completed&CallDuration=12".encode(),
        headers={"Content-Type": FORM},
    )
    browser.page.wait_for_function(
        "() => document.querySelector('.call-popup-status').textContent === 'ended: completed'"
    )

    # "Open contact" leads to the caller's contact page, with the call in its history.
    browser.page.click(".call-popup-contact")
    browser.page.wait_for_url(f"{browser.base}/contacts/{contact.uuid}/")
    assert browser.page.inner_text("#contact-name") == "Ada Lovelace"
    assert "completed" in browser.page.inner_text("#contact-calls")


def test_click_to_call_from_a_contact_page(
    browser: Browser, workspace, agent, twilio_channel, provider_server, recorded
):
    provider_server.sends = [recorded("twilio_voice", "call_ok.json", 201)]
    contact = create_contact(workspace=workspace, name="Grace Hopper", urn_list=[f"tel:{CALLER}"])
    login(browser, "/contacts/")
    browser.page.click("text=Grace Hopper")
    browser.page.wait_for_url(f"{browser.base}/contacts/{contact.uuid}/")
    assert browser.page.input_value("input[name=extension]") == AGENT_EXTENSION
    browser.page.click("#call-button")
    browser.page.wait_for_url(f"{browser.base}/calls/*/")
    assert browser.page.inner_text("#call-status") == "ringing"
    assert "Calling" in browser.page.inner_text("main")
    (sent,) = provider_server.requests
    assert sent.form()["To"] == AGENT_EXTENSION
    assert sent.form()["Url"].endswith("DialTo=%2B250788123123")
    call = Call.objects.get()
    assert (call.contact_id, call.user_id, call.external_id) == (
        contact.id,
        agent.id,
        "CAa346467ca321c71dbd5e12f627deb854",
    )

    # The call log lists it and links back to the contact.
    browser.goto("/calls/")
    row = browser.page.inner_text(f"#call-log tr[data-uuid='{call.uuid}']")
    assert "Grace Hopper" in row and "ringing" in row
