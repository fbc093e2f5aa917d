"""Action execution. Each handler mutates the session (contact, run) and emits goflow-style events.

Handlers never raise for bad data in a flow: problems become `error` events and the flow goes on,
which is what flow authors expect from RapidPro.

One module per feature, each registering its handlers in `registry` with `@handler("type")`:
`messages`, `contacts`, `runs`, `webhooks` (the HTTP side in `webhook_client`) and
`integrations` (tickets, airtime, LLMs). A new action is a handler in the module of its feature
(or a new module imported below); `registry.action_types()` makes it valid in definitions.
"""

from __future__ import annotations

from . import contacts, integrations, messages, runs, webhooks  # noqa: F401  (register their handlers)
from .base import execute_action
from .contacts import reevaluate_query_groups
from .messages import contact_country
from .registry import HANDLERS, action_types, handler

__all__ = [
    "HANDLERS",
    "action_types",
    "contact_country",
    "execute_action",
    "handler",
    "reevaluate_query_groups",
]
