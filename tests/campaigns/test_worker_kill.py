"""A scheduler process killed in the middle of a batch: the batches it committed stay fired,
the one it was in rolls back whole, and the next worker fires the rest, each contact once."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from collections import Counter

from django.conf import settings

from campaigns.models import EventFire
from channels_app.models import Msg
from channels_app.worker import run_periodic_jobs
from tests.campaigns.helpers import dated_group, post, set_clock
from tests.channels_app.test_worker_kill import ROOT, _database_url
from tests.conftest import run_jobs

BASE = dt.datetime(2027, 3, 1, 6, 30, tzinfo=dt.UTC)

# The worker fires with its real code; the test only holds it inside its third batch (after
# the batch's messages are written, before its commit) so the kill lands at a known point.
WORKER = """
import django, sys, time
django.setup()
from campaigns.services import firing
real, seen = firing._fire, []
def held(rows, now):
    real(rows, now)
    seen.append(len(rows))
    if len(seen) == 3:
        print("holding", flush=True)
        time.sleep(120)
firing._fire = held
firing.fire_due(batch=100)
"""


def test_worker_killed_mid_batch_loses_and_doubles_nothing(api, workspace, ex_channel) -> None:
    group, contacts = dated_group(workspace, count=1000, base=BASE)
    set_clock(BASE - dt.timedelta(days=1))
    campaign = post(api, "/api/v1/campaigns", {"name": "C", "group": str(group.uuid)}).json()["uuid"]
    answer = post(
        api,
        "/api/v1/campaign_events",
        {
            "campaign": campaign,
            "relative_to": "edd",
            "offset": 10,
            "unit": "minutes",
            "message": {"eng": "Hi"},
        },
    )
    assert answer.status_code == 201
    run_jobs()
    assert EventFire.objects.filter(fired_on__isnull=True).count() == 1000

    later = BASE + dt.timedelta(days=60)
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "web.settings",
        "FLOWGATE_CLOCK": later.isoformat(),
    }
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "holding"
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.wait(10)
    assert worker.returncode == -signal.SIGKILL

    # two batches committed; the third's messages and marks went with the killed transaction
    assert EventFire.objects.filter(fired_on__isnull=False).count() == 200
    assert Msg.objects.filter(direction="out").count() == 200

    set_clock(later)
    run_periodic_jobs()  # a restarted worker's scheduler tick
    assert EventFire.objects.filter(fired_on__isnull=True).count() == 0
    per_contact = Counter(Msg.objects.filter(direction="out").values_list("contact_id", flat=True))
    assert per_contact == Counter({c.id: 1 for c in contacts})
    assert Counter(EventFire.objects.values_list("contact_id", flat=True)) == per_contact
