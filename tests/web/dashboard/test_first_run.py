"""Issue 18, first run: the demo seeds a registration flow with a keyword trigger on the echo
channel, the dashboard guides a new workspace until real traffic, and an import lists the
triggers it created and asks before its catch-all replaces another flow's."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from channels_app.models import Channel, Membership
from flows.models import Flow, Trigger
from flows.services.simulate import simulate
from tests.flows.conftest import load_export
from tests.web.dashboard.conftest import make_msg
from tests.web.ui.conftest import Browser


def test_demo_seeds_a_registration_flow_that_runs_and_a_keyword_trigger(db: Any) -> None:
    call_command("demo", email="demo@test.org", password="demo-pass", stdout=io.StringIO())
    call_command("demo", email="demo@test.org", password="demo-pass", stdout=io.StringIO())  # idempotent
    workspace = Membership.objects.get(user__username="demo@test.org").workspace
    flow = Flow.objects.get(workspace=workspace)
    assert flow.name == "Registration"
    (trigger,) = Trigger.objects.filter(workspace=workspace)
    echo = Channel.objects.get(workspace=workspace)
    assert (trigger.trigger_type, trigger.keywords, trigger.channel_id, trigger.flow_id) == (
        "keyword", ["register"], echo.id, flow.id
    )  # fmt: skip
    out = simulate(workspace=workspace, flow=flow, inputs=["Ada", "33"])
    texts = [e["msg"]["text"] for e in out["events"] if e["type"] == "msg_created"]
    assert texts == [
        "Welcome! What is your name?",
        "Thanks Ada. How old are you?",
        "You are registered, Ada. Thank you!",
    ]
    assert out["status"] == "completed"


def test_getting_started_panel_until_real_traffic(client_in: Any, workspace: Any, ex_channel: Any) -> None:
    page = client_in.get("/").content.decode()
    assert 'id="getting-started"' in page and "Add a real channel" in page
    make_msg(ex_channel)  # a message on a real (non-demo) channel
    assert 'id="getting-started"' not in client_in.get("/").content.decode()


def _other_catch_all_export() -> dict[str, Any]:
    """Another export whose catch-all trigger points at a different flow ("Other catch all")."""
    other = load_export()
    old_uuid = other["flows"][1]["uuid"]
    other = json.loads(json.dumps(other).replace(old_uuid, "5f2b6e0a-1c55-4d4e-9a57-0000000000ff"))
    other["flows"][1]["name"] = "Other catch all"
    other["flows"] = [other["flows"][1]]
    other["triggers"] = [t for t in other["triggers"] if t["trigger_type"] == "C"]
    for t in other["triggers"]:
        t["flow"]["name"] = "Other catch all"
    return other


def test_import_lists_its_triggers_and_asks_before_replacing_a_catch_all(api: Any, workspace: Any) -> None:
    first = api.post("/api/v1/flows/import", data=json.dumps(load_export()), content_type="application/json")
    assert first.status_code == 200
    created = first.json()["created"]["triggers"]
    assert {(t["type"], tuple(t["keywords"])) for t in created} == {
        ("keyword", ("survey",)),
        ("catch_all", ()),
    }

    other = _other_catch_all_export()
    asked = api.post(
        "/api/v1/flows/import?catch_all=ask", data=json.dumps(other), content_type="application/json"
    )
    assert asked.status_code == 409
    assert asked.json()["conflicts"][0]["existing_flow"] == "Catch All"
    # the question lists every trigger the import would create, not only the conflicting one
    assert [(t["type"], t["flow"]) for t in asked.json()["triggers"]] == [("catch_all", "Other catch all")]
    assert not Flow.objects.filter(name="Other catch all").exists()  # nothing imported

    skipped = api.post(
        "/api/v1/flows/import?catch_all=skip", data=json.dumps(other), content_type="application/json"
    )
    assert skipped.status_code == 200 and skipped.json()["created"]["triggers"] == []
    (active,) = Trigger.objects.filter(workspace=workspace, trigger_type="catch_all", archived=False)
    assert active.flow.name == "Catch All"

    replaced = api.post(
        "/api/v1/flows/import?catch_all=replace", data=json.dumps(other), content_type="application/json"
    )
    assert replaced.status_code == 200
    (active,) = Trigger.objects.filter(workspace=workspace, trigger_type="catch_all", archived=False)
    assert active.flow.name == "Other catch all"


def test_dashboard_and_import_in_the_browser(browser: Browser, workspace: Any, tmp_path: Any) -> None:
    b = browser
    b.page.set_viewport_size({"width": 1366, "height": 900})
    b.login()
    expect(b.page.locator("#getting-started")).to_contain_text("Send a test message")
    b.screenshot("dashboard-getting-started-1366.png")
    export = tmp_path / "export.json"
    export.write_text(json.dumps(load_export()))
    b.goto("/flows/")
    b.page.set_input_files("#import-file", str(export))
    b.page.click("#import-flows button[type=submit]")
    # the list reloads to show the new flows; the import's summary survives the reload
    b.page.wait_for_selector("tr[data-flow-uuid]")
    b.page.wait_for_load_state("load")
    expect(b.page.locator("#import-result .import-triggers")).to_contain_text("keyword “survey”")
    expect(b.page.locator("#import-result .import-triggers")).to_contain_text("catch all")
    b.screenshot("flows-import-1366.png")

    # a second export's catch-all would shadow the first: an in-page dialog asks (no confirm())
    b.expected_http_errors.append("/api/v1/flows/import")  # the 409 that carries the question
    b.page.on("dialog", lambda d: pytest.fail(f"a native {d.type} dialog opened: {d.message}"))
    other = tmp_path / "other.json"
    other.write_text(json.dumps(_other_catch_all_export()))
    b.page.set_input_files("#import-file", str(other))
    b.page.click("#import-flows button[type=submit]")
    dialog = b.page.locator("#catch-all-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#catch-all-question")).to_contain_text("“Catch All”")
    expect(dialog.locator("#catch-all-triggers li")).to_have_text(["catch all → Other catch all"])
    assert b.page.evaluate("document.activeElement.id") == "catch-all-cancel"  # the safe default
    b.screenshot("flows-import-catch-all-1366.png")
    b.page.set_viewport_size({"width": 390, "height": 844})
    b.screenshot("flows-import-catch-all-390.png")
    box = dialog.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    b.page.set_viewport_size({"width": 1366, "height": 900})
    b.page.click("#catch-all-skip")
    expect(dialog).to_be_hidden()
    b.page.wait_for_selector("tr[data-flow-uuid='5f2b6e0a-1c55-4d4e-9a57-0000000000ff']")
    expect(b.page.locator("#import-result .import-triggers")).to_contain_text(
        "Not created: catch-all for Other catch all"
    )
    (active,) = Trigger.objects.filter(workspace=workspace, trigger_type="catch_all", archived=False)
    assert active.flow.name == "Catch All"

    b.page.set_viewport_size({"width": 390, "height": 844})
    b.goto("/")
    b.screenshot("dashboard-390.png")
    b.page.click(".menu-toggle")
    expect(b.page.locator("#main-nav")).to_be_visible()
    b.screenshot("menu-open-390.png")
    # the skip link is the first stop of the keyboard and lands on the content
    b.page.keyboard.press("Escape")
    expect(b.page.locator("#main-nav")).to_be_hidden()
    b.goto("/")
    b.page.keyboard.press("Tab")
    assert b.page.evaluate("document.activeElement.className") == "skip-link"
    b.page.keyboard.press("Enter")
    assert b.page.evaluate("document.activeElement.id") == "content"
