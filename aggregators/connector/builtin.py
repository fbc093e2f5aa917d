"""Built-in connector files shipped in ``aggregators/connectors/*.xml``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .model import Connector
from .parser import load_connector_file

CONNECTORS_DIR = Path(__file__).resolve().parent.parent / "connectors"


def builtin_paths() -> dict[str, Path]:
    """slug -> file; the slug is the file name without ``.xml`` (e.g. ``twilio``, ``twilio_voice``)."""
    return {p.stem: p for p in sorted(CONNECTORS_DIR.glob("*.xml"))}


@lru_cache(maxsize=1)
def builtin_connectors() -> dict[str, Connector]:
    """Parsed once per process; a broken built-in file raises ``ConnectorInvalid`` loudly."""
    return {slug: load_connector_file(path) for slug, path in builtin_paths().items()}
