"""Campaigns end to end: the API sets them up, the worker's scheduler fires them on an injected
clock, messages reach a real local aggregator, and contact changes move their fires."""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo
from collections import Counter
from typing import Any

import pytest
from django.utils import timezone

from campaigns.models import EventFire
from channels_app.models import Contact, Msg
from channels_app.worker import run_periodic_jobs
from tests.campaigns.helpers import dated_group, patch, post, set_clock
from tests.conftest import run_jobs

KIGALI = zoneinfo.ZoneInfo("Africa/Kigali")
BASE = dt.datetime(2027, 3, 1, 6, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _kigali(workspace: Any) -> None:
    workspace.timezone = "Africa/Kigali"  # UTC+2: delivery hours are local wall-clock time
    workspace.save()


def _expected(edd: dt.datetime) -> dt.datetime:
    """+3 days at 09:00 Kigali time, worked out here independently of the service."""
    day = (edd + dt.timedelta(days=3)).astimezone(KIGALI).date()
    return dt.datetime.combine(day, dt.time(9), tzinfo=KIGALI).astimezone(dt.UTC)


def _send_all(seconds: float = 120) -> None:
    """Run the sender until every outbound message is out (a busy machine may make some wait
    for a retry: the sweeper wakes them), then let the aggregator's last answers land."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run_jobs(30)
        if not Msg.objects.filter(direction="out").exclude(status__in=["sent", "delivered"]).exists():
            return
        # due now (a retry's backoff would outlast the test); None would never be due
        Msg.objects.filter(direction="out", status="errored").update(
            next_attempt_on=timezone.now() - dt.timedelta(seconds=1)
        )
        run_periodic_jobs()
        time.sleep(0.5)
    left = Counter(Msg.objects.filter(direction="out").values_list("status", flat=True))
    raise AssertionError(f"not everything was sent: {left}")


def _campaign(api: Any, group: Any, **event: Any) -> tuple[str, str]:
    answer = post(api, "/api/v1/campaigns", {"name": "Antenatal", "group": str(group.uuid)})
    assert answer.status_code == 201, answer.content
    campaign = answer.json()["uuid"]
    body = {"campaign": campaign, "relative_to": "edd", "offset": 3, "unit": "days", "delivery_hour": 9}
    body.update(event or {"message": {"eng": "Your clinic visit is in 3 days", "fra": "Visite dans 3 jours"}})
    answer = post(api, "/api/v1/campaign_events", body)
    assert answer.status_code == 201, answer.content
    return campaign, answer.json()["uuid"]


def test_thousand_contacts_fire_at_their_instant_and_reach_the_aggregator(
    api, workspace, ex_channel, aggregator
) -> None:
    group, contacts = dated_group(workspace, count=1000, base=BASE, languages=("fra", ""))
    set_clock(BASE - dt.timedelta(days=1))
    _, event_uuid = _campaign(api, group)
    run_jobs()  # the background job schedules everyone

    fires = {f.contact_id: f.scheduled for f in EventFire.objects.filter(fired_on__isnull=True)}
    expected = {c.id: _expected(dt.datetime.fromisoformat(c.fields["edd"])) for c in contacts}
    assert fires == expected
    scheduled = api.get(f"/api/v1/campaign_events/{event_uuid}/fires?status=scheduled&limit=1000").json()
    assert len(scheduled) == 1000 and all(f["fired_on"] is None for f in scheduled)

    first = min(expected.values())
    due_first = [cid for cid, when in expected.items() if when == first]
    set_clock(first - dt.timedelta(seconds=1))
    run_periodic_jobs()
    assert Msg.objects.filter(direction="out").count() == 0  # one second early: nothing

    set_clock(first)
    run_periodic_jobs()
    fired = EventFire.objects.filter(fired_on__isnull=False)
    assert sorted(f.contact_id for f in fired) == sorted(due_first)
    assert all(f.fired_on == first and f.result == "sent" for f in fired)

    set_clock(max(expected.values()))
    run_periodic_jobs()
    assert EventFire.objects.filter(fired_on__isnull=True).count() == 0
    outbound = list(Msg.objects.filter(direction="out").select_related("contact"))
    assert Counter(m.contact_id for m in outbound) == Counter({c.id: 1 for c in contacts})
    for m in outbound:
        want = "Visite dans 3 jours" if m.contact.language == "fra" else "Your clinic visit is in 3 days"
        assert m.text == want and m.metadata["source"] == "campaign"

    _send_all()
    texts = Counter(r.form().get("text") for r in aggregator.requests)
    assert texts == {"Visite dans 3 jours": 500, "Your clinic visit is in 3 days": 500}
    run_periodic_jobs()  # a later tick fires nothing again
    assert Msg.objects.filter(direction="out").count() == 1000


def test_date_change_group_change_and_delete_move_the_fires(api, workspace, ex_channel) -> None:
    group, contacts = dated_group(workspace, count=3, base=BASE)
    set_clock(BASE - dt.timedelta(days=1))
    _, event_uuid = _campaign(api, group)
    run_jobs()
    moved, removed, deleted = contacts

    new_edd = BASE + dt.timedelta(days=10)
    answer = patch(api, f"/api/v1/contacts/{moved.uuid}", {"fields": {"edd": new_edd.isoformat()}})
    assert answer.status_code == 200, answer.content
    assert EventFire.objects.get(contact=moved, fired_on__isnull=True).scheduled == _expected(new_edd)

    answer = post(api, f"/api/v1/groups/{group.uuid}/contacts", {"remove": [str(removed.uuid)]})
    assert answer.status_code in (200, 201), answer.content
    assert not EventFire.objects.filter(contact=removed).exists()
    answer = post(api, f"/api/v1/groups/{group.uuid}/contacts", {"add": [str(removed.uuid)]})
    assert EventFire.objects.filter(contact=removed, fired_on__isnull=True).count() == 1

    assert api.delete(f"/api/v1/contacts/{deleted.uuid}").status_code == 204
    assert not EventFire.objects.filter(contact_id=deleted.id).exists()

    # clearing the date removes the fire; a date in the past schedules nothing
    patch(api, f"/api/v1/contacts/{removed.uuid}", {"fields": {"edd": None}})
    assert not EventFire.objects.filter(contact=removed).exists()
    patch(api, f"/api/v1/contacts/{removed.uuid}", {"fields": {"edd": "2020-01-01"}})
    assert not EventFire.objects.filter(contact=removed).exists()

    set_clock(BASE + dt.timedelta(days=30))
    run_periodic_jobs()
    sent = Msg.objects.filter(direction="out")
    assert [m.contact_id for m in sent] == [moved.id]  # the deleted contact never fired
    fired = api.get(f"/api/v1/campaign_events/{event_uuid}/fires?status=fired").json()
    assert [(f["contact"]["uuid"], f["result"]) for f in fired] == [(str(moved.uuid), "sent")]


def test_editing_an_event_reschedules_everyone(api, workspace, ex_channel) -> None:
    group, contacts = dated_group(workspace, count=50, base=BASE)
    set_clock(BASE - dt.timedelta(days=1))
    _, event_uuid = _campaign(api, group)
    run_jobs()
    answer = patch(
        api, f"/api/v1/campaign_events/{event_uuid}", {"offset": 2, "unit": "hours", "delivery_hour": -1}
    )
    assert answer.status_code == 200, answer.content
    run_jobs()
    fires = {f.contact_id: f.scheduled for f in EventFire.objects.filter(fired_on__isnull=True)}
    assert fires == {
        c.id: dt.datetime.fromisoformat(c.fields["edd"]) + dt.timedelta(hours=2) for c in contacts
    }

    assert api.delete(f"/api/v1/campaign_events/{event_uuid}").status_code == 204
    assert not EventFire.objects.filter(fired_on__isnull=True).exists()
    set_clock(BASE + dt.timedelta(days=100))
    run_periodic_jobs()
    assert not Msg.objects.exists()


def test_blocked_contact_is_skipped_not_sent(api, workspace, ex_channel) -> None:
    group, (contact,) = dated_group(workspace, count=1, base=BASE)
    set_clock(BASE - dt.timedelta(days=1))
    _campaign(api, group)
    run_jobs()
    Contact.objects.filter(id=contact.id).update(status="blocked")
    set_clock(BASE + dt.timedelta(days=5))
    run_periodic_jobs()
    fire = EventFire.objects.get(contact=contact)
    assert (fire.result, fire.detail) == ("skipped", "the contact is blocked")
    assert not Msg.objects.exists()


def test_bad_events_are_refused_with_what_is_wrong(api, workspace) -> None:
    group, _ = dated_group(workspace, count=1, base=BASE)
    campaign = post(api, "/api/v1/campaigns", {"name": "C", "group": "Mothers"}).json()["uuid"]
    bad = post(
        api,
        "/api/v1/campaign_events",
        {
            "campaign": campaign,
            "relative_to": "nope",
            "offset": 1,
            "unit": "fortnights",
            "message": {"eng": "x"},
        },
    )
    assert bad.status_code == 400
    assert "'nope' is not a field" in bad.json()["error"] and "unit: one of" in bad.json()["error"]
    assert (
        post(api, "/api/v1/campaign_events", {"campaign": campaign, "relative_to": "edd"}).status_code == 400
    )
    assert post(api, "/api/v1/campaigns", {"name": "C", "group": "no such"}).status_code == 400
