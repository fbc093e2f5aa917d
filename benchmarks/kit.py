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
