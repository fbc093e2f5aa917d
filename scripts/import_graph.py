"""The import graph of our packages: cycles, modules over 400 lines, upward imports of the core.

    .venv/bin/python scripts/import_graph.py [ROOT] [--import-time]

Every import counts (also those inside functions) except `if TYPE_CHECKING:` blocks; with
`--import-time` only module-level ones (what Python runs when the module loads). A cycle is a
strongly connected component of more than one module. docs/development/structure.md has the rule.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from pathlib import Path

PACKAGES = ("infra", "channels_app", "aggregators", "smsc", "flows", "web", "benchmarks", "chaos")


def modules(root: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            if {"migrations", "node_modules", "frontend"} & set(path.parts):
                continue
            name = ".".join(path.relative_to(root).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def graph(mods: dict[str, Path], *, import_time: bool) -> dict[str, set[str]]:
    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    edges: dict[str, set[str]] = defaultdict(set)
    for name, path in mods.items():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                node.body = []
        nodes = [n for n in tree.body] if import_time else list(ast.walk(tree))
        for node in nodes:
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                    parts = parts[: len(parts) - (node.level - 1)]
                    base = ".".join(parts + ([node.module] if node.module else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            for target in targets:
                resolved = resolve(target)
                if resolved and resolved != name:
                    edges[name].add(resolved)
    return edges


def cycles(names: list[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, the ones with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component: list[str] = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for name in names:
        if name not in index:
            visit(name)
    return sorted(found, key=len, reverse=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default=".", type=Path)
    parser.add_argument("--import-time", action="store_true")
    args = parser.parse_args()
    mods = modules(args.root)
    edges = graph(mods, import_time=args.import_time)
    found = cycles(sorted(mods), edges)
    print(
        f"modules: {len(mods)}; import cycles: {len(found)}; modules in cycles: {sum(len(c) for c in found)}"
    )
    for component in found:
        print(f"  [{len(component)}] {', '.join(component)}")
    sizes = sorted(((len(p.read_text().splitlines()), m) for m, p in mods.items()), reverse=True)
    big = [(n, m) for n, m in sizes if n > 400]
    print(f"modules over 400 lines: {len(big)}")
    for lines, name in big:
        print(f"  {lines:5d} {name}")
    upward = sorted(
        (m, t)
        for m, targets in edges.items()
        for t in targets
        if m.startswith("channels_app") and t.split(".")[0] in ("aggregators", "smsc", "flows", "web")
    )
    print(f"channels_app imports of aggregators/smsc/flows/web: {len(upward)}")
    for module, target in upward:
        print(f"  {module} -> {target}")


if __name__ == "__main__":
    main()
