"""Outside services some actions need: airtime transfers and LLM calls.

The engine stays free of any provider: the host (the Django side, or a test) passes objects that
follow these protocols. Without one, the action logs an error event and the flow carries on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


class ServiceError(Exception):
    """A service call that failed; `http_logs` are the calls made before it failed."""

    def __init__(self, message: str, http_logs: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.http_logs = http_logs or []


@dataclass
class AirtimeTransfer:
    """A transfer the provider accepted (its final outcome arrives later, out of band)."""

    currency: str
    amount: Any  # a JSON number: the amount sent in `currency`
    external_id: str = ""
    http_logs: list[dict[str, Any]] = field(default_factory=list)


class AirtimeService(Protocol):
    def transfer(
        self, *, transfer_uuid: str, sender: str, recipient: str, amounts: dict[str, Any]
    ) -> AirtimeTransfer:
        """Sends airtime to `recipient` (a tel URN) in one of `amounts`' currencies; raises
        ServiceError when the provider refuses or can't be reached."""
        ...


@dataclass
class LLMResponse:
    output: str
    tokens_in: int = 0
    tokens_out: int = 0


class LLMService(Protocol):
    def respond(self, *, instructions: str, input: str, max_tokens: int) -> LLMResponse:
        """The model's answer to `input` given `instructions`; raises ServiceError on failure."""
        ...
