"""The demo workspace's first flow: a small registration (name, then age) and a keyword trigger
("register") on the echo channel, so a newcomer opens Flowgate on a working flow instead of an
empty list. Seeded once; a flow of that name already there is left alone."""

from __future__ import annotations

import uuid
from typing import Any

from channels_app.models import Channel, Workspace
from flows.models import Flow, Trigger
from flows.services import definitions, triggers

NAME = "Registration"
KEYWORD = "register"


def _id() -> str:
    return str(uuid.uuid4())


def _wait(text: str, result: str, *, number: bool = False) -> dict[str, Any]:
    """A card that sends `text` and waits for the answer, saved as `result`."""
    cats = ["Has number", "Other"] if number else ["All Responses"]
    categories = [{"uuid": _id(), "name": c, "exit_uuid": _id()} for c in cats]
    cases = (
        [{"uuid": _id(), "type": "has_number", "arguments": [], "category_uuid": categories[0]["uuid"]}]
        if number
        else []
    )
    return {
        "uuid": _id(),
        "actions": [{"uuid": _id(), "type": "send_msg", "text": text, "quick_replies": []}],
        "router": {
            "type": "switch",
            "operand": "@input.text",
            "wait": {"type": "msg"},
            "result_name": result,
            "cases": cases,
            "categories": categories,
            "default_category_uuid": categories[-1]["uuid"],
        },
        "exits": [{"uuid": c["exit_uuid"], "destination_uuid": None} for c in categories],
    }


def registration_definition(flow_uuid: str) -> dict[str, Any]:
    ask_name = _wait("Welcome! What is your name?", "Name")
    ask_age = _wait("Thanks @results.name. How old are you?", "Age", number=True)
    done = {
        "uuid": _id(),
        "actions": [
            {"uuid": _id(), "type": "set_contact_name", "name": "@results.name"},
            {"uuid": _id(), "type": "send_msg", "text": "You are registered, @results.name. Thank you!"},
        ],
        "exits": [{"uuid": _id(), "destination_uuid": None}],
    }
    ask_name["exits"][0]["destination_uuid"] = ask_age["uuid"]
    for e in ask_age["exits"]:
        e["destination_uuid"] = done["uuid"]
    nodes = [ask_name, ask_age, done]
    ui = {n["uuid"]: {"position": {"left": 80, "top": 40 + i * 240}} for i, n in enumerate(nodes)}
    return {
        "uuid": flow_uuid,
        "name": NAME,
        "spec_version": "14.4.1",
        "language": "eng",
        "type": "messaging",
        "revision": 1,
        "expire_after_minutes": 10080,
        "localization": {},
        "nodes": nodes,
        "_ui": {"nodes": ui},
    }


def seed(*, workspace: Workspace, channel: Channel) -> Flow:
    flow = Flow.objects.filter(workspace=workspace, name=NAME).first()
    if flow is not None:
        return flow
    flow = definitions.create_flow(workspace=workspace, name=NAME)
    definitions.save_definition(
        flow=flow, definition=registration_definition(str(flow.uuid)), comment="demo registration flow"
    )
    existing = Trigger.objects.filter(workspace=workspace, trigger_type=Trigger.Type.KEYWORD)
    if not any(KEYWORD in (t.keywords or []) for t in existing):  # (SQLite has no JSON contains)
        triggers.create_trigger(
            workspace=workspace,
            trigger_type=Trigger.Type.KEYWORD,
            flow=flow,
            keywords=[KEYWORD],
            channel=channel,
        )
    return flow
