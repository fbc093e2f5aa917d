"""The editor with a generated 200-node flow: it loads, stays usable, and we report the timing."""

from __future__ import annotations

import time
import uuid
from typing import Any

from playwright.sync_api import expect

from tests.web.ui.conftest import Browser


def _big_definition(flow_uuid: str, name: str, pairs: int = 100) -> dict[str, Any]:
    """`pairs` question/wait pairs chained one after another: 2 * pairs nodes."""
    nodes: list[dict[str, Any]] = []
    ui: dict[str, Any] = {}
    ids = [str(uuid.uuid4()) for _ in range(pairs * 2)]
    for i in range(pairs):
        ask, wait = ids[2 * i], ids[2 * i + 1]
        nxt = ids[2 * i + 2] if i + 1 < pairs else None
        nodes.append(
            {
                "uuid": ask,
                "actions": [{"uuid": str(uuid.uuid4()), "type": "send_msg", "text": f"Question {i + 1}?"}],
                "exits": [{"uuid": str(uuid.uuid4()), "destination_uuid": wait}],
            }
        )
        yes, other = str(uuid.uuid4()), str(uuid.uuid4())
        yes_exit, other_exit = str(uuid.uuid4()), str(uuid.uuid4())
        nodes.append(
            {
                "uuid": wait,
                "actions": [],
                "router": {
                    "type": "switch",
                    "operand": "@input.text",
                    "result_name": f"Answer {i + 1}",
                    "wait": {"type": "msg"},
                    "cases": [
                        {
                            "uuid": str(uuid.uuid4()),
                            "type": "has_any_word",
                            "arguments": ["yes"],
                            "category_uuid": yes,
                        }
                    ],
                    "categories": [
                        {"uuid": yes, "name": "Yes", "exit_uuid": yes_exit},
                        {"uuid": other, "name": "Other", "exit_uuid": other_exit},
                    ],
                    "default_category_uuid": other,
                },
                "exits": [
                    {"uuid": yes_exit, "destination_uuid": nxt},
                    {"uuid": other_exit, "destination_uuid": ask},
                ],
            }
        )
        ui[ask] = {"position": {"left": (i % 10) * 300, "top": (i // 10) * 420}, "type": "execute_actions"}
        ui[wait] = {
            "position": {"left": (i % 10) * 300, "top": (i // 10) * 420 + 190},
            "type": "wait_for_response",
        }
    return {
        "uuid": flow_uuid,
        "name": name,
        "spec_version": "14.4.1",
        "language": "eng",
        "type": "messaging",
        "expire_after_minutes": 720,
        "localization": {},
        "nodes": nodes,
        "_ui": {"nodes": ui},
    }


def test_200_node_flow_load_to_interactive(browser: Browser, workspace: Any) -> None:
    from flows.services import definitions

    flow = definitions.create_flow(workspace=workspace, name="Big Survey")
    definitions.save_definition(flow=flow, definition=_big_definition(str(flow.uuid), flow.name))

    b = browser
    b.login()
    started = time.perf_counter()
    b.goto(f"/flows/{flow.uuid}/editor")
    b.page.wait_for_selector("html[data-editor-ready='1']", timeout=60_000)
    ready_wall_ms = (time.perf_counter() - started) * 1000
    ready_ms = b.page.evaluate("window.__fgReadyAt")
    nav_ms = b.page.evaluate("performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd")
    # The figures are measured, not targets (timing targets live in the benchmarks): they must
    # be real measurements, so a missing or broken readiness mark fails here.
    assert isinstance(ready_ms, int | float) and ready_ms > 0, ready_ms
    assert isinstance(nav_ms, int | float) and nav_ms > 0, nav_ms

    # interactive: a click on a card opens its form, and the whole flow is reachable by zooming out
    card = b.page.locator("[data-node-uuid]").first
    started = time.perf_counter()
    card.click()
    b.page.locator("aside[aria-label='Edit node']").wait_for()
    open_form_ms = (time.perf_counter() - started) * 1000
    b.page.keyboard.press("Escape")
    b.page.click(".react-flow__controls-fitview")
    expect(b.page.locator("[data-node-uuid]")).to_have_count(200)
    b.screenshot("editor-200-nodes.png")
    print(
        f"\n200-node flow: load-to-interactive {ready_ms:.0f} ms after navigation start "
        f"(DOMContentLoaded {nav_ms:.0f} ms; {ready_wall_ms:.0f} ms wall clock from goto); "
        f"click-to-form {open_form_ms:.0f} ms; 200 cards rendered after fit-view"
    )
