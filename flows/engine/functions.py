"""Built-in expression functions (text, logic, number, date/time, array/object, json, urn).

Each function takes the evaluation scope then its arguments and returns a value or an XError;
nothing raises. Arity is declared next to the function so errors name the function consistently.

Each function is registered by a call right after its `def` (`register("text", 1)(f_text)`),
not with a decorator: the mutation tests (scripts/mutation.py, mutmut) never mutate a decorated
function, so decorated, none of the language's functions would be checked by them.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
import unicodedata
import urllib.parse
from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from functools import lru_cache, partial
from typing import Any

from . import dates, regex
from .expressions import Scope, call_function
from .urns import format_urn, parse_urn
from .values import (
    MISSING,
    XError,
    XFunction,
    XObject,
    deref,
    describe,
    is_empty,
    parse_json_text,
    to_boolean,
    to_integer,
    to_json,
    to_number,
    to_text,
)

FUNCTIONS: dict[str, XFunction] = {}

# functions that must see error arguments instead of short-circuiting on them
_ACCEPTS_ERRORS = {"is_error", "has_error", "default", "if", "or", "and", "count"}


def register(
    name: str, min_args: int, max_args: int = -1
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """max_args -1 means "same as min", None-like -2 means variadic."""
    maximum = min_args if max_args == -1 else max_args

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        FUNCTIONS[name] = XFunction(name, partial(_checked_call, name, min_args, maximum, fn))
        return fn

    return deco


def _checked_call(
    name: str, min_args: int, maximum: int, fn: Callable[..., Any], scope: Scope, *args: Any
) -> Any:
    """Checks the argument count and passes on an error argument (as goflow) before calling fn.

    A module-level function rather than a closure in register(): closures built at import
    time can't be mutated by the mutation tests (scripts/mutation.py)."""
    if len(args) < min_args or (maximum >= 0 and len(args) > maximum):
        if min_args == maximum:
            return XError(f"need {min_args} argument(s), got {len(args)}")
        if maximum < 0:  # variadic: only a minimum (goflow's wording)
            return XError(f"need at least {min_args} argument(s), got {len(args)}")
        return XError(f"need {min_args} to {maximum} argument(s), got {len(args)}")
    if name not in _ACCEPTS_ERRORS:
        for a in args:
            if isinstance(a, XError):
                return a
    return fn(scope, *args)


VARIADIC = -2


def invoke(scope: Scope, fn: Any, args: list[Any]) -> Any:
    if not isinstance(fn, XFunction):
        return XError(f"{describe(fn)} is not a function")
    return call_function(fn, args, scope)


def _text(v: Any) -> str | XError:
    return to_text(v)


def _texts(*vals: Any) -> list[str] | XError:
    out = []
    for v in vals:
        t = to_text(v)
        if isinstance(t, XError):
            return t
        out.append(t)
    return out


def _ints(*vals: Any) -> list[int] | XError:
    out = []
    for v in vals:
        n = to_integer(v)
        if isinstance(n, XError):
            return n
        out.append(n)
    return out


# ----------------------------------------------------------------------------------- conversion


def f_text(s: Scope, v: Any) -> Any:
    return to_text(v)


register("text", 1)(f_text)


def f_boolean(s: Scope, v: Any) -> Any:
    return to_boolean(v)


register("boolean", 1)(f_boolean)


def f_number(s: Scope, v: Any) -> Any:
    return to_number(v)


register("number", 1)(f_number)


def f_date(s: Scope, v: Any) -> Any:
    return dates.to_date(v, s.env)


register("date", 1)(f_date)


def f_datetime(s: Scope, v: Any) -> Any:
    return dates.to_datetime(v, s.env)


register("datetime", 1)(f_datetime)


def f_time(s: Scope, v: Any) -> Any:
    return dates.to_time(v, s.env)


register("time", 1)(f_time)


def f_array(s: Scope, *vals: Any) -> Any:
    return list(vals)


register("array", 0, VARIADIC)(f_array)


def f_object(s: Scope, *vals: Any) -> Any:
    if len(vals) % 2:
        return XError("requires an even number of arguments")
    props = {}
    for i in range(0, len(vals), 2):
        k = to_text(vals[i])
        if isinstance(k, XError):
            return k
        props[k] = vals[i + 1]
    return XObject(props)


register("object", 0, VARIADIC)(f_object)


# ----------------------------------------------------------------------------------- logic


def f_and(s: Scope, *vals: Any) -> Any:
    for v in vals:
        b = to_boolean(v)
        if isinstance(b, XError) or not b:
            return b
    return True


register("and", 1, VARIADIC)(f_and)


def f_or(s: Scope, *vals: Any) -> Any:
    for v in vals:
        b = to_boolean(v)
        if isinstance(b, XError) or b:
            return b
    return False


register("or", 1, VARIADIC)(f_or)


def f_if(s: Scope, test: Any, a: Any, b: Any) -> Any:
    t = to_boolean(test)
    if isinstance(t, XError):
        return t
    return a if t else b


register("if", 3)(f_if)


def f_is_error(s: Scope, v: Any) -> Any:
    return isinstance(v, XError)


register("is_error", 1)(f_is_error)


def f_count(s: Scope, v: Any) -> Any:
    if isinstance(v, XError):
        return v
    if isinstance(v, list):
        return Decimal(len(v))
    if isinstance(v, XObject):
        return Decimal(len(v))
    return XError("value isn't countable")


register("count", 1)(f_count)


def f_default(s: Scope, v: Any, fallback: Any) -> Any:
    if isinstance(v, XError) or is_empty(v):
        return fallback
    return v


register("default", 2)(f_default)


# ----------------------------------------------------------------------------------- text


def f_code(s: Scope, v: Any) -> Any:
    t = _text(v)
    if isinstance(t, XError):
        return t
    if not t:
        return XError("requires a string of at least one character")
    return Decimal(ord(t[0]))


register("code", 1)(f_code)


def f_char(s: Scope, v: Any) -> Any:
    n = to_integer(v)
    if isinstance(n, XError):
        return n
    try:
        return chr(n)
    except (ValueError, OverflowError):
        return XError(f"{n} is not a valid character code")


register("char", 1)(f_char)


_WORD_RE = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]", re.UNICODE)


def tokenize_words(text: str) -> list[str]:
    """Words are runs of letters/digits; emoji and other symbols each count as a word on their own."""
    return list(_tokenize_cached(text))


@lru_cache(maxsize=4096)
def _tokenize_cached(text: str) -> tuple[str, ...]:
    return tuple(w for w in _WORD_RE.findall(text) if _is_wordish(w))


def _is_wordish(tok: str) -> bool:
    if len(tok) > 1 or tok.isalnum() or tok == "_":
        return True
    cat = unicodedata.category(tok)
    return cat.startswith("S") and cat != "Sk" and ord(tok) > 0x2000


def _split_delims(text: str, delims: str | None) -> list[str]:
    if delims is None:
        return tokenize_words(text)
    return [w for w in re.split("[" + re.escape(delims) + "]", text) if w]


def f_split(s: Scope, v: Any, delims: Any = " ") -> Any:
    ts = _texts(v, delims)
    if isinstance(ts, XError):
        return ts
    return _split_delims(ts[0], ts[1])


register("split", 1, 2)(f_split)


def f_join(s: Scope, arr: Any, sep: Any) -> Any:
    if not isinstance(arr, list):
        return XError("requires an array as its first argument")
    ts = _texts(sep, *arr)
    if isinstance(ts, XError):
        return ts
    return ts[0].join(ts[1:])


register("join", 2)(f_join)


def _trim(side: str, s: Scope, v: Any, chars: Any = None) -> Any:
    t = _text(v)
    if isinstance(t, XError):
        return t
    cs: str | None = None
    if chars is not None:
        text = _text(chars)
        if isinstance(text, XError):
            return text
        cs = text
    return {"both": t.strip, "left": t.lstrip, "right": t.rstrip}[side](cs)


# partials of module-level functions, not closures: see _checked_call
register("trim", 1, 2)(partial(_trim, "both"))
register("trim_left", 1, 2)(partial(_trim, "left"))
register("trim_right", 1, 2)(partial(_trim, "right"))


def f_title(s: Scope, v: Any) -> Any:
    t = _text(v)
    if isinstance(t, XError):
        return t
    return re.sub(r"\w+(?:'\w+)*", lambda m: m.group()[0].upper() + m.group()[1:].lower(), t)


register("title", 1)(f_title)


def f_upper(s: Scope, v: Any) -> Any:
    t = _text(v)
    return t if isinstance(t, XError) else t.upper()


register("upper", 1)(f_upper)


def f_lower(s: Scope, v: Any) -> Any:
    t = _text(v)
    return t if isinstance(t, XError) else t.lower()


register("lower", 1)(f_lower)


def f_word(s: Scope, v: Any, index: Any, delims: Any = None) -> Any:
    t = _text(v)
    if isinstance(t, XError):
        return t
    idx = to_integer(index)
    if isinstance(idx, XError):
        return idx
    d = None if delims is None else _text(delims)
    if isinstance(d, XError):
        return d
    words = _split_delims(t, d)
    if -len(words) <= idx < len(words):
        return words[idx]
    return XError(f"index {idx} is out of range for the number of words {len(words)}")


register("word", 2, 3)(f_word)


def f_remove_first_word(s: Scope, v: Any) -> Any:
    t = _text(v)
    if isinstance(t, XError):
        return t
    words = tokenize_words(t)
    if len(words) < 2:
        return ""
    start = t.index(words[0]) + len(words[0])
    second = t.index(words[1], start)
    return t[second:]


register("remove_first_word", 1)(f_remove_first_word)


def f_word_slice(s: Scope, v: Any, start: Any, end: Any = None, delims: Any = None) -> Any:
    t = _text(v)
    if isinstance(t, XError):
        return t
    nums = _ints(start, -1 if end is None else end)
    if isinstance(nums, XError):
        return nums
    a, b = nums
    if a < 0:
        return XError("must start with a positive index")
    d = None if delims is None else _text(delims)
    if isinstance(d, XError):
        return d
    words = _split_delims(t, d)
    if b < 0:
        b = len(words) + b + 1
    return " ".join(words[a:b])


register("word_slice", 2, 4)(f_word_slice)


def f_word_count(s: Scope, v: Any, delims: Any = None) -> Any:
    t = _text(v)
    if isinstance(t, XError):
        return t
    d = None if delims is None else _text(delims)
    if isinstance(d, XError):
        return d
    return Decimal(len(_split_delims(t, d)))


register("word_count", 1, 2)(f_word_count)


def f_field(s: Scope, v: Any, index: Any, delim: Any) -> Any:
    ts = _texts(v, delim)
    if isinstance(ts, XError):
        return ts
    idx = to_integer(index)
    if isinstance(idx, XError):
        return idx
    if idx < 0:
        return XError("cannot use a negative index")
    fields = ts[0].split(ts[1]) if ts[1] else [ts[0]]
    if ts[1] == " ":
        # runs of spaces count as one separator, as people pad columns with spaces
        fields = [f for f in fields if f != ""]
    if idx >= len(fields):
        return ""
    return fields[idx].strip()


register("field", 3)(f_field)


def f_clean(s: Scope, v: Any) -> Any:
    t = _text(v)
    if isinstance(t, XError):
        return t
    return "".join(c for c in t if unicodedata.category(c)[0] != "C")


register("clean", 1)(f_clean)


def f_text_slice(s: Scope, v: Any, start: Any, end: Any = None) -> Any:
    t = _text(v)
    if isinstance(t, XError):
        return t
    a = to_integer(start)
    if isinstance(a, XError):
        return a
    if end is None:
        return t[a:]
    b = to_integer(end)
    if isinstance(b, XError):
        return b
    return t[a:b]


register("text_slice", 2, 3)(f_text_slice)


def f_regex_match(s: Scope, v: Any, pattern: Any, group: Any = None) -> Any:
    ts = _texts(v, pattern)
    if isinstance(ts, XError):
        return ts
    try:
        rx = regex.compile_pattern(ts[1])
    except regex.error:
        return XError(f"'{ts[1]}' is not a valid regular expression")
    g = 0 if group is None else to_integer(group)
    if isinstance(g, XError):
        return g
    m = rx.search(ts[0])
    if not m:
        return ""
    if g < 0 or g > (rx.groups or 0):
        return XError(f"invalid capture group {g}")
    return m.group(g) or ""


register("regex_match", 2, 3)(f_regex_match)


def f_text_length(s: Scope, v: Any) -> Any:
    t = _text(v)
    return t if isinstance(t, XError) else Decimal(len(t))


register("text_length", 1)(f_text_length)


def f_text_compare(s: Scope, a: Any, b: Any) -> Any:
    ts = _texts(a, b)
    if isinstance(ts, XError):
        return ts
    return Decimal((ts[0] > ts[1]) - (ts[0] < ts[1]))


register("text_compare", 2)(f_text_compare)


def f_repeat(s: Scope, v: Any, count: Any) -> Any:
    t = _text(v)
    if isinstance(t, XError):
        return t
    n = to_integer(count)
    if isinstance(n, XError):
        return n
    if n < 0:
        return XError("must be called with a positive integer")
    if len(t) * n > 10_000:
        return XError("output would be too long")
    return t * n


register("repeat", 2)(f_repeat)


def f_replace(s: Scope, v: Any, needle: Any, repl: Any, count: Any = None) -> Any:
    ts = _texts(v, needle, repl)
    if isinstance(ts, XError):
        return ts
    n = -1 if count is None else to_integer(count)
    if isinstance(n, XError):
        return n
    return ts[0].replace(ts[1], ts[2], n)


register("replace", 3, 4)(f_replace)


def f_percent(s: Scope, v: Any) -> Any:
    n = to_number(v)
    if isinstance(n, XError):
        return n
    return f"{(n * 100).quantize(Decimal(1), ROUND_HALF_UP)}%"


register("percent", 1)(f_percent)


def f_url_encode(s: Scope, v: Any) -> Any:
    t = _text(v)
    return t if isinstance(t, XError) else urllib.parse.quote(t, safe="")


register("url_encode", 1)(f_url_encode)


def f_html_decode(s: Scope, v: Any) -> Any:
    t = _text(v)
    return t if isinstance(t, XError) else html.unescape(t)


register("html_decode", 1)(f_html_decode)


def f_read_chars(s: Scope, v: Any) -> Any:
    # spells out codes for text-to-speech: groups of 3 (or 4) digits separated by commas
    t = _text(v)
    if isinstance(t, XError):
        return t
    size = 3 if len(t) % 3 == 0 and len(t) > 3 else (4 if len(t) % 4 == 0 and len(t) > 4 else 0)
    if not size:
        return " ".join(t)
    return " , ".join(" ".join(t[i : i + size]) for i in range(0, len(t), size))


register("read_chars", 1)(f_read_chars)


# ----------------------------------------------------------------------------------- numbers


def f_abs(s: Scope, v: Any) -> Any:
    n = to_number(v)
    return n if isinstance(n, XError) else abs(n)


register("abs", 1)(f_abs)


def _round(mode: str, s: Scope, v: Any, places: Any = None) -> Any:
    n = to_number(v)
    if isinstance(n, XError):
        return n
    p = 0 if places is None else to_integer(places)
    if isinstance(p, XError):
        return p
    exp = Decimal(1).scaleb(-p)
    return n.quantize(exp, rounding=mode) if p >= 0 else (n / exp).quantize(1, mode) * exp


register("round", 1, 2)(partial(_round, ROUND_HALF_UP))
register("round_up", 1, 2)(partial(_round, ROUND_CEILING))
register("round_down", 1, 2)(partial(_round, ROUND_FLOOR))


def _numbers(vals: tuple[Any, ...]) -> list[Decimal] | XError:
    out = []
    for v in vals:
        n = to_number(v)
        if isinstance(n, XError):
            return n
        out.append(n)
    return out


def f_max(s: Scope, *vals: Any) -> Any:
    ns = _numbers(vals)
    return ns if isinstance(ns, XError) else max(ns)


register("max", 1, VARIADIC)(f_max)


def f_min(s: Scope, *vals: Any) -> Any:
    ns = _numbers(vals)
    return ns if isinstance(ns, XError) else min(ns)


register("min", 1, VARIADIC)(f_min)


def f_mean(s: Scope, *vals: Any) -> Any:
    ns = _numbers(vals)
    return ns if isinstance(ns, XError) else sum(ns) / len(ns)


register("mean", 1, VARIADIC)(f_mean)


def f_mod(s: Scope, a: Any, b: Any) -> Any:
    ns = _numbers((a, b))
    if isinstance(ns, XError):
        return ns
    if ns[1] == 0:
        return XError("can't divide by zero")
    return ns[0] - ns[1] * (ns[0] / ns[1]).to_integral_value(ROUND_FLOOR)


register("mod", 2)(f_mod)


def f_rand(s: Scope) -> Any:
    return Decimal(repr(s.env.random()))


register("rand", 0)(f_rand)


def f_rand_between(s: Scope, a: Any, b: Any) -> Any:
    ns = _numbers((a, b))
    if isinstance(ns, XError):
        return ns
    lo, hi = int(ns[0]), int(ns[1])
    return Decimal(lo + math.floor(s.env.random() * (hi - lo + 1)))


register("rand_between", 2)(f_rand_between)


def f_sum(s: Scope, arr: Any) -> Any:
    if not isinstance(arr, list):
        return XError("requires an array")
    ns = _numbers(tuple(arr))
    return ns if isinstance(ns, XError) else sum(ns, Decimal(0))


register("sum", 1)(f_sum)


def f_format_number(s: Scope, v: Any, places: Any = None, humanize: Any = True) -> Any:
    n = to_number(v)
    if isinstance(n, XError):
        return n
    h = to_boolean(humanize)
    if isinstance(h, XError):
        return h
    if places is not None:
        p = to_integer(places)
        if isinstance(p, XError):
            return p
        if p < 0 or p > 9:
            return XError("must take 0-9 number of places")
        n = n.quantize(Decimal(1).scaleb(-p), ROUND_HALF_UP)
        text = f"{n:,.{p}f}" if h else f"{n:.{p}f}"
        return text
    digits = to_text(n)
    assert isinstance(digits, str)
    if not h:
        return digits
    whole, _, frac = digits.partition(".")
    neg = whole.startswith("-")
    whole = f"{int(whole.lstrip('-')):,}"
    return ("-" if neg else "") + whole + ("." + frac if frac else "")


register("format_number", 1, 3)(f_format_number)


# ----------------------------------------------------------------------------------- dates


def f_parse_datetime(s: Scope, v: Any, layout: Any, tz: Any = None) -> Any:
    ts = _texts(v, layout)
    if isinstance(ts, XError):
        return ts
    zone = dates.zone_or_error(tz, s.env)
    if isinstance(zone, XError):
        return zone
    return dates.parse_with_layout(ts[0], ts[1], zone)


register("parse_datetime", 2, 3)(f_parse_datetime)


def f_parse_time(s: Scope, v: Any, layout: Any) -> Any:
    ts = _texts(v, layout)
    if isinstance(ts, XError):
        return ts
    return dates.parse_with_layout(ts[0], ts[1], s.env.timezone, want="time")


register("parse_time", 2)(f_parse_time)


def f_datetime_from_epoch(s: Scope, v: Any) -> Any:
    return dates.from_epoch(v, s.env)


register("datetime_from_epoch", 1)(f_datetime_from_epoch)


_UNITS = {"Y", "M", "W", "D", "h", "m", "s"}


def f_datetime_diff(s: Scope, a: Any, b: Any, unit: Any) -> Any:
    d1 = dates.to_datetime(a, s.env)
    if isinstance(d1, XError):
        return d1
    d2 = dates.to_datetime(b, s.env)
    if isinstance(d2, XError):
        return d2
    u = _text(unit)
    if isinstance(u, XError) or u not in _UNITS:
        return XError(f"unknown unit: {u}")
    if u in ("Y", "M"):
        months = (d2.year - d1.year) * 12 + (d2.month - d1.month)
        return Decimal(d2.year - d1.year) if u == "Y" else Decimal(months)
    if u in ("D", "W"):
        days = (d2.astimezone(s.env.timezone).date() - d1.astimezone(s.env.timezone).date()).days
        return Decimal(days) if u == "D" else Decimal(int(days / 7))
    secs = (d2 - d1).total_seconds()
    per = {"h": 3600, "m": 60, "s": 1}[u]
    return Decimal(int(secs / per))


register("datetime_diff", 3)(f_datetime_diff)


def f_datetime_add(s: Scope, v: Any, offset: Any, unit: Any) -> Any:
    d = dates.to_datetime(v, s.env)
    if isinstance(d, XError):
        return d
    n = to_integer(offset)
    if isinstance(n, XError):
        return n
    u = _text(unit)
    if isinstance(u, XError) or u not in _UNITS:
        return XError(f"unknown unit: {u}")
    if u == "Y":
        return dates.add_months(d, n * 12)
    if u == "M":
        return dates.add_months(d, n)
    delta = {
        "W": dt.timedelta(weeks=n),
        "D": dt.timedelta(days=n),
        "h": dt.timedelta(hours=n),
        "m": dt.timedelta(minutes=n),
        "s": dt.timedelta(seconds=n),
    }[u]
    if u in ("W", "D"):
        # calendar arithmetic in local time so days stay days across DST changes
        return (d.replace(tzinfo=None) + delta).replace(tzinfo=d.tzinfo)
    # hours, minutes and seconds are elapsed time (goflow adds a duration): on the UTC timeline,
    # since Python adds a timedelta to an aware datetime on the wall clock (24h across the
    # spring DST change would be 23 real hours)
    return (d.astimezone(dt.UTC) + delta).astimezone(d.tzinfo)


register("datetime_add", 3)(f_datetime_add)


def f_replace_time(s: Scope, v: Any, t: Any) -> Any:
    d = dates.to_datetime(v, s.env)
    if isinstance(d, XError):
        return d
    tm = dates.to_time(t, s.env)
    if isinstance(tm, XError):
        return tm
    return d.replace(hour=tm.hour, minute=tm.minute, second=tm.second, microsecond=tm.microsecond)


register("replace_time", 2)(f_replace_time)


def f_tz(s: Scope, v: Any) -> Any:
    d = dates.to_datetime(v, s.env)
    return d if isinstance(d, XError) else dates.tz_name(d)


register("tz", 1)(f_tz)


def f_tz_offset(s: Scope, v: Any) -> Any:
    d = dates.to_datetime(v, s.env)
    return d if isinstance(d, XError) else d.strftime("%z") or "+0000"


register("tz_offset", 1)(f_tz_offset)


def f_epoch(s: Scope, v: Any) -> Any:
    d = dates.to_datetime(v, s.env)
    return d if isinstance(d, XError) else dates.epoch_of(d)


register("epoch", 1)(f_epoch)


def f_now(s: Scope) -> Any:
    return s.env.local_now()


register("now", 0)(f_now)


def f_today(s: Scope) -> Any:
    return s.env.local_now().date()


register("today", 0)(f_today)


def f_date_from_parts(s: Scope, y: Any, m: Any, d: Any) -> Any:
    ns = _ints(y, m, d)
    if isinstance(ns, XError):
        return ns
    if not 1 <= ns[1] <= 12:
        return XError("invalid value for month, must be 1-12")
    try:
        return dates.normalized_date(*ns)
    except (ValueError, OverflowError):
        return XError("invalid date")


register("date_from_parts", 3)(f_date_from_parts)


def f_time_from_parts(s: Scope, h: Any, m: Any, sec: Any) -> Any:
    ns = _ints(h, m, sec)
    if isinstance(ns, XError):
        return ns
    try:
        return dt.time(ns[0], ns[1], ns[2])
    except ValueError:
        return XError("invalid time")


register("time_from_parts", 3)(f_time_from_parts)


def f_weekday(s: Scope, v: Any) -> Any:
    d = dates.to_date(v, s.env)
    return d if isinstance(d, XError) else Decimal((d.weekday() + 1) % 7)


register("weekday", 1)(f_weekday)


def f_week_number(s: Scope, v: Any) -> Any:
    d = dates.to_date(v, s.env)
    return d if isinstance(d, XError) else Decimal(d.isocalendar()[1])


register("week_number", 1)(f_week_number)


def f_format_date(s: Scope, v: Any, layout: Any = None) -> Any:
    d = dates.to_date(v, s.env)
    if isinstance(d, XError):
        return d
    fmt = s.env.date_format if layout is None else _text(layout)
    if isinstance(fmt, XError):
        return fmt
    return dates.format_with_layout(d, fmt)


register("format_date", 1, 2)(f_format_date)


def f_format_datetime(s: Scope, v: Any, layout: Any = None, tz: Any = None) -> Any:
    d = dates.to_datetime(v, s.env)
    if isinstance(d, XError):
        return d
    fmt = f"{s.env.date_format} {s.env.time_format}" if layout is None else _text(layout)
    if isinstance(fmt, XError):
        return fmt
    zone = dates.zone_or_error(tz, s.env)
    if isinstance(zone, XError):
        return zone
    return dates.format_with_layout(d.astimezone(zone), fmt)


register("format_datetime", 1, 3)(f_format_datetime)


def f_format_time(s: Scope, v: Any, layout: Any = None) -> Any:
    t = dates.to_time(v, s.env)
    if isinstance(t, XError):
        return t
    fmt = s.env.time_format if layout is None else _text(layout)
    if isinstance(fmt, XError):
        return fmt
    return dates.format_with_layout(t, fmt)


register("format_time", 1, 2)(f_format_time)


def f_format(s: Scope, v: Any) -> Any:
    v = deref(v)
    if isinstance(v, Decimal):
        return f_format_number(s, v)
    if isinstance(v, dt.datetime):
        return f_format_datetime(s, v)
    if isinstance(v, dt.date):
        return f_format_date(s, v)
    if isinstance(v, dt.time):
        return f_format_time(s, v)
    return to_text(v)


register("format", 1)(f_format)


# ----------------------------------------------------------------------------------- arrays


def f_slice(s: Scope, arr: Any, start: Any, end: Any = None) -> Any:
    if not isinstance(arr, list):
        return XError("requires an array")
    a = to_integer(start)
    if isinstance(a, XError):
        return a
    if end is None:
        return arr[a:]
    b = to_integer(end)
    return b if isinstance(b, XError) else arr[a:b]


register("slice", 2, 3)(f_slice)


def f_contains(s: Scope, arr: Any, v: Any) -> Any:
    if not isinstance(arr, list):
        return XError("requires an array")
    needle = to_text(v)
    return any(to_text(deref(x)) == needle for x in arr)


register("contains", 2)(f_contains)


def f_reverse(s: Scope, arr: Any) -> Any:
    return list(reversed(arr)) if isinstance(arr, list) else XError("requires an array")


register("reverse", 1)(f_reverse)


def f_sort(s: Scope, arr: Any) -> Any:
    if not isinstance(arr, list):
        return XError("requires an array")
    if all(isinstance(x, Decimal) for x in arr):
        return sorted(arr)
    ts = _texts(*arr)
    if isinstance(ts, XError):
        return ts
    return [x for _, x in sorted(zip(ts, arr, strict=True), key=lambda p: p[0])]


register("sort", 1)(f_sort)


def f_unique(s: Scope, arr: Any) -> Any:
    if not isinstance(arr, list):
        return XError("requires an array")
    seen: set[str] = set()
    out = []
    for x in arr:
        key = to_json(x)
        k = key.message if isinstance(key, XError) else key
        if k not in seen:
            seen.add(k)
            out.append(x)
    return out


register("unique", 1)(f_unique)


def f_concat(s: Scope, a: Any, b: Any) -> Any:
    if not isinstance(a, list) or not isinstance(b, list):
        return XError("requires two arrays")
    return a + b


register("concat", 2)(f_concat)


def f_filter(s: Scope, arr: Any, fn: Any) -> Any:
    if not isinstance(arr, list):
        return XError("requires an array")
    out = []
    for x in arr:
        r = to_boolean(invoke(s, fn, [x]))
        if isinstance(r, XError):
            return r
        if r:
            out.append(x)
    return out


register("filter", 2)(f_filter)


def f_foreach(s: Scope, arr: Any, fn: Any, *extra: Any) -> Any:
    if not isinstance(arr, list):
        return XError("requires an array")
    out = []
    for x in arr:
        r = invoke(s, fn, [x, *extra])
        if isinstance(r, XError):
            return r
        out.append(r)
    return out


register("foreach", 2, VARIADIC)(f_foreach)


def f_foreach_value(s: Scope, obj: Any, fn: Any, *extra: Any) -> Any:
    if not isinstance(obj, XObject):
        return XError("requires an object")
    props = {}
    for k, x in obj.items():
        r = invoke(s, fn, [x, *extra])
        if isinstance(r, XError):
            return r
        props[k] = r
    return XObject(props)


register("foreach_value", 2, VARIADIC)(f_foreach_value)


# ----------------------------------------------------------------------------------- objects / json


def f_extract(s: Scope, obj: Any, prop: Any) -> Any:
    if not isinstance(obj, XObject):
        return XError("requires an object")
    k = _text(prop)
    if isinstance(k, XError):
        return k
    v = obj.get(k)
    return None if v is MISSING else v


register("extract", 2)(f_extract)


def f_extract_object(s: Scope, obj: Any, *props: Any) -> Any:
    if not isinstance(obj, XObject):
        return XError("requires an object")
    out = {}
    for p in props:
        k = _text(p)
        if isinstance(k, XError):
            return k
        v = obj.get(k)
        out[k] = None if v is MISSING else v
    return XObject(out)


register("extract_object", 2, VARIADIC)(f_extract_object)


def f_keys(s: Scope, obj: Any) -> Any:
    if obj is None:
        return []
    if not isinstance(obj, XObject):
        return XError("requires an object")
    return sorted(obj.keys())


register("keys", 1)(f_keys)


def f_json(s: Scope, v: Any) -> Any:
    return to_json(v)


register("json", 1)(f_json)


def f_parse_json(s: Scope, v: Any) -> Any:
    t = _text(v)
    return t if isinstance(t, XError) else parse_json_text(t)


register("parse_json", 1)(f_parse_json)


# ----------------------------------------------------------------------------------- urns & misc


def f_urn_parts(s: Scope, v: Any) -> Any:
    t = _text(v)
    if isinstance(t, XError):
        return t
    urn = parse_urn(t)
    if urn is None:
        return XError(f"{describe(t)} is not a valid URN")
    return XObject({"scheme": urn.scheme, "path": urn.path, "display": urn.display})


register("urn_parts", 1)(f_urn_parts)


def f_attachment_parts(s: Scope, v: Any) -> Any:
    t = _text(v)
    if isinstance(t, XError):
        return t
    ctype, sep, url = t.partition(":")
    if not sep or "/" not in ctype:
        return XError(f"{describe(t)} is not a valid attachment")
    return XObject({"content_type": ctype, "url": url})


register("attachment_parts", 1)(f_attachment_parts)


def f_format_urn(s: Scope, v: Any) -> Any:
    t = _text(v)
    if isinstance(t, XError):
        return t
    out = format_urn(t)
    return out if out is not None else XError(f"{describe(t)} is not a valid URN")


register("format_urn", 1)(f_format_urn)


def f_format_location(s: Scope, v: Any) -> Any:
    t = _text(v)
    return t if isinstance(t, XError) else t.split(">")[-1].strip()


register("format_location", 1)(f_format_location)


# prompt templates for LLM actions; the text is our own wording of each task
_PROMPTS = {
    "categorize": "Categorize the following text into one of the following: {0}",
    "translate": "Translate the following text into the language with ISO code {0}",
    "summarize": "Summarize the following text",
}


def f_prompt(s: Scope, name: Any, *args: Any) -> Any:
    n = _text(name)
    if isinstance(n, XError):
        return n
    tpl = (s.env.llm_prompts or {}).get(n.lower()) or _PROMPTS.get(n.lower())
    if tpl is None:
        return XError(f"no prompt named '{n}'")
    ts = _texts(*args)
    if isinstance(ts, XError):
        return ts
    try:
        return tpl.format(*ts, *[""] * 3)
    except (IndexError, KeyError, ValueError):
        # a workspace's own prompt with a placeholder past the arguments, a named one or a
        # stray brace: an error value, not an exception out of the whole session
        return XError(f"prompt '{n}' is not a valid template")


register("prompt", 1, VARIADIC)(f_prompt)


def f_legacy_add(s: Scope, a: Any, b: Any) -> Any:
    """The legacy `+` migrated flows use: numbers add, a date plus a number adds that many days."""
    n1, n2 = to_number(a), to_number(b)
    if not isinstance(n1, XError) and not isinstance(n2, XError):
        return n1 + n2
    d1 = dates.to_datetime(a, s.env) if isinstance(n1, XError) else None
    d2 = dates.to_datetime(b, s.env) if isinstance(n2, XError) else None
    if isinstance(d1, dt.datetime) and isinstance(d2, dt.datetime):
        return XError("cannot operate on two dates")
    for d, n in ((d1, n2), (d2, n1)):
        if isinstance(d, dt.datetime) and not isinstance(n, XError):
            days = to_integer(n)
            if isinstance(days, XError):
                return days
            return (d.replace(tzinfo=None) + dt.timedelta(days=days)).replace(tzinfo=d.tzinfo)
    return n1 if isinstance(n1, XError) else n2


register("legacy_add", 2)(f_legacy_add)
