"""Time-ordered ids (UUIDv7, RFC 9562) for tables written at a high rate.

A random uuid4 lands on a random leaf of the unique index, so on a table of millions of rows
every insert dirties (and after each checkpoint writes in full to the WAL) a different index
page. A UUIDv7 starts with the millisecond, so new rows append to the right edge of the index
like a sequence does, while the ids stay unguessable (74 random bits) and globally unique.
Python 3.11's `uuid` module has no uuid7, hence this small generator.
"""

from __future__ import annotations

import os
import time
import uuid

_MS_BITS = (1 << 48) - 1


def uuid7(*, ms: int | None = None) -> uuid.UUID:
    """48 bits of Unix milliseconds, version 7, 12 + 62 random bits, RFC 9562 variant."""
    millis = (time.time_ns() // 1_000_000 if ms is None else ms) & _MS_BITS
    value = (millis << 80) | int.from_bytes(os.urandom(10), "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # variant 10xx
    return uuid.UUID(int=value)


def uuid7_millis(value: uuid.UUID) -> int:
    """The creation time of a UUIDv7 in Unix milliseconds."""
    return value.int >> 80
