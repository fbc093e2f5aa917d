"""The layer rule of docs/development/structure.md holds, and the files it names exist."""

from __future__ import annotations

import ast
import re

from tests import ROOT

PAGE = ROOT / "docs" / "development" / "structure.md"
OURS = ("infra", "channels_app", "aggregators", "smsc", "flows", "web", "benchmarks", "chaos")
# package -> the packages of ours it may not import (at module level or inside functions)
FORBIDDEN = {
    "infra": set(OURS) - {"infra"},
    "channels_app": {"aggregators", "smsc", "flows", "web", "benchmarks", "chaos"},
    "aggregators": {"flows", "web", "benchmarks", "chaos"},
    "smsc": {"flows", "web", "benchmarks", "chaos"},
    "flows": {"web", "benchmarks", "chaos"},
    "web": {"benchmarks", "chaos"},
}


def _imports(path: object) -> set[str]:
    tree = ast.parse(open(path).read())  # noqa: SIM115
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_no_package_imports_a_layer_above_it() -> None:
    upward = []
    for package, forbidden in FORBIDDEN.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts or "node_modules" in path.parts:
                continue
            bad = _imports(path) & forbidden
            if package == "aggregators" and "flows" in bad and path.name == "jobs.py":
                bad.discard("flows")  # call triggers start flows from a job, optional (ImportError)
            if bad:
                upward.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert upward == []


def test_the_flow_engine_imports_no_django() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "flows" / "engine").rglob("*.py"))
        if "django" in _imports(path)
    ]
    assert offenders == []


def test_every_path_the_page_names_exists() -> None:
    text = PAGE.read_text()
    paths = {
        p
        for p in re.findall(r"`([a-z_]+/[a-z_/<>.-]*)`", text)
        if "<" not in p and (p.endswith("/") or p.endswith(".py"))
    }
    assert len(paths) > 15  # the page does name the files
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert missing == []
