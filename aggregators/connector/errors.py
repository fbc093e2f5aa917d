"""Error types shared by the connector package.

Every problem found in a connector file is a ``ConnectorError`` carrying a 1-based line and
column, so the CLI, the API (400 ``{"errors": [...]}``) and the UI can all point at the spot.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True, order=True)
class ConnectorError:
    line: int
    column: int
    message: str

    def as_dict(self) -> dict[str, int | str]:
        return asdict(self)

    def format(self, filename: str = "<connector>") -> str:
        return f"{filename}:{self.line}:{self.column}: {self.message}"


class ConnectorInvalid(ValueError):
    """Raised by the ``load_*`` helpers when a connector does not validate."""

    def __init__(self, errors: list[ConnectorError]):
        self.errors = errors
        super().__init__("; ".join(e.format() for e in errors[:5]))


class PayloadError(ValueError):
    """A provider answer, callback or inbound request could not be understood.

    The Django views turn this into a 4xx with ``str(exc)`` as the reason: never a 500.
    """


class BuildError(ValueError):
    """A request could not be built from the given config/runtime values (e.g. a bad number)."""
