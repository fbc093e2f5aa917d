"""Browser fixtures: Debian chromium driven by playwright against the live ASGI server.

Every page records console errors and uncaught exceptions; a test fails if any appeared.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "var" / "test-artifacts"
EMAIL, PASSWORD = "admin@test.org", "secret-pass"  # what the workspace fixture creates


@dataclass
class Browser:
    page: Any
    base: str
    console_errors: list[str] = field(default_factory=list)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    # URL fragments whose 4xx answers a test provokes on purpose (Chromium logs them as errors)
    expected_http_errors: list[str] = field(default_factory=list)

    def goto(self, path: str) -> None:
        self.page.goto(self.base + path)

    def login(self) -> None:
        self.goto("/login/")
        self.page.fill("#id_username", EMAIL)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(self.base + "/")

    def refuse_native_dialogs(self) -> list[str]:
        """Dismiss and record every native alert/confirm/prompt: the flow screens ask in-page,
        so a test asserts the returned list stays empty."""
        seen: list[str] = []
        self.page.on("dialog", lambda d: (seen.append(f"{d.type}: {d.message}"), d.dismiss()))
        return seen

    def confirm_in_page(self, trigger: Any, *, answer: bool) -> Any:
        """Click `trigger` (a selector or locator) of a destructive form, which asks through the
        in-page confirmation (web/static/flowgate/confirm.js); the safe answer must have the focus.
        Then answer yes or no; returns the dialog's locator."""
        from playwright.sync_api import expect

        (self.page.locator(trigger) if isinstance(trigger, str) else trigger).click()
        dialog = self.page.locator("#confirm-dialog")
        expect(dialog).to_be_visible()
        expect(dialog.locator("#confirm-no")).to_be_focused()
        dialog.locator("#confirm-yes" if answer else "#confirm-no").click()
        expect(dialog).to_be_hidden()
        return dialog

    def focus_stays_in(self, selector: str, presses: int = 6) -> bool:
        """Tab and Shift+Tab never take the focus out of the element (a trapped dialog)."""
        for key in ["Tab"] * presses + ["Shift+Tab"] * presses:
            self.page.keyboard.press(key)
            if not self.page.evaluate("(s) => !!document.activeElement.closest(s)", selector):
                return False
        return True

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / name
        self.page.screenshot(path=str(path), full_page=False)
        return path


@pytest.fixture
def browser(live_asgi: Any, workspace: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure_browser.sh")
    # playwright's sync API keeps an asyncio loop on this thread; Django's async guard would then
    # refuse the ORM calls the test makes between browser steps.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = chromium.new_context(viewport={"width": 1366, "height": 820})
        page = context.new_page()
        page.set_default_timeout(15_000)
        b = Browser(page=page, base=live_asgi.url)
        page.on(
            "console",
            lambda m: m.type == "error" and b.console_errors.append(f"{m.text} @ {m.location.get('url')}"),
        )
        page.on("pageerror", lambda e: b.console_errors.append(f"uncaught: {e}"))
        page.on("request", lambda r: b.requests.append((r.method, r.url, r.headers)))
        try:
            yield b
        finally:
            context.close()
            chromium.close()
    unexpected = [
        e
        for e in b.console_errors
        if not (e.startswith("Failed to load resource") and any(x in e for x in b.expected_http_errors))
    ]
    assert unexpected == [], f"console errors: {unexpected}"
