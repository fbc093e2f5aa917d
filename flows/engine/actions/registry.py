"""The registry of action handlers: a flow action type -> the function that executes it.

Each feature module of this package registers its handlers with `@handler("type")`; the set of
action types a definition may hold (`action_types`) is derived from it, so adding a handler is
the only step to make a new action valid.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..definition import Action, Flow, Node
    from ..runner import SprintContext
    from ..session import Run

Handler = Callable[["SprintContext", "Run", "Flow", "Node", "Action"], None]
HANDLERS: dict[str, Handler] = {}

# Valid in a definition (RapidPro exports carry them) but not executed here: running one emits a
# "not supported" warning and the flow goes on.
NOT_EXECUTED = frozenset({"call_classifier", "request_optin"})


def handler(name: str) -> Callable[[Handler], Handler]:
    """Register an action handler: `handler("send_msg")(send_msg)` right after its `def`.

    Called, not used as a decorator: mutmut (scripts/mutation.py) never mutates a decorated
    function, so decorated handlers would escape the mutation tests."""

    def deco(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn

    return deco


def action_types() -> frozenset[str]:
    """Every action type a flow definition may use (handlers register when flows.engine loads)."""
    return frozenset(HANDLERS) | NOT_EXECUTED
