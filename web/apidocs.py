"""The REST API reference pages, generated from the live OpenAPI document at docs build time.

``api_pages(schema)`` turns the document django-ninja serves at ``/api/v1/openapi.json`` into one
Markdown page per tag: every operation with its parameters, an example request (curl) and an
example answer. Examples are built from the operation's schemas (values chosen by field name and
type), or taken from ``CURATED`` where the answer is free-form JSON the schema cannot describe;
``tests/docs`` runs the curated ones against a live server.
"""

from __future__ import annotations

import json
import re
from typing import Any

BASE = "http://127.0.0.1:8000"

# Example values by property name (checked before the type).
_BY_NAME: dict[str, Any] = {
    "urn": "tel:+250788123123",
    "to": "tel:+250788123123",
    "urns": ["tel:+250788123123"],
    "address": "+250788000000",
    "country": "RW",
    "text": "Hello from Flowgate",
    "name": "Example",
    "email": "admin@example.org",
    "status": "queued",
    "direction": "out",
    "type": "EX",
    "kind": "sms",
    "language": "eng",
    "error": "",
    "key": "district",
    "code": "welcome",
    "slug": "acme",
    "url": "https://example.org/hook",
    "target_url": "https://example.org/hook",
    "external_id": "SM123",
    "query": 'district = "Kigali"',
    "attachments": [],
}
# Optional body fields an example request shows (the others would only add noise, or conflict:
# a message has text or a template, not both).
_SHOWN_OPTIONAL = frozenset(
    {
        "channel",
        "text",
        "address",
        "country",
        "config",
        "urns",
        "fields",
        "groups",
        "keywords",
        "events",
        "url",
    }
)
_UUID = "7b4a3f1e-2c9d-4e5f-8a6b-0c1d2e3f4a5b"

# Free-form answers and bodies (the schema says only "any JSON"): request body, answer. tests/docs
# sends each body to a live server and checks the answer has every key shown here.
CURATED: dict[str, dict[str, Any]] = {
    "POST /api/v1/flows/import": {
        "body": {
            "version": "13",
            "flows": [],
            "fields": [{"key": "district", "name": "District", "type": "text"}],
        },
        "answer": {"flows": [{"uuid": _UUID, "name": "Registration"}], "warnings": []},
    },
    "POST /api/v1/flows": {
        "body": {"name": "Registration", "type": "messaging"},
        "answer": {
            "uuid": _UUID,
            "name": "Registration",
            "type": "messaging",
            "revision": 1,
            "archived": False,
            "created_on": "2026-01-15T09:30:00Z",
            "modified_on": "2026-01-15T09:30:00Z",
            "definition": {"uuid": _UUID, "name": "Registration", "spec_version": "13.1.0", "nodes": []},
        },
    },
    "POST /api/v1/simulate": {
        "body": {"flow": "$FLOW_UUID", "inputs": ["Amina"]},
        "answer": {
            "events": [
                {"type": "msg_created", "msg": {"text": "What is your name?", "urn": "tel:+12065551212"}}
            ],
            "results": {"name": {"value": "Amina", "category": "Has Text"}},
            "contact": {"name": "Test Contact", "urns": ["tel:+12065551212"]},
            "status": "completed",
            "wait": None,
            "session": {"status": "completed", "runs": ["…"]},
            "ignored_inputs": 0,
        },
    },
    "POST /api/v1/flow_starts": {
        "body": {"flow": "$FLOW_UUID", "urns": ["tel:+250788123123"]},
        "answer": {
            "uuid": _UUID,
            "flow": {"uuid": _UUID, "name": "Registration"},
            "status": "pending",
            "total": 0,
            "processed": 0,
            "started": 0,
            "progress": 0.0,
            "exclude_in_flow": False,
            "exclude_started_recently": False,
            "created_on": "2026-01-15T09:30:00Z",
            "modified_on": "2026-01-15T09:30:00Z",
        },
    },
    "POST /api/v1/triggers": {
        "body": {"type": "keyword", "flow": "$FLOW_UUID", "keywords": ["join"]},
        "answer": {
            "uuid": _UUID,
            "type": "keyword",
            "flow": {"uuid": _UUID, "name": "Registration"},
            "keywords": ["join"],
            "match_type": "starts",
            "channel": None,
            "groups": [],
            "exclude_groups": [],
            "repeat": "never",
            "weekdays": "",
            "next_fire": None,
            "created_on": "2026-01-15T09:30:00Z",
        },
    },
}


def resolve(schema: dict[str, Any], node: Any) -> Any:
    if isinstance(node, dict) and "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return resolve(schema, schema["components"]["schemas"][name])
    return node


def example_value(schema: dict[str, Any], node: Any, name: str = "", depth: int = 0) -> Any:
    """A plausible value for a JSON schema node; names beat types (``urn`` → a tel URN)."""
    node = resolve(schema, node) or {}
    if "example" in node:
        return node["example"]
    if "default" in node and node["default"] not in (None, "", [], {}):
        return node["default"]
    if "anyOf" in node:
        options = [o for o in node["anyOf"] if resolve(schema, o).get("type") != "null"]
        return example_value(schema, options[0], name, depth) if options else None
    kind = node.get("type")
    if name in _BY_NAME and kind != "object":
        value = _BY_NAME[name]
        if kind == "array" and not isinstance(value, list):
            return [value]
        if kind in (None, "string", "array") or not isinstance(value, str):
            return value
    if kind == "object" or "properties" in node:
        if depth > 4:
            return {}
        return {
            key: example_value(schema, sub, key, depth + 1)
            for key, sub in (node.get("properties") or {}).items()
        }
    if kind == "array":
        return [example_value(schema, node.get("items") or {}, name.rstrip("s"), depth + 1)]
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    if node.get("format") == "date-time":
        return "2026-01-15T09:30:00Z"
    if name.endswith(("uuid", "_ref")) or name in ("channel", "contact", "flow", "group", "response_to"):
        return _UUID
    if kind == "string":
        return name.replace("_", " ") or "text"
    return None


def _body_schema(op: dict[str, Any]) -> Any:
    return ((op.get("requestBody") or {}).get("content") or {}).get("application/json", {}).get("schema")


def _success(op: dict[str, Any]) -> tuple[str, Any]:
    for code, response in sorted(op.get("responses", {}).items()):
        if str(code).startswith("2"):
            return str(code), (response.get("content") or {}).get("application/json", {}).get("schema")
    return "200", None


def _free_form(schema: dict[str, Any], node: Any) -> bool:
    node = resolve(schema, node)
    return not node or (node.get("type") is None and not node.get("properties") and "anyOf" not in node)


def curl_example(method: str, path: str, body: Any) -> str:
    url = BASE + re.sub(r"\{(\w+)\}", lambda m: "$" + m.group(1).upper(), path)
    lines = [f"curl -X {method}" if method != "GET" else "curl", '     -H "Authorization: Token $TOKEN"']
    if body is not None:
        lines.append('     -H "Content-Type: application/json"')
        lines.append(f"     -d '{json.dumps(body, ensure_ascii=False)}'")
    lines.append(f'     "{url}"' if "?" in url else f"     {url}")
    return " \\\n".join(lines)


def operation_markdown(schema: dict[str, Any], method: str, path: str, op: dict[str, Any]) -> list[str]:
    key = f"{method.upper()} {path}"
    curated = CURATED.get(key, {})
    out = [f"### {op.get('summary') or key} {{ #{anchor(method, path, op)} }}", "", f"`{key}`", ""]
    if op.get("description"):
        out += [op["description"].strip(), ""]
    params = op.get("parameters") or []
    if params:
        out += ["| parameter | in | type | required | description |", "| --- | --- | --- | --- | --- |"]
        for p in params:
            node = resolve(schema, p.get("schema") or {})
            kind = node.get("type") or "/".join(
                str(resolve(schema, o).get("type")) for o in node.get("anyOf", []) if resolve(schema, o)
            )
            desc = (
                (p.get("description") or node.get("description") or "").replace("|", "\\|").replace("\n", " ")
            )
            out.append(
                f"| `{p['name']}` | {p['in']} | {kind} | {'yes' if p.get('required') else 'no'} | {desc} |"
            )
        out.append("")
    body_schema = _body_schema(op)
    body = curated.get("body")
    if body is None and body_schema is not None:
        body = example_value(schema, body_schema)
        required = set(resolve(schema, body_schema).get("required") or [])
        if isinstance(body, dict):
            body = {k: v for k, v in body.items() if k in required or k in _SHOWN_OPTIONAL}
    if body_schema is not None:
        fields = resolve(schema, body_schema).get("properties") or {}
        required = set(resolve(schema, body_schema).get("required") or [])
        if fields:
            names = ", ".join(f"`{n}`{'' if n in required else ' (optional)'}" for n in fields)
            out += [f"Body fields: {names}.", ""]
    code, answer_schema = _success(op)
    answer = curated.get("answer")
    if answer is None and not _free_form(schema, answer_schema):
        answer = example_value(schema, answer_schema)
    out += ["Example request:", "", "```sh", curl_example(method.upper(), path, body), "```", ""]
    out.append(f"Example answer (HTTP {code}):")
    out.append("")
    if code == "204":
        out += ["No body.", ""]
    elif answer is None:
        out += ["Free-form JSON: see the guide for this endpoint.", ""]
    else:
        out += ["```json", json.dumps(answer, indent=2, ensure_ascii=False), "```", ""]
    errors = [c for c in op.get("responses", {}) if str(c)[0] in "45"]
    if errors:
        out += ["Errors: " + ", ".join(f"{c}" for c in sorted(errors)) + ' (`{"error": "..."}`).', ""]
    return out


def slug(tag: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", tag.lower()).strip("-")


def anchor(method: str, path: str, op: dict[str, Any]) -> str:
    return slug(op.get("operationId") or f"{method}-{path}")


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, item in schema.get("paths", {}).items()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


def api_pages(schema: dict[str, Any]) -> dict[str, str]:
    """{file name: Markdown} — ``index.md`` plus one page per tag."""
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for method, path, op in operations(schema):
        for tag in op.get("tags") or ["other"]:
            by_tag.setdefault(tag, []).append((method, path, op))
    info = schema.get("info", {})
    index = [
        "# REST API reference",
        "",
        "<!-- Generated by web/apidocs.py from /api/v1/openapi.json; do not edit. -->",
        "",
        f"{info.get('title', 'API')} version {info.get('version', '')}, served under `/api/v1/`. "
        "This reference is generated from the same OpenAPI document the server publishes at "
        "`/api/v1/openapi.json` (interactive: `/api/v1/docs`).",
        "",
        info.get("description", ""),
        "",
        "Examples use `$TOKEN` for an API key (printed by `make run` on its first run, by "
        "`python manage.py createworkspace`, or created with `POST /api/v1/tokens`) and "
        "`$NAME` for path parameters. Example answers show the shape: values are illustrative. "
        "What each message status means: [Message statuses](../statuses.md).",
        "",
        "| section | operations |",
        "| --- | --- |",
    ]
    pages: dict[str, str] = {}
    for tag in sorted(by_tag):
        ops = by_tag[tag]
        index.append(f"| [{tag}]({slug(tag)}.md) | {len(ops)} |")
        lines = [f"# API: {tag}", "", "<!-- Generated by web/apidocs.py; do not edit. -->", ""]
        lines += [f"- [`{m.upper()} {p}`](#{anchor(m, p, op)}): {op.get('summary', '')}" for m, p, op in ops]
        lines.append("")
        for method, path, op in ops:
            lines += operation_markdown(schema, method, path, op)
        pages[f"{slug(tag)}.md"] = "\n".join(lines)
    index.append("")
    pages["index.md"] = "\n".join(index)
    return pages
