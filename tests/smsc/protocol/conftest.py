"""Fixtures for the SMPP tests: the independent node.js SMSC (skipped when node is missing)."""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

NODE_DIR = Path(__file__).parent / "node_smsc"


class NodeSmsc:
    """The `smpp` npm package server in a subprocess; JSON-lines control over stdin/stdout."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            ["node", str(NODE_DIR / "server.js"), "0"],
            cwd=NODE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.events: list[dict[str, Any]] = []
        self._lines: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        first = self._lines.get(timeout=10)
        assert first["event"] == "listening", first
        self.port: int = first["port"]

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            event = json.loads(line)
            self.events.append(event)
            self._lines.put(event)

    def command(self, cmd: str, **kwargs: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"cmd": cmd, **kwargs}) + "\n")
        self.proc.stdin.flush()

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["event"] == kind]

    def stop(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(3)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(autouse=True)
def _isolated_queue_and_cache() -> Iterator[None]:
    """Override the project-wide autouse fixture: the SMPP layer has no Django, queue or cache."""
    yield


@pytest.fixture(scope="session")
def node_ready() -> bool:
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.skip("node/npm not installed")
    if not (NODE_DIR / "node_modules" / "smpp").exists():
        start = time.monotonic()
        cmd = ["npm", "ci", "--no-audit", "--no-fund"]
        done = subprocess.run(cmd, cwd=NODE_DIR, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            pytest.skip(f"npm ci failed after {time.monotonic() - start:.0f}s: {done.stderr[-300:]}")
    return True


@pytest.fixture
def node_smsc(node_ready: bool) -> Iterator[NodeSmsc]:
    server = NodeSmsc()
    yield server
    server.stop()
