from __future__ import annotations

from typing import Any


def json_post(client: Any, path: str, data: Any) -> Any:
    return client.post(path, data=data, content_type="application/json")


def json_patch(client: Any, path: str, data: Any) -> Any:
    return client.patch(path, data=data, content_type="application/json")


def outsider_client() -> Any:
    """An API client of another workspace."""
    from django.test import Client

    from channels_app.workspaces import create_workspace

    _, key = create_workspace(name="Other NGO", email="admin@other.org", password="secret-pass")
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


def all_pages(client: Any, path: str, *, limit: int, between: Any = None) -> list[list[Any]]:
    """Every page of a cursor-paged list; `between(page_number)` runs after each page."""
    pages: list[list[Any]] = []
    cursor = ""
    while True:
        sep = "&" if "?" in path else "?"
        response = client.get(f"{path}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else ""))
        assert response.status_code == 200, response.content
        pages.append(response.json())
        if between is not None:
            between(len(pages))
        cursor = response.headers.get("X-Next-Cursor", "")
        if not cursor:
            return pages
