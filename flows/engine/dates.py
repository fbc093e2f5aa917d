"""Date/time parsing and formatting with goflow-style layouts (YYYY-MM-DD tt:mm ...).

Users type dates in the order of their workspace's date format (15/01/2017 in DD-MM-YYYY), so free
text parsing looks for ISO dates first and then for a date in the environment's order, followed by
an optional time.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import Decimal
from typing import Any

from .environment import UTC, Environment, load_zone
from .values import XError, deref, describe, to_number

# ----------------------------------------------------------------------------------- layouts

_LAYOUT_TOKENS = [
    "fffffffff",
    "ffffff",
    "YYYY",
    "MMMM",
    "EEEE",
    "fff",
    "MMM",
    "EEE",
    "ZZZ",
    "YY",
    "MM",
    "DD",
    "hh",
    "tt",
    "mm",
    "ss",
    "aa",
    "AA",
    "M",
    "D",
    "h",
    "t",
    "m",
    "s",
    "Z",
]
_LAYOUT_LITERALS = set(" :-/.,T_'")


def tokenize_layout(layout: str, kind: str = "datetime") -> list[tuple[bool, str]] | XError:
    """Splits a layout into (is_token, text) parts, rejecting unknown letters."""
    out: list[tuple[bool, str]] = []
    i = 0
    while i < len(layout):
        for tok in _LAYOUT_TOKENS:
            if layout.startswith(tok, i):
                out.append((True, tok))
                i += len(tok)
                break
        else:
            c = layout[i]
            if c.isalpha() and c != "T":
                return XError(f"'{layout}' is not a valid {kind} format")
            out.append((False, c))
            i += 1
    return out


def _hour12(h: int) -> int:
    return 12 if h % 12 == 0 else h % 12


def format_with_layout(value: dt.date | dt.time | dt.datetime, layout: str) -> str | XError:
    parts = tokenize_layout(layout)
    if isinstance(parts, XError):
        return parts
    out = []
    d = value if isinstance(value, dt.date) else None
    t: Any = value
    if isinstance(value, dt.datetime):
        t = value
    elif isinstance(value, dt.date):
        t = None
    for is_tok, tok in parts:
        if not is_tok:
            out.append(tok)
            continue
        if tok in ("YYYY", "YY", "MMMM", "MMM", "MM", "M", "DD", "D", "EEEE", "EEE"):
            if d is None:
                return XError(f"'{layout}' is not a valid time format")
            out.append(_fmt_date_token(d, tok))
        elif tok in ("Z", "ZZZ"):
            off = value.utcoffset() if isinstance(value, dt.datetime) else None
            secs = int(off.total_seconds()) if off else 0
            sign = "+" if secs >= 0 else "-"
            secs = abs(secs)
            sep = ":" if tok == "Z" else ""
            out.append(f"{sign}{secs // 3600:02d}{sep}{(secs % 3600) // 60:02d}")
        else:
            if t is None:
                return XError(f"'{layout}' is not a valid date format")
            out.append(_fmt_time_token(t, tok))
    return "".join(out)


def _fmt_date_token(d: dt.date, tok: str) -> str:
    return {
        "YYYY": f"{d.year:04d}",
        "YY": f"{d.year % 100:02d}",
        "MMMM": calendar.month_name[d.month],
        "MMM": calendar.month_abbr[d.month],
        "MM": f"{d.month:02d}",
        "M": str(d.month),
        "DD": f"{d.day:02d}",
        "D": str(d.day),
        "EEEE": calendar.day_name[d.weekday()],
        "EEE": calendar.day_abbr[d.weekday()],
    }[tok]


def _fmt_time_token(t: dt.time | dt.datetime, tok: str) -> str:
    if tok == "tt":
        return f"{t.hour:02d}"
    if tok == "t":
        return str(t.hour)
    if tok == "hh":
        return f"{_hour12(t.hour):02d}"
    if tok == "h":
        return str(_hour12(t.hour))
    if tok == "mm":
        return f"{t.minute:02d}"
    if tok == "m":
        return str(t.minute)
    if tok == "ss":
        return f"{t.second:02d}"
    if tok == "s":
        return str(t.second)
    if tok == "fff":
        return f"{t.microsecond // 1000:03d}"
    if tok == "ffffff":
        return f"{t.microsecond:06d}"
    if tok == "fffffffff":
        return f"{t.microsecond:06d}000"
    if tok == "aa":
        return "am" if t.hour < 12 else "pm"
    if tok == "AA":
        return "AM" if t.hour < 12 else "PM"
    return tok


_TOKEN_PATTERNS = {
    "YYYY": r"(?P<year>\d{4})",
    "YY": r"(?P<year2>\d{2})",
    "MMMM": r"(?P<monthname>[A-Za-z]+)",
    "MMM": r"(?P<monthname>[A-Za-z]+)",
    "MM": r"(?P<month>\d{1,2})",
    "M": r"(?P<month>\d{1,2})",
    "DD": r"(?P<day>\d{1,2})",
    "D": r"(?P<day>\d{1,2})",
    "EEEE": r"[A-Za-z]+",
    "EEE": r"[A-Za-z]+",
    "tt": r"(?P<hour>\d{1,2})",
    "t": r"(?P<hour>\d{1,2})",
    "hh": r"(?P<hour12>\d{1,2})",
    "h": r"(?P<hour12>\d{1,2})",
    "mm": r"(?P<minute>\d{1,2})",
    "m": r"(?P<minute>\d{1,2})",
    "ss": r"(?P<second>\d{1,2})",
    "s": r"(?P<second>\d{1,2})",
    "fff": r"(?P<frac>\d+)",
    "ffffff": r"(?P<frac>\d+)",
    "fffffffff": r"(?P<frac>\d+)",
    "aa": r"(?P<ampm>[aApP][mM])",
    "AA": r"(?P<ampm>[aApP][mM])",
    "Z": r"(?P<offset>Z|[+-]\d{2}:?\d{2})",
    "ZZZ": r"(?P<offset>Z|[+-]\d{2}:?\d{2})",
}


def parse_with_layout(
    text: str, layout: str, tz: dt.tzinfo, want: str = "datetime"
) -> dt.datetime | dt.time | XError:
    parts = tokenize_layout(layout)
    if isinstance(parts, XError):
        return parts
    pattern = "".join(_TOKEN_PATTERNS[t] if is_tok else re.escape(t) for is_tok, t in parts)
    m = re.fullmatch(r"\s*" + pattern + r"\s*", text)
    if not m:
        return XError(f"unable to parse {describe(text)} with layout '{layout}'")
    g = m.groupdict()
    try:
        hour = int(g.get("hour") or 0)
        if g.get("hour12"):
            hour = int(g["hour12"]) % 12
        if g.get("ampm") and g["ampm"].lower() == "pm":
            hour = hour % 12 + 12
        frac = g.get("frac") or ""
        micro = int((frac + "000000")[:6]) if frac else 0
        t = dt.time(hour, int(g.get("minute") or 0), int(g.get("second") or 0), micro)
        if want == "time":
            return t
        year = int(g["year"]) if g.get("year") else 2000 + int(g.get("year2") or 0)
        month = int(g.get("month") or 0) or _month_from_name(g.get("monthname")) or 1
        if g.get("monthname") and not _month_from_name(g["monthname"]):
            raise ValueError("not a month name")  # "5 Foo 2024" is no date (was January 5th)
        d = dt.date(year, month, int(g.get("day") or 1))
    except ValueError:
        return XError(f"unable to parse {describe(text)} with layout '{layout}'")
    zone = _parse_offset(g["offset"]) if g.get("offset") else tz
    return dt.datetime.combine(d, t).replace(tzinfo=zone)


def _month_from_name(name: str | None) -> int:
    if not name:
        return 0
    low = name.lower()[:3]
    for i in range(1, 13):
        if calendar.month_abbr[i].lower() == low:
            return i
    return 0


def _parse_offset(text: str) -> dt.tzinfo:
    if text in ("Z", "z"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))


# ----------------------------------------------------------------------------------- free text

_ISO_RE = re.compile(
    r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*([aApP][mM])?\s*(Z|[+-]\d{2}:?\d{2})?)?(?!\d)"
)
_DMY_RE = re.compile(r"(?<!\d)(\d{1,2})[-./ ](\d{1,2})[-./ ](\d{4}|\d{2})(?!\d)")
_YMD_RE = re.compile(r"(?<!\d)(\d{4})[-./ ](\d{1,2})[-./ ](\d{1,2})(?!\d)")
_TIME_RE = re.compile(
    r"(?<!\d)(\d{1,2})(?::(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*([aApP]\.?[mM]\.?)?(?![\d\w])"
)


def parse_time_text(text: str) -> dt.time | None:
    """Finds the first plausible time (10:30, 10:30:45, 10 PM, 2:40 pm) in text."""
    for m in _TIME_RE.finditer(text):
        hour_s, minute_s, second_s, frac, ampm = m.groups()
        if minute_s is None and ampm is None:
            continue
        hour = int(hour_s)
        if ampm:
            if hour > 12:
                continue
            hour = hour % 12 + (12 if ampm.lower().startswith("p") else 0)
        minute = int(minute_s or 0)
        second = int(second_s or 0)
        if hour > 23 or minute > 59 or second > 59:
            continue
        micro = int((frac + "000000")[:6]) if frac else 0
        return dt.time(hour, minute, second, micro)
    return None


def parse_date_text(text: str, env: Environment, fill_time: bool = False) -> tuple[dt.datetime, bool] | None:
    """Finds a date (and optional time) in free text.

    Returns (datetime, had_time). Dates without a time get midnight, or the current local time
    when `fill_time` is set (what router tests do, so "15/01/2017" means "at this moment that day").
    """
    m = _ISO_RE.search(text)
    tz: dt.tzinfo = env.timezone
    time_part: dt.time | None = None
    date_part: dt.date | None = None
    rest = ""
    if m:
        y, mo, d, hh, mi, ss, frac, ampm, off = m.groups()
        date_part = _safe_date(int(y), int(mo), int(d))
        if date_part and hh is not None:
            hour = int(hh)
            if ampm:
                hour = hour % 12 + (12 if ampm.lower() == "pm" else 0)
            micro = int((frac + "000000")[:6]) if frac else 0
            if hour < 24 and int(mi) < 60 and int(ss or 0) < 60:
                time_part = dt.time(hour, int(mi), int(ss or 0), micro)
            if off:
                tz = _parse_offset(off)
    if date_part is None:
        date_part, rest = _find_env_date(text, env.date_format)
        if date_part is None:
            return None
        time_part = parse_time_text(rest)
    had_time = time_part is not None
    if time_part is None:
        time_part = env.now().astimezone(tz).time() if fill_time else dt.time(0, 0)
    return dt.datetime.combine(date_part, time_part).replace(tzinfo=tz), had_time


def _find_env_date(text: str, date_format: str) -> tuple[dt.date | None, str]:
    order = _date_order(date_format)
    # a 4-digit year first is unambiguous whatever the workspace's format, so try that first
    for m in _YMD_RE.finditer(text):
        found = _safe_date(*(int(x) for x in m.groups()))
        if found:
            return found, text[m.end() :]
    for m in _DMY_RE.finditer(text):
        a, b, c = (int(x) for x in m.groups())
        if order == "mdy":
            mo, d, y = a, b, c
        else:
            d, mo, y = a, b, c
        if len(m.group(3)) == 2:
            y += 2000 if y < 70 else 1900
        found = _safe_date(y, mo, d)
        if found:
            return found, text[m.end() :]
    return None, ""


def _date_order(fmt: str) -> str:
    f = fmt.upper()
    if f.startswith("Y"):
        return "ymd"
    if f.startswith("M"):
        return "mdy"
    return "dmy"


def _safe_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def normalized_date(year: int, month: int, day: int) -> dt.date:
    """Builds a date letting an out-of-range day roll over (Feb 31 -> Mar 3), as Go does."""
    return dt.date(year, month, 1) + dt.timedelta(days=day - 1)


# ----------------------------------------------------------------------------------- conversions


def to_datetime(v: Any, env: Environment) -> dt.datetime | XError:
    v = deref(v)
    if isinstance(v, XError):
        return v
    if isinstance(v, dt.datetime):
        return v
    if isinstance(v, dt.date):
        return dt.datetime.combine(v, dt.time(0)).replace(tzinfo=env.timezone)
    if isinstance(v, str):
        parsed = parse_date_text(v, env)
        if parsed:
            return parsed[0]
    return XError(f"unable to convert {describe(v)} to a datetime")


def to_date(v: Any, env: Environment) -> dt.date | XError:
    v = deref(v)
    if isinstance(v, XError):
        return v
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        parsed = parse_date_text(v, env)
        if parsed:
            return parsed[0].date()
    return XError(f"unable to convert {describe(v)} to a date")


def to_time(v: Any, env: Environment) -> dt.time | XError:
    v = deref(v)
    if isinstance(v, XError):
        return v
    if isinstance(v, dt.datetime):
        return v.time()
    if isinstance(v, dt.time):
        return v
    if isinstance(v, Decimal) and 0 <= v < 24 and v == int(v):
        return dt.time(int(v))
    if isinstance(v, str):
        t = parse_time_text(v)
        if t:
            return t
    return XError(f"unable to convert {describe(v)} to a time")


def zone_or_error(name: Any, env: Environment) -> dt.tzinfo | XError:
    if name is None or name == "":
        return env.timezone
    zone = load_zone(str(name))
    return zone if zone is not None else XError(f"unable to load timezone '{name}'")


def epoch_of(d: dt.datetime) -> Decimal:
    delta = d - dt.datetime(1970, 1, 1, tzinfo=UTC)
    secs = Decimal(delta.days * 86400 + delta.seconds) + Decimal(delta.microseconds) / Decimal(1000000)
    return secs


def from_epoch(v: Any, env: Environment) -> dt.datetime | XError:
    n = to_number(v)
    if isinstance(n, XError):
        return n
    whole = int(n)
    micro = int(((n - whole) * 1000000).to_integral_value())
    base = dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(seconds=whole, microseconds=micro)
    return base.astimezone(env.timezone)


def tz_name(d: dt.datetime) -> str:
    tz = d.tzinfo
    if tz is UTC or tz == dt.UTC:
        return "UTC"
    key = getattr(tz, "key", None)
    if key:
        return key
    return d.strftime("%z")


def add_months(d: dt.datetime, months: int) -> dt.datetime:
    total = d.year * 12 + (d.month - 1) + months
    year, month = divmod(total, 12)
    nd = normalized_date(year, month + 1, d.day)
    return d.replace(year=nd.year, month=nd.month, day=nd.day)
