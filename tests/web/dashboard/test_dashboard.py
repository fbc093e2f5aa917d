"""Dashboard: daily volume and delivery rates from one grouped query, drawn as server-side SVG."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from channels_app.services.channels import create_channel
from channels_app.services.stats import dashboard_stats, rebuild_daily_counts
from tests.web.dashboard.conftest import make_msg
from web import charts


@pytest.fixture
def two_channels(ex_channel: Any, workspace: Any) -> tuple[Any, Any]:
    other = create_channel(workspace=workspace, type_code="EX", name="Backup", country="RW",
                           config={"send_url": "http://127.0.0.1:9/send"})  # fmt: skip
    a = ex_channel
    # today on A: 3 in, 4 out (2 delivered, 1 failed, 1 queued)
    for _ in range(3):
        make_msg(a)
    make_msg(a, direction="out", status="delivered")
    make_msg(a, direction="out", status="delivered")
    make_msg(a, direction="out", status="failed")
    make_msg(a, direction="out", status="queued")
    # 5 days ago on B: 1 in, 2 out (1 sent, 1 failed)
    make_msg(other, days_ago=5)
    make_msg(other, direction="out", status="sent", days_ago=5)
    make_msg(other, direction="out", status="failed", days_ago=5)
    # outside the 30-day window: never counted
    make_msg(a, days_ago=30)
    make_msg(a, direction="out", status="failed", days_ago=45)
    # The dashboard reads the daily counts; the periodic job keeps the last days, a rebuild all.
    rebuild_daily_counts(days=None)
    return a, other


def test_stats_count_per_day_and_channel_in_one_grouped_query(
    two_channels: tuple[Any, Any], workspace: Any, django_assert_max_num_queries: Any
) -> None:
    a, b = two_channels
    with django_assert_max_num_queries(2):  # the daily counts + the channel names
        stats = dashboard_stats(workspace=workspace)
    assert len(stats.days) == 30
    assert stats.until == timezone.localdate() and stats.since == stats.until - dt.timedelta(days=29)
    by_day = {d.day: d for d in stats.days}
    today = by_day[stats.until]
    assert (today.incoming, today.outgoing, today.failed) == (3, 4, 1)
    five = by_day[stats.until - dt.timedelta(days=5)]
    assert (five.incoming, five.outgoing, five.failed) == (1, 2, 1)
    assert (stats.totals.incoming, stats.totals.outgoing, stats.totals.failed) == (4, 6, 2)

    rates = {r.name: r for r in stats.channels}
    assert list(rates) == ["Aggregator", "Backup"]
    ra, rb = rates["Aggregator"], rates["Backup"]
    assert (ra.outgoing, ra.delivered, ra.failed, ra.in_flight, ra.incoming) == (4, 2, 1, 1, 3)
    # the queued message is not finished: 2 delivered of 3 finished
    assert ra.delivered_pct == 66.7 and ra.accepted_pct == 66.7 and ra.failed_pct == 33.3
    assert (rb.delivered_pct, rb.accepted_pct, rb.failed_pct) == (0.0, 50.0, 50.0)


def test_channel_filter_narrows_the_volume_but_keeps_every_channel_rate(
    two_channels: tuple[Any, Any], workspace: Any
) -> None:
    a, b = two_channels
    stats = dashboard_stats(workspace=workspace, channel=b)
    assert (stats.totals.incoming, stats.totals.outgoing, stats.totals.failed) == (1, 2, 1)
    assert {r.name for r in stats.channels} == {"Aggregator", "Backup"}


def test_empty_workspace_has_thirty_zero_days(workspace: Any) -> None:
    stats = dashboard_stats(workspace=workspace, days=30)
    assert [d.incoming + d.outgoing for d in stats.days] == [0] * 30
    assert stats.channels == [] and stats.peak == 0
    with pytest.raises(ValueError):
        dashboard_stats(workspace=workspace, days=0)


@pytest.mark.parametrize(("peak", "step"), [(0, 1), (3, 1), (5, 2), (9, 5), (40, 10), (41, 20), (999, 250)])
def test_nice_step_covers_the_peak(peak: int, step: int) -> None:
    assert charts.nice_step(peak) == step
    assert charts.nice_step(peak) * 4 >= peak


def test_volume_chart_bars_are_proportional_and_titled() -> None:
    today = dt.date(2024, 3, 30)
    days = [charts.DayVolume(today - dt.timedelta(days=29 - i), 0, 0, 0) for i in range(30)]
    days[-1] = charts.DayVolume(today, 8, 4, 1)
    chart = charts.volume_chart(days)
    bars = {b.series: b for b in chart.bars}
    assert set(bars) == {"incoming", "outgoing", "failed"}  # zero days draw nothing
    assert bars["incoming"].height == pytest.approx(2 * bars["outgoing"].height, abs=0.2)
    assert bars["outgoing"].height == pytest.approx(4 * bars["failed"].height, abs=0.2)
    assert bars["incoming"].y + bars["incoming"].height == pytest.approx(chart.baseline)
    assert bars["incoming"].title == "30 Mar: 8 incoming"
    assert [t.label for t in chart.y_ticks] == ["0", "2", "4", "6", "8"]
    assert chart.x_ticks[-1].label == "30 Mar" and len(chart.x_ticks) == 5


def test_rate_segments_stack_to_the_whole_bar(two_channels: tuple[Any, Any], workspace: Any) -> None:
    ra = next(r for r in dashboard_stats(workspace=workspace).channels if r.name == "Aggregator")
    segments = charts.rate_segments(ra)
    assert [s.series for s in segments] == ["delivered", "failed", "in-flight"]
    assert sum(s.width for s in segments) == pytest.approx(100.0)
    assert segments[1].x == pytest.approx(50.0)


def test_dashboard_page_draws_the_chart_and_the_rates(two_channels: tuple[Any, Any], client_in: Any) -> None:
    a, b = two_channels
    html = client_in.get("/").content.decode()
    assert re.search(r'<rect class="bar incoming"[^>]*><title>\d+ \w+: 3 incoming</title>', html)
    assert (
        html.count('class="bar incoming"') == 2 and html.count('class="bar failed"') == 2 + 2
    )  # days + ratebars
    assert f'data-channel="{a.uuid}"' in html and "66.7%" in html
    filtered = client_in.get("/", {"channel": str(b.uuid)})
    assert filtered.status_code == 200
    page = filtered.content.decode()
    assert page.count('class="bar incoming"') == 1 and 'aria-current="true"' in page
    assert "<b>1</b><span>incoming · 30 days</span>" in page


def test_dashboard_rejects_another_workspaces_channel(
    two_channels: tuple[Any, Any], other_workspace: Any, client_in: Any
) -> None:
    theirs = other_workspace.channels.get()
    response = client_in.get("/", {"channel": str(theirs.uuid)})
    assert response.status_code == 400
    assert "Theirs" not in response.content.decode()
    assert "Unknown channel" in response.content.decode()
    assert client_in.get("/", {"channel": "not-a-uuid"}).status_code == 400


def test_dashboard_needs_login(client: Any, workspace: Any) -> None:
    response = client.get("/")
    assert response.status_code == 302 and "/login/" in response["Location"]
