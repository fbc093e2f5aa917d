"""A PATCH that loses the race against a DELETE of the same object is a 404, never a 500.

Found by the schemathesis run, whose workers renamed a group while another deleted it. The race
is made deterministic here: just before the view saves, another thread (its own database
connection, autocommit) deletes the row and commits, as the concurrent DELETE request would.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.models.signals import pre_save

from channels_app.models import ContactField, ContactGroup
from tests.web.api.helpers import json_patch, json_post


def _delete_elsewhere(model: Any, pk: int) -> None:
    try:
        model._base_manager.filter(pk=pk).delete()
    finally:
        connection.close()  # this thread's own connection


@pytest.fixture
def deleted_before_save() -> Iterator[Any]:
    """Deletes the instance's row just before it is saved (once per model)."""
    receivers: list[tuple[Any, Any]] = []

    def arm(model: Any) -> None:
        def receiver(sender: Any, instance: Any, **kwargs: Any) -> None:
            pre_save.disconnect(receiver, sender=model)
            other = threading.Thread(target=_delete_elsewhere, args=(model, instance.pk))
            other.start()
            other.join()

        pre_save.connect(receiver, sender=model, weak=False)
        receivers.append((receiver, model))

    yield arm
    for receiver, model in receivers:
        pre_save.disconnect(receiver, sender=model)


def test_renaming_a_group_deleted_meanwhile_is_404(api, workspace, deleted_before_save) -> None:
    group = json_post(api, "/api/v1/groups", {"name": "Farmers"}).json()
    deleted_before_save(ContactGroup)
    response = json_patch(api, f"/api/v1/groups/{group['uuid']}", {"name": "Growers"})
    assert response.status_code == 404, response.content
    assert "deleted meanwhile" in response.json()["error"]
    assert not ContactGroup.objects.filter(uuid=group["uuid"]).exists()


def test_renaming_a_field_deleted_meanwhile_is_404(api, workspace, deleted_before_save) -> None:
    field = json_post(api, "/api/v1/fields", {"name": "Age", "value_type": "number"})
    assert field.status_code == 201, field.content
    deleted_before_save(ContactField)
    response = json_patch(api, f"/api/v1/fields/{field.json()['key']}", {"name": "Years"})
    assert response.status_code == 404, response.content


def test_an_ordinary_rename_still_works(api, workspace) -> None:
    group = json_post(api, "/api/v1/groups", {"name": "Farmers"}).json()
    response = json_patch(api, f"/api/v1/groups/{group['uuid']}", {"name": "Growers"})
    assert response.status_code == 200 and response.json()["name"] == "Growers"
