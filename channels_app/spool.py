"""A durable disk spool for inbound messages that arrive while PostgreSQL is unreachable.

Aggregators give up on a message after a few failed posts, so an outage of the database must
not become lost messages. When storing an inbound message fails because the database cannot
be reached, the message (with the uuid we already assigned) is appended to a local file and
fsynced, and the aggregator gets its normal 200. A replayer inserts spooled messages once the
database answers again, idempotently, and wakes the handlers as a normal receive would.

Layout (under FLOWGATE_SPOOL_DIR, default var/spool/):
  seg-<pid>-<ns>.open    the segment a live process appends to; the process holds an flock on
                         it for as long as it writes, so another process can tell it is alive
  seg-<pid>-<ns>.ready   sealed, waiting for replay (a replayer holds an flock while replaying)
  rejected.log           records that could not be stored (torn tail, bad checksum, channel gone)

Each record is one line: `<crc32 as 8 hex digits> <compact JSON>\\n`, written with a single
write() and fsynced. A crash mid-append leaves at most one torn last line, which replay skips
and reports; earlier records are untouched.

Channel lookup while the database is down: channels seen by this process are remembered (see
remember_channel); a post for a channel this process has never seen gets a 503 with
Retry-After, because we cannot tell a real channel from a made-up uuid and spooling the latter
would let anyone fill the disk.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import threading
import time
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from channels_app.models import Channel, Msg
    from channels_app.services.ingest import InboundRow

logger = logging.getLogger(__name__)

# After a failure, skip the database for this long (requests go straight to the spool instead
# of each waiting for a connection timeout); the replayer reopens it as soon as a write works.
DB_DOWN_SECONDS = 2.0
RETRY_AFTER_SECONDS = 5
REPLAY_BATCH = 500
_REMEMBERED_CHANNELS_MAX = 10_000
REQUIRED_KEYS = {"uuid", "workspace_id", "channel_id", "urn", "text", "created_on"}


class SpoolUnavailable(Exception):
    """The message could not be spooled (spool full or disk write failed): answer 503."""


class UnknownDuringOutage(Exception):
    """The database is down and this process has not seen the channel: answer 503."""


# --- database outage detection -----------------------------------------------------------

_db_down_until = 0.0


def is_outage(exc: BaseException) -> bool:
    """True for errors meaning "the database cannot be reached", not "the data is wrong"."""
    import psycopg
    import psycopg_pool
    from django import db

    if isinstance(exc, db.InterfaceError | psycopg.InterfaceError | psycopg_pool.PoolTimeout):
        return True
    # Operational errors (connection refused or lost, admin shutdown, timeouts) are worth
    # spooling: a later replay can succeed. Data and integrity errors never would.
    if isinstance(exc, db.OperationalError | psycopg.OperationalError | ConnectionError | TimeoutError):
        return True
    cause = exc.__cause__
    return cause is not None and cause is not exc and is_outage(cause)


def mark_db_down() -> None:
    global _db_down_until
    _db_down_until = time.monotonic() + DB_DOWN_SECONDS


def mark_db_up() -> None:
    global _db_down_until
    _db_down_until = 0.0


def db_recently_down() -> bool:
    return time.monotonic() < _db_down_until


# --- channels remembered for outages -----------------------------------------------------

_channels: dict[tuple[str, str], Channel] = {}


def remember_channel(channel: Channel) -> None:
    if len(_channels) >= _REMEMBERED_CHANNELS_MAX:
        _channels.clear()
    _channels[(channel.channel_type, str(channel.uuid).lower())] = channel


def forget_channel(channel_uuid: str) -> None:
    for key in [k for k in _channels if k[1] == channel_uuid.lower()]:
        _channels.pop(key, None)


def recall_channel(code: str, channel_uuid: str) -> Channel:
    """The channel as last seen by this process; raises UnknownDuringOutage if never seen."""
    channel = _channels.get((code, str(channel_uuid).lower()))
    if channel is None:
        raise UnknownDuringOutage(
            f"database unavailable and channel {channel_uuid} not known to this process"
        )
    return channel


# --- writing -------------------------------------------------------------------------------


def spool_dir() -> Path:
    configured = getattr(settings, "FLOWGATE_SPOOL_DIR", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "spool"


def encode_record(payload: dict[str, Any]) -> bytes:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return b"%08x %s\n" % (zlib.crc32(body), body)


def decode_record(line: bytes) -> dict[str, Any] | None:
    """The record of one complete line, or None if its checksum or JSON is bad."""
    if len(line) < 10 or line[8:9] != b" ":
        return None
    body = line[9:]
    try:
        if int(line[:8], 16) != zlib.crc32(body):
            return None
        payload = json.loads(body)
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def msg_record(msg: InboundRow | Msg) -> dict[str, Any]:
    return {
        "uuid": str(msg.uuid),
        "workspace_id": msg.workspace_id,
        "channel_id": msg.channel_id,
        "urn": msg.urn,
        "text": msg.text,
        "attachments": msg.attachments,
        "external_id": msg.external_id,
        "metadata": msg.metadata,
        "created_on": msg.created_on.isoformat(),
        "spooled_on": time.time(),
    }


class _SegmentWriter:
    """This process's open segment; appends are serialised by a thread lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.fd: int | None = None
        self.path: Path | None = None

    def append(self, line: bytes) -> None:
        directory = spool_dir()
        limit = settings.FLOWGATE_SPOOL_MAX_BYTES
        with self.lock:
            if spool_bytes(directory) + len(line) > limit:
                raise SpoolUnavailable(f"the spool is full ({limit} bytes)")
            try:
                fd = self._open(directory)
                written = os.write(fd, line)
                if written != len(line):
                    raise OSError(f"short write to the spool ({written} of {len(line)} bytes)")
                os.fsync(fd)
            except OSError as exc:
                self._close()  # a torn line ends this segment; the next append starts a new one
                raise SpoolUnavailable(f"could not write to the spool: {exc}") from exc

    def _open(self, directory: Path) -> int:
        if self.fd is not None and self.path is not None and self.path.parent == directory:
            return self.fd
        self._close()
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"seg-{os.getpid()}-{time.time_ns()}.open"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # held for as long as we write to it
        _fsync_dir(directory)  # the new file's name must survive a crash too
        self.fd, self.path = fd, path
        logger.warning("database unavailable: spooling inbound messages to %s", path)
        return fd

    def _close(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
        self.fd = self.path = None

    def seal(self) -> None:
        """Hand the open segment to the replayer (renamed .ready); the next append opens a new one."""
        with self.lock:
            if self.path is not None and self.fd is not None:
                path = self.path
                with contextlib.suppress(FileNotFoundError):
                    path.rename(path.with_suffix(".ready"))
                self._close()


_writer = _SegmentWriter()


def append(msg: InboundRow | Msg) -> None:
    """Spool one inbound message durably (fsynced before returning); raises SpoolUnavailable."""
    _writer.append(encode_record(msg_record(msg)))
    logger.debug("inbound message %s spooled to disk", msg.uuid)
    start_replayer()


def spool_bytes(directory: Path | None = None) -> int:
    directory = directory or spool_dir()
    total = 0
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(directory):
            if entry.name.startswith("seg-"):
                with contextlib.suppress(FileNotFoundError):
                    total += entry.stat().st_size
    return total


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- replaying -----------------------------------------------------------------------------


@dataclass
class ReplayReport:
    segments: int = 0
    records: int = 0
    inserted: int = 0
    duplicates: int = 0
    rejected: int = 0
    torn: int = 0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "segments": self.segments,
            "records": self.records,
            "inserted": self.inserted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "torn": self.torn,
            "problems": self.problems,
        }


def _seal_abandoned(directory: Path) -> None:
    """Seal .open segments whose writer is gone (its flock is free): a crashed or stopped process."""
    for path in sorted(directory.glob("seg-*.open")):
        if _writer.path == path:
            continue
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)  # a live process still writes to it; it replays its own
            continue
        try:
            path.rename(path.with_suffix(".ready"))
        except FileNotFoundError:
            pass
        finally:
            os.close(fd)


def replay(*, seal_own: bool = True) -> ReplayReport:
    """Insert every sealed segment's messages; raises an outage error if the database is down.

    A segment is deleted only after its messages are committed, so a crash or an outage
    mid-replay means it is replayed again later, which inserts nothing twice.
    """
    directory = spool_dir()
    report = ReplayReport()
    if not directory.is_dir():
        return report
    if seal_own:
        _writer.seal()
    _seal_abandoned(directory)
    for path in sorted(directory.glob("seg-*.ready")):
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # another replayer has it
            if not path.exists():
                continue  # it finished between our listing and our lock
            _replay_segment(path, report)
            path.unlink()
            _fsync_dir(directory)
            report.segments += 1
        finally:
            os.close(fd)
    if report.records:
        mark_db_up()
    return report


def _replay_segment(path: Path, report: ReplayReport) -> None:
    data = path.read_bytes()
    lines = data.split(b"\n")
    tail = lines.pop()  # b"" when the file ends with a newline, else a torn last record
    records: list[dict[str, Any]] = []
    bad: list[tuple[bytes, str]] = []
    if tail:
        report.torn += 1
        bad.append((tail, "torn tail (the process stopped mid-append)"))
    for line in lines:
        record = decode_record(line)
        if record is None:
            bad.append((line, "bad checksum"))
        elif not record.keys() >= REQUIRED_KEYS:
            bad.append((line, "malformed record"))
        else:
            records.append(record)
    for start in range(0, len(records), REPLAY_BATCH):
        batch = records[start : start + REPLAY_BATCH]
        inserted, rejected = _insert(batch)
        report.records += len(batch)
        report.inserted += inserted
        report.duplicates += len(batch) - inserted - len(rejected)
        bad.extend((json.dumps(r).encode(), reason) for r, reason in rejected)
    if bad:
        report.rejected += len(bad) - (1 if tail else 0)
        report.problems.extend(f"{path.name}: {reason}" for _, reason in bad)
        _write_rejected(path.parent, path.name, bad)


def _insert(records: list[dict[str, Any]]) -> tuple[int, list[tuple[dict[str, Any], str]]]:
    """Insert one batch (ON CONFLICT DO NOTHING) and wake the handlers; (inserted, rejected)."""
    from django.db import transaction

    from channels_app import wakes
    from channels_app.models import Channel, Direction, Msg, MsgStatus

    channels = set(
        Channel.objects.filter(id__in={r["channel_id"] for r in records}).values_list("id", "workspace_id")
    )
    rejected = [
        (r, "the channel no longer exists")
        for r in records
        if (r["channel_id"], r["workspace_id"]) not in channels
    ]
    wanted = [r for r in records if (r["channel_id"], r["workspace_id"]) in channels]
    msgs = [
        Msg(
            uuid=uuid.UUID(r["uuid"]),
            workspace_id=r["workspace_id"],
            channel_id=r["channel_id"],
            urn=r["urn"],
            direction=Direction.IN,
            status=MsgStatus.PENDING,
            text=r["text"],
            attachments=r.get("attachments") or [],
            external_id=r.get("external_id"),
            metadata={**(r.get("metadata") or {}), "spooled": True},
            created_on=datetime.fromisoformat(r["created_on"]),
        )
        for r in wanted
    ]
    uuids = [m.uuid for m in msgs]
    with transaction.atomic():
        before = set(Msg.objects.filter(uuid__in=uuids).values_list("uuid", flat=True))
        Msg.objects.bulk_create(msgs, ignore_conflicts=True)
        after = set(Msg.objects.filter(uuid__in=uuids).values_list("uuid", flat=True))
    for workspace_id in {m.workspace_id for m in msgs}:
        wakes.wake_handler(workspace_id)
    return len(after - before), rejected


def _write_rejected(directory: Path, segment: str, bad: list[tuple[bytes, str]]) -> None:
    logger.error("spool segment %s: %d record(s) could not be replayed", segment, len(bad))
    with open(directory / "rejected.log", "ab") as out:
        for line, reason in bad:
            out.write(
                json.dumps(
                    {"segment": segment, "reason": reason, "line": line.decode(errors="replace")}
                ).encode()
                + b"\n"
            )
        out.flush()
        os.fsync(out.fileno())


def status() -> dict[str, Any]:
    directory = spool_dir()
    segments = {"open": 0, "ready": 0}
    records = 0
    if directory.is_dir():
        for path in directory.glob("seg-*"):
            kind = path.suffix.lstrip(".")
            if kind in segments:
                segments[kind] += 1
                with contextlib.suppress(FileNotFoundError):
                    records += path.read_bytes().count(b"\n")
    rejected = directory / "rejected.log"
    return {
        "dir": str(directory),
        "bytes": spool_bytes(directory),
        "max_bytes": settings.FLOWGATE_SPOOL_MAX_BYTES,
        "segments": segments,
        "records": records,
        "rejected": rejected.read_bytes().count(b"\n") if rejected.exists() else 0,
    }


def pending(directory: Path | None = None) -> bool:
    """Whether any segment (of any process) waits in the spool."""
    directory = directory or spool_dir()
    return directory.is_dir() and any(directory.glob("seg-*"))


def _replayable() -> bool:
    """Work for this process: its own segment or sealed ones (live processes replay their own)."""
    directory = spool_dir()
    return _writer.path is not None or (directory.is_dir() and any(directory.glob("seg-*.ready")))


def start_replayer_if_pending() -> None:
    """At process start: replay what a previous run (or a crashed process) left behind."""
    if pending():
        start_replayer()


# --- the background replayer ---------------------------------------------------------------

_replayer: threading.Thread | None = None
_replayer_lock = threading.Lock()


def start_replayer() -> None:
    """Run the replayer thread in this process until the spool is empty (idempotent)."""
    global _replayer
    with _replayer_lock:
        if _replayer is not None:
            return
        _replayer = threading.Thread(target=_replay_until_empty, name="flowgate-spool-replayer", daemon=True)
        _replayer.start()


def _replay_until_empty(min_delay: float = 0.25, max_delay: float = 15.0) -> None:
    global _replayer
    from django.db import close_old_connections

    delay = min_delay
    while True:
        time.sleep(delay)
        try:
            report = replay()
            if report.records or report.problems:
                logger.warning("spool replayed: %s", report.as_dict())
            delay = min_delay
        except Exception as exc:
            if not is_outage(exc):
                logger.exception("spool replay failed")
            delay = min(delay * 2, max_delay)  # back off while the database stays down
        finally:
            close_old_connections()
        # Checked under the lock start_replayer takes: an append racing with our exit either
        # is seen here or finds no thread and starts a new one.
        with _replayer_lock:
            if not _replayable():
                _replayer = None
                return
