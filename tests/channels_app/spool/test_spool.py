"""The inbound disk spool: record format, torn tails, idempotent replay, 503 only when full."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from channels_app import spool
from channels_app.models import Msg
from channels_app.services import ingest
from tests.conftest import run_jobs


@pytest.fixture(autouse=True)
def spool_in_tmp(tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    settings.FLOWGATE_SPOOL_DIR = str(tmp_path / "spool")
    settings.FLOWGATE_SPOOL_MAX_BYTES = 1024 * 1024
    monkeypatch.setattr(spool, "DB_DOWN_SECONDS", 60.0)  # an "outage" that lasts the whole test
    monkeypatch.setattr(spool, "start_replayer", lambda: None)  # tests replay explicitly
    spool._channels.clear()
    yield tmp_path / "spool"
    spool.mark_db_up()
    spool._writer.seal()


def _prepared(channel: Any, text: str, external_id: str | None = None) -> ingest.Prepared:
    return ingest.prepare(channel=channel, sender="+250788123123", text=text, external_id=external_id)


def test_record_round_trip_and_checksum() -> None:
    line = spool.encode_record({"uuid": "u", "text": "héllo\nworld"})
    assert line.endswith(b"\n") and line.count(b"\n") == 1  # one line even with newlines in text
    assert spool.decode_record(line[:-1]) == {"uuid": "u", "text": "héllo\nworld"}
    flipped = line[:-3] + b"X" + line[-2:-1]
    assert spool.decode_record(flipped) is None


def test_torn_tail_and_corrupt_record_are_skipped_and_reported(ex_channel: Any, spool_in_tmp: Path) -> None:
    msgs = [_prepared(ex_channel, f"spooled {i}").row for i in range(3)]
    for msg in msgs:
        spool.append(msg)
    segment = next(spool_in_tmp.glob("seg-*.open"))
    lines = segment.read_bytes().split(b"\n")
    lines[1] = lines[1].replace(b"spooled 1", b"spooled X")  # bit rot in the middle record
    # ... and a crash in the middle of a fourth append: a torn last line.
    segment.write_bytes(b"\n".join(lines) + spool.encode_record(spool.msg_record(msgs[0]))[:40])

    report = spool.replay()

    assert report.torn == 1 and report.rejected == 1 and report.inserted == 2
    stored = set(Msg.objects.values_list("uuid", flat=True))
    assert stored == {msgs[0].uuid, msgs[2].uuid}
    assert not list(spool_in_tmp.glob("seg-*"))  # replayed segments are removed
    rejected = [json.loads(x) for x in (spool_in_tmp / "rejected.log").read_text().splitlines()]
    assert {r["reason"] for r in rejected} == {"bad checksum", "torn tail (the process stopped mid-append)"}
    assert spool.status()["rejected"] == 2


def test_replay_is_idempotent_and_wakes_the_handlers(ex_channel: Any) -> None:
    prepared = _prepared(ex_channel, "during the outage", external_id="ext-1")
    received = ingest.spool_prepared(prepared)
    assert received.uuid == str(prepared.row.uuid) and not received.duplicate
    assert not Msg.objects.exists()

    first = spool.replay()
    assert (first.records, first.inserted, first.duplicates) == (1, 1, 0)
    spool.append(prepared.row)  # replayed again (e.g. a crash after the insert, before the delete)
    second = spool.replay()
    assert (second.records, second.inserted, second.duplicates) == (1, 0, 1)

    run_jobs()
    msg = Msg.objects.get()
    assert str(msg.uuid) == received.uuid and msg.external_id == "ext-1"
    assert msg.status == "handled" and msg.contact is not None and msg.metadata["spooled"] is True


def test_replay_dedupes_on_external_id_and_rejects_deleted_channels(ex_channel: Any) -> None:
    stored = ingest.receive(channel=ex_channel, sender="+250788123123", text="first", external_id="ext-9")
    spool.append(_prepared(ex_channel, "retry of first", external_id="ext-9").row)  # another uuid
    orphan = _prepared(ex_channel, "for a channel deleted since").row
    orphan.channel_id = 987654
    spool.append(orphan)

    report = spool.replay()

    assert (report.inserted, report.duplicates, report.rejected) == (0, 1, 1)
    assert list(Msg.objects.values_list("uuid", flat=True)) == [uuid.UUID(stored.uuid)]
    assert "the channel no longer exists" in report.problems[0]


def test_django_receive_view_spools_while_the_database_is_down(ex_channel: Any, settings: Any) -> None:
    client = Client()
    url = f"/c/ex/{ex_channel.uuid}/receive"
    assert client.post(url, {"from": "+250788123123", "text": "before"}).status_code == 200  # seen
    spool.mark_db_down()

    response = client.post(url, {"from": "+250788123123", "text": "while down", "id": "abc"})
    assert response.status_code == 200
    msg_uuid = response.json()["uuid"]
    assert not Msg.objects.filter(uuid=msg_uuid).exists()
    assert spool.status()["records"] == 1

    # A channel this process never saw: it may not exist, so nothing is spooled for it.
    unknown = client.post(f"/c/ex/{uuid.uuid4()}/receive", {"from": "+250788123123", "text": "?"})
    assert unknown.status_code == 503 and unknown["Retry-After"] == str(spool.RETRY_AFTER_SECONDS)

    settings.FLOWGATE_SPOOL_MAX_BYTES = spool.spool_bytes() + 10  # full: the aggregator must retry
    full = client.post(url, {"from": "+250788123123", "text": "spool is full now"})
    assert full.status_code == 503 and full["Retry-After"] == str(spool.RETRY_AFTER_SECONDS)
    assert "full" in full.json()["error"]

    spool.mark_db_up()
    assert spool.replay().inserted == 1
    assert Msg.objects.filter(uuid=msg_uuid, text="while down").exists()
    # The refused message is accepted once the aggregator retries.
    assert client.post(url, {"from": "+250788123123", "text": "spool is full now"}).status_code == 200


def test_spool_command_reports_and_replays(ex_channel: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    spool.append(_prepared(ex_channel, "waiting on disk").row)
    out = StringIO()
    call_command("spool", "status", stdout=out)
    status = json.loads(out.getvalue())
    assert status["records"] == 1 and status["segments"]["open"] == 1 and status["bytes"] > 0

    out = StringIO()
    call_command("spool", "replay", stdout=out)
    report = json.loads(out.getvalue())
    assert report["inserted"] == 1 and report["left"]["records"] == 0
    assert Msg.objects.filter(text="waiting on disk").exists()
