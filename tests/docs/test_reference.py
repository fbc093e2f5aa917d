"""The generated reference pages cover what the code knows: the connector validator's tables,
every operation of the live OpenAPI document, every message status."""

from __future__ import annotations

import re
from typing import Any

import pytest

from aggregators.connector import reference, schema, values
from aggregators.connector.model import KIND_BY_ROOT
from channels_app.models import MsgStatus
from channels_app.status_glossary import STATUS_GLOSSARY, describe, glossary_markdown


@pytest.fixture(scope="module")
def connector_page() -> str:
    return reference.render_reference()


def test_every_element_and_attribute_the_validator_knows_is_described() -> None:
    assert reference.missing_docs() == []


def test_connector_reference_lists_every_element_attribute_variable_and_filter(connector_page: str) -> None:
    for node, (attrs, children) in schema.SCHEMA.items():
        assert f"{{ #{reference._anchor(node)} }}" in connector_page, node
        section = connector_page.split(f"{{ #{reference._anchor(node)} }}", 1)[1].split("\n### ", 1)[0]
        for attr in attrs:
            assert f"| `{attr}`" in section, f"{node}@{attr}"
        if isinstance(children, dict):
            for tag in children:
                assert f"`<{tag}>`" in section, f"{node} > {tag}"
    for name in (*values.SMS_VARIABLES, *values.PHONE_VARIABLES):
        assert f"| `@{name}`" in connector_page, name
    for name in values.FILTERS:
        assert f"| `{name}`" in connector_page, name
    for key in (*schema.SMS_RESPONSE_KEYS, *schema.RECEIVE_KEYS, *schema.LIST_KEYS):
        assert f"`{key}`" in connector_page, key
    for root in KIND_BY_ROOT:
        assert root in connector_page


def test_connector_reference_marks_our_extensions(connector_page: str) -> None:
    assert re.search(r"### `<message_receive>` .*\n\n.*★ \*Flowgate extension\*", connector_page)
    assert re.search(r"### `<signature>` .*\n\n.*★ \*Flowgate extension\*", connector_page)
    assert "| `form` ★ |" in connector_page


def test_defaults_in_the_reference_are_what_the_parser_fills_in(connector_page: str) -> None:
    defaults = reference.parsed_defaults()
    assert defaults[("request", "method")] == "post"
    assert defaults[("message_receive", "format")] == "form"
    assert defaults[("send_response", "root")] == "Response"
    assert "| `method` | `get`, `post`, `put`, `patch`, `delete` | `post` |" in connector_page


def test_a_new_schema_attribute_without_a_description_fails_the_build(monkeypatch: Any) -> None:
    attrs, children = schema.SCHEMA["header"]
    monkeypatch.setitem(schema.SCHEMA, "header", (attrs | {"secret"}, children))
    assert reference.missing_docs() == ["attribute header@secret"]
    with pytest.raises(ValueError, match="header@secret"):
        reference.render_reference()


def test_status_glossary_explains_every_status() -> None:
    assert {s.value for s in MsgStatus} <= set(STATUS_GLOSSARY)
    page = glossary_markdown()
    for status in MsgStatus:
        assert f"| `{status.value}` |" in page
    assert describe("failed", "transport error: ConnectError()") == STATUS_GLOSSARY["transport error"]
    assert (
        describe("failed", "provider answered HTTP 401: bad key") == STATUS_GLOSSARY["provider answered HTTP"]
    )
    assert describe("delivered") == STATUS_GLOSSARY["delivered"]


@pytest.mark.django_db
def test_api_reference_has_every_operation_of_the_live_openapi_document(api: Any) -> None:
    from scripts.docs_hooks import generated_pages
    from web.apidocs import operations

    live = api.get("/api/v1/openapi.json")
    assert live.status_code == 200
    pages = generated_pages()
    api_text = "\n".join(text for path, text in pages.items() if path.startswith("reference/api/"))
    ops = operations(live.json())
    assert len(ops) >= 70
    for method, path, _op in ops:
        section = api_text.split(f"`{method.upper()} {path}`\n", 1)
        assert len(section) == 2, f"{method.upper()} {path} is not documented"
        body = section[1].split("\n### ", 1)[0]
        assert "Example request:" in body and "```sh" in body, f"{method} {path}: no example request"
        assert "Example answer" in body, f"{method} {path}: no example answer"


@pytest.mark.django_db(transaction=True)
def test_curated_api_examples_answer_what_the_reference_shows(api: Any) -> None:
    """The free-form endpoints' examples are sent as they are; every key shown must come back."""
    import json

    from tests.docs.examples import DOCS, examples_in
    from web.apidocs import CURATED

    export = next(e for e in examples_in(DOCS / "getting-started.md") if e.kind == "flow").body
    imported = api.post("/api/v1/flows/import", export, content_type="application/json")
    assert imported.status_code == 200, imported.content
    flow_uuid = imported.json()["flows"][0]["uuid"]
    for key, example in CURATED.items():
        method, path = key.split(" ", 1)
        body = json.dumps(example["body"]).replace("$FLOW_UUID", flow_uuid)
        response = api.generic(method, path, body, content_type="application/json")
        assert 200 <= response.status_code < 300, f"{key}: {response.status_code} {response.content[:300]!r}"
        missing = set(example["answer"]) - set(response.json())
        assert not missing, f"{key}: the answer lacks {missing}"


@pytest.mark.django_db(transaction=True)
def test_example_request_bodies_match_the_live_schema(api: Any) -> None:
    """Every generated example body passes the API's own validation (ids may name nothing: 404 is fine)."""
    import json
    import re
    import uuid

    from web.apidocs import CURATED, _body_schema, example_value, operations

    schema = api.get("/api/v1/openapi.json").json()
    tried = 0
    for method, path, op in operations(schema):
        body_schema = _body_schema(op)
        if body_schema is None or f"{method.upper()} {path}" in CURATED:
            continue
        url = re.sub(r"\{(\w+)\}", lambda m: str(uuid.uuid4()), path)
        body = example_value(schema, body_schema)
        response = api.generic(method.upper(), url, json.dumps(body), content_type="application/json")
        tried += 1
        assert response.status_code < 500, f"{method} {path}: {response.status_code}"
        if response.status_code == 400:
            assert response.json().get("error") != "invalid request", f"{method} {path}: {response.content!r}"
    assert tried >= 15


def test_connector_reference_command_writes_the_page(tmp_path: Any) -> None:
    from django.core.management import call_command

    target = tmp_path / "connector-language.md"
    call_command("connector", "reference", "--output", str(target))
    assert target.read_text() == reference.render_reference()


def test_configuration_page_lists_every_environment_variable_the_settings_read() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    settings_text = (root / "web" / "settings.py").read_text()
    names = set(re.findall(r"""os\.environ\.get\(\s*["']([A-Z_]+)["']""", settings_text))
    names |= set(re.findall(r"""_env_flag\(\s*["']([A-Z_]+)["']""", settings_text))
    page = (root / "docs" / "reference" / "configuration.md").read_text()
    missing = sorted(n for n in names if f"`{n}`" not in page)
    assert len(names) >= 20
    assert missing == [], f"docs/reference/configuration.md does not describe {missing}"
