"""What every action handler shares: dispatch, localization, truncation, missing-asset errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..definition import Action, Flow, Node
from .registry import HANDLERS

if TYPE_CHECKING:
    from ..runner import SprintContext
    from ..session import Run


MAX_FIELD_VALUE = 640
MAX_RESULT_VALUE = 640
MAX_WEBHOOK_RESPONSE = 10_000  # what the webhook_called event keeps; @webhook keeps it all


def execute_action(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    fn = HANDLERS.get(action.type)
    if fn is None:
        sc.event("warning", text=f"action type {action.type} is not supported by this engine")
        return
    fn(sc, run, flow, node, action)


def _lang(sc: SprintContext, flow: Flow) -> str:
    lang = sc.session.contact.language
    allowed = sc.env.allowed_languages
    return lang if lang and lang in allowed else flow.language


def _localized(
    sc: SprintContext, flow: Flow, action: Action, key: str, default: Any, lang: str | None = None
) -> Any:
    tr = flow.localized(lang or _lang(sc, flow), action.uuid, key)
    if tr is None:
        return default
    if key == "text":
        return tr[0] if tr else default
    return tr


def _missing_dependency(sc: SprintContext, kind: str, ref: dict[str, Any], id_key: str = "uuid") -> None:
    identity = ref.get(id_key) or ""
    sc.event(
        "error",
        text=f"Missing dependency: {kind}[{id_key}={identity},name={ref.get('name') or ''}]",
        code="dependency:missing",
        extra={"identity": identity, "type": kind},
    )


def truncate(text: str, limit: int) -> str:
    """Cuts text to at most `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
