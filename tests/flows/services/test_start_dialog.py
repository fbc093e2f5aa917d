"""The flow start dialog in a real browser (issues 14 and 18): searching group and contact
pickers, the number of contacts it will reach, "skip contacts already in a flow" on by default,
and a double click that starts everybody once."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from channels_app.models import Contact, ContactGroup, ContactURN
from flows.models import FlowRun, FlowStart
from tests.conftest import run_jobs
from tests.flows.conftest import SURVEY
from tests.web.ui.conftest import Browser, browser

__all__ = ["browser"]  # fixture


def _contact(workspace: Any, name: str, number: str) -> Contact:
    contact = Contact.objects.create(workspace=workspace, name=name)
    ContactURN.objects.create(
        workspace=workspace, contact=contact, identity=f"tel:{number}", scheme="tel", path=number
    )
    return contact


def test_start_dialog_searches_counts_and_starts_once_on_a_double_click(
    browser: Browser, imported: dict[str, Any], workspace: Any, ex_channel: Any
) -> None:
    clinic = ContactGroup.objects.create(workspace=workspace, name="Clinic visitors")
    ContactGroup.objects.create(workspace=workspace, name="Staff")
    members = [_contact(workspace, f"Visitor {i}", f"+25078830000{i}") for i in range(3)]
    clinic.contacts.add(*members)
    extra = _contact(workspace, "Zed Outsider", "+250788399999")

    b = browser
    b.page.set_viewport_size({"width": 1366, "height": 900})
    b.login()
    b.goto("/flows/")
    row = b.page.locator(f"tr[data-flow-uuid='{SURVEY}']")
    row.locator("summary").click()
    row.locator("[data-start]").click()
    dialog = b.page.locator("#start-dialog")
    expect(dialog).to_be_visible()
    assert dialog.locator("input[name=exclude_in_flow]").is_checked(), (
        "skip contacts in a flow is on by default"
    )

    dialog.locator("#start-group-search").fill("clin")
    expect(dialog.locator("#start-groups li[data-name='staff']")).to_be_hidden()
    expect(dialog.locator("[data-group-count]").first).to_have_text("(3)")
    dialog.locator("#start-groups label", has_text="Clinic visitors").click()
    expect(dialog.locator("#start-reach")).to_contain_text("3 contacts will be started")

    dialog.locator("#start-contact-search").fill("Zed")
    dialog.locator("#start-contact-results button", has_text="Zed Outsider").click()
    expect(dialog.locator("#start-contacts li")).to_have_count(1)
    expect(dialog.locator("#start-reach")).to_contain_text("4 contacts will be started")
    b.screenshot("flows-start-dialog-1366.png")

    submit = dialog.locator("#start-submit")
    submit.dblclick()
    expect(submit).to_be_disabled()
    for _ in range(50):
        if FlowStart.objects.exists():
            break
        b.page.wait_for_timeout(100)
    run_jobs()
    expect(dialog.locator("#start-result")).to_contain_text("completed: 4 contacts started", timeout=10_000)
    expect(submit).to_be_disabled()  # done: another click can't start the same people again
    expect(submit).to_have_text("Started")
    assert FlowStart.objects.count() == 1
    for contact in [*members, extra]:
        assert FlowRun.objects.filter(contact=contact).count() == 1, contact.name

    # changing the recipients makes it a new start again
    dialog.locator("#start-contacts button").click()
    expect(submit).to_be_enabled()

    b.page.set_viewport_size({"width": 390, "height": 844})
    b.screenshot("flows-start-dialog-390.png")
    box = dialog.bounding_box()
    assert box and box["width"] <= 390


def test_flows_list_shows_run_figures_and_works_on_a_phone(
    browser: Browser, imported: dict[str, Any], workspace: Any
) -> None:
    from flows.models import Flow

    from .helpers import seed_runs

    seed_runs(flow=Flow.objects.get(workspace=workspace, uuid=SURVEY), count=5)
    b = browser
    b.page.set_viewport_size({"width": 1366, "height": 900})
    b.login()
    b.goto("/flows/")
    row = b.page.locator(f"tr[data-flow-uuid='{SURVEY}']")
    counts = row.locator(".run-counts")
    assert counts.get_attribute("data-runs-total") == "5"
    expect(counts).to_contain_text("completed")
    expect(row.locator("svg.sparkline")).to_have_attribute(
        "aria-label", __import__("re").compile(r"last 7 days: (\d+, ){6}\d+")
    )
    b.screenshot("flows-list-1366.png")
    b.page.set_viewport_size({"width": 390, "height": 844})
    b.page.reload()
    row = b.page.locator(f"tr[data-flow-uuid='{SURVEY}']")
    row.locator("summary").click()
    expect(row.locator("[data-start]")).to_be_visible()
    assert b.page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    b.screenshot("flows-list-390.png")
