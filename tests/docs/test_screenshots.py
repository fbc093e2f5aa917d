"""The guides' screenshots come from these browser runs, never from a hand-made capture.

Each test walks the UI the way its guide tells a reader to, asserts what the page shows, and
takes the picture. `FLOWGATE_UPDATE_SCREENSHOTS=1` writes them into docs/assets/screenshots/
(commit the result); otherwise each run checks the committed picture exists and has the size
the browser produced, and leaves the fresh one in var/test-artifacts/ to compare by eye.
"""

from __future__ import annotations

import os
import shutil
import struct
import threading
from pathlib import Path
from typing import Any

from tests.conftest import run_jobs
from tests.docs.conftest import Provider
from tests.docs.examples import DOCS, HOSTS, examples_in
from tests.web.ui.conftest import Browser, browser  # noqa: F401  (the fixture)

SHOTS = DOCS / "assets" / "screenshots"
UPDATE = os.environ.get("FLOWGATE_UPDATE_SCREENSHOTS") == "1"


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def shoot(b: Browser, name: str) -> None:
    fresh = b.screenshot(name)
    committed = SHOTS / name
    if UPDATE:
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(fresh, committed)
    assert committed.is_file(), f"{committed} is missing: run with FLOWGATE_UPDATE_SCREENSHOTS=1"
    assert png_size(committed) == png_size(fresh)
    used = [p for p in DOCS.rglob("*.md") if f"screenshots/{name}" in p.read_text()]
    assert used, f"no page shows {name}"


def _tutorial_block(kind: str, file: str) -> str:
    page = examples_in(DOCS / "connectors" / "tutorial.md")
    return next(e.body for e in page if e.kind == kind and e.opts.get("file") == file)


def test_connector_upload_and_test_console(browser: Browser, provider: Provider) -> None:  # noqa: F811
    b = browser
    b.login()
    b.goto("/connectors/upload/")
    b.page.fill("#id_name", "Acme SMS")
    b.page.fill("#id_xml", _tutorial_block("connector", "broken.xml"))
    b.page.click("form.form button[type=submit]")
    b.page.wait_for_selector("text=unknown variable @recipient")
    assert "unknown element <uri> in <request>" in b.page.content().replace("&lt;", "<").replace("&gt;", ">")
    shoot(b, "connector-upload-errors.png")

    answer = next(e for e in examples_in(DOCS / "connectors" / "tutorial.md") if e.kind == "provider-answer")
    provider.answers[("POST", answer.opts["path"])] = (202, "application/json", answer.body.encode())
    xml = _tutorial_block("connector", "acme.xml")
    for host in HOSTS:
        xml = xml.replace(host, provider.url)
    b.goto("/connectors/console/")
    b.page.fill("#id_xml", xml)
    b.page.fill("#id_fields_json", '{"api_key": "ak_live_123", "sender": "Flowgate"}')
    b.page.fill("#id_text", "Hello from Acme")
    b.page.click("form.form button[type=submit]")
    report = b.page.wait_for_selector("#report")
    text = report.inner_text()
    assert "msg_8f2a1c" in text and "POST" in text and "ak_live_123" not in text
    b.page.evaluate("document.getElementById('report').scrollIntoView()")
    shoot(b, "connector-console.png")


def test_message_log_round_trip(browser: Browser, live_asgi: Any, workspace: Any, settings: Any) -> None:  # noqa: F811
    from channels_app.services.channels import create_channel
    from channels_app.services.send import queue_message
    from web import demo

    # the embedded demo's echo aggregator, as `make run` sets it up: on, with the channel's key
    settings.FLOWGATE_DEMO = True
    key_query = demo.send_url().split("?", 1)[1]

    channel = create_channel(
        workspace=workspace,
        type_code="EX",
        name="Echo aggregator",
        address="+250788000000",
        country="RW",
        config={"send_url": f"{live_asgi.url}{demo.PATH}?{key_query}", "content_type": "urlencoded"},
    )
    b = browser
    b.login()
    b.goto("/messages/")
    b.page.wait_for_selector("#live.on")
    queue_message(channel=channel, to="tel:+250788123123", text="Hello")
    # Jobs run in their own thread: sending uses asyncio, and playwright's loop owns this one.
    worker = threading.Thread(target=run_jobs, args=(30,))
    worker.start()
    worker.join()
    b.page.wait_for_selector("tr >> text=Echo: Hello")
    b.page.wait_for_selector("tr >> text=delivered")
    shoot(b, "message-log.png")


def test_flow_editor_simulator(browser: Browser, token: str, live_asgi: Any) -> None:  # noqa: F811
    import httpx

    export = next(e for e in examples_in(DOCS / "getting-started.md") if e.kind == "flow").body
    imported = httpx.post(
        f"{live_asgi.url}/api/v1/flows/import",
        content=export,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    flow_uuid = imported.json()["flows"][0]["uuid"]
    b = browser
    b.login()
    b.goto(f"/flows/{flow_uuid}/editor")
    b.page.wait_for_selector("html[data-editor-ready='1']")
    b.page.click("[data-action=simulator]")
    sim = b.page.locator("aside[aria-label=Simulator]")
    sim.locator("text=Start").click()
    sim.locator(".fg-line.flow >> text=What is your name?").wait_for()
    sim.locator("#sim-text").fill("Amina")
    sim.locator("#sim-text").press("Enter")
    sim.locator(".fg-line.flow >> text=Welcome, Amina!").wait_for()
    shoot(b, "flow-simulator.png")
