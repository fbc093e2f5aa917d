"""The flow editor in a real browser: build, save, reload, import, validate, simulate."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from flows.models import Flow
from tests import SHARED
from tests.web.ui.conftest import Browser

FIXTURES = Path(__file__).parent / "fixtures"
ANCHOR = SHARED / "anchor_data" / "rapidpro_flows"


def _create_flow(b: Browser, name: str) -> str:
    """Creates a flow from the flows list page and lands in its (empty) editor."""
    b.goto("/flows/")
    b.page.fill("#new-flow-name", name)
    b.page.click("#new-flow button[type=submit]")
    b.page.wait_for_url("**/editor")
    b.page.wait_for_selector("html[data-editor-ready='1']")
    return b.page.url.rstrip("/").split("/")[-2]


def _add_node(b: Browser, kind: str) -> str:
    before = set(b.page.eval_on_selector_all("[data-node-uuid]", "els => els.map(e => e.dataset.nodeUuid)"))
    b.page.select_option("#add-kind", kind)
    b.page.click("[data-action=add-node]")
    # A function, not an expression: the page's CSP forbids eval, which expression polling uses.
    b.page.wait_for_function(
        f"() => document.querySelectorAll('[data-node-uuid]').length === {len(before) + 1}"
    )
    after = b.page.eval_on_selector_all("[data-node-uuid]", "els => els.map(e => e.dataset.nodeUuid)")
    (new,) = set(after) - before
    return str(new)


def _drag(b: Browser, source: str, target: str) -> None:
    src = b.page.locator(source).bounding_box()
    dst = b.page.locator(target).bounding_box()
    assert src and dst
    b.page.mouse.move(src["x"] + src["width"] / 2, src["y"] + src["height"] / 2)
    b.page.mouse.down()
    b.page.mouse.move(dst["x"] + dst["width"] / 2, dst["y"] + 20, steps=12)
    b.page.mouse.up()


def _definition(b: Browser, flow_uuid: str) -> dict[str, Any]:
    return b.page.evaluate(
        "async u => (await (await fetch('/api/v1/flows/' + u, {credentials: 'same-origin'})).json()).definition",
        flow_uuid,
    )


def _import(b: Browser, path: Path) -> None:
    b.goto("/flows/")
    b.page.set_input_files("#import-file", str(path))
    b.page.click("#import-flows button[type=submit]")
    b.page.wait_for_selector("#import-result.ok")


def test_login_dashboard_and_flows_nav(browser: Browser) -> None:
    b = browser
    b.goto("/flows/")
    assert "/login/" in b.page.url, "the flows list needs a login"
    b.login()
    assert b.page.locator(".stats").is_visible()
    b.screenshot("dashboard.png")
    b.page.click("nav >> text=Flows")
    b.page.wait_for_url("**/flows/")
    assert b.page.locator("#new-flow").is_visible()


def test_build_two_question_flow_save_and_reload(browser: Browser) -> None:
    b = browser
    b.login()
    flow_uuid = _create_flow(b, "Two Questions")
    assert b.page.locator(".fg-empty").is_visible()

    first = _add_node(b, "send_msg")
    panel = b.page.locator("aside[aria-label='Edit node']")
    text = panel.locator("textarea[role=combobox]").first
    text.fill("")
    text.type("Hello @con")
    # autocomplete offers contact expressions and accepts with Enter
    b.page.wait_for_selector("[role=listbox] >> text=@contact.name")
    text.press("ArrowDown")
    text.press("Enter")
    assert text.input_value().startswith("Hello @contact")
    text.fill("What is your name?")
    panel.locator("#router-kind").select_option("wait")
    panel.locator("#router-result").fill("Name")
    panel.locator("button[type=submit]").click()
    assert panel.count() == 0

    second = _add_node(b, "send_msg")
    text = panel.locator("textarea[role=combobox]").first
    text.fill("Thanks @results.name! How old are you?")
    panel.locator("#router-kind").select_option("wait")
    panel.locator("#router-result").fill("Age")
    panel.locator("button[type=submit]").click()

    # undo takes the second node's edit back, redo restores it
    b.page.click("[data-action=undo]")
    expect(b.page.locator(f"[data-node-uuid='{second}']")).not_to_contain_text("How old")
    b.page.click("[data-action=redo]")
    expect(b.page.locator(f"[data-node-uuid='{second}']")).to_contain_text("How old")

    # the two cards may overlap where they were dropped; lay them out, then connect by dragging
    b.page.click("text=Auto-layout")
    b.page.wait_for_timeout(400)
    exit_uuid = b.page.locator(f"[data-node-uuid='{first}'] [data-exit-uuid]").first.get_attribute(
        "data-exit-uuid"
    )
    _drag(b, f".react-flow__handle[data-exit-uuid='{exit_uuid}']", f"[data-node-uuid='{second}']")
    b.page.wait_for_selector(f".react-flow__edge[data-id='{exit_uuid}']", state="attached")

    b.page.click("[data-action=save]")
    b.page.wait_for_selector(".fg-status >> text=Saved revision")
    put = [r for r in b.requests if r[0] == "PUT" and r[1].endswith("/definition")]
    assert put and put[-1][2].get("x-csrftoken"), "unsafe API calls carry the CSRF token"

    saved = _definition(b, flow_uuid)
    nodes = {n["uuid"]: n for n in saved["nodes"]}
    assert set(nodes) == {first, second}
    assert nodes[first]["actions"][0]["text"] == "What is your name?"
    assert nodes[first]["router"]["result_name"] == "Name"
    assert nodes[first]["exits"][0]["destination_uuid"] == second
    assert nodes[second]["router"]["wait"]["type"] == "msg"
    positions = {u: saved["_ui"]["nodes"][u]["position"] for u in nodes}
    b.screenshot("editor-two-questions.png")

    b.page.reload()
    b.page.wait_for_selector("html[data-editor-ready='1']")
    assert b.page.locator("[data-node-uuid]").count() == 2
    assert "What is your name?" in b.page.locator(f"[data-node-uuid='{first}']").inner_text()
    assert "How old are you?" in b.page.locator(f"[data-node-uuid='{second}']").inner_text()
    assert b.page.locator(f".react-flow__edge[data-id='{exit_uuid}']").count() == 1
    assert b.page.locator(".fg-status").inner_text().startswith("Revision")
    again = _definition(b, flow_uuid)
    assert {u: again["_ui"]["nodes"][u]["position"] for u in nodes} == positions


def test_validation_errors_are_marked_on_the_node(browser: Browser) -> None:
    b = browser
    b.login()
    flow_uuid = _create_flow(b, "Broken Webhook")
    b.expected_http_errors.append(f"/api/v1/flows/{flow_uuid}/definition")
    node = _add_node(b, "call_webhook")
    b.page.locator("aside[aria-label='Edit node'] button[type=submit]").click()
    b.page.click("[data-action=save]")
    b.page.wait_for_selector(".fg-status >> text=Not saved")
    card = b.page.locator(f"[data-node-uuid='{node}']")
    expect(card).to_have_class(re.compile("has-errors"))
    expect(card.locator(".fg-errors")).to_contain_text("url")
    b.page.click(f"[data-node-uuid='{node}']")
    b.page.fill("aside[aria-label='Edit node'] input[role=combobox]", "http://127.0.0.1:9/hook")
    b.page.locator("aside[aria-label='Edit node'] button[type=submit]").click()
    b.page.click("[data-action=save]")
    b.page.wait_for_selector(".fg-status >> text=Saved revision")
    expect(b.page.locator(".fg-node.has-errors")).to_have_count(0)


def test_import_export_and_simulate(browser: Browser) -> None:
    b = browser
    b.login()
    _import(b, FIXTURES / "colour_survey.json")
    export = json.loads((FIXTURES / "colour_survey.json").read_text())
    flow = export["flows"][0]
    b.page.wait_for_selector(f"tr[data-flow-uuid='{flow['uuid']}']")
    assert b.page.locator(f"tr[data-flow-uuid='{flow['uuid']}'] a[download]").get_attribute("href") == (
        f"/api/v1/flows/{flow['uuid']}/export"
    )
    b.page.click(f"tr[data-flow-uuid='{flow['uuid']}'] summary")  # the row's actions menu
    b.page.click(f"tr[data-flow-uuid='{flow['uuid']}'] >> text=Edit")
    b.page.wait_for_selector("html[data-editor-ready='1']")
    shown = set(b.page.eval_on_selector_all("[data-node-uuid]", "els => els.map(e => e.dataset.nodeUuid)"))
    assert shown == {n["uuid"] for n in flow["nodes"]}
    assert b.page.locator(".react-flow__edge").count() == 4

    # translation view shows the French text on the card
    b.page.select_option("#lang", "fra")
    expect(b.page.locator(f"[data-node-uuid='{flow['nodes'][0]['uuid']}']")).to_contain_text(
        "Quelle est ta couleur"
    )
    b.page.select_option("#lang", "")

    b.page.click("[data-action=simulator]")
    sim = b.page.locator("aside[aria-label=Simulator]")
    sim.locator("text=Start").click()
    sim.locator(".fg-line.flow >> text=What is your favorite color?").wait_for()
    wait_node = flow["nodes"][1]["uuid"]
    b.page.wait_for_selector(f"[data-node-uuid='{wait_node}'].current")
    sim.locator("#sim-text").fill("I like red")
    sim.locator("#sim-text").press("Enter")
    sim.locator(".fg-line.flow >> text=Red it is, Test Contact!").wait_for()
    assert sim.locator(".fg-sim-results").inner_text().lower().count("red") >= 1
    expect(b.page.locator(f"[data-node-uuid='{flow['nodes'][2]['uuid']}']")).to_have_class(
        re.compile("visited")
    )
    assert b.page.locator(".react-flow__edge.taken").count() >= 2
    b.screenshot("editor-simulator.png")


ANCHOR_EXPORTS = [p for p in [ANCHOR / "the_clinic.json"] if p.exists()]


@pytest.mark.parametrize("export_path", ANCHOR_EXPORTS, ids=lambda p: p.name)
def test_import_real_rapidpro_export_shows_every_node(browser: Browser, export_path: Path) -> None:
    b = browser
    b.login()
    _import(b, export_path)
    export = json.loads(export_path.read_text())
    for flow in export["flows"]:
        b.goto(f"/flows/{flow['uuid']}/editor")
        b.page.wait_for_selector("html[data-editor-ready='1']")
        shown = set(
            b.page.eval_on_selector_all("[data-node-uuid]", "els => els.map(e => e.dataset.nodeUuid)")
        )
        assert shown == {n["uuid"] for n in flow["nodes"]}, flow["name"]
        exits = {e["uuid"] for n in flow["nodes"] for e in n["exits"]}
        shown_exits = set(b.page.eval_on_selector_all(".fg-exit", "els => els.map(e => e.dataset.exitUuid)"))
        assert shown_exits == exits, flow["name"]


def test_revert_to_an_earlier_revision(browser: Browser) -> None:
    b = browser
    b.login()
    flow_uuid = _create_flow(b, "Revert Me")
    _add_node(b, "send_msg")
    b.page.fill("aside[aria-label='Edit node'] textarea[role=combobox]", "first version")
    b.page.locator("aside[aria-label='Edit node'] button[type=submit]").click()
    b.page.click("[data-action=save]")
    b.page.wait_for_selector(".fg-status >> text=Saved revision 2")
    _add_node(b, "send_msg")
    b.page.fill("aside[aria-label='Edit node'] textarea[role=combobox]", "second version")
    b.page.locator("aside[aria-label='Edit node'] button[type=submit]").click()
    b.page.keyboard.press("Control+s")
    b.page.wait_for_selector(".fg-status >> text=Saved revision 3")
    assert b.page.locator("[data-node-uuid]").count() == 2

    native = b.refuse_native_dialogs()
    b.page.click("text=Revisions")
    dialog = b.page.locator("dialog[data-dialog=revert]")
    revert = b.page.locator("[data-revision='2'] >> text=Revert")
    # the in-page question: the safe answer has the focus, Tab stays inside, Escape cancels
    revert.click()
    expect(dialog).to_be_visible()
    expect(dialog.locator("h2")).to_have_text("Revert to revision 2?")
    assert b.page.evaluate("() => document.activeElement.dataset.answer") == "no"
    assert b.focus_stays_in("dialog[data-dialog=revert]")
    b.page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    # "Keep editing" keeps the flow as it is
    revert.click()
    dialog.locator("[data-answer=no]").click()
    expect(dialog).to_have_count(0)
    assert b.page.locator("[data-node-uuid]").count() == 2
    assert Flow.objects.get(uuid=flow_uuid).revision == 3
    # "Revert" reverts
    revert.click()
    expect(dialog.locator("[data-answer=yes]")).to_have_text("Revert")
    dialog.locator("[data-answer=yes]").click()
    b.page.wait_for_function("() => document.querySelectorAll('[data-node-uuid]').length === 1")
    expect(b.page.locator("[data-node-uuid]")).to_contain_text("first version")
    assert native == []


def test_keyboard_and_phone_screen(browser: Browser) -> None:
    b = browser
    b.login()
    _import(b, FIXTURES / "colour_survey.json")
    flow_uuid = json.loads((FIXTURES / "colour_survey.json").read_text())["flows"][0]["uuid"]
    b.page.set_viewport_size({"width": 390, "height": 844})
    b.goto(f"/flows/{flow_uuid}/editor")
    b.page.wait_for_selector("html[data-editor-ready='1']")
    # a node card is reachable with Tab and opens its form with Enter; Escape closes it
    for _ in range(40):
        b.page.keyboard.press("Tab")
        if b.page.evaluate("!!document.activeElement.closest('.react-flow__node')"):
            break
    else:
        pytest.fail("no node card reachable with the keyboard")
    b.page.keyboard.press("Enter")
    panel = b.page.locator("aside[aria-label='Edit node']")
    panel.wait_for()
    assert panel.bounding_box()["width"] <= 390  # type: ignore[index]
    b.page.keyboard.press("Escape")
    assert panel.count() == 0
    b.page.click("[data-action=more]")  # on a phone the simulator is in the toolbar's More menu
    b.page.click("[data-action=simulator]")
    b.page.locator("aside[aria-label=Simulator] >> text=Start").click()
    b.page.locator(".fg-line.flow >> text=What is your favorite color?").wait_for()
    overflow = b.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px on a phone"
    b.screenshot("editor-phone.png")


def test_add_a_language_from_the_iso_list_on_a_phone(browser: Browser) -> None:
    """ "Add a language" is an in-page dialog with a searchable ISO 639-3 list, not a prompt():
    it fits a 390x844 phone, keeps the focus, refuses an unknown code in words, and each of its
    choices does what it says."""
    b = browser
    b.login()
    native = b.refuse_native_dialogs()
    flow_uuid = _create_flow(b, "Languages")
    _add_node(b, "send_msg")
    b.page.fill("aside[aria-label='Edit node'] textarea[role=combobox]", "Hello")
    b.page.locator("aside[aria-label='Edit node'] button[type=submit]").click()
    b.page.set_viewport_size({"width": 390, "height": 844})
    dialog = b.page.locator("dialog[data-dialog=lang-dialog]")
    search = dialog.locator("#lang-search")

    def language_menu() -> Any:
        more = b.page.locator("[data-action=more]")  # on a phone the language menu is under More
        if more.get_attribute("aria-expanded") != "true":
            more.click()
        expect(b.page.locator("#lang")).to_be_visible()
        return b.page.locator("#lang")

    def open_dialog() -> None:
        language_menu().select_option("__add")
        expect(dialog).to_be_visible()
        expect(search).to_be_focused()  # typing is safe: nothing is added without a choice

    def translations() -> list[str]:
        language_menu()
        return b.page.eval_on_selector_all(
            "#lang option", "os => os.map(o => o.value).filter(v => v && v !== '__add')"
        )

    open_dialog()
    box = dialog.bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= 390 and box["y"] + box["height"] <= 844, box
    assert (
        dialog.locator("[data-answer=yes]").is_visible() and dialog.locator("[data-answer=no]").is_visible()
    )
    assert b.focus_stays_in("dialog[data-dialog=lang-dialog]")
    b.screenshot("editor-add-language-390.png")
    # Escape cancels, and so does Cancel: no language is added
    b.page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    open_dialog()
    search.fill("spa")
    dialog.locator("[data-answer=no]").click()
    expect(dialog).to_have_count(0)
    assert translations() == []

    # an unknown code is refused in words and the dialog stays open
    open_dialog()
    search.fill("xqz")
    search.press("Enter")
    expect(dialog.locator("[role=alert]")).to_have_text("“xqz” is not an ISO 639-3 language code.")
    expect(dialog).to_be_visible()
    # the flow's own language cannot be added as a translation
    search.fill("eng")
    search.press("Enter")
    expect(dialog.locator("[role=alert]")).to_contain_text("own language")
    # searching by name: the first match is chosen and Enter adds it
    search.fill("French")
    expect(dialog.locator("[role=option][aria-selected=true]")).to_have_attribute("data-code", "fra")
    expect(dialog.locator("[data-answer=yes]")).to_have_text("Add French")
    search.press("ArrowDown")  # arrow keys move the choice
    expect(dialog.locator("[role=option][aria-selected=true]")).not_to_have_attribute("data-code", "fra")
    search.press("ArrowUp")
    expect(dialog.locator("[role=option][aria-selected=true]")).to_have_attribute("data-code", "fra")
    search.press("Enter")
    expect(dialog).to_have_count(0)
    expect(language_menu()).to_have_value("fra")
    # a click on a language adds that one
    open_dialog()
    search.fill("kinya")
    dialog.locator("[role=option][data-code=kin]").click()
    expect(dialog).to_have_count(0)
    assert translations() == ["fra", "kin"]

    b.page.keyboard.press("Control+s")
    b.page.wait_for_selector(".fg-status >> text=Saved revision 2")
    assert set(_definition(b, flow_uuid)["localization"]) == {"fra", "kin"}
    assert native == []
