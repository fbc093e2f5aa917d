"""``check_file``: what ``manage.py connector check FILE`` calls (and ``python -m aggregators.connector.cli``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from .parser import parse_connector


def check_file(path: str | Path, out: TextIO | None = None) -> tuple[bool, list[str]]:
    """Validate a connector file; print and return ``FILE:LINE:COLUMN: message`` lines."""
    path = Path(path)
    out = out if out is not None else sys.stdout
    try:
        data = path.read_bytes()
    except OSError as exc:
        messages = [f"{path}:1:1: cannot read file: {exc.strerror or exc}"]
    else:
        result = parse_connector(data, name=path.stem)
        messages = [e.format(str(path)) for e in result.errors]
        for warning in result.warnings:  # printed, but the file passes
            print(warning.format(str(path)).replace(": ", ": warning: ", 1), file=out)
        if result.ok and result.connector is not None:
            kind = result.connector.kind
            print(f"{path}: OK ({kind} connector, {len(result.connector.fields)} fields)", file=out)
            return True, []
    for line in messages:
        print(line, file=out)
    return False, messages


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m aggregators.connector.cli FILE [FILE...]", file=sys.stderr)
        return 2
    results = [check_file(a)[0] for a in args]
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
