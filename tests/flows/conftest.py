from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests import SHARED as SHARED_ROOT

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = SHARED_ROOT / "anchor_data" / "rapidpro_flows"
SURVEY = "5f2b6e0a-1c55-4d4e-9a57-000000000001"
CATCH_ALL = "5f2b6e0a-1c55-4d4e-9a57-000000000002"
SURVEYED_GROUP = "8a1d2c3b-0000-4000-8000-000000000001"


def load_export(name: str = "two_questions.json") -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def export_data() -> dict[str, Any]:
    return load_export()


@pytest.fixture
def imported(api: Any, export_data: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/api/v1/flows/import", data=json.dumps(export_data), content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def post_json(client: Any, url: str, body: Any) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


def put_json(client: Any, url: str, body: Any) -> Any:
    return client.put(url, data=json.dumps(body), content_type="application/json")
