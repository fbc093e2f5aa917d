"""The action types a definition may hold are the registered handlers (plus the few RapidPro
types this engine accepts but does not execute): adding a handler is the one step."""

from __future__ import annotations

from flows.engine.actions import HANDLERS, action_types
from flows.engine.actions.registry import NOT_EXECUTED
from flows.engine.definition import Action, validate_action


def test_action_types_are_the_handlers_and_the_accepted_unexecuted() -> None:
    assert action_types() == frozenset(HANDLERS) | NOT_EXECUTED
    assert {"send_msg", "call_webhook", "call_llm", "set_contact_field"} <= set(HANDLERS)


def test_validation_follows_the_registry() -> None:
    def errors(kind: str) -> list[str]:
        raw = {"type": kind, "uuid": "a1b2c3d4-0000-4000-8000-000000000001"}
        return validate_action(Action(uuid=raw["uuid"], type=kind, raw=raw))

    assert errors("no_such_action") == ["'no_such_action' is not a valid action type"]
    assert errors("request_optin") == []  # accepted, not executed
    assert "'set_run_local' is not a valid action type" not in errors("set_run_local")
