"""Issue 18: a newcomer builds the registration flow from an empty canvas with the mouse.

Drag from an exit to empty canvas (the picker opens there, the new card arrives connected),
type the texts, connect, remove a wrong connection (and undo/redo that), save, run the
simulator. The browser fixture fails the test on any console error; CSP violations and
overlapping cards fail it here. Screenshots at 1366×900 and 390×844 go to var/test-artifacts/.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.web.ui.conftest import Browser
from tests.web.ui.test_csp import RECORD_VIOLATIONS
from tests.web.ui.test_flow_editor import _create_flow, _definition, _drag

DIALOG = "aside[aria-label='Edit node']"


def _uuids(b: Browser) -> list[str]:
    return list(b.page.eval_on_selector_all("[data-node-uuid]", "els => els.map(e => e.dataset.nodeUuid)"))


def _overlaps(b: Browser) -> list[tuple[str, str]]:
    boxes = b.page.eval_on_selector_all(
        ".react-flow__node",
        "els => els.map(e => { const r = e.getBoundingClientRect();"
        " return [e.dataset.id, r.left, r.top, r.right, r.bottom]; })",
    )
    out = []
    for i, a in enumerate(boxes):
        for c in boxes[i + 1 :]:
            if a[1] < c[3] and c[1] < a[3] and a[2] < c[4] and c[2] < a[4]:
                out.append((a[0], c[0]))
    return out


def _exit_of(b: Browser, node: str) -> str:
    return str(
        b.page.locator(f"[data-node-uuid='{node}'] [data-exit-uuid]").first.get_attribute("data-exit-uuid")
    )


def _drag_to_space(b: Browser, exit_uuid: str, dx: float = 30, dy: float = 170) -> None:
    """Drags a connection from an exit and drops it on empty canvas below it."""
    box = b.page.locator(f".react-flow__handle[data-exit-uuid='{exit_uuid}']").bounding_box()
    assert box
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    b.page.mouse.move(x, y)
    b.page.mouse.down()
    b.page.mouse.move(x + dx, y + dy, steps=14)
    b.page.mouse.up()


def _pan(b: Browser, dy: float) -> None:
    """Drags the empty canvas (its left edge, clear of the cards) up or down."""
    box = b.page.locator(".fg-canvas").bounding_box()
    assert box
    x, y = box["x"] + 80, box["y"] + box["height"] / 2
    b.page.mouse.move(x, y)
    b.page.mouse.down()
    b.page.mouse.move(x, y + dy, steps=10)
    b.page.mouse.up()


def _fill_card(b: Browser, text: str, wait_result: str = "") -> None:
    dialog = b.page.locator(DIALOG)
    dialog.wait_for()
    dialog.locator("textarea[role=combobox]").first.fill(text)
    if wait_result:
        dialog.locator("#router-kind").select_option("wait")
        dialog.locator("#router-result").fill(wait_result)
    dialog.locator("button[type=submit]").click()
    expect(dialog).to_have_count(0)


def _edge_middle(b: Browser, edge_id: str) -> tuple[float, float]:
    """The middle of a connection's drawn curve (not of its bounding box), on screen."""
    point: Any = b.page.evaluate(
        """id => {
          const p = document.querySelector(`.react-flow__edge[data-id='${id}'] path.react-flow__edge-path`);
          const q = p.getPointAtLength(p.getTotalLength() / 2).matrixTransform(p.getScreenCTM());
          return [q.x, q.y];
        }""",
        edge_id,
    )
    return point[0], point[1]


def _click_edge(b: Browser, edge_id: str) -> None:
    b.page.mouse.click(*_edge_middle(b, edge_id))


def _edge_z(b: Browser, edge_id: str) -> int:
    """The stacking order of a connection (its svg), comparable with the cards'."""
    z = b.page.evaluate(
        "id => getComputedStyle(document.querySelector(`.react-flow__edge[data-id='${id}']`)"
        ".ownerSVGElement).zIndex",
        edge_id,
    )
    return int(z) if z not in ("auto", "") else 0


def _node_zs(b: Browser) -> list[int]:
    zs = b.page.eval_on_selector_all(".react-flow__node", "els => els.map(e => getComputedStyle(e).zIndex)")
    return [int(z) if z not in ("auto", "") else 0 for z in zs]


def _path_inside_cards(b: Browser, edge_id: str) -> list[tuple[str, float, float]]:
    """Points of a connection's line (its ends left out) that fall inside a card."""
    hits: Any = b.page.evaluate(
        """id => {
          const p = document.querySelector(`.react-flow__edge[data-id='${id}'] path.react-flow__edge-path`);
          const cards = [...document.querySelectorAll('.react-flow__node')].map(e => [e.dataset.id, e.getBoundingClientRect()]);
          const len = p.getTotalLength(), out = [];
          for (let i = 1; i < 40; i++) {
            const q = p.getPointAtLength(len * i / 40).matrixTransform(p.getScreenCTM());
            for (const [cid, r] of cards)
              if (q.x > r.left + 2 && q.x < r.right - 2 && q.y > r.top + 2 && q.y < r.bottom - 2) out.push([cid, q.x, q.y]);
          }
          return out;
        }""",
        edge_id,
    )
    return [tuple(h) for h in hits]


def test_build_registration_flow_by_mouse(browser: Browser) -> None:
    b = browser
    b.page.set_viewport_size({"width": 1366, "height": 900})
    b.page.add_init_script(RECORD_VIOLATIONS)
    b.login()
    flow_uuid = _create_flow(b, "Registration")

    # the editor fills exactly the window: zoom controls and minimap are on screen, no page scroll
    assert b.page.evaluate("document.documentElement.scrollHeight <= window.innerHeight")
    for part in (".react-flow__controls", ".fg-toolbar"):
        box = b.page.locator(part).bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= 900, part

    b.page.click("[data-action=add-node]")
    _fill_card(b, "Welcome! What is your name?", wait_result="Name")
    (ask_name,) = _uuids(b)

    # drag from the exit onto empty canvas: the picker opens there, the card arrives connected
    _drag_to_space(b, _exit_of(b, ask_name))
    b.page.locator(".fg-picker [data-kind=send_msg]").click()
    _fill_card(b, "Thanks @results.name, how old are you?", wait_result="Age")
    (ask_age,) = set(_uuids(b)) - {ask_name}
    first_edge = _exit_of(b, ask_name)
    expect(b.page.locator(f".react-flow__edge[data-id='{first_edge}']")).to_have_count(1)
    # a connection runs under the cards until hovered: then it is raised, thicker, and captioned
    assert _edge_z(b, first_edge) <= min(_node_zs(b))
    b.page.mouse.move(*_edge_middle(b, first_edge))
    expect(b.page.locator(f".react-flow__edge[data-id='{first_edge}']")).to_have_class(
        __import__("re").compile(r"\bhover\b")
    )
    assert _edge_z(b, first_edge) > max(_node_zs(b))
    expect(b.page.locator(f"[data-edge-label='{first_edge}']")).to_contain_text(
        "All Responses → Send message"
    )
    b.page.mouse.move(5, 450)
    expect(b.page.locator(f"[data-edge-label='{first_edge}']")).to_have_count(0)
    # reached with the keyboard, it is raised and captioned the same way
    b.page.locator(f".react-flow__edge[data-id='{first_edge}']").focus()
    expect(b.page.locator(f"[data-edge-label='{first_edge}']")).to_contain_text("All Responses →")
    assert _edge_z(b, first_edge) > max(_node_zs(b))
    b.page.locator(".fg-toolbar [data-action=add-node]").focus()
    expect(b.page.locator(f"[data-edge-label='{first_edge}']")).to_have_count(0)

    _pan(b, -320)
    _drag_to_space(b, _exit_of(b, ask_age), dx=330, dy=-120)
    b.page.locator(".fg-picker [data-kind=send_msg]").click()
    _fill_card(b, "Welcome, @results.name! You are registered.")
    (done,) = set(_uuids(b)) - {ask_name, ask_age}

    # a wrong connection, from the last card back to the first: select it and remove it
    wrong = _exit_of(b, done)
    _drag(b, f".react-flow__handle[data-exit-uuid='{wrong}']", f"[data-node-uuid='{ask_name}']")
    edge = b.page.locator(f".react-flow__edge[data-id='{wrong}']")
    expect(edge).to_have_count(1)
    assert "Connection from" in str(edge.get_attribute("aria-label"))
    _click_edge(b, wrong)
    expect(edge).to_have_class(__import__("re").compile(r"\bselected\b"))
    # selected, the loop back up is drawn above every card, round them, with a readable caption
    assert _edge_z(b, wrong) > max(_node_zs(b)), (_edge_z(b, wrong), _node_zs(b))
    assert _path_inside_cards(b, wrong) == []
    expect(b.page.locator(f"[data-edge-label='{wrong}']")).to_contain_text("then → Send message “Welcome!")
    b.screenshot("editor-edge-selected-1366.png")
    b.page.click("[data-action=delete-selected]")
    expect(edge).to_have_count(0)
    b.page.click("[data-action=undo]")
    expect(edge).to_have_count(1)
    b.page.click("[data-action=redo]")
    expect(edge).to_have_count(0)

    # a stray card added and removed again with the Delete key
    _drag_to_space(b, _exit_of(b, done), dx=300, dy=-220)
    b.page.locator(".fg-picker [data-kind=set_run_result]").click()
    b.page.locator(DIALOG).locator("text=Cancel").click()
    (stray,) = set(_uuids(b)) - {ask_name, ask_age, done}
    b.page.locator(f"[data-node-uuid='{stray}']").click()
    b.page.locator(DIALOG).locator("text=Cancel").click()
    b.page.keyboard.press("Delete")
    expect(b.page.locator(f"[data-node-uuid='{stray}']")).to_have_count(0)
    assert _overlaps(b) == []

    b.page.click("[data-action=save]")
    b.page.wait_for_selector(".fg-status >> text=Saved revision")
    saved = _definition(b, flow_uuid)
    nodes = {n["uuid"]: n for n in saved["nodes"]}
    assert set(nodes) == {ask_name, ask_age, done}
    assert nodes[ask_name]["exits"][0]["destination_uuid"] == ask_age
    assert nodes[ask_age]["exits"][0]["destination_uuid"] == done
    assert nodes[done]["exits"][0]["destination_uuid"] is None
    b.screenshot("editor-registration-1366.png")

    # the simulator docks beside the canvas and the canvas follows the contact
    b.page.click("[data-action=simulator]")
    sim = b.page.locator("aside[aria-label=Simulator]")
    sim.locator("text=Start").click()
    sim.locator(".fg-line.flow >> text=What is your name?").wait_for()
    sim.locator("#sim-text").fill("Ada")
    sim.locator("#sim-text").press("Enter")
    sim.locator(".fg-line.flow >> text=Thanks Ada, how old are you?").wait_for()
    sim.locator("#sim-text").fill("33")
    sim.locator("#sim-text").press("Enter")
    sim.locator(".fg-line.flow >> text=Welcome, Ada! You are registered.").wait_for()
    assert "Ada" in sim.locator(".fg-sim-results").inner_text()
    b.page.wait_for_timeout(400)  # the pan to the current card is animated
    canvas = b.page.locator(".fg-canvas").bounding_box()
    current = b.page.locator(f"[data-node-uuid='{done}']").bounding_box()
    simbox = sim.bounding_box()
    assert canvas and current and simbox
    assert canvas["x"] <= current["x"] and current["x"] + current["width"] <= simbox["x"], (
        "the card is beside the simulator"
    )
    assert simbox["y"] + simbox["height"] <= 901, "the simulator is not cut off"  # (sub-pixel layout)
    assert _overlaps(b) == []
    b.screenshot("editor-simulator-1366.png")

    b.page.set_viewport_size({"width": 390, "height": 844})
    b.page.wait_for_timeout(700)  # the canvas centres the contact's card again after a resize
    b.screenshot("editor-simulator-390.png")
    canvas = b.page.locator(".fg-canvas").bounding_box()
    current = b.page.locator(f"[data-node-uuid='{done}']").bounding_box()
    assert canvas and current and canvas["x"] <= current["x"] and current["x"] + current["width"] <= 390, (
        current
    )
    # on a phone the toolbar is the title and one row of tools: icon buttons keep their names
    toolbar = b.page.locator(".fg-toolbar").bounding_box()
    assert toolbar and toolbar["height"] <= 90, toolbar
    for name in ("Add node", "Delete", "Undo", "Redo", "More tools", "Save"):
        button = b.page.get_by_role("button", name=name, exact=True)
        box = button.bounding_box()
        assert (
            box
            and box["y"] + box["height"] <= toolbar["y"] + toolbar["height"]
            and box["x"] + box["width"] <= 390
        ), name
    expect(b.page.locator("[data-action=simulator]")).to_have_count(0)  # folded into More
    b.page.click("[data-action=more]")
    menu = b.page.locator("#fg-more-menu")
    expect(menu.locator("[data-action=simulator]")).to_be_visible()
    menu_box = menu.bounding_box()
    assert menu_box and menu_box["x"] >= 0 and menu_box["x"] + menu_box["width"] <= 390, menu_box
    b.screenshot("editor-toolbar-menu-390.png")
    b.page.keyboard.press("Escape")
    expect(menu).to_have_count(0)
    assert b.page.evaluate("window.__cspViolations") == []


def test_new_cards_never_overlap_and_issues_lead_to_their_card(browser: Browser) -> None:
    b = browser
    b.page.set_viewport_size({"width": 1366, "height": 900})
    b.login()
    _create_flow(b, "Crowded")
    for _ in range(4):
        b.page.click("[data-action=add-node]")
        b.page.locator(DIALOG).locator("text=Cancel").click()
    assert len(_uuids(b)) == 4
    assert _overlaps(b) == []

    # a card that uses a result nobody saves and a field the workspace does not have
    first = _uuids(b)[0]
    b.page.locator(f"[data-node-uuid='{first}']").click()
    _fill_card(b, "Hello @results.nickname from @fields.district")
    issues = b.page.locator("section[aria-label=Issues]")
    issues.locator("[data-action=issues]").click()
    expect(issues.locator("[data-kind=missing_result]")).to_contain_text("@results.nickname")
    expect(issues.locator("[data-kind=unknown_field]")).to_contain_text("@fields.district")
    issues.locator("[data-kind=missing_result] >> text=Go to card").click()
    expect(b.page.locator(f".react-flow__node[data-id='{first}']")).to_have_class(
        __import__("re").compile(r"\bselected\b")
    )
    b.screenshot("editor-issues-1366.png")

    # the node editor is a wide dialog, and send_email cards show their content
    b.page.locator(f"[data-node-uuid='{first}']").click()
    box = b.page.locator(DIALOG).bounding_box()
    assert box and box["width"] >= 700
    b.screenshot("editor-dialog-1366.png")
    b.page.keyboard.press("Escape")
