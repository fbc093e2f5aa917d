from __future__ import annotations

import uuid
from typing import Any, TypeVar

from django.db.models import Model
from django.http import HttpRequest
from ninja.errors import HttpError

M = TypeVar("M", bound=Model)


def get_or_404(model: type[M], request: HttpRequest, object_uuid: Any, **filters: Any) -> M:
    """A row of the caller's workspace; anything else (another workspace's too) is a 404."""
    try:
        parsed = uuid.UUID(str(object_uuid))
    except ValueError:
        raise HttpError(404, f"{model.__name__.lower()} not found") from None
    found = model._default_manager.filter(uuid=parsed, workspace=request.workspace, **filters).first()  # type: ignore[attr-defined]
    if found is None:
        raise HttpError(404, f"{model.__name__.lower()} not found")
    return found
