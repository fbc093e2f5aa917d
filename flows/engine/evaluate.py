"""Convenience evaluation outside a session (editor previews, tests)."""

from __future__ import annotations

from typing import Any

from .context import TOP_LEVELS
from .environment import Environment
from .expressions import Scope, evaluate_expression
from .functions import FUNCTIONS
from .template import evaluate_template
from .values import XError, XObject, from_json


def _scope(context: dict[str, Any] | XObject | None, env: Environment | None) -> Scope:
    ctx = context if isinstance(context, XObject) else from_json(context or {})
    return Scope(ctx, env or Environment(), FUNCTIONS)


def evaluate(
    expression: str, context: dict[str, Any] | XObject | None = None, env: Environment | None = None
) -> Any:
    """Evaluates a bare expression (no leading @) to a value; errors come back as XError."""
    return evaluate_expression(expression, _scope(context, env))


def evaluate_template_with(
    template: str, context: dict[str, Any] | XObject | None = None, env: Environment | None = None
) -> tuple[str, list[XError]]:
    """Renders a template; returns the text and the expression errors."""
    scope = _scope(context, env)
    tops = frozenset(TOP_LEVELS | {k.lower() for k in scope.context.keys()})  # noqa: SIM118 (XObject)
    return evaluate_template(template, scope, tops)
