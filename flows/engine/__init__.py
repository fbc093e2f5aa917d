"""Flowgate's pure flow engine: RapidPro/goflow-compatible definitions, expressions and runner.

No Django imports here: the Django side loads assets/sessions from its tables, calls
`Engine.start()` / `Engine.resume()`, stores `sprint.session.to_json()` and acts on `sprint.events`.
"""

from . import functions as _functions  # noqa: F401  (registers builtin functions)
from . import routertests as _routertests  # noqa: F401  (registers router tests)
from .assets import Assets
from .contact import Contact
from .definition import Flow, FlowError, FlowReadError, read_flow, validate_flow
from .environment import Environment, FixedClock, SeededRandom, SeededUUIDs, SequentialClock
from .evaluate import evaluate, evaluate_template_with
from .export import ImportResult, read_export, validate_definition
from .runner import Engine, ResumeError, Sprint
from .session import Run, Session

__all__ = [
    "Assets",
    "Contact",
    "Engine",
    "Environment",
    "FixedClock",
    "Flow",
    "FlowError",
    "FlowReadError",
    "ImportResult",
    "ResumeError",
    "Run",
    "SeededRandom",
    "SeededUUIDs",
    "SequentialClock",
    "Session",
    "Sprint",
    "evaluate",
    "evaluate_template_with",
    "read_export",
    "read_flow",
    "validate_definition",
    "validate_flow",
]
