"""Shared pieces of the bench modules: the JSON figure format and real-process helpers.

Every bench module writes `--json PATH` in one shape so `scripts/bench.py` can print them in one
table: `{"bench", "figures": [{"key", "label", "value", "unit", "higher_is_better", "baseline",
"target"}], "notes"}`. A baseline is a figure measured in the same run (ratios survive noisy
machines); a target is a fixed goal (`{"op": ">=" | "<=", "value"}`).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Any


def figure(
    key: str,
    label: str,
    value: float,
    unit: str,
    *,
    higher_is_better: bool = True,
    baseline: tuple[str, float] | None = None,
    target: tuple[str, float] | None = None,
) -> dict[str, Any]:
    return {
        "key": key,
        "label": label,
        "value": round(float(value), 3),
        "unit": unit,
        "higher_is_better": higher_is_better,
        "baseline": {"label": baseline[0], "value": round(float(baseline[1]), 3)} if baseline else None,
        "target": {"op": target[0], "value": target[1]} if target else None,
    }


def write_json(path: Path | str | None, bench: str, figures: list[dict[str, Any]], notes: list[str]) -> None:
    if path is None:
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"bench": bench, "figures": figures, "notes": notes}, indent=2) + "\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, seconds: float = 30, process: subprocess.Popen[Any] | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the process meant to listen on {port} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {seconds:.0f}s")


def stop(process: subprocess.Popen[Any], seconds: float = 10) -> None:
    """SIGTERM, then SIGKILL if it does not exit in time (a bench must never leave processes)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(seconds)


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (uvicorn --workers N serves from child processes)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])  # the name field may hold spaces
        children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def memory_mb(pid: int) -> dict[str, float]:
    """Peak (VmHWM) and current (VmRSS) resident memory of a live process, in MB."""
    out = {"peak": 0.0, "current": 0.0}
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return out
    for line in status.splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            out["peak" if name == "VmHWM" else "current"] = int(rest.split()[0]) / 1024
    return out


def peak_rss_mb(pid: int) -> float:
    """The largest peak RSS among `pid` and its children: the heaviest serving process."""
    return max((memory_mb(p)["peak"] for p in process_tree(pid)), default=0.0)


async def post_form(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str, body: bytes
) -> int:
    """One form POST on a kept-alive HTTP/1.1 connection; returns the status once the body is read.

    Written on raw streams so the load generator costs little CPU beside the server it measures."""
    writer.write(
        (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        + body
    )
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return int(head.split(b" ", 2)[1])


def machine_cpu() -> tuple[int, int]:
    """(busy, total) clock ticks of all cores since boot, from the first line of /proc/stat.

    Busy is everything but idle and iowait: a shared machine's other tenants count too, which is
    the point (a run on 2 cores cannot go faster once the machine is busy, whoever uses it)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    total = sum(fields)  # user nice system idle iowait irq softirq steal (guest is inside user)
    return total - fields[3] - fields[4], total


def busy_cores(before: tuple[int, int], after: tuple[int, int]) -> float:
    """How many of the machine's cores were busy on average between two `machine_cpu()` samples."""
    busy, total = after[0] - before[0], after[1] - before[1]
    return (os.cpu_count() or 1) * busy / total if total > 0 else 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process (from /proc, in clock ticks); 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu(url: str) -> dict[int, float]:
    """CPU seconds so far of each backend connected to `url`'s database, by pid. PostgreSQL runs on
    this machine in the benches, so its share of the cores belongs in a CPU budget per message."""
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=3) as conn:
        pids = [row[0] for row in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [name])]
    return {pid: cpu_seconds(pid) for pid in pids}


def postgres_cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds the backends used between two samples (a backend opened meanwhile counts whole)."""
    return sum(max(0.0, cpu - before.get(pid, 0.0)) for pid, cpu in after.items())
