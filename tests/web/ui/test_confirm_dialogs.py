"""Issue 18 (the rest): deletes, revokes and cancels of the server-rendered screens ask in the page
(web/static/flowgate/confirm.js), never with the browser's confirm().

For each screen: the action opens the in-page dialog naming the thing, with the focus on the safe
answer; Escape, the safe button (a reflex Enter included) and the backdrop change nothing in the
database; the destructive answer does the action; no native dialog ever opens.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from playwright.sync_api import expect

from channels_app.models import APIToken, Contact, ContactGroup
from flows.models import Broadcast, PacedSend
from tests.flows.pacing.helpers import make_group
from tests.web.ui.conftest import Browser

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def _open(b: Browser, trigger: Any) -> Any:
    """Click the action; the dialog opens with Cancel (the safe answer) focused."""
    (b.page.locator(trigger) if isinstance(trigger, str) else trigger).click()
    dialog = b.page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#confirm-no")).to_be_focused()
    return dialog


def _fits(b: Browser, dialog: Any) -> None:
    """The whole dialog is on screen and both answers are big enough to tap."""
    box = dialog.bounding_box()
    size = b.page.viewport_size
    assert box and size and box["x"] >= 0 and box["y"] >= 0
    assert box["x"] + box["width"] <= size["width"] and box["y"] + box["height"] <= size["height"], box
    for answer in ("#confirm-yes", "#confirm-no"):
        button = dialog.locator(answer).bounding_box()
        assert button and button["height"] >= 30 and button["width"] >= 60, (answer, button)


def _screenshots(b: Browser, trigger: str, name: str) -> None:
    """The dialog at a laptop's and at a phone's size (var/test-artifacts/confirm-*.png)."""
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        b.page.set_viewport_size(size)
        dialog = _open(b, trigger)
        _fits(b, dialog)
        b.screenshot(f"confirm-{name}-{label}.png")
        b.page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
    b.page.set_viewport_size(DESKTOP)


def _posts(b: Browser, fragment: str) -> list[str]:
    return [url for method, url, _ in b.requests if method == "POST" and fragment in url]


def test_api_key_revoke_asks_in_page(browser: Browser, workspace: Any) -> None:
    b = browser
    native = b.refuse_native_dialogs()
    token, _ = APIToken.issue(workspace=workspace, name="Field tablets")
    b.login()
    b.goto("/settings/api-keys/")
    revoke = f"tr[data-token-id='{token.id}'] button.danger"

    dialog = _open(b, revoke)
    expect(dialog.locator("#confirm-title")).to_have_text("Revoke this API key?")
    expect(dialog.locator("#confirm-message")).to_contain_text(
        f"The key “Field tablets” ({token.masked}) stops working"
    )
    expect(dialog.locator("#confirm-yes")).to_have_text("Revoke key")
    expect(dialog.locator("#confirm-no")).to_have_text("Cancel")
    assert dialog.get_attribute("role") == "alertdialog"
    assert b.focus_stays_in("#confirm-dialog"), "Tab left the dialog"
    # shown modal: the browser makes the page behind inert
    assert b.page.evaluate("() => document.querySelector('#confirm-dialog').matches(':modal')")

    # Escape: closed, the focus back on the button, the key untouched
    b.page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(b.page.locator(revoke)).to_be_focused()
    token.refresh_from_db()
    assert token.is_active

    # a reflex Enter lands on Cancel
    dialog = _open(b, revoke)
    b.page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    token.refresh_from_db()
    assert token.is_active

    # a click on the dimmed backdrop
    dialog = _open(b, revoke)
    b.page.mouse.click(5, 5)
    expect(dialog).to_be_hidden()
    token.refresh_from_db()
    assert token.is_active

    _screenshots(b, revoke, "api-key")

    # yes, by keyboard: Shift+Tab from Cancel reaches "Revoke key"
    dialog = _open(b, revoke)
    b.page.keyboard.press("Shift+Tab")
    expect(dialog.locator("#confirm-yes")).to_be_focused()
    b.page.keyboard.press("Enter")
    expect(b.page.locator(".flash")).to_contain_text("revoked")
    token.refresh_from_db()
    assert not token.is_active
    # the positive signal came (the revoke arrived); only one revoke was ever posted
    assert len(_posts(b, f"/api-keys/{token.id}/revoke")) == 1
    assert native == []


def test_contact_and_group_delete_ask_in_page(browser: Browser, workspace: Any) -> None:
    b = browser
    native = b.refuse_native_dialogs()
    ada = Contact.objects.create(workspace=workspace, name="Ada Lovelace")
    grace = Contact.objects.create(workspace=workspace, name="Grace Hopper")
    alan = Contact.objects.create(workspace=workspace, name="Alan Turing")
    b.login()
    b.goto("/contacts/")
    pick = "tr[data-uuid='{}'] input.pick"

    b.page.check(pick.format(ada.uuid))
    dialog = _open(b, "#bulk-delete")
    expect(dialog.locator("#confirm-title")).to_have_text("Delete this contact?")
    expect(dialog.locator("#confirm-message")).to_have_text("Ada Lovelace is deleted. Their messages stay.")
    expect(dialog.locator("#confirm-yes")).to_have_text("Delete contact")
    dialog.locator("#confirm-no").click()
    expect(dialog).to_be_hidden()
    expect(b.page.locator("#bulk-delete")).to_be_focused()
    assert Contact.objects.filter(id=ada.id).exists()

    b.page.check(pick.format(grace.uuid))
    dialog = _open(b, "#bulk-delete")
    expect(dialog.locator("#confirm-title")).to_have_text("Delete 2 contacts?")
    # names in the list's order (newest first)
    expect(dialog.locator("#confirm-message")).to_contain_text("Grace Hopper, Ada Lovelace are deleted")
    b.page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert Contact.objects.filter(workspace=workspace).count() == 3

    # "all matching" with no search covers the whole list (every page), and the question says so
    b.page.check("#all-matching")
    dialog = _open(b, "#bulk-delete")
    expect(dialog.locator("#confirm-message")).to_contain_text(
        "Every contact in this list is deleted, not only this page"
    )
    b.page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    b.page.uncheck("#all-matching")
    # unticking "all matching" gives back the rows ticked before it (Ada and Grace, not Alan)
    expect(b.page.locator(pick.format(alan.uuid))).not_to_be_checked()
    expect(b.page.locator(pick.format(ada.uuid))).to_be_checked()
    expect(b.page.locator(pick.format(grace.uuid))).to_be_checked()

    _screenshots(b, "#bulk-delete", "contacts")

    dialog = _open(b, "#bulk-delete")
    expect(dialog.locator("#confirm-title")).to_have_text("Delete 2 contacts?")
    expect(dialog.locator("#confirm-yes")).to_have_text("Delete 2 contacts")
    dialog.locator("#confirm-yes").click()
    expect(b.page.locator(".flash")).to_have_text("Delete: 2 contacts.")
    assert list(Contact.objects.filter(workspace=workspace).values_list("id", flat=True)) == [alan.id]
    assert len(_posts(b, "/contacts/bulk")) == 1

    # a group: the question names it and says its members stay
    group = ContactGroup.objects.create(workspace=workspace, name="Mothers")
    group.contacts.add(alan)
    b.goto("/contacts/groups/")
    delete = f"tr[data-group='{group.uuid}'] button.danger"
    dialog = _open(b, delete)
    expect(dialog.locator("#confirm-title")).to_have_text("Delete this group?")
    expect(dialog.locator("#confirm-message")).to_have_text(
        "The group “Mothers” is deleted. Its 1 contact stays."
    )
    expect(dialog.locator("#confirm-yes")).to_have_text("Delete group")
    b.page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert ContactGroup.objects.filter(id=group.id).exists()
    _screenshots(b, delete, "group")
    b.confirm_in_page(delete, answer=True)
    expect(b.page.locator(".flash")).to_contain_text("Mothers")
    assert not ContactGroup.objects.filter(id=group.id).exists()
    assert Contact.objects.filter(id=alan.id).exists()
    assert native == []


def test_broadcast_cancel_asks_in_page(browser: Browser, workspace: Any, ex_channel: Any) -> None:
    from flows.services import compose

    b = browser
    native = b.refuse_native_dialogs()
    group = make_group(workspace, 4, name="Mothers")
    broadcast = compose.create_broadcast(
        workspace=workspace,
        text="Clinic day is Tuesday",
        base_language="eng",
        group_uuids=[str(group.uuid)],
        send_at=timezone.now() + dt.timedelta(days=1),  # nothing goes out during the test
    )
    assert broadcast.status == "scheduled"

    def unchanged() -> None:
        broadcast.refresh_from_db()
        assert broadcast.status == "scheduled"
        assert PacedSend.objects.filter(broadcast=broadcast, status="scheduled").count() == 4

    b.login()
    b.goto(f"/broadcasts/{broadcast.uuid}/")
    dialog = _open(b, "#cancel")
    expect(dialog.locator("#confirm-title")).to_have_text("Cancel this broadcast?")
    expect(dialog.locator("#confirm-message")).to_contain_text("“Clinic day is Tuesday”")
    # the safe answer is not another "Cancel": it says what it keeps
    expect(dialog.locator("#confirm-yes")).to_have_text("Cancel broadcast")
    expect(dialog.locator("#confirm-no")).to_have_text("Keep the broadcast")
    b.page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(b.page.locator("#cancel")).to_be_focused()
    unchanged()

    dialog = _open(b, "#cancel")
    dialog.locator("#confirm-no").click()
    expect(dialog).to_be_hidden()
    unchanged()

    _screenshots(b, "#cancel", "broadcast")

    b.confirm_in_page("#cancel", answer=True)
    expect(b.page.locator(".flash")).to_have_text("Cancelled.")
    expect(b.page.locator("#status")).to_have_text("cancelled")
    broadcast.refresh_from_db()
    assert broadcast.status == "cancelled"
    assert PacedSend.objects.filter(broadcast=broadcast, status="cancelled").count() == 4
    assert len(_posts(b, "/cancel")) == 1
    assert native == []
    assert Broadcast.objects.count() == 1


def test_member_remove_and_campaign_event_delete_ask_in_page(browser: Browser, workspace: Any) -> None:
    from django.contrib.auth import get_user_model

    from campaigns.models import CampaignEvent
    from campaigns.services import editing
    from channels_app.models import ContactField, Membership

    b = browser
    native = b.refuse_native_dialogs()
    nurse = get_user_model().objects.create_user(
        username="nurse@test.org", email="nurse@test.org", password="x"
    )
    member = Membership.objects.create(workspace=workspace, user=nurse, role=Membership.Role.AGENT)
    b.login()
    b.goto("/settings/members/")
    remove = f"tr[data-member='{member.id}'] button.danger"
    dialog = _open(b, remove)
    expect(dialog.locator("#confirm-title")).to_have_text("Remove this member?")
    expect(dialog.locator("#confirm-message")).to_have_text(
        "nurse@test.org (agent) loses access to Test NGO at once. What they made stays."
    )
    expect(dialog.locator("#confirm-yes")).to_have_text("Remove member")
    b.page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert Membership.objects.filter(id=member.id).exists()
    b.confirm_in_page(remove, answer=True)
    expect(b.page.locator(".flash")).to_have_text("Member removed.")
    assert not Membership.objects.filter(id=member.id).exists()

    ContactField.objects.create(workspace=workspace, key="edd", name="Due date", value_type="datetime")
    ContactGroup.objects.create(workspace=workspace, name="Mothers")
    campaign = editing.create_campaign(workspace=workspace, name="Pregnancy", group="Mothers")
    event = editing.create_event(
        workspace=workspace,
        campaign=campaign,
        data={
            "relative_to": "edd",
            "offset": -3,
            "unit": "days",
            "message": {"eng": "Your due date is near"},
        },
    )
    b.goto(f"/campaigns/{campaign.uuid}/")
    section = b.page.locator(f"section[data-event='{event.uuid}']")
    section.locator("summary", has_text="Edit event").click()
    delete = section.get_by_role("button", name="Delete event")
    dialog = _open(b, delete)
    expect(dialog.locator("#confirm-title")).to_have_text("Delete this event?")
    expect(dialog.locator("#confirm-message")).to_contain_text("The event “3 days before Due date” stops")
    dialog.locator("#confirm-no").click()
    expect(dialog).to_be_hidden()
    assert CampaignEvent.objects.get(id=event.id).is_active
    b.confirm_in_page(delete, answer=True)
    expect(b.page.locator(".flash")).to_contain_text("Event deleted")
    assert not CampaignEvent.objects.get(id=event.id).is_active
    assert native == []


def test_without_javascript_the_forms_post_as_before(browser: Browser, workspace: Any) -> None:
    """Progressive enhancement: with scripts off there is no question, and the plain POST still
    does the action (the server checks it on its own, as before)."""
    from tests.web.ui.conftest import EMAIL, PASSWORD

    token, _ = APIToken.issue(workspace=workspace, name="Old laptop")
    context = browser.page.context.browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(browser.base + "/login/")
        page.fill("#id_username", EMAIL)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(browser.base + "/")
        page.goto(browser.base + "/settings/api-keys/")
        page.click(f"tr[data-token-id='{token.id}'] button.danger")
        expect(page.locator(".flash")).to_contain_text("revoked")
        expect(page.locator("#confirm-dialog")).to_have_count(0)
    finally:
        context.close()
    token.refresh_from_db()
    assert not token.is_active


def test_webhook_and_template_delete_ask_in_page(browser: Browser, workspace: Any) -> None:
    from channels_app.models import MessageTemplate, WebhookSubscription
    from flows.services import templates

    b = browser
    native = b.refuse_native_dialogs()
    url = "https://hooks.partner-clinics.example.org/flowgate/v2/receive?account=kigali-east-district&key=0123456789abcdef"
    hook = WebhookSubscription.objects.create(
        workspace=workspace, url=url, events=["message.received"], secret="s" * 48
    )
    b.login()
    b.goto("/settings/webhooks/")
    delete = f"tr[data-webhook-uuid='{hook.uuid}'] button.danger"
    dialog = _open(b, delete)
    expect(dialog.locator("#confirm-title")).to_have_text("Delete this webhook?")
    expect(dialog.locator("#confirm-message")).to_contain_text(f"The webhook to “{url}” and its delivery log")
    expect(dialog.locator("#confirm-yes")).to_have_text("Delete webhook")
    b.page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert WebhookSubscription.objects.filter(id=hook.id).exists()
    _screenshots(b, delete, "webhook")  # the long URL wraps inside the card on a phone (_fits)
    b.confirm_in_page(delete, answer=True)
    expect(b.page.locator(".flash")).to_contain_text("deleted")
    assert not WebhookSubscription.objects.filter(id=hook.id).exists()

    templates.create_template(
        workspace=workspace, code="reminder", name="Clinic reminder", translations={"eng": "Hi"}
    )
    b.goto("/templates/")
    dialog = _open(b, "tr[data-template-code=reminder] button.danger")
    expect(dialog.locator("#confirm-message")).to_have_text(
        "The template “reminder” (Clinic reminder) is deleted. Sends that use it will be refused."
    )
    expect(dialog.locator("#confirm-yes")).to_have_text("Delete template")
    dialog.locator("#confirm-no").click()
    expect(dialog).to_be_hidden()
    assert MessageTemplate.objects.filter(code="reminder").exists()
    # the same question on the template's own page
    b.page.click("tr[data-template-code=reminder] a:has-text('Edit')")
    b.confirm_in_page("button:has-text('Delete this template')", answer=True)
    expect(b.page.locator(".flash")).to_contain_text("Template reminder deleted.")
    assert not MessageTemplate.objects.filter(code="reminder").exists()
    assert native == []
