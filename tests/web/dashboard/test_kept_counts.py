"""Counts kept instead of counted on each view (issue 27): the dashboard's daily counts, refreshed
over the last days only, and group member counts kept by triggers on every membership change."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from channels_app.models import Contact, ContactGroup, ContactGroupCount, Msg, MsgDailyCount
from channels_app.services import groups, stats
from tests.web.dashboard.conftest import make_msg


def _today(workspace: Any) -> stats.DayVolume:
    return stats.dashboard_stats(workspace=workspace, days=3).days[-1]


def test_dashboard_reads_counts_and_the_job_recounts_only_the_last_days(
    workspace: Any, ex_channel: Any
) -> None:
    make_msg(ex_channel)
    queued = make_msg(ex_channel, direction="out", status="queued")
    old = make_msg(ex_channel, direction="out", status="sent", days_ago=5)
    assert stats.refresh_daily_counts() == {"daily_count_rows": 1}
    assert stats.refresh_daily_counts() == {}  # at most once a minute (a lock left to expire)
    today = _today(workspace)
    assert (today.incoming, today.outgoing, today.failed) == (1, 1, 0)
    assert not MsgDailyCount.objects.filter(day__lt=today.day - dt.timedelta(days=1)).exists()

    # A status change shows after the next refresh; the view itself never reads messages.
    Msg.objects.filter(id=queued.id).update(status="failed")
    stats.rebuild_daily_counts()  # what the job runs
    with CaptureQueriesContext(connection) as queries:
        board = stats.dashboard_stats(workspace=workspace)
    assert not [q for q in queries.captured_queries if f'"{Msg._meta.db_table}"' in q["sql"]]
    assert (board.days[-1].outgoing, board.days[-1].failed) == (1, 1)
    rates = board.channels[0]
    assert (rates.failed, rates.in_flight, rates.sent) == (1, 0, 0)  # the 5-day-old one: not recounted

    # Older days are final for the job; a full rebuild (migration, operator) counts them.
    stats.rebuild_daily_counts(days=None)
    assert stats.dashboard_stats(workspace=workspace).channels[0].sent == 1
    Msg.objects.filter(id=old.id).delete()
    stats.rebuild_daily_counts(days=None)
    assert stats.dashboard_stats(workspace=workspace).channels[0].sent == 0


def _count(group: ContactGroup) -> int:
    listed = {g.id: groups.member_count(g) for g in groups.list_groups(workspace=group.workspace)}
    assert listed[group.id] == groups.member_count(ContactGroup.objects.get(id=group.id))
    return listed[group.id]


def test_group_counts_follow_every_membership_change(workspace: Any) -> None:
    group = groups.create_group(workspace=workspace, name="Mothers")
    other = groups.create_group(workspace=workspace, name="Fathers")
    people = [Contact.objects.create(workspace=workspace, name=f"P{i}") for i in range(5)]
    assert _count(group) == 0
    groups.change_members(group=group, add=[str(p.uuid) for p in people], remove=[])
    other.contacts.add(people[0])
    assert (_count(group), _count(other)) == (5, 1)
    groups.change_members(group=group, add=[], remove=[str(people[1].uuid)])
    people[2].delete()  # the contact's memberships go with it
    group.contacts.through.objects.filter(contact_id=people[3].id).delete()  # raw, no signals
    assert (_count(group), _count(other)) == (2, 1)

    assert ContactGroupCount.objects.filter(group_id=group.id).count() > 1
    assert groups.squash_group_counts() == {"group_counts_squashed": 2}
    assert list(ContactGroupCount.objects.filter(group_id=group.id).values_list("count", "is_squashed")) == [
        (2, True)
    ]
    assert (_count(group), _count(other)) == (2, 1)
    group.contacts.clear()
    assert _count(group) == 0

    with CaptureQueriesContext(connection) as queries:
        list(groups.list_groups(workspace=workspace))
    assert not [q for q in queries.captured_queries if "contactgroup_contacts" in q["sql"]]

    groups.delete_group(group=other)
    groups.squash_group_counts()
    assert not ContactGroupCount.objects.filter(group_id=other.id).exists()
