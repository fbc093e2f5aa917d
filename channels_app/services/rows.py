"""Saving rows that a concurrent request may have deleted."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.db import DatabaseError, transaction
from django.db.models import Model


def save_existing(obj: Model, update_fields: list[str]) -> None:
    """`save(update_fields=...)` of a row fetched earlier in the request.

    If another request deleted the row in between, Django raises a bare DatabaseError ("did not
    affect any rows"), which would be a 500. Raise the model's DoesNotExist instead: the API
    answers it with 404, as it would have had the delete come first.
    """
    try:
        with transaction.atomic():  # a savepoint: the failed save must not poison the caller's transaction
            obj.save(update_fields=update_fields)
    except DatabaseError:
        if type(obj)._base_manager.filter(pk=obj.pk).exists():
            raise
        gone: type[ObjectDoesNotExist] = type(obj).DoesNotExist  # type: ignore[attr-defined]
        raise gone(f"the {type(obj)._meta.verbose_name} was deleted meanwhile") from None
