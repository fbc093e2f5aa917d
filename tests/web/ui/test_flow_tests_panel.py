"""In a real browser: play the flow in the simulator, record it as a test in the Tests panel (it
passes), break the flow, and the panel shows the test failing with a readable first difference."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import expect

from flows.models import Flow
from tests.web.ui.conftest import Browser

FIXTURES = Path(__file__).parent / "fixtures"


def test_record_from_simulator_passes_then_fails_with_a_diff_after_an_edit(browser: Browser) -> None:
    b = browser
    b.login()
    b.goto("/flows/")
    b.page.set_input_files("#import-file", str(FIXTURES / "colour_survey.json"))
    b.page.click("#import-flows button[type=submit]")
    b.page.wait_for_selector("#import-result.ok")
    flow_uuid = json.loads((FIXTURES / "colour_survey.json").read_text())["flows"][0]["uuid"]
    b.goto(f"/flows/{flow_uuid}/editor")
    b.page.wait_for_selector("html[data-editor-ready='1']")

    b.page.click("[data-action=simulator]")
    sim = b.page.locator("aside[aria-label=Simulator]")
    sim.locator("text=Start").click()
    sim.locator(".fg-line.flow >> text=What is your favorite color?").wait_for()
    sim.locator("#sim-text").fill("I like red")
    sim.locator("#sim-text").press("Enter")
    sim.locator(".fg-line.flow >> text=Red it is, Test Contact!").wait_for()

    b.page.click("[data-action=tests]")
    panel = b.page.locator("aside[aria-label='Flow tests']")
    panel.locator("input[aria-label='Test name']").fill("Red path")
    panel.locator("[data-action=record-test]").click()
    panel.locator("li[data-test='Red path'][data-ok='1']").wait_for()
    assert "1 passed, 0 failed" in panel.locator(".fg-tests-status").inner_text()
    flow = Flow.objects.get(uuid=flow_uuid)
    assert [t["name"] for t in flow.tests] == ["Red path"]
    assert {"send": "I like red"} in flow.tests[0]["steps"]

    # the steps are a list to edit: a wrong expectation makes the test fail, then it is put back
    panel.locator("li[data-test='Red path'] >> text=Edit").click()
    steps = panel.locator(".fg-test-edit input")
    assert steps.count() == len(flow.tests[0]["steps"])
    b.screenshot("editor-tests-panel.png")
    panel.locator("text=Cancel").click()

    # someone breaks the reply: the recorded test fails, naming the step and both texts
    definition = json.loads(json.dumps(flow.definition).replace("Red it is", "Blue it is"))
    Flow.objects.filter(id=flow.id).update(definition=definition)
    b.page.reload()
    b.page.wait_for_selector("html[data-editor-ready='1']")
    b.page.click("[data-action=tests]")
    failing = panel.locator("li[data-test='Red path'][data-ok='0']")
    failing.wait_for()
    diff = failing.locator("pre.fg-diff").inner_text()
    assert "Red it is" in diff and "Blue it is" in diff, diff
    assert diff.lower().startswith("step 3")
    failing.locator("text=Show in simulator").click()
    transcript = failing.locator(".fg-transcript").inner_text()
    assert "Contact: I like red" in transcript and "Flow: Blue it is" in transcript
    b.screenshot("editor-tests-failing.png")

    # saving over failing tests asks first, in the page (no native confirm()): the safe answer
    # has the focus; "Don't save" and Escape keep the revision, "Save anyway" saves
    b.page.click("[data-action=tests]")  # close the panel
    native = b.refuse_native_dialogs()
    revision = Flow.objects.get(id=flow.id).revision
    dialog = b.page.locator("dialog[data-dialog=save-failing]")
    b.page.click("text=Auto-layout")  # any change makes the flow savable
    b.page.click("[data-action=save]")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("1 flow test fails with these changes. Save anyway?")
    assert b.page.evaluate("() => document.activeElement.dataset.answer") == "no"
    assert b.focus_stays_in("dialog[data-dialog=save-failing]")
    b.screenshot("editor-save-failing-dialog.png")
    dialog.locator("[data-answer=no]").click()
    expect(dialog).to_have_count(0)
    b.page.wait_for_selector("text=Not saved: flow tests fail")
    assert Flow.objects.get(id=flow.id).revision == revision

    b.page.keyboard.press("Control+s")
    expect(dialog).to_be_visible()
    b.page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    assert Flow.objects.get(id=flow.id).revision == revision

    b.page.click("[data-action=save]")
    dialog.locator("[data-answer=yes]").click()
    b.page.wait_for_selector(f".fg-status >> text=Saved revision {revision + 1}")
    assert Flow.objects.get(id=flow.id).revision == revision + 1
    assert native == []
