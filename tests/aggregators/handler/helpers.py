from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from typing import Any

from tests import ROOT

REPO = ROOT


class ExampleApp:
    """examples/handler_app.py run as a real subprocess; its JSON stdout lines are events."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(REPO / "examples" / "handler_app.py"), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                self.events.put(json.loads(line))
            except ValueError:
                self.events.put({"event": "noise", "line": line})

    def wait_for(self, event: str, timeout: float = 15.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None and self.events.empty():
                err = self.proc.stderr.read() if self.proc.poll() is not None and self.proc.stderr else ""
                raise AssertionError(f"no {event!r} event from the example app; stderr: {err}")
            try:
                item = self.events.get(timeout=min(left, 0.5))
            except queue.Empty:
                continue
            if item.get("event") == event:
                return item

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def wait_until(predicate: Any, timeout: float = 10.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def rest(client: Any, method: str, token: str | None = None, **params: Any) -> Any:
    """One /rest/ call through a Django test client, the token as `auth=`."""
    data = dict(params)
    if token is not None:
        data["auth"] = token
    return client.post(f"/rest/{method}", data=data)
