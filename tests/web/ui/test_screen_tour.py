"""Issue 18: every everyday screen at a laptop size (1366×900) and a phone size (390×844),
screenshotted under var/test-artifacts/ for a person to look at. On the phone the navigation
folds behind the menu button (a short header) and no page scrolls sideways."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.urls import reverse
from playwright.sync_api import expect

from tests.web.ui.conftest import Browser

FIXTURES = Path(__file__).parent / "fixtures"
SCREENS = {
    "dashboard": "/", "channels": "/channels/", "channel-add": "/channels/add/", "connectors": "/connectors/",
    "connector-pick": "/channels/add/XC/", "messages": "/messages/", "contacts": "/contacts/", "calls": "/calls/",
    "flows": "/flows/", "triggers": "/triggers/", "templates": "/templates/", "api-keys": "/settings/api-keys/",
    "webhooks": "/settings/webhooks/", "groups": "/contacts/groups/", "connector-console": "/connectors/console/",
}  # fmt: skip
NAMED = {
    "broadcasts": "broadcast_list",
    "campaigns": "campaign_list",
    "tickets": "ticket_inbox",
    "members": "member_list",
}
SIZES = {"1366": (1366, 900), "390": (390, 844)}


def test_every_screen_at_both_sizes(browser: Browser, ex_channel: Any) -> None:
    b = browser
    b.login()
    b.goto("/flows/")
    b.page.set_input_files("#import-file", str(FIXTURES / "colour_survey.json"))
    b.page.click("#import-flows button[type=submit]")
    b.page.wait_for_selector("#import-result.ok")
    flow_uuid = json.loads((FIXTURES / "colour_survey.json").read_text())["flows"][0]["uuid"]
    screens = {
        **SCREENS,
        **{name: reverse(url) for name, url in NAMED.items()},
        "channel": f"/channels/{ex_channel.uuid}/",
        "editor": f"/flows/{flow_uuid}/editor",
    }
    sideways: dict[str, int] = {}
    for size, (width, height) in SIZES.items():
        b.page.set_viewport_size({"width": width, "height": height})
        for name, path in screens.items():
            b.goto(path)
            b.page.wait_for_load_state("networkidle")
            if name == "editor":
                b.page.wait_for_selector("html[data-editor-ready='1']")
                # the editor's toolbar sits right under the header, full width, on one row of tools
                top = b.page.locator("header.top").bounding_box()
                bar = b.page.locator(".fg-toolbar").bounding_box()
                assert top and bar and abs(bar["y"] - (top["y"] + top["height"])) <= 1, (size, top, bar)
                assert bar["x"] == 0 and bar["width"] == width, (size, bar)
                assert bar["height"] <= (90 if size == "390" else 60), (size, bar)
                # the node editor: a dialog that fits the screen
                b.page.locator("[data-node-uuid]").first.click()
                dialog = b.page.locator("aside[aria-label='Edit node']")
                box = dialog.bounding_box()
                assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (size, box)
                b.screenshot(f"screen-editor-dialog-{size}.png")
                b.page.keyboard.press("Escape")
                expect(dialog).to_have_count(0)
            if name == "flows":
                # the start dialog, opened from the row's actions menu
                b.page.locator("details.row-menu summary").first.click()
                b.page.locator("[data-start]").first.click()
                start = b.page.locator("#start-dialog")
                expect(start).to_be_visible()
                box = start.bounding_box()
                assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (size, box)
                b.screenshot(f"screen-flows-start-{size}.png")
                b.page.click("#start-close")
            b.screenshot(f"screen-{name}-{size}.png")
            overflow = b.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if size == "390" and overflow > 0:
                sideways[name] = overflow
            header = b.page.locator("header.top").bounding_box()
            assert header is not None
            if size == "390":
                assert header["height"] <= 70, f"{name}: the header takes {header['height']}px of a phone"
                assert b.page.locator(".menu-toggle").is_visible()
            else:
                assert header["height"] <= 70, f"{name}: the header wraps ({header['height']}px)"
    assert sideways == {}, f"screens that scroll sideways on a phone: {sideways}"
