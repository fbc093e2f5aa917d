"""`make docs` builds strictly, and the web app serves the built site at /docs/ (no login)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings


def test_strict_build_has_every_page(built_site: Path) -> None:
    for page in (
        "index.html",
        "getting-started/index.html",
        "connectors/tutorial/index.html",
        "reference/connector-language/index.html",
        "reference/statuses/index.html",
        "reference/api/index.html",
        "reference/api/messages/index.html",
        "operations/production/index.html",
        "development/structure/index.html",
    ):
        assert (built_site / page).is_file(), page
    reference = (built_site / "reference/connector-language/index.html").read_text()
    assert "message_receive" in reference and "@recipients" in reference


@pytest.mark.django_db
def test_docs_are_served_at_slash_docs(built_site: Path) -> None:
    client = Client()
    with override_settings(FLOWGATE_DOCS_DIR=str(built_site)):
        index = client.get("/docs/")
        assert index.status_code == 200
        body = b"".join(index.streaming_content).decode()  # type: ignore[attr-defined]
        assert "<title>Flowgate</title>" in body
        page = client.get("/docs/reference/connector-language/")
        assert page.status_code == 200
        assert client.get("/docs/reference/connector-language").status_code == 302  # directory: add the slash
        css = client.get("/docs/assets/stylesheets/" + _first_css(built_site))
        assert css.status_code == 200 and css["Content-Type"].startswith("text/css")
        assert client.get("/docs/../web/settings.py").status_code == 404
        assert client.get("/docs/no-such-page/").status_code == 404
        assert client.post("/docs/").status_code == 405


def _first_css(site: Path) -> str:
    return next((site / "assets/stylesheets").glob("*.css")).name


@pytest.mark.django_db
def test_unbuilt_docs_say_how_to_build_them(tmp_path: Any) -> None:
    with override_settings(FLOWGATE_DOCS_DIR=str(tmp_path / "none")):
        response = Client().get("/docs/")
    assert response.status_code == 404
    assert b"make docs" in response.content
