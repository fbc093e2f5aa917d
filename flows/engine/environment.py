"""The evaluation environment: timezone, date/number formats, country, clock and randomness.

Everything that would make evaluation non-deterministic (the current time, random numbers, new
uuids) comes from here so that tests and the conformance runner can pin it.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = dt.UTC


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC)


class SequentialClock:
    """A clock that starts at a fixed instant and advances by a step on every call (for tests)."""

    def __init__(self, start: dt.datetime, step: dt.timedelta = dt.timedelta(seconds=1)) -> None:
        self.current = start
        self.step = step

    def __call__(self) -> dt.datetime:
        now = self.current
        self.current = now + self.step
        return now


class FixedClock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


class SeededUUIDs:
    """Deterministic version-4 style uuids from a seed (ids differ from goflow's, by design)."""

    def __init__(self, seed: int = 123456) -> None:
        self._rand = random.Random(seed)

    def __call__(self) -> str:
        return str(uuid.UUID(int=self._rand.getrandbits(128), version=4))


class SeededRandom:
    """Deterministic floats in [0, 1).

    `prefix` lets a caller replay known values first: goflow's vectors were produced with Go's
    math/rand seeded with 123456, whose first outputs appear in the vectors themselves; we can't
    reproduce Go's generator, so the conformance runner replays those documented values.
    """

    def __init__(self, seed: int | None = 123456, prefix: list[float] | None = None) -> None:
        # Seeding (from os.urandom when seed is None) costs more than most sprints ever use:
        # every engine environment gets one, few flows draw a random number.
        self._seed = seed
        self._rand: random.Random | None = None
        self._prefix: Iterator[float] = iter(prefix or [])

    def __call__(self) -> float:
        for v in self._prefix:
            return v
        if self._rand is None:
            self._rand = random.Random(self._seed)
        return self._rand.random()


def load_zone(name: str) -> dt.tzinfo | None:
    if not name:
        return None
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@dataclass
class Environment:
    timezone: dt.tzinfo = UTC
    date_format: str = "DD-MM-YYYY"
    time_format: str = "tt:mm"
    default_country: str = ""
    allowed_languages: list[str] = field(default_factory=list)
    default_language: str = ""
    redaction_policy: str = "none"
    now: Callable[[], dt.datetime] = utcnow
    random: Callable[[], float] = field(default_factory=lambda: SeededRandom(None))
    new_uuid: Callable[[], str] = field(default_factory=lambda: lambda: str(uuid.uuid4()))
    locations: Any = None  # a locations.Hierarchy when location tests are used
    # the session contact's own country (from its channel or phone number), set by the runner:
    # where goflow merges the contact into the environment, it overrides default_country
    contact_country: str = ""
    llm_prompts: dict[str, str] | None = None  # prompt() templates replacing the built-in ones

    @property
    def country(self) -> str:
        return self.contact_country or self.default_country

    @property
    def timezone_name(self) -> str:
        return getattr(self.timezone, "key", "UTC")

    def local_now(self) -> dt.datetime:
        return self.now().astimezone(self.timezone)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None, **kwargs: Any) -> Environment:
        data = data or {}
        env = cls(**kwargs)
        tz = load_zone(data.get("timezone", ""))
        if tz is not None:
            env.timezone = tz
        env.date_format = data.get("date_format") or env.date_format
        env.time_format = data.get("time_format") or env.time_format
        env.default_country = data.get("default_country") or ""
        env.allowed_languages = list(data.get("allowed_languages") or [])
        env.default_language = env.allowed_languages[0] if env.allowed_languages else ""
        env.redaction_policy = data.get("redaction_policy") or "none"
        return env

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "date_format": self.date_format,
            "time_format": self.time_format,
            "timezone": self.timezone_name,
            "redaction_policy": self.redaction_policy,
        }
        if self.allowed_languages:
            out["allowed_languages"] = self.allowed_languages
        if self.default_country:
            out["default_country"] = self.default_country
        return out
