"""Flow definitions (goflow spec 13.x-14.x) as plain dataclasses, plus validation.

Actions keep their raw JSON next to the few typed fields the runner needs, so that a definition
round-trips unchanged (editor metadata, unknown future keys) when the Django side exports it.
Validation collects every problem with the node uuid and field it concerns instead of stopping at
the first, so the editor can highlight all of them at once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

SPEC_VERSION = "14.4.1"
SUPPORTED_MAJOR = (13, 14)

_RESULT_NAME_MAX = 64
_HEADER_NAME_RE = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


@dataclass
class FlowError:
    """One validation problem: where (node uuid, field path) and what."""

    message: str
    node_uuid: str = ""
    field: str = ""

    def __str__(self) -> str:
        where = f"node {self.node_uuid}" if self.node_uuid else "flow"
        return f"{where}: {self.field + ': ' if self.field else ''}{self.message}"


class FlowReadError(ValueError):
    def __init__(self, errors: list[FlowError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


@dataclass
class Action:
    uuid: str
    type: str
    raw: dict[str, Any]

    def get(self, key: str, default: Any = None) -> Any:
        return self.raw.get(key, default)


@dataclass
class Case:
    uuid: str
    type: str
    arguments: list[str]
    category_uuid: str


@dataclass
class Category:
    uuid: str
    name: str
    exit_uuid: str


@dataclass
class Exit:
    uuid: str
    destination_uuid: str | None = None


@dataclass
class Timeout:
    seconds: int
    category_uuid: str


@dataclass
class Wait:
    type: str = "msg"
    timeout: Timeout | None = None
    hint: dict[str, Any] | None = None
    # a dial wait (voice flows): the number to forward the call to and its limits
    phone: str = ""
    dial_limit_seconds: int = 60
    call_limit_seconds: int = 7200


@dataclass
class Router:
    type: str
    categories: list[Category]
    result_name: str = ""
    operand: str = "@input.text"
    cases: list[Case] = field(default_factory=list)
    default_category_uuid: str = ""
    wait: Wait | None = None

    def category(self, uuid: str) -> Category | None:
        return next((c for c in self.categories if c.uuid == uuid), None)


@dataclass
class Node:
    uuid: str
    actions: list[Action] = field(default_factory=list)
    router: Router | None = None
    exits: list[Exit] = field(default_factory=list)

    def exit(self, uuid: str) -> Exit | None:
        return next((e for e in self.exits if e.uuid == uuid), None)


@dataclass
class Flow:
    uuid: str
    name: str
    spec_version: str = SPEC_VERSION
    language: str = "eng"
    type: str = "messaging"
    revision: int = 0
    expire_after_minutes: int = 0
    nodes: list[Node] = field(default_factory=list)
    localization: dict[str, dict[str, dict[str, list[str]]]] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    _by_uuid: dict[str, Node] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_uuid = {n.uuid: n for n in self.nodes}

    def node(self, uuid: str) -> Node | None:
        return self._by_uuid.get(uuid)

    def ref(self) -> dict[str, Any]:
        ref: dict[str, Any] = {"name": self.name, "uuid": self.uuid}
        if self.raw.get("revision"):
            ref["revision"] = self.revision
        return ref

    def localized(self, lang: str, item_uuid: str, key: str) -> list[str] | None:
        """Translations of one property of one action/case/category, if any."""
        if not lang or lang == self.language:
            return None
        return self.localization.get(lang, {}).get(item_uuid, {}).get(key)

    def to_json(self) -> dict[str, Any]:
        return self.raw


# ----------------------------------------------------------------------------------- reading


def read_flow(data: dict[str, Any], *, validate: bool = True) -> Flow:
    """Builds a Flow from its JSON; raises FlowReadError listing every structural problem."""
    data = migrate_ticket_and_airtime_nodes(migrate_flow(data))
    nodes = [read_node(n) for n in data.get("nodes") or []]
    flow = Flow(
        uuid=data.get("uuid", ""),
        name=data.get("name", ""),
        spec_version=str(data.get("spec_version") or SPEC_VERSION),
        # spec 13.2 renamed the legacy "base" language to "und" (undetermined)
        language={"base": "und"}.get(data.get("language") or "eng", data.get("language") or "eng"),
        type=data.get("type") or "messaging",
        revision=int(data.get("revision") or 0),
        expire_after_minutes=int(data.get("expire_after_minutes") or 0),
        nodes=nodes,
        localization=data.get("localization") or {},
        raw=data,
    )
    if validate:
        errors = validate_flow(flow)
        if errors:
            raise FlowReadError(errors)
    return flow


# flows older than this used @webhook for what is now @webhook.json (the parsed response body):
# goflow's 13.3.0 migration rewrites it, so a 13.2.x flow still has the old meaning
WEBHOOK_JSON_SINCE = (13, 3)
_WEBHOOK_REF_RE = re.compile(r"(?<![\w.])webhook(?![\w(])", re.IGNORECASE)


def _version(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in text.split(".")[:3])
    except ValueError:
        return ()


def migrate_flow(data: dict[str, Any]) -> dict[str, Any]:
    """Brings the expressions of an older definition up to date (a changed copy; the input is
    left alone). Only the @webhook change affects how flows run here."""
    version = _version(str(data.get("spec_version") or SPEC_VERSION))
    # references are case-insensitive: @WEBHOOK is @webhook
    if not version or version >= WEBHOOK_JSON_SINCE or "webhook" not in json.dumps(data).lower():
        return data
    out = dict(data)
    for key in ("nodes", "localization"):
        if key in out:
            out[key] = _rewrite_strings(out[key], _migrate_webhook_template)
    return out


# the local each action leaves its outcome in (since spec 14.3 their nodes split on it)
OUTPUT_LOCALS = {"open_ticket": "_new_ticket", "transfer_airtime": "_new_transfer"}


def migrate_ticket_and_airtime_nodes(data: dict[str, Any]) -> dict[str, Any]:
    """Spec 14.2/14.3 changes (a changed copy): open_ticket's `body` became `note`, and a
    ticket/airtime node splitting on the action's result now splits on the action's output
    local, the result moving to the router."""
    version = _version(str(data.get("spec_version") or SPEC_VERSION))
    if not version or version >= (14, 3):
        return data
    raw = json.dumps(data)
    if "open_ticket" not in raw and "transfer_airtime" not in raw:
        return data
    out = json.loads(raw)
    for node in out.get("nodes") or []:
        actions = node.get("actions") or []
        for action in actions:
            if action.get("type") == "open_ticket" and version < (14, 2) and "body" in action:
                body = action.pop("body")
                if body and not action.get("note"):
                    action["note"] = body
        router = node.get("router")
        if len(actions) != 1 or actions[0].get("type") not in OUTPUT_LOCALS or not router:
            continue
        cases = router.get("cases") or []
        operand = str(router.get("operand") or "")
        if router.get("type") != "switch" or not operand.startswith("@results.") or not cases:
            continue
        first = dict(cases[0], type="has_text", arguments=[])
        router["operand"] = "@locals." + OUTPUT_LOCALS[actions[0]["type"]]
        router["cases"] = [first]
        if actions[0].get("result_name"):
            router["result_name"] = actions[0].pop("result_name")
    return out


def _rewrite_strings(v: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(v, str):
        return fn(v)
    if isinstance(v, dict):
        return {k: _rewrite_strings(x, fn) for k, x in v.items()}
    if isinstance(v, list):
        return [_rewrite_strings(x, fn) for x in v]
    return v


def _migrate_webhook_template(text: str) -> str:
    if "@" not in text or "webhook" not in text.lower():
        return text
    from .context import TOP_LEVELS
    from .template import _sourced_split

    # Walks the text along its split, copying literals as written: searching for each expression's
    # source instead would match it inside an escaped `@@webhook` or a literal `@webhookx`.
    out, pos = [], 0
    for is_expr, chunk, source in _sourced_split(text, TOP_LEVELS):
        if is_expr:
            out.append(_WEBHOOK_REF_RE.sub("webhook.json", source))
            pos += len(source)
            continue
        # a literal's `@` was written `@@` when another `@` follows it (a bare `@` never does)
        start = pos
        for c in chunk:
            pos += 2 if c == "@" and text.startswith("@@", pos) else 1
        out.append(text[start:pos])
    return "".join(out)


def read_node(data: dict[str, Any]) -> Node:
    actions = [
        Action(uuid=a.get("uuid", ""), type=a.get("type", ""), raw=a) for a in data.get("actions") or []
    ]
    router = read_router(data["router"]) if data.get("router") else None
    exits = [Exit(e.get("uuid", ""), e.get("destination_uuid") or None) for e in data.get("exits") or []]
    return Node(uuid=data.get("uuid", ""), actions=actions, router=router, exits=exits)


def read_router(data: dict[str, Any]) -> Router:
    wait = None
    if data.get("wait"):
        w = data["wait"]
        timeout = None
        if w.get("timeout"):
            timeout = Timeout(int(w["timeout"].get("seconds") or 0), w["timeout"].get("category_uuid", ""))
        wait = Wait(
            type=w.get("type", "msg"),
            timeout=timeout,
            hint=w.get("hint"),
            phone=str(w.get("phone") or ""),
            dial_limit_seconds=int(w.get("dial_limit_seconds") or 60),
            call_limit_seconds=int(w.get("call_limit_seconds") or 7200),
        )
    return Router(
        type=data.get("type", ""),
        categories=[
            Category(c.get("uuid", ""), c.get("name", ""), c.get("exit_uuid", ""))
            for c in data.get("categories") or []
        ],
        result_name=data.get("result_name") or "",
        operand=data.get("operand") or "@input.text",
        cases=[
            Case(
                c.get("uuid", ""),
                c.get("type", ""),
                [str(a) for a in c.get("arguments") or []],
                c.get("category_uuid", ""),
            )
            for c in data.get("cases") or []
        ],
        default_category_uuid=data.get("default_category_uuid") or "",
        wait=wait,
    )


# ----------------------------------------------------------------------------------- validation


def validate_flow(flow: Flow) -> list[FlowError]:
    errors: list[FlowError] = []
    major = _major(flow.spec_version)
    if major is not None and major not in SUPPORTED_MAJOR:
        errors.append(FlowError(f"spec version {flow.spec_version} is not supported", field="spec_version"))
    if not flow.uuid:
        errors.append(FlowError("field 'uuid' is required", field="uuid"))
    if flow.type not in ("messaging", "messaging_background", "messaging_offline", "voice", "background"):
        errors.append(FlowError(f"'{flow.type}' is not a valid flow type", field="type"))
    seen: set[str] = set()
    node_uuids = {n.uuid for n in flow.nodes}
    for node in flow.nodes:
        if not node.uuid:
            errors.append(FlowError("field 'uuid' is required", field="uuid"))
        elif node.uuid in seen:
            errors.append(FlowError("duplicate node uuid", node.uuid, "uuid"))
        seen.add(node.uuid)
        errors.extend(validate_node(node, node_uuids))
    return errors


def validate_node(node: Node, node_uuids: set[str] | None = None) -> list[FlowError]:
    errors: list[FlowError] = []
    if not node.exits:
        errors.append(FlowError("node must have at least one exit", node.uuid, "exits"))
    for i, action in enumerate(node.actions):
        for msg in validate_action(action):
            errors.append(FlowError(msg, node.uuid, f"actions[{i}]"))
    if node.router:
        exit_uuids = {e.uuid for e in node.exits}
        for msg in validate_router(node.router, exit_uuids):
            errors.append(FlowError(msg, node.uuid, "router"))
    elif len(node.exits) > 1 and node.actions:
        errors.append(FlowError("node without a router can only have one exit", node.uuid, "exits"))
    for i, ex in enumerate(node.exits):
        if ex.destination_uuid and node_uuids is not None and ex.destination_uuid not in node_uuids:
            errors.append(
                FlowError(f"destination {ex.destination_uuid} isn't a known node", node.uuid, f"exits[{i}]")
            )
    return errors


def validate_router(router: Router, exit_uuids: set[str] | None = None) -> list[str]:
    """Messages mirror goflow's read errors so the conformance vectors can compare them."""
    from .functions import FUNCTIONS  # late import: the function registry imports router tests

    errs: list[str] = []
    if router.type not in ("switch", "random"):
        errs.append(f"'{router.type}' is not a valid router type")
    if not router.categories:
        errs.append("field 'categories' must have at least 1 item")
    cat_uuids = {c.uuid for c in router.categories}
    if router.default_category_uuid and router.default_category_uuid not in cat_uuids:
        errs.append(f"default category {router.default_category_uuid} is not a valid category")
    for case in router.cases:
        if case.type not in FUNCTIONS or not case.type.startswith("has_"):
            errs.append(f"invalid case[uuid={case.uuid}]: {case.type} is not a registered test function")
        if case.category_uuid not in cat_uuids:
            errs.append(
                f"invalid case[uuid={case.uuid}]: category {case.category_uuid} is not a valid category"
            )
    if router.wait and router.wait.timeout and router.wait.timeout.category_uuid not in cat_uuids:
        errs.append(f"timeout category {router.wait.timeout.category_uuid} is not a valid category")
    if router.result_name and len(router.result_name) > _RESULT_NAME_MAX:
        errs.append("field 'result_name' is not a valid result name")
    if exit_uuids is not None:
        for c in router.categories:
            if c.exit_uuid not in exit_uuids:
                errs.append(f"category {c.uuid} has an exit {c.exit_uuid} which isn't a node exit")
    return errs


def validate_action(action: Action) -> list[str]:
    a = action.raw
    t = action.type
    errs: list[str] = []
    from .actions.registry import action_types  # at call time: every handler has registered

    if t not in action_types():
        return [f"'{t}' is not a valid action type"]
    if not action.uuid:
        errs.append("field 'uuid' is required")
    if t in ("send_msg", "say_msg"):
        if not a.get("text"):
            errs.append("field 'text' is required")
        if len(a.get("attachments") or []) > 10:
            errs.append("field 'attachments' must have a maximum of 10 items")
        qrs = a.get("quick_replies") or []
        if len(qrs) > 10:
            errs.append("field 'quick_replies' must have a maximum of 10 items")
        for i, qr in enumerate(qrs):
            text = qr.get("text", "") if isinstance(qr, dict) else str(qr)
            if len(text) > 1000:
                errs.append(f"field 'quick_replies[{i}]' must be less than or equal to 1000")
    elif t == "set_run_result":
        if not a.get("name"):
            errs.append("field 'name' is required")
        elif len(a["name"]) > _RESULT_NAME_MAX:
            errs.append("field 'name' is not a valid result name")
    elif t == "call_webhook":
        errs.extend(_validate_webhook(a))
    elif t == "set_contact_field":
        if not (a.get("field") or {}).get("key"):
            errs.append("field 'field' is required")
    elif t in ("add_contact_groups", "remove_contact_groups"):
        if t == "add_contact_groups" and not a.get("groups"):
            errs.append("field 'groups' is required")
    elif t in ("enter_flow", "start_session"):
        if t == "enter_flow" and not (a.get("flow") or {}).get("uuid"):
            errs.append("field 'flow' is required")
    elif t == "play_audio":
        if not a.get("audio_url"):
            errs.append("field 'audio_url' is required")
    elif t == "add_contact_urn":
        if not a.get("scheme"):
            errs.append("field 'scheme' is required")
        if not a.get("path"):
            errs.append("field 'path' is required")
    return errs


def _validate_webhook(a: dict[str, Any]) -> list[str]:
    errs = []
    if not a.get("method"):
        errs.append("field 'method' is required")
    url = a.get("url") or ""
    if not url:
        errs.append("field 'url' is required")
    elif len(url) > 8192:
        errs.append("field 'url' must be less than or equal to 8192")
    headers = a.get("headers") or {}
    if len(headers) > 10:
        errs.append("field 'headers' must be less than or equal to 10")
    for name, value in headers.items():
        if len(name) > 100:
            errs.append(f"field 'headers[{name}]' must be less than or equal to 100")
        if len(str(value)) > 5000:
            errs.append(f"field 'headers[{name}]' must be less than or equal to 5000")
    if len(a.get("body") or "") > 20000:
        errs.append("field 'body' must be less than or equal to 20000")
    if a.get("result_name") and len(a["result_name"]) > _RESULT_NAME_MAX:
        errs.append("field 'result_name' is not a valid result name")
    if errs:
        return errs  # field errors are reported together; header syntax is checked after them
    return [
        f"header '{name}' is not a valid HTTP header" for name in headers if not _HEADER_NAME_RE.match(name)
    ]


def _major(version: str) -> int | None:
    try:
        return int(version.split(".")[0])
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def snakify(name: str) -> str:
    """Result keys: 'Favorite Color' -> 'favorite_color' (what @results.<key> uses)."""
    key = re.sub(r"[^\w]+", "_", name.strip().lower(), flags=re.UNICODE)
    return key.strip("_")
