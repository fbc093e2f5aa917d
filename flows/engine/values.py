"""Value model of the expression language.

Expressions work on a small set of dynamic types. We map them onto plain Python values so that
evaluation stays fast and results are easy to consume from the Django side:

text -> str, number -> Decimal, boolean -> bool, date -> datetime.date, datetime -> aware
datetime.datetime, time -> datetime.time, array -> list, object -> XObject, null -> None,
function -> XFunction, error -> XError.

Errors are values (never raised) so that a template with one bad expression still renders.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

_UTC = dt.UTC

# high enough for money-style arithmetic, low enough to keep rendering readable
NUMBER_MAX = Decimal("1e64")


class XError:
    """An evaluation error carried as a value."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message

    def __repr__(self) -> str:
        return f"XError({self.message!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, XError) and other.message == self.message

    def __hash__(self) -> int:
        return hash(self.message)


_MISSING = object()


class XObject:
    """A keyed object; lookups are case-insensitive like in goflow.

    `default` is what the object renders as when used directly (e.g. a contact renders as its name,
    a result as its value). Properties may be given lazily as zero-arg callables so that building a
    large context (contact, run, results) is cheap when templates only touch a few properties.
    """

    __slots__ = ("_props", "_lower", "default", "has_default", "aliases")

    def __init__(self, props: dict[str, Any] | None = None, default: Any = _MISSING) -> None:
        self._props: dict[str, Any] = dict(props or {})
        self._lower: dict[str, str] | None = None
        self.has_default = default is not _MISSING
        self.default = None if default is _MISSING else default
        # deprecated names that still resolve but aren't listed (keys, json, equality)
        self.aliases: dict[str, Callable[[], Any]] | None = None

    def keys(self) -> list[str]:
        return list(self._props.keys())

    def get(self, key: str) -> Any:
        """Returns the property value, or _MISSING."""
        props = self._props
        if key in props:
            val = props[key]
            if val.__class__ is Lazy:
                val = props[key] = val.fn()
            return val
        if self._lower is None:
            self._lower = {k.lower(): k for k in self._props}
        real = self._lower.get(key.lower())
        if real is None:
            if self.aliases is not None and key.lower() in self.aliases:
                return self.aliases[key.lower()]()
            return _MISSING
        return self._resolve(real)

    def _resolve(self, key: str) -> Any:
        val = self._props[key]
        if isinstance(val, Lazy):
            val = val.fn()
            self._props[key] = val
        return val

    def items(self) -> list[tuple[str, Any]]:
        return [(k, self._resolve(k)) for k in self._props]

    def items_unresolved(self) -> list[tuple[str, Any]]:
        """Properties as given, without computing lazy ones."""
        return list(self._props.items())

    def reset(self, key: str, value: Any) -> None:
        """Replaces an existing property (e.g. a memoised Lazy with its factory again)."""
        self._props[key] = value

    def __len__(self) -> int:
        return len(self._props)

    def __repr__(self) -> str:
        return f"XObject({self._props!r}, default={self.default!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, XObject) and dict(self.items()) == dict(other.items())

    __hash__ = None  # type: ignore[assignment]


MISSING = _MISSING


class Lazy:
    """Wraps a property computed on first access."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn


class XFunction:
    """A callable value: builtin functions and lambdas are first-class in expressions."""

    __slots__ = ("name", "fn")

    def __init__(self, name: str, fn: Callable[..., Any]) -> None:
        self.name = name
        self.fn = fn

    def __repr__(self) -> str:
        return f"XFunction({self.name})"


def is_error(v: Any) -> bool:
    return isinstance(v, XError)


def to_decimal(v: int | float | str | Decimal) -> Decimal:
    return v if isinstance(v, Decimal) else Decimal(str(v))


# ----------------------------------------------------------------------------------- rendering


def format_number(d: Decimal) -> str:
    """Numbers render without exponent and without trailing zeros (123.45000 -> 123.45)."""
    if d == d.to_integral_value():
        # Not quantize(): it raises InvalidOperation past the context's 28 digits (found by fuzzing).
        return format(d.to_integral_value(), "f")
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_datetime_iso(v: dt.datetime) -> str:
    if v.tzinfo is _UTC:  # the common case (engine clocks), kept cheap: it runs for every event
        return v.isoformat(timespec="microseconds")[:-6] + "Z"
    base = v.replace(tzinfo=None).isoformat(timespec="microseconds")
    off = v.utcoffset()
    if off is None or off == dt.timedelta(0):
        return base + "Z"
    total = int(off.total_seconds())
    sign = "+" if total >= 0 else "-"
    total = abs(total)
    return f"{base}{sign}{total // 3600:02d}:{(total % 3600) // 60:02d}"


def format_time_iso(v: dt.time) -> str:
    return f"{v.hour:02d}:{v.minute:02d}:{v.second:02d}.{v.microsecond:06d}"


def to_text(v: Any) -> str | XError:
    """Converts a value to text the way templates render it."""
    if isinstance(v, str):
        return v
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Decimal):
        return format_number(v)
    if isinstance(v, int | float):
        return format_number(to_decimal(v))
    if isinstance(v, XError):
        return v
    if isinstance(v, XObject):
        if v.has_default:
            return to_text(v.default)
        return _render_object(v)
    if isinstance(v, list):
        parts = []
        for item in v:
            t = _render_item(item)
            if isinstance(t, XError):
                return t
            parts.append(t)
        return "[" + ", ".join(parts) + "]"
    if isinstance(v, dt.datetime):
        return format_datetime_iso(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, dt.time):
        return format_time_iso(v)
    if isinstance(v, XFunction):
        return v.name
    return str(v)


def _render_item(v: Any) -> str | XError:
    # nested objects render in full (not via their default) so arrays of objects stay readable
    if isinstance(v, XObject):
        return _render_object(v)
    return to_text(v)


def _render_object(v: XObject) -> str | XError:
    parts = []
    for k in sorted(v.keys()):
        t = _render_item(v.get(k))
        if isinstance(t, XError):
            return t
        parts.append(f"{k}: {t}")
    return "{" + ", ".join(parts) + "}"


def to_json_value(v: Any) -> Any:
    """Converts a value to plain JSON-able Python (used by json() and by webhooks/results)."""
    if v is None or isinstance(v, str | bool):
        return v
    if isinstance(v, Decimal):
        return JSONNumber(format_number(v))
    if isinstance(v, int | float):
        return v
    if isinstance(v, XError):
        return v
    if isinstance(v, XObject):
        out = {}
        for k in sorted(v.keys()):
            j = to_json_value(v.get(k))
            if isinstance(j, XError):
                return j
            out[k] = j
        return out
    if isinstance(v, list):
        items = []
        for item in v:
            j = to_json_value(item)
            if isinstance(j, XError):
                return j
            items.append(j)
        return items
    if isinstance(v, dt.datetime | dt.date | dt.time):
        return to_text(v)
    if isinstance(v, XFunction):
        return None
    return str(v)


class JSONNumber(str):
    """Marks a number already rendered to text so json encoding keeps its exact digits."""


def to_json(v: Any) -> str | XError:
    j = to_json_value(v)
    if isinstance(j, XError):
        return j
    return _dump(j)


def _dump(j: Any) -> str:
    if isinstance(j, JSONNumber):
        return str.__str__(j)
    if isinstance(j, dict):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + _dump(x) for k, x in j.items()) + "}"
    if isinstance(j, list):
        return "[" + ",".join(_dump(x) for x in j) + "]"
    return json.dumps(j, ensure_ascii=False)


def from_json(obj: Any) -> Any:
    """Converts parsed JSON into expression values (numbers become Decimal, dicts XObject)."""
    if isinstance(obj, dict):
        return XObject({k: from_json(x) for k, x in obj.items()})
    if isinstance(obj, list):
        return [from_json(x) for x in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int | float):
        return to_decimal(obj)
    return obj


def parse_json_text(text: str) -> Any:
    try:
        return from_json(json.loads(text, parse_float=Decimal, parse_int=Decimal))
    except (ValueError, RecursionError):
        return XError(f"unable to parse {text!r} as JSON")


# ----------------------------------------------------------------------------------- conversion


def to_number(v: Any) -> Decimal | XError:
    if isinstance(v, bool):
        return XError(f"unable to convert {to_text(v)} to a number")
    if isinstance(v, Decimal):
        return v
    if isinstance(v, int | float):
        return to_decimal(v)
    if isinstance(v, XError):
        return v
    if isinstance(v, XObject) and v.has_default:
        return to_number(v.default)
    if isinstance(v, str):
        s = v.strip()
        try:
            if s and s[0] not in "nNiIsS+":  # reject NaN/Infinity/sNaN spellings
                d = Decimal(s)
                if d.is_finite():
                    return d
        except InvalidOperation:
            pass
    return XError(f"unable to convert {describe(v)} to a number")


def to_integer(v: Any) -> int | XError:
    n = to_number(v)
    if isinstance(n, XError):
        return n
    return int(n)


def to_boolean(v: Any) -> bool | XError:
    if isinstance(v, bool):
        return v
    if v is None:
        return False
    if isinstance(v, XError):
        return v
    if isinstance(v, str):
        return v != "" and v.lower() != "false"
    if isinstance(v, Decimal | int | float):
        return v != 0
    if isinstance(v, XObject):
        if v.has_default:
            return to_boolean(v.default)
        return len(v) > 0
    if isinstance(v, list):
        return len(v) > 0
    return True


def describe(v: Any) -> str:
    """Short quoted rendering for error messages."""
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    t = to_text(v)
    return t.message if isinstance(t, XError) else t


def is_empty(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return v == ""
    if isinstance(v, list):
        return len(v) == 0
    if isinstance(v, XObject):
        return (v.default is None or v.default == "") if v.has_default else len(v) == 0
    return False


def deref(v: Any) -> Any:
    """Replaces an object with its default value, if it has one (used for comparisons/tests)."""
    while isinstance(v, XObject) and v.has_default:
        v = v.default
    return v
