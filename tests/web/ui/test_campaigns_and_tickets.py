"""In a real browser: build a campaign and an event, watch its fires on the campaign page, and
answer a ticket from the inbox while the contact's reply arrives live over the websocket."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import httpx
from django.db import connection, transaction
from django.utils import timezone

from campaigns.models import Campaign, EventFire
from channels_app.models import Contact, ContactField, ContactGroup
from channels_app.worker import run_periodic_jobs
from flows.models import Ticket
from flows.services.sessions import FlowRunner
from tests.conftest import run_jobs
from tests.flows.test_service_actions_e2e import HAS_TEXT, _flow


def _jobs() -> None:
    """The queue's jobs on a thread of their own: playwright keeps an asyncio loop running on
    the test's thread, and the sender runs its own loop."""

    def work() -> None:
        try:
            run_jobs()
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(60)


def test_campaign_page_shows_events_with_upcoming_and_past_fires(
    browser, workspace, ex_channel, settings
) -> None:
    ContactField.objects.create(workspace=workspace, key="edd", name="EDD", value_type="datetime")
    group = ContactGroup.objects.create(workspace=workspace, name="Mothers")
    now = timezone.now()
    for i, days in enumerate((1, 2, 40)):
        c = Contact.objects.create(
            workspace=workspace,
            name=f"Mother {i}",
            fields={"edd": (now + dt.timedelta(days=days)).isoformat()},
        )
        c.urns.create(
            workspace=workspace, identity=f"tel:+25078800010{i}", scheme="tel", path=f"+25078800010{i}"
        )
        group.contacts.add(c)

    browser.login()
    browser.goto("/campaigns/")
    browser.page.fill("#id_campaign_name", "Antenatal")
    browser.page.select_option("#id_campaign_group", label="Mothers")
    browser.page.click("#new-campaign button[type=submit]")
    browser.page.wait_for_selector("text=Campaign Antenatal created")
    form = browser.page.locator("#new-event")
    form.locator("select[name=relative_to]").select_option("edd")
    form.locator("input[name=offset]").fill("3")
    form.locator("select[name=unit]").select_option("days")
    form.locator("select[name=delivery_hour]").select_option("9")
    form.locator("textarea[name=message]").fill("Your clinic visit is in 3 days")
    form.locator("textarea[name=translations]").fill("fra: Votre visite est dans 3 jours")
    form.locator("button[type=submit]").click()
    browser.page.wait_for_selector("text=Event added")
    _jobs()  # the background job schedules the group
    browser.page.reload()
    event = browser.page.locator(".campaign-event").first
    assert "3 days after EDD at 09:00" in event.locator("h2").inner_text()
    assert "in 2 languages" in event.inner_text()
    assert event.locator(".upcoming-count").inner_text() == "3"
    assert event.locator(".past-count").inner_text() == "0"

    # the clock moves past two of the three: they fire, the page shows them as past
    settings.FLOWGATE_CLOCK = (now + dt.timedelta(days=6)).isoformat()
    run_periodic_jobs()
    browser.page.reload()
    event = browser.page.locator(".campaign-event").first
    assert event.locator(".upcoming-count").inner_text() == "1"
    assert event.locator(".past-count").inner_text() == "2"
    assert "Mother 2" in event.locator("table.upcoming").inner_text()
    past = event.locator("table.past").inner_text()
    assert "Mother 0" in past and "Mother 1" in past and "sent" in past
    assert EventFire.objects.filter(fired_on__isnull=False).count() == 2

    # editing the event from the page reschedules everyone
    browser.page.click(".campaign-event summary")
    edit = browser.page.locator(".edit-event")
    edit.locator("input[name=offset]").fill("50")
    edit.locator("button[type=submit]").click()
    browser.page.wait_for_selector("text=Event saved")
    _jobs()
    # +50 days is ahead for all three: the two that fired get a new instant too
    pending = {f.contact.name: f.scheduled.date() for f in EventFire.objects.filter(fired_on__isnull=True)}
    assert pending == {
        f"Mother {i}": (now + dt.timedelta(days=d + 50)).date() for i, d in enumerate((1, 2, 40))
    }
    assert Campaign.objects.get().events.get().message == {
        "eng": "Your clinic visit is in 3 days",
        "fra": "Votre visite est dans 3 jours",
    }
    browser.screenshot("campaign-page.png")


def test_ticket_inbox_answer_and_live_thread(browser, workspace, ex_channel, aggregator) -> None:
    receive = f"{browser.base}/c/ex/{ex_channel.uuid}/receive"
    assert (
        httpx.post(receive, data={"from": "+250788123456", "text": "Is the clinic open?"}).status_code == 200
    )
    _jobs()
    contact = Contact.objects.get(urns__identity="tel:+250788123456")
    action = {"uuid": str(uuid.uuid4()), "type": "open_ticket", "note": "Clinic hours"}
    with transaction.atomic():
        FlowRunner(workspace=workspace).start(
            contact=contact, flow=_flow(workspace, [action], "@locals._new_ticket", HAS_TEXT)
        )
    ticket = Ticket.objects.get()

    browser.login()
    browser.goto("/tickets/")
    browser.page.click(f"tr[data-ticket='{ticket.uuid}'] a")
    browser.page.wait_for_selector("#live.on")
    assert "Is the clinic open?" in browser.page.locator("#ticket-thread").inner_text()
    browser.page.fill("#id_reply", "Yes, until 5pm")
    browser.page.click("#ticket-reply button[type=submit]")
    browser.page.wait_for_selector("text=Reply queued.")
    _jobs()
    assert [r.form()["text"] for r in aggregator.requests] == ["Yes, until 5pm"]

    browser.page.wait_for_selector("#live.on")
    assert httpx.post(receive, data={"from": "+250788123456", "text": "Thanks a lot"}).status_code == 200
    _jobs()
    browser.page.wait_for_selector("#ticket-thread li.in >> text=Thanks a lot")  # live, no reload
    thread = browser.page.locator("#ticket-thread").inner_text()
    assert thread.index("Yes, until 5pm") < thread.index("Thanks a lot")

    # closing from another tab (the API) updates this page live
    with httpx.Client(base_url=browser.base) as web:
        from channels_app.models import APIToken

        _, key = APIToken.issue(workspace=workspace)
        answer = web.post(
            "/api/v1/ticket_actions",
            json={"tickets": [str(ticket.uuid)], "action": "close"},
            headers={"Authorization": f"Token {key}"},
        )
        assert answer.status_code == 200
    browser.page.wait_for_selector("#ticket-status >> text=closed")
    browser.goto("/tickets/?folder=closed")
    assert str(ticket.uuid) in browser.page.content()
    browser.screenshot("ticket-inbox.png")
