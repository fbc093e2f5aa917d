"""Runs the editor's pure JavaScript unit tests (definition edits, routers, history, autocomplete)."""

from __future__ import annotations

import re
import shutil
import subprocess

from tests import ROOT

FRONTEND = ROOT / "web" / "frontend"


def test_editor_pure_parts_with_node_test_runner() -> None:
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node and npm, "Node.js is needed for the editor's unit tests (apt-get install nodejs npm)"
    if not (FRONTEND / "node_modules" / "@dagrejs").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=FRONTEND, check=True, capture_output=True)
    run = subprocess.run([node, "--test", "test/"], cwd=FRONTEND, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    passed = re.search(r"^# pass (\d+)$", run.stdout, re.M)
    # 7 before issue 18, 4 more for placement, issues and labels
    assert "# fail 0" in run.stdout and passed and int(passed.group(1)) >= 11, run.stdout
