"""Paced broadcasts on an injected clock: evenly over the window, within max_tps, quiet hours."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest

from channels_app.models import Msg
from channels_app.services.channels import create_channel
from flows.models import Broadcast, PacedSend
from flows.services import compose, pacing

from .helpers import T0, make_group, run_clock


def _channel(workspace: Any, aggregator: Any, tps: int) -> Any:
    return create_channel(
        workspace=workspace,
        type_code="EX",
        name="Paced",
        address="+250788000000",
        country="RW",
        config={"send_url": f"{aggregator.url}/send", "content_type": "urlencoded", "max_tps": tps},
    )


def _released_seconds(broadcast: Broadcast) -> list[float]:
    rows = PacedSend.objects.filter(broadcast=broadcast, status="released")
    return [(r.released_on - T0).total_seconds() for r in rows]


def test_1000_contacts_over_10_minutes_go_evenly_and_within_max_tps(workspace, aggregator) -> None:
    _channel(workspace, aggregator, tps=2)
    group = make_group(workspace, 1000)
    broadcast = compose.create_broadcast(
        workspace=workspace,
        text="Health alert",
        group_uuids=[str(group.uuid)],
        spread_over_minutes=10,
        now=T0,
    )
    assert broadcast.total == 1000 and broadcast.send_at == T0
    # before the window nothing goes
    assert pacing.release_due(now=T0 - dt.timedelta(seconds=1)) == 0
    run_clock(T0, 11 * 60, step=0.5)  # a release loop polls about twice a second

    seconds = _released_seconds(broadcast)
    assert len(seconds) == 1000
    assert Msg.objects.filter(metadata__broadcast=str(broadcast.uuid)).count() == 1000
    per_minute = Counter(int(s // 60) for s in seconds)
    assert sorted(per_minute) == list(range(10))  # all inside the 10-minute window
    mean = 1000 / 10
    assert all(abs(n - mean) <= 0.1 * mean for n in per_minute.values()), per_minute
    per_second = Counter(int(s) for s in seconds)
    assert max(per_second.values()) <= 2  # the channel's max_tps
    broadcast.refresh_from_db()
    assert broadcast.status == "completed"
    progress = pacing.progress(owner=broadcast, now=T0 + dt.timedelta(minutes=11))
    assert progress["scheduled"] == 0 and progress["queued"] == 1000 and progress["failed"] == 0


def test_a_window_too_short_for_max_tps_is_stretched_not_exceeded(workspace, aggregator) -> None:
    _channel(workspace, aggregator, tps=1)
    group = make_group(workspace, 120)
    broadcast = compose.create_broadcast(
        workspace=workspace, text="Too fast", group_uuids=[str(group.uuid)], spread_over_minutes=1, now=T0
    )
    due = sorted(PacedSend.objects.filter(broadcast=broadcast).values_list("due_at", flat=True))
    assert (due[-1] - T0).total_seconds() == pytest.approx(119)  # 120 sends at 1/s, not 2/s
    progress = pacing.progress(owner=broadcast, now=T0)
    assert progress["eta_seconds"] == 119 and progress["scheduled"] == 120
    run_clock(T0, 130, step=0.5)
    per_second = Counter(int(s) for s in _released_seconds(broadcast))
    assert sum(per_second.values()) == 120 and max(per_second.values()) == 1


def test_pause_resume_cancel(workspace, aggregator) -> None:
    _channel(workspace, aggregator, tps=0)
    group = make_group(workspace, 100)
    broadcast = compose.create_broadcast(
        workspace=workspace, text="Pausable", group_uuids=[str(group.uuid)], spread_over_minutes=10, now=T0
    )
    run_clock(T0, 119)  # two minutes: 20 released (one each 6 s)
    assert pacing.progress(owner=broadcast, now=T0)["queued"] == 20

    pacing.pause(owner=broadcast, now=T0 + dt.timedelta(minutes=2))
    assert broadcast.status == "paused"
    run_clock(T0 + dt.timedelta(minutes=2), 30 * 60, step=30)  # half an hour paused: nothing goes
    progress = pacing.progress(owner=broadcast, now=T0 + dt.timedelta(minutes=32))
    assert progress["queued"] == 20 and progress["scheduled"] == 80 and progress["eta"] is None

    resumed_at = T0 + dt.timedelta(minutes=32)
    pacing.resume(owner=broadcast, now=resumed_at)
    assert broadcast.status == "sending"
    # the rest keeps its spacing: the first waiting row is due 2 minutes into the window, so now
    assert pacing.release_due(now=resumed_at) == 1
    assert pacing.release_due(now=resumed_at + dt.timedelta(seconds=5)) == 0
    assert pacing.release_due(now=resumed_at + dt.timedelta(seconds=6)) == 1
    progress = pacing.progress(owner=broadcast, now=resumed_at)
    assert progress["eta_seconds"] == 8 * 60 - 6  # 78 more, 6 s apart, from resume + 6 s

    dropped = pacing.cancel(owner=broadcast, now=resumed_at + dt.timedelta(seconds=7))
    assert dropped == 78 and broadcast.status == "cancelled"
    run_clock(resumed_at, 20 * 60, step=60)
    progress = pacing.progress(owner=broadcast, now=resumed_at + dt.timedelta(hours=1))
    assert progress["cancelled"] == 78 and progress["queued"] == 22 and progress["scheduled"] == 0
    with pytest.raises(pacing.PaceError):
        pacing.resume(owner=broadcast)


def test_quiet_hours_hold_paced_sends_but_not_replies(workspace, aggregator) -> None:
    """21:00-07:00 in Kigali (UTC+2): a broadcast at 18:50 UTC (20:50 local) over 20 minutes
    sends its first half, waits the night, and sends the rest from 07:00 local."""
    from flows.models import WorkspacePacing

    channel = _channel(workspace, aggregator, tps=0)
    pacing.set_quiet_hours(
        workspace_id=workspace.id, timezone_name="Africa/Kigali", start=dt.time(21), end=dt.time(7)
    )
    evening = dt.datetime(2026, 12, 7, 18, 50, tzinfo=dt.UTC)
    group = make_group(workspace, 20)
    broadcast = compose.create_broadcast(
        workspace=workspace, text="Night", group_uuids=[str(group.uuid)], spread_over_minutes=20, now=evening
    )
    due = sorted(PacedSend.objects.filter(broadcast=broadcast).values_list("due_at", flat=True))
    morning = dt.datetime(2026, 12, 8, 5, 0, tzinfo=dt.UTC)  # 07:00 in Kigali
    assert sum(d < evening + dt.timedelta(minutes=10) for d in due) == 10
    assert all(morning <= d < morning + dt.timedelta(minutes=10) for d in due[10:])

    # the release job refuses quiet hours even for rows already due (e.g. quiet hours set later)
    WorkspacePacing.objects.filter(workspace=workspace).update(quiet_start=None, quiet_end=None)
    run_clock(evening, 9 * 60 + 59, step=60)
    assert pacing.progress(owner=broadcast, now=evening)["queued"] == 10
    PacedSend.objects.filter(broadcast=broadcast, status="scheduled").update(due_at=evening)
    pacing.set_quiet_hours(
        workspace_id=workspace.id, timezone_name="Africa/Kigali", start=dt.time(21), end=dt.time(7)
    )
    assert pacing.release_due(now=evening + dt.timedelta(minutes=30)) == 0  # 21:20 local
    assert pacing.release_due(now=morning - dt.timedelta(minutes=1)) == 0  # 06:59 local
    assert pacing.release_due(now=morning) == 10

    # a reply to an inbound message is not paced: it is queued at once, quiet hours or not
    from channels_app.services.send import queue_message

    inbound = Msg.objects.create(
        workspace=workspace, channel=channel, urn="tel:+250788000999", direction="in",
        status="handled", text="help", created_on=evening,
    )  # fmt: skip
    reply = queue_message(
        workspace_id=workspace.id, to="tel:+250788000999", text="on it", response_to=inbound
    )
    assert reply.status == "queued"


def test_api_broadcast_with_translations_and_flow_start_paced(api, workspace, aggregator) -> None:
    from .helpers import post_json

    _channel(workspace, aggregator, tps=0)
    group = make_group(workspace, 30, languages=("eng", "kin", "fra"))
    body = {
        "text": {"eng": "Vaccination tomorrow", "kin": "Inkingo ejo"},
        "base_language": "eng",
        "groups": [str(group.uuid)],
        "spread_over_minutes": 5,
    }
    preview = post_json(api, "/api/v1/broadcasts/preview", body)
    assert preview.status_code == 200, preview.content
    counts = {row["language"]: row["recipients"] for row in preview.json()["languages"]}
    assert counts == {"eng": 20, "kin": 10}  # French speakers read the base language
    created = post_json(api, "/api/v1/broadcasts", body)
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["progress"]["scheduled"] == 30 and data["status"] == "scheduled"
    pacing.release_due(now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=6))
    texts = Counter(Msg.objects.filter(metadata__broadcast=data["uuid"]).values_list("text", flat=True))
    assert texts == {"Vaccination tomorrow": 20, "Inkingo ejo": 10}

    bad = post_json(api, "/api/v1/broadcasts", {**body, "groups": ["00000000-0000-4000-8000-000000000000"]})
    assert bad.status_code == 400 and "unknown group" in bad.json()["error"]
    naive = post_json(api, "/api/v1/broadcasts", {**body, "send_at": "2026-12-07T10:00:00"})
    assert naive.status_code == 400 and "time zone" in naive.json()["error"]


def test_quiet_hours_api(api) -> None:
    from .helpers import put_json

    assert api.get("/api/v1/quiet_hours").json() == {
        "timezone": "UTC",  # the workspace's
        "follows_workspace": True,
        "start": None,
        "end": None,
    }
    saved = put_json(
        api, "/api/v1/quiet_hours", {"timezone": "Africa/Kigali", "start": "21:00", "end": "07:00"}
    )
    assert saved.status_code == 200 and saved.json() == {
        "timezone": "Africa/Kigali",
        "follows_workspace": False,
        "start": "21:00",
        "end": "07:00",
    }
    assert put_json(api, "/api/v1/quiet_hours", {"timezone": "Mars/Olympus"}).status_code == 400
    half = put_json(api, "/api/v1/quiet_hours", {"timezone": "UTC", "start": "21:00"})
    assert half.status_code == 400 and "both" in half.json()["error"]
    assert put_json(api, "/api/v1/quiet_hours", {"start": "9pm", "end": "7am"}).status_code == 400
