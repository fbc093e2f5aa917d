"""Templates, webhooks and the websocket simulator in headless Chromium, desktop and phone, by keyboard.

The shared `browser` fixture fails a test on any console error or uncaught exception.
"""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import expect

from channels_app.models import MessageTemplate, WebhookDelivery, WebhookSubscription
from channels_app.services import webhooks as webhook_service
from tests import TESTS
from tests.web.dashboard.conftest import PHONE
from tests.web.dashboard.conftest import run_jobs_beside_browser as run_jobs

FIXTURE = TESTS / "web" / "ui" / "fixtures" / "colour_survey.json"


def _no_horizontal_scroll(page: Any) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"


def test_templates_create_preview_edit_delete_on_a_phone(browser: Any, workspace: Any) -> None:
    browser.expected_http_errors.append("/preview")  # the missing-variable preview is a 400 on purpose
    browser.login()
    page = browser.page
    page.set_viewport_size(PHONE)
    page.click(".menu-toggle")  # on a phone the navigation folds behind the menu button
    page.click("nav >> text=Templates")
    page.wait_for_url("**/templates/")
    _no_horizontal_scroll(page)
    page.fill("#tpl-code", "reminder")
    page.fill("#tr-0-lang", "eng")
    page.fill("#tr-0-text", "Hi @name, see you on @day at @place")
    page.click("[data-add-row=tr]")  # a second language row, focused
    expect(page.locator("#tr-1-lang")).to_be_focused()
    page.keyboard.type("fra")
    page.fill("#tr-1-text", "Bonjour @name, à @day")
    page.fill("#var-0-name", "name")
    page.click("[data-add-row=var]")
    page.keyboard.type("day")
    page.click("[data-add-row=var]")
    page.keyboard.type("place")
    page.fill("#var-2-default", "the clinic")
    _no_horizontal_scroll(page)
    page.click("#template-form button[type=submit]")
    page.wait_for_url("**/templates/reminder/")
    template = MessageTemplate.objects.get(workspace=workspace, code="reminder")
    assert template.translations == {
        "eng": "Hi @name, see you on @day at @place",
        "fra": "Bonjour @name, à @day",
    }
    assert template.variables == {"name": None, "day": None, "place": "the clinic"}

    # preview by keyboard: the missing variable is named, and marked on its field
    page.fill("#param-name", "Ada")
    page.focus("#param-day")
    page.keyboard.press("Enter")
    error = page.locator("#preview-result .preview-error")
    expect(error).to_have_text("missing template variables: day")
    expect(page.locator("#param-day").locator("xpath=..")).to_have_class("field has-error")
    page.fill("#param-day", "Monday")
    page.keyboard.press("Enter")
    expect(page.locator("#preview-result .preview-text")).to_have_text(
        "Hi Ada, see you on Monday at the clinic"
    )
    page.select_option("#preview-language", "fra")
    page.click("#preview-form button[type=submit]")
    expect(page.locator("#preview-result .preview-text")).to_have_text("Bonjour Ada, à Monday")
    _no_horizontal_scroll(page)
    browser.screenshot("templates-phone.png")

    # edit: a default for day; the list shows it; delete after confirming
    day = page.eval_on_selector_all(
        "input[name^='var-'][name$='-name']", "els => els.find(e => e.value === 'day').id"
    )
    page.fill("#" + day.replace("-name", "-default"), "Friday")
    page.click("#template-form button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("Template reminder saved.")
    template.refresh_from_db()
    assert template.variables["day"] == "Friday"
    page.click(".menu-toggle")
    page.click("nav >> text=Templates")
    row = page.locator("tr[data-template-code=reminder]")
    expect(row).to_contain_text("day=Friday")
    browser.confirm_in_page(row.locator("button.danger"), answer=True)
    expect(page.locator(".flash")).to_contain_text("Template reminder deleted.")
    assert not MessageTemplate.objects.exists()


def test_webhooks_subscribe_see_failures_and_replay(browser: Any, workspace: Any, aggregator: Any,
                                                    settings: Any) -> None:  # fmt: skip
    settings.FLOWGATE_WEBHOOK_MAX_ATTEMPTS = 1
    browser.login()
    page = browser.page
    page.click("nav >> text=Webhooks")
    page.wait_for_url("**/settings/webhooks/")
    page.fill("#webhook-url", f"{aggregator.url}/hook")
    page.uncheck("input[value='call.event']")
    page.click("#new-webhook button[type=submit]")
    secret = page.input_value("#new-secret")
    subscription = WebhookSubscription.objects.get(workspace=workspace)
    assert secret == subscription.plain_secret and len(secret) == 48
    assert subscription.events == ["flow.completed", "message.received", "message.status_changed"]
    browser.goto("/settings/webhooks/")  # afterwards the list shows the masked form only
    expect(page.locator(f"tr[data-webhook-uuid='{subscription.uuid}'] code.masked")).to_have_text(
        secret[:4] + "*" * 12
    )
    assert secret not in page.content()

    aggregator.script.append((500, "receiver broke", 0.0))
    webhook_service.emit(workspace_id=workspace.id, event="message.received", data={"text": "hello"})
    run_jobs()
    page.click(f"tr[data-webhook-uuid='{subscription.uuid}'] >> text=Deliveries")
    failed = WebhookDelivery.objects.get()
    row = page.locator(f"tr[data-delivery-uuid='{failed.uuid}']")
    expect(row.locator("td.status")).to_have_text("failed")
    expect(row.locator("td.attempts")).to_have_text("1")
    expect(row.locator(".codes")).to_have_text("500")
    row.locator(".codes").click()  # the attempt log opens with the receiver's answer
    expect(row.locator(".attempt-log")).to_contain_text("receiver broke")

    # replay by keyboard
    row.get_by_role("button", name="Replay").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".flash")).to_contain_text("queued again")
    run_jobs()
    page.reload()
    replayed = WebhookDelivery.objects.exclude(id=failed.id).get()
    new_row = page.locator(f"tr[data-delivery-uuid='{replayed.uuid}']")
    expect(new_row.locator("td.status")).to_have_text("delivered")
    expect(new_row.locator(".codes")).to_have_text("200")
    assert json.loads(aggregator.requests[-1].body)["data"] == {"text": "hello"}

    page.set_viewport_size(PHONE)
    page.reload()
    _no_horizontal_scroll(page)
    browser.screenshot("webhooks-phone.png")
    browser.goto("/settings/webhooks/")
    _no_horizontal_scroll(page)
    browser.confirm_in_page(f"tr[data-webhook-uuid='{subscription.uuid}'] button.danger", answer=True)
    expect(page.locator(".flash")).to_contain_text("deleted")
    assert not WebhookSubscription.objects.exists()


def _open_simulator(browser: Any, workspace: Any) -> tuple[Any, dict[str, Any]]:
    from flows.services.importing import import_export

    export = json.loads(FIXTURE.read_text())
    import_export(workspace=workspace, data=export)
    flow = export["flows"][0]
    browser.login()
    browser.goto(f"/flows/{flow['uuid']}/editor")
    browser.page.wait_for_selector("html[data-editor-ready='1']")
    browser.page.click("[data-action=simulator]")
    return browser.page.locator("aside[aria-label=Simulator]"), flow


def _converse(browser: Any, sim: Any, flow: dict[str, Any]) -> None:
    sim.locator("text=Start").click()
    sim.locator(".fg-line.flow >> text=What is your favorite color?").wait_for()
    browser.page.wait_for_selector(f"[data-node-uuid='{flow['nodes'][1]['uuid']}'].current")
    sim.locator("#sim-text").fill("blue")
    sim.locator("#sim-text").press("Enter")
    sim.locator(".fg-line.flow >> text=I only know red. Try again.").wait_for()
    sim.locator("#sim-text").fill("I like red")
    sim.locator("#sim-text").press("Enter")
    sim.locator(".fg-line.flow >> text=Red it is, Test Contact!").wait_for()
    expect(sim.locator(".fg-sim-results")).to_contain_text("Red")
    expect(sim.locator(".fg-sim-status")).to_have_text("completed")


def test_simulator_talks_over_the_websocket(browser: Any, workspace: Any) -> None:
    sim, flow = _open_simulator(browser, workspace)
    _converse(browser, sim, flow)
    expect(sim).to_have_attribute("data-transport", "socket")
    expect(sim.locator(".fg-sim-transport")).to_have_text("live")
    posts = [url for method, url, _ in browser.requests if method == "POST" and "/api/v1/simulate" in url]
    assert posts == [], "the websocket carried every input"
    browser.page.set_viewport_size(PHONE)
    _no_horizontal_scroll(browser.page)


def test_simulator_falls_back_to_http_when_the_socket_is_refused(browser: Any, workspace: Any) -> None:
    # a proxy that drops websockets: every /ws/simulator/ socket is closed at once
    browser.page.route_web_socket(
        "**/ws/simulator/", lambda ws: ws.close(code=1011, reason="no websockets here")
    )
    sim, flow = _open_simulator(browser, workspace)
    _converse(browser, sim, flow)
    expect(sim).to_have_attribute("data-transport", "http")
    posts = [url for method, url, _ in browser.requests if method == "POST" and "/api/v1/simulate" in url]
    assert len(posts) == 3  # start and two replies
