"""UUIDv7: valid RFC 9562 ids whose order follows creation time (issue 27: index locality)."""

from __future__ import annotations

import time
import uuid

from channels_app.ids import uuid7, uuid7_millis


def test_uuid7_is_version_7_with_rfc_variant_and_current_time() -> None:
    before = time.time_ns() // 1_000_000
    value = uuid7()
    after = time.time_ns() // 1_000_000
    assert value.version == 7
    assert value.variant == uuid.RFC_4122
    assert before <= uuid7_millis(value) <= after
    assert uuid.UUID(str(value)) == value


def test_uuid7_sorts_by_millisecond_and_stays_unique() -> None:
    ids = [uuid7(ms=1_700_000_000_000 + i) for i in range(1000)]
    assert sorted(ids) == ids  # byte order (the index order) follows time
    assert sorted(str(i) for i in ids) == [str(i) for i in ids]  # and so does text order
    same_ms = {uuid7(ms=1_700_000_000_000) for _ in range(10_000)}
    assert len(same_ms) == 10_000  # 74 random bits: no collisions within a millisecond


def test_new_messages_and_contacts_get_time_ordered_uuids() -> None:
    from channels_app.models import Contact, Msg

    assert Msg().uuid.version == 7
    assert Contact().uuid.version == 7
