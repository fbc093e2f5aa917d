"""The flows list's "Export results" action in a real browser: progress bar, then a download link."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from flows.models import Flow, ResultsExport
from tests.conftest import run_jobs
from tests.flows.conftest import SURVEY
from tests.web.ui.conftest import Browser, browser

from .helpers import seed_runs

__all__ = ["browser"]  # fixture


def test_export_results_button_polls_progress_until_download(
    browser: Browser, imported: dict[str, Any], workspace: Any
) -> None:
    seed_runs(flow=Flow.objects.get(workspace=workspace, uuid=SURVEY), count=50)
    browser.login()
    browser.goto("/flows/")
    row = browser.page.locator(f"tr[data-flow-uuid='{SURVEY}']")
    row.locator("summary").click()  # the row's actions menu
    row.locator("[data-export-results=csv]").click()
    expect(row.locator(".export-status progress")).to_be_visible()
    for _ in range(50):
        if ResultsExport.objects.exists():
            break
        browser.page.wait_for_timeout(100)
    export = ResultsExport.objects.get()
    assert export.status == "pending"
    run_jobs()
    link = row.locator(".export-status a")
    expect(link).to_have_text("Download CSV", timeout=10_000)
    assert link.get_attribute("href") == f"/api/v1/flows/exports/{export.uuid}/download"
    assert row.locator(".export-status progress").get_attribute("value") == "100"
    # and a notice that stays in view says so, whatever row the user scrolled to
    expect(browser.page.locator("#export-notice")).to_contain_text("results of")
    assert browser.page.locator("#export-notice a").get_attribute("href") == link.get_attribute("href")
    body = browser.page.evaluate(
        "async u => (await fetch(u, {credentials: 'same-origin'})).text()", link.get_attribute("href")
    )
    assert body.count("\n") == 51 and "Person 49" in body
