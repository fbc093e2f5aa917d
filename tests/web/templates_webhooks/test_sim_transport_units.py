"""Runs the simulator transport's JavaScript unit tests: socket first, HTTP fallback."""

from __future__ import annotations

import shutil
import subprocess

from tests import ROOT

FRONTEND = ROOT / "web" / "frontend"


def test_simulator_transport_with_node_test_runner() -> None:
    node = shutil.which("node")
    assert node, "Node.js is needed for the editor's unit tests (apt-get install nodejs)"
    run = subprocess.run(
        [node, "--test", "test-socket/"], cwd=FRONTEND, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "# fail 0" in run.stdout and "# pass 6" in run.stdout, run.stdout
