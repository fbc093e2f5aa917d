"""In headless Chromium against the live ASGI server: every screen, desktop and phone, by keyboard.

The shared `browser` fixture fails a test on any console error or uncaught exception.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from channels_app.models import APIToken, Msg
from channels_app.services.channels import create_channel
from flows.models import Trigger
from tests.web.dashboard.conftest import PHONE, make_flow, make_msg
from tests.web.dashboard.conftest import run_jobs_beside_browser as run_jobs


def _no_horizontal_scroll(page: Any) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"


def _seed(channel: Any) -> None:
    for days, n_in, n_out, n_failed in ((0, 6, 5, 1), (1, 3, 2, 0), (6, 9, 7, 2), (20, 2, 1, 1)):
        for _ in range(n_in):
            make_msg(channel, days_ago=days, text="JOIN me")
        for i in range(n_out):
            make_msg(channel, direction="out", status="failed" if i < n_failed else "delivered", days_ago=days,
                     text="Welcome to the programme")  # fmt: skip


def _count_days() -> None:
    """What the periodic job and the migration do: the dashboard reads the daily counts."""
    from channels_app.services.stats import rebuild_daily_counts

    rebuild_daily_counts(days=None)


def test_dashboard_chart_filter_and_phone_layout(browser: Any, ex_channel: Any, workspace: Any) -> None:
    backup = create_channel(workspace=workspace, type_code="EX", name="Backup", country="RW",
                            config={"send_url": "http://127.0.0.1:9/send"})  # fmt: skip
    _seed(ex_channel)
    make_msg(backup, text="only on backup")
    _count_days()
    browser.login()
    page = browser.page
    page.wait_for_selector("#volume-chart")
    assert page.locator("#volume-chart rect.bar.incoming").count() == 4
    assert page.locator("#volume-chart rect.bar.failed").count() == 3
    assert page.inner_text("#total-in b") == "21" and page.inner_text("#total-failed b") == "4"
    # bars are drawn to scale: 9 incoming six days ago against 7 today (6 + 1 on Backup)
    heights = page.eval_on_selector_all(
        "#volume-chart rect.bar.incoming", "rs => rs.map(r => +r.getAttribute('height'))"
    )
    assert max(heights) / sorted(heights)[-2] == pytest.approx(9 / 7, abs=0.02)
    assert "Aggregator" in page.inner_text("#rates") and "73.3%" in page.inner_text("#rates")  # 11 of 15
    browser.screenshot("dashboard.png")

    # keyboard only: focus the channel select, pick Backup, submit
    page.focus("#id_channel")
    page.keyboard.press("ArrowDown")  # "All channels" -> first channel
    page.select_option("#id_channel", label="Backup")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/?channel={backup.uuid}")
    assert page.inner_text("#total-in b") == "1"
    assert page.locator("#volume-chart rect.bar").count() == 1
    assert page.get_attribute(f"#rates tr[data-channel='{backup.uuid}']", "aria-current") == "true"

    page.set_viewport_size(PHONE)
    browser.goto("/")
    page.wait_for_selector("#volume-chart")
    _no_horizontal_scroll(page)
    # the chart keeps a readable size and scrolls inside its box, starting at today's end
    box = page.locator("#volume-chart").bounding_box()
    assert box and box["height"] > 200
    today = page.locator("#volume-chart text.x").last.bounding_box()
    assert today and today["x"] >= 0 and today["x"] + today["width"] <= PHONE["width"]
    assert page.locator("#volume-chart text.y-near").first.is_visible()  # the scale beside today
    browser.screenshot("dashboard-phone.png")
    page.focus(".chart-scroll")
    page.keyboard.press("ArrowLeft")  # the box scrolls by keyboard too
    page.wait_for_function("() => document.querySelector('.chart-scroll').scrollLeft !== 0")


def test_message_log_filters_live_rows_and_phone_layout(
    browser: Any, ex_channel: Any, workspace: Any
) -> None:
    backup = create_channel(workspace=workspace, type_code="EX", name="Backup", country="RW",
                            config={"send_url": "http://127.0.0.1:9/send"})  # fmt: skip
    _seed(ex_channel)
    make_msg(backup, text="Backup says JOIN", urn="tel:+250788777777")
    browser.login()
    page = browser.page
    browser.goto("/messages/")
    page.wait_for_selector("#live.on")
    assert page.locator("#msg-log tbody tr").count() == 36  # 20 in + 15 out + 1 on Backup
    page.fill("#id_q", "join")
    page.select_option("#id_channel", label="Aggregator")
    page.select_option("#id_direction", "in")
    page.click(".msg-filters button[type=submit]")
    page.wait_for_url("**/messages/?**")
    page.wait_for_selector("#live.on")
    assert page.locator("#msg-log tbody tr").count() == 20
    assert "Backup says" not in page.inner_text("#msg-log")
    browser.screenshot("message-log.png")

    # live rows respect the filters: only the matching message joins the table
    receive = f"{browser.base}/c/ex/{ex_channel.uuid}/receive"
    other = httpx.post(
        f"{browser.base}/c/ex/{backup.uuid}/receive", data={"from": "0788123123", "text": "join b"}
    )
    nomatch = httpx.post(receive, data={"from": "0788123123", "text": "hello there"})
    match = httpx.post(receive, data={"from": "0788123123", "text": "JOIN live"})
    assert {other.status_code, nomatch.status_code, match.status_code} == {200}
    run_jobs()
    row = page.wait_for_selector(f"tr[data-uuid='{match.json()['uuid']}']")
    assert "JOIN live" in row.inner_text()
    # A positive signal instead of a fixed wait: a matching message posted after everything
    # above (and after its handling) arrives over the same websocket, which keeps order, so
    # once its row is shown every earlier event has been applied.
    sentinel = httpx.post(receive, data={"from": "0788123123", "text": "JOIN sentinel"})
    assert sentinel.status_code == 200
    run_jobs()
    page.wait_for_selector(f"tr[data-uuid='{sentinel.json()['uuid']}']")
    assert page.locator(f"tr[data-uuid='{nomatch.json()['uuid']}']").count() == 0
    assert page.locator(f"tr[data-uuid='{other.json()['uuid']}']").count() == 0

    # an invalid date range is explained, not a crash
    browser.expected_http_errors.append("/messages/")
    browser.goto("/messages/?since=2024-05-02&until=2024-05-01")
    assert "end date is before the start date" in page.inner_text("[role=alert]")

    page.set_viewport_size(PHONE)
    browser.goto("/messages/?direction=in")
    page.wait_for_selector("#live.on")
    _no_horizontal_scroll(page)
    # rows become labelled cards: each cell shows its column name before the value
    label = page.eval_on_selector(
        "#msg-log tbody tr td:nth-child(5)", "td => getComputedStyle(td, '::before').content"
    )
    assert label == '"Channel"' and "Aggregator" in page.inner_text("#msg-log tbody tr td:nth-child(5)")
    browser.screenshot("message-log-phone.png")


def test_message_events_page_shows_the_http_exchange(browser: Any, ex_channel: Any, aggregator: Any) -> None:
    from channels_app.services.send import queue_message

    aggregator.script.append((200, '{"id": "prov-7"}', 0.0))
    msg = queue_message(channel=ex_channel, to="+250788123123", text="Hello events")
    run_jobs()
    browser.login()
    browser.goto(f"/messages/{msg.uuid}/")
    page = browser.page
    http = page.wait_for_selector(".event.http .http")
    assert "POST" in http.inner_text() and "HTTP 200" in http.inner_text()
    assert '"id": "prov-7"' in page.inner_text(".event.http .response-body")
    assert "Hello" in page.inner_text(".event.http .request-body")


def test_channel_page_copy_and_test_message_with_live_status(
    browser: Any, ex_channel: Any, aggregator: Any
) -> None:
    browser.login()
    browser.goto(f"/channels/{ex_channel.uuid}/")
    page = browser.page
    page.wait_for_selector("#live.on")
    page.click("button[data-copy='url-receive']")
    page.wait_for_selector("#copy-status:has-text('Copied')")
    assert f"/c/ex/{ex_channel.uuid}/receive" in page.inner_text("#copy-status")

    # a bad number is explained next to the field, nothing is queued
    page.fill("#id_to", "nobody")
    browser.expected_http_errors.append("/test-message")
    page.click("#test-message button[type=submit]")
    page.wait_for_selector(".has-error [data-error-for='to']:has-text('phone number')")
    assert not Msg.objects.filter(direction="out").exists()

    page.fill("#id_to", "0788123123")
    page.fill("#id_text", "Browser ping")
    page.press("#id_text", "Tab")
    page.keyboard.press("Enter")  # the submit button is next in tab order
    page.wait_for_selector("#test-result:has-text('Queued to tel:+250788123123')")
    msg = Msg.objects.get(direction="out", text="Browser ping")
    row = f"#recent tr[data-uuid='{msg.uuid}']"
    assert page.inner_text(f"{row} .status") == "queued"
    run_jobs()
    page.wait_for_selector(f"{row} .status.sent")  # pushed over the websocket
    assert aggregator.requests[-1].form()["text"] == "Browser ping"

    page.set_viewport_size(PHONE)
    page.reload()
    page.wait_for_selector("#test-message")
    _no_horizontal_scroll(page)


def test_triggers_by_keyboard_and_delete(browser: Any, workspace: Any) -> None:
    flow = make_flow(workspace, "Registration")
    browser.login()
    browser.goto("/triggers/")
    page = browser.page
    # schedule-only fields are hidden (and out of the tab order) while "keyword" is chosen
    assert page.is_hidden("#id_start_on") and page.is_visible("#id_keywords")
    page.fill("#id_keywords", "join register")
    page.check("input[name=match_type][value=only]") if page.locator(
        "input[name=match_type]"
    ).count() else page.select_option("#id_match_type", "only")
    page.focus("#id_keywords")
    page.keyboard.press("Enter")  # submits the form
    page.wait_for_selector("text=Trigger for Registration added.")
    keyword = Trigger.objects.get(trigger_type="keyword")
    assert keyword.keywords == ["join", "register"] and keyword.match_type == "only"

    # keyboard: arrow keys move between the type radios
    page.focus("input[name=trigger_type][value=keyword]")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # -> schedule
    assert page.is_visible("#id_start_on") and page.is_hidden("#id_keywords")
    page.fill("#id_start_on", "2031-02-03T08:15")
    page.select_option("#id_repeat", "daily")
    page.click("#new-trigger button[type=submit]")
    page.wait_for_selector("text=Trigger for Registration added.")
    sched = Trigger.objects.get(trigger_type="schedule")
    assert sched.repeat == "daily" and sched.next_fire.isoformat().startswith("2031-02-03T08:15")
    assert page.locator("#triggers tbody tr[data-trigger-uuid]").count() == 2

    delete = f"tr[data-trigger-uuid='{keyword.uuid}'] button.danger"
    dialog = browser.confirm_in_page(delete, answer=False)  # asked in the page; "Cancel" keeps it
    assert dialog.locator("#confirm-message").inner_text() == (
        "Messages that are only join or register no longer start the flow “Registration”. The flow itself stays."
    )
    assert Trigger.objects.filter(id=keyword.id, archived=False).exists()
    browser.confirm_in_page(delete, answer=True)
    page.wait_for_selector("text=Trigger deleted.")
    assert page.locator("#triggers tbody tr[data-trigger-uuid]").count() == 1
    keyword.refresh_from_db()
    assert keyword.archived and flow.triggers.filter(archived=False).count() == 1

    page.set_viewport_size(PHONE)
    page.reload()
    _no_horizontal_scroll(page)


def test_api_key_shown_once_then_revoked(browser: Any, workspace: Any) -> None:
    browser.login()
    browser.goto("/settings/api-keys/")
    page = browser.page
    page.fill("#id_name", "Field tablets")
    page.press("#id_name", "Enter")
    key = page.input_value("#new-key")
    token = APIToken.objects.get(name="Field tablets")
    assert len(key) == 40 and key.startswith(token.prefix)
    page.click("button[data-copy='new-key']")
    page.wait_for_selector("#copy-status:has-text('Copied')")
    assert (
        httpx.get(f"{browser.base}/api/v1/channels", headers={"Authorization": f"Token {key}"}).status_code
        == 200
    )

    browser.goto("/settings/api-keys/")
    assert key not in page.content()
    row = f"tr[data-token-id='{token.id}']"
    assert page.inner_text(f"{row} .masked") == f"{token.prefix}************"

    revokes: list[str] = []
    page.on("request", lambda r: revokes.append(r.url) if r.method == "POST" and "/revoke" in r.url else None)
    native = browser.refuse_native_dialogs()
    # changing one's mind keeps the key
    dialog = browser.confirm_in_page(f"{row} button.danger", answer=False)
    assert "revoke" in dialog.inner_text().lower()
    # The positive signal: the confirmed second try arrives; only then is it safe to say the
    # cancelled first one sent nothing (one revoke request in all, not two).
    browser.confirm_in_page(f"{row} button.danger", answer=True)
    page.wait_for_selector("text=revoked.")
    assert native == []
    assert len(revokes) == 1, revokes
    token.refresh_from_db()
    assert not token.is_active
    browser.expected_http_errors.append("/api/v1/")
    assert (
        httpx.get(f"{browser.base}/api/v1/channels", headers={"Authorization": f"Token {key}"}).status_code
        == 401
    )
    page.set_viewport_size(PHONE)
    page.reload()
    _no_horizontal_scroll(page)
