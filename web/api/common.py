from __future__ import annotations

import uuid
from typing import Any, TypeVar

from django.db.models import Model
from django.http import HttpRequest
from ninja.errors import HttpError

from channels_app import jsonlimits
from web.requests import WorkspaceRequest

M = TypeVar("M", bound=Model)


class BadBody(Exception):
    """A free-form JSON body (a flow export, engine session JSON) that does not parse: a 400."""


def json_body(request: HttpRequest) -> Any:
    try:
        return jsonlimits.loads(request.body or b"null")
    except ValueError as exc:
        raise BadBody(f"the body is not valid JSON: {exc}") from None


def get_or_404(model: type[M], request: WorkspaceRequest, object_uuid: Any, **filters: Any) -> M:
    """A row of the caller's workspace; anything else (another workspace's too) is a 404."""
    try:
        parsed = uuid.UUID(str(object_uuid))
    except ValueError:
        raise HttpError(404, f"{model.__name__.lower()} not found") from None
    found = model._default_manager.filter(uuid=parsed, workspace=request.workspace, **filters).first()
    if found is None:
        raise HttpError(404, f"{model.__name__.lower()} not found")
    return found


def keyset_page(request: WorkspaceRequest, qs: Any, *, cursor: str, limit: int, response: Any) -> list[Any]:
    """Newest-first pages that stay stable while rows are added: `cursor` is the last id seen.

    The next page's cursor is sent in the `X-Next-Cursor` header (absent on the last page), so
    list endpoints keep returning plain JSON arrays.
    """
    limit = max(1, min(limit, 1000))
    if cursor:
        if not cursor.isdigit():
            raise HttpError(400, "cursor must be the X-Next-Cursor value of the previous page")
        qs = qs.filter(id__lt=int(cursor))
    rows = list(qs.order_by("-id")[: limit + 1])
    if len(rows) > limit:
        rows = rows[:limit]
        response["X-Next-Cursor"] = str(rows[-1].id)
    return rows
