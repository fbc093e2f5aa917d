"""In a real browser: compose a broadcast with a group, a picked contact and a translation,
preview it per language, schedule it over a window, then pause, resume and cancel it."""

from __future__ import annotations

from channels_app.models import Contact
from flows.models import Broadcast, PacedSend
from tests.flows.pacing.helpers import make_group


def test_compose_preview_schedule_pause_resume_cancel(browser, ex_channel) -> None:
    group = make_group(browser_workspace(), 12, name="Mothers", languages=("eng", "kin", "fra"))
    Contact.objects.create(workspace=group.workspace, name="Zed Solo", language="kin")  # no URN: not sendable
    extra = make_group(group.workspace, 1, name="Extra", first=500).contacts.get()
    Contact.objects.filter(id=extra.id).update(name="Amina Extra", language="kin")

    b = browser
    b.login()
    b.goto("/broadcasts/")
    b.page.click("#new-broadcast")
    b.page.check("input[name=groups][data-name=Mothers]")
    b.page.fill("#contact-filter", "amina")
    assert b.page.locator("#contact-picker option:not([hidden])").count() == 1  # the filter works
    b.page.select_option("#contact-picker", str(extra.uuid))
    b.page.fill("#text-eng", "Clinic day is Tuesday")
    b.page.fill("#new-language", "kin")
    b.page.click("#add-language")
    b.page.fill("#text-kin", "Umunsi w'ivuriro ni ku wa kabiri")
    b.page.click("#preview-button")
    b.page.wait_for_selector("#preview-rows tr[data-language=kin]")
    assert "13 recipients" in b.page.inner_text("#preview-summary")
    kin = b.page.inner_text("#preview-rows tr[data-language=kin]")
    eng = b.page.inner_text("#preview-rows tr[data-language=eng]")
    assert "5" in kin and "ivuriro" in kin  # 4 of the group + Amina read Kinyarwanda
    assert "8" in eng and "Clinic day" in eng  # English and French speakers read the base text
    b.page.fill("#spread", "30")
    b.page.click("#send-button")
    b.page.wait_for_selector("#broadcast-progress")
    broadcast = Broadcast.objects.get()
    assert broadcast.spread_over_minutes == 30 and broadcast.total == 13
    assert set(broadcast.translations) == {"eng", "kin"}
    # the first send of the window may already have gone; the rest is scheduled
    assert int(b.page.inner_text("#count-scheduled")) >= 12
    b.screenshot("broadcast-progress.png")

    b.page.click("#pause")
    b.page.wait_for_selector("#resume")
    assert b.page.inner_text("#status") == "paused"
    assert PacedSend.objects.filter(broadcast=broadcast, status="paused").count() >= 12
    b.page.click("#resume")
    b.page.wait_for_selector("#pause")
    assert b.page.inner_text("#status") == "sending"
    b.confirm_in_page("#cancel", answer=True)
    b.page.wait_for_selector("text=Cancelled.")
    assert b.page.inner_text("#status") == "cancelled"
    assert int(b.page.inner_text("#count-cancelled")) >= 12
    assert not PacedSend.objects.filter(broadcast=broadcast, status__in=["scheduled", "paused"]).exists()


def browser_workspace():  # the workspace the browser's user belongs to (the workspace fixture's)
    from channels_app.models import Workspace

    return Workspace.objects.get(name="Test NGO")
