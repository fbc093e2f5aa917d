"""Router case tests (has_text, has_number_between, has_date_lt, has_phone, ...).

They are ordinary expression functions: a passing test returns an object that renders as `true`
and carries `match` (the category value) and optional `extra`; a failing test returns `false`.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers

from . import dates, regex
from .expressions import Scope
from .functions import register, tokenize_words
from .locations import DISTRICT, STATE, WARD
from .values import XError, XObject, deref, to_number, to_text


def passed(match: Any, extra: Any = None) -> XObject:
    props: dict[str, Any] = {"match": match}
    if extra is not None:
        props["extra"] = extra
    return XObject(props, default=True)


def _text_arg(v: Any) -> str | XError:
    return to_text(deref(v))


def _texts(*vals: Any) -> list[str] | XError:
    out = []
    for v in vals:
        t = _text_arg(v)
        if isinstance(t, XError):
            return t
        out.append(t)
    return out


# ----------------------------------------------------------------------------------- text tests


@register("has_text", 1)
def has_text(s: Scope, v: Any) -> Any:
    t = _text_arg(v)
    if isinstance(t, XError):
        return t
    return passed(t.strip()) if t.strip() else False


@register("has_only_text", 2)
def has_only_text(s: Scope, a: Any, b: Any) -> Any:
    ts = _texts(a, b)
    if isinstance(ts, XError):
        return ts
    return passed(ts[0]) if ts[0] == ts[1] else False


@register("has_error", 1)
def has_error(s: Scope, v: Any) -> Any:
    return passed(v.message) if isinstance(v, XError) else False


@register("has_value", 1)
def has_value(s: Scope, v: Any) -> Any:
    if isinstance(v, XError) or v is None:
        return False
    return passed(deref(v))


@register("has_phrase", 2)
def has_phrase(s: Scope, text: Any, phrase: Any) -> Any:
    ts = _texts(text, phrase)
    if isinstance(ts, XError):
        return ts
    words = tokenize_words(ts[0])
    wanted = [w.lower() for w in tokenize_words(ts[1])]
    if not wanted:
        return passed("")
    lowered = [w.lower() for w in words]
    n = len(wanted)
    for i in range(len(words) - n + 1):
        if lowered[i : i + n] == wanted:
            return passed(" ".join(words[i : i + n]))
    return False


@register("has_only_phrase", 2)
def has_only_phrase(s: Scope, text: Any, phrase: Any) -> Any:
    ts = _texts(text, phrase)
    if isinstance(ts, XError):
        return ts
    words = tokenize_words(ts[0])
    wanted = tokenize_words(ts[1])
    if [w.lower() for w in words] == [w.lower() for w in wanted]:
        return passed(" ".join(words))
    return False


@register("has_any_word", 2)
def has_any_word(s: Scope, text: Any, choices: Any) -> Any:
    ts = _texts(text, choices)
    if isinstance(ts, XError):
        return ts
    wanted = {w.lower() for w in tokenize_words(ts[1])}
    found = [w for w in tokenize_words(ts[0]) if w.lower() in wanted]
    return passed(" ".join(found)) if found else False


@register("has_all_words", 2)
def has_all_words(s: Scope, text: Any, choices: Any) -> Any:
    ts = _texts(text, choices)
    if isinstance(ts, XError):
        return ts
    wanted = {w.lower() for w in tokenize_words(ts[1])}
    found = [w for w in tokenize_words(ts[0]) if w.lower() in wanted]
    if wanted and wanted <= {w.lower() for w in found}:
        return passed(" ".join(found))
    return False


@register("has_beginning", 2)
def has_beginning(s: Scope, text: Any, beginning: Any) -> Any:
    ts = _texts(text, beginning)
    if isinstance(ts, XError):
        return ts
    t, b = ts[0].strip(), ts[1].strip()
    if b and t[: len(b)].lower() == b.lower():
        return passed(t[: len(b)])
    return False


@register("has_pattern", 2)
def has_pattern(s: Scope, text: Any, pattern: Any) -> Any:
    ts = _texts(text, pattern)
    if isinstance(ts, XError):
        return ts
    try:
        rx = regex.compile_pattern(ts[1], ignore_case=True)
    except regex.error:
        return XError("must be called with a valid regular expression")
    m = rx.search(ts[0])
    if not m:
        return False
    extra = XObject({str(i): (m.group(i) or "") for i in range((rx.groups or 0) + 1)})
    return passed(m.group(0), extra)


@register("has_email", 1)
def has_email(s: Scope, text: Any) -> Any:
    t = _text_arg(text)
    if isinstance(t, XError):
        return t
    m = re.search(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}", t)
    return passed(m.group(0)) if m else False


@register("has_phone", 1, 2)
def has_phone(s: Scope, text: Any, country: Any = None) -> Any:
    ts = _texts(text, country if country is not None else s.env.country)
    if isinstance(ts, XError):
        return ts
    region = ts[1].upper() or None
    try:
        for m in phonenumbers.PhoneNumberMatcher(ts[0], region, leniency=phonenumbers.Leniency.POSSIBLE):
            return passed(phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.E164))
    except Exception:  # phonenumbers raises for unknown regions; a bad region just fails the test
        return False
    return False


@register("has_group", 2, 3)
def has_group(s: Scope, groups: Any, uuid: Any, name: Any = None) -> Any:
    if not isinstance(groups, list):
        return XError("must have an array of groups as its first argument")
    u = to_text(uuid)
    for g in groups:
        if isinstance(g, XObject) and to_text(g.get("uuid")) == u:
            return passed(g)
    return False


@register("has_category", 2, -2)
def has_category(s: Scope, result: Any, *categories: Any) -> Any:
    if not isinstance(result, XObject):
        return False
    cat = to_text(result.get("category"))
    if isinstance(cat, XError):
        return False
    for c in categories:
        if to_text(c) == cat or str(to_text(c)).lower() == cat.lower():
            return passed(cat)
    return False


# ----------------------------------------------------------------------------------- numbers


_NUMBER_RE = re.compile(r"[-+]?\d+(?:[.,]\d+)?")


def _ascii_digits(text: str) -> str:
    """Arabic-Indic and other unicode digits become 0-9 so '٤٢' reads as 42."""
    return "".join(str(unicodedata.digit(c)) if c.isdigit() and not c.isascii() else c for c in text)


def find_number(text: str) -> Decimal | None:
    for word in re.split(r"\s+", _ascii_digits(text)):
        m = _NUMBER_RE.search(word)
        if not m:
            continue
        try:
            return Decimal(m.group().replace(",", "."))
        except InvalidOperation:
            continue
    return None


def _number_test(name: str, nargs: int, check: Any) -> None:
    def fn(s: Scope, text: Any, *args: Any) -> Any:
        bounds = []
        for a in args:
            n = to_number(a)
            if isinstance(n, XError):
                return XError(f"{name} must be called with number arguments")
            bounds.append(n)
        t = _text_arg(text)
        if isinstance(t, XError):
            return t
        found = find_number(t)
        if found is None or not check(found, *bounds):
            return False
        return passed(found)

    register(name, 1 + nargs)(fn)


_number_test("has_number", 0, lambda n: True)
_number_test("has_number_between", 2, lambda n, lo, hi: lo <= n <= hi)
_number_test("has_number_lt", 1, lambda n, x: n < x)
_number_test("has_number_lte", 1, lambda n, x: n <= x)
_number_test("has_number_eq", 1, lambda n, x: n == x)
_number_test("has_number_gte", 1, lambda n, x: n >= x)
_number_test("has_number_gt", 1, lambda n, x: n > x)


# ----------------------------------------------------------------------------------- dates


def _date_test(name: str, nargs: int, check: Any) -> None:
    def fn(s: Scope, text: Any, *args: Any) -> Any:
        bounds = []
        for a in args:
            d = dates.to_date(a, s.env)
            if isinstance(d, XError):
                return XError(f"{name} must be called with a date argument")
            bounds.append(d)
        t = _text_arg(text)
        if isinstance(t, XError):
            return t
        parsed = dates.parse_date_text(t, s.env, fill_time=True)
        if parsed is None:
            return False
        value = parsed[0]
        local_day = value.astimezone(s.env.timezone).date() if parsed[1] else value.date()
        if not check(local_day, *bounds):
            return False
        return passed(value)

    register(name, 1 + nargs)(fn)


_date_test("has_date", 0, lambda d: True)
_date_test("has_date_lt", 1, lambda d, x: d < x)
_date_test("has_date_eq", 1, lambda d, x: d == x)
_date_test("has_date_gt", 1, lambda d, x: d > x)


@register("has_time", 1)
def has_time(s: Scope, text: Any) -> Any:
    t = _text_arg(text)
    if isinstance(t, XError):
        return t
    found: dt.time | None = dates.parse_time_text(t)
    return passed(found) if found else False


# ----------------------------------------------------------------------------------- locations


def _locations(s: Scope) -> Any:
    return getattr(s.env, "locations", None)


@register("has_state", 1)
def has_state(s: Scope, text: Any) -> Any:
    t = _text_arg(text)
    hier = _locations(s)
    if isinstance(t, XError) or hier is None:
        return t if isinstance(t, XError) else False
    loc = hier.find(t, STATE)
    return passed(loc.path) if loc else False


@register("has_district", 1, 2)
def has_district(s: Scope, text: Any, state: Any = "") -> Any:
    ts = _texts(text, state)
    hier = _locations(s)
    if isinstance(ts, XError) or hier is None:
        return ts if isinstance(ts, XError) else False
    parent = None
    if ts[1].strip():
        parent = hier.find(ts[1], STATE)
        if parent is None:
            return False
    loc = hier.find(ts[0], DISTRICT, parent)
    return passed(loc.path) if loc else False


@register("has_ward", 1, 3)
def has_ward(s: Scope, text: Any, first: Any = "", second: Any = "") -> Any:
    ts = _texts(text, first, second)
    hier = _locations(s)
    if isinstance(ts, XError) or hier is None:
        return ts if isinstance(ts, XError) else False
    a, b = ts[1].strip(), ts[2].strip()
    parent = None
    if a or b:
        # the district and state may come in either order, so try both readings
        parent = _district_within(hier, a, b) or _district_within(hier, b, a)
        if parent is None:
            return False
    loc = hier.find(ts[0], WARD, parent)
    return passed(loc.path) if loc else False


def _district_within(hier: Any, district: str, state: str) -> Any:
    st = hier.find(state, STATE) if state else None
    if state and st is None:
        return None
    return hier.find(district, DISTRICT, st) if district else st


# ----------------------------------------------------------------------------------- classifiers


@register("has_intent", 3)
def has_intent(s: Scope, result: Any, intent: Any, confidence: Any) -> Any:
    return _intent_test(result, intent, confidence, top_only=False)


@register("has_top_intent", 3)
def has_top_intent(s: Scope, result: Any, intent: Any, confidence: Any) -> Any:
    return _intent_test(result, intent, confidence, top_only=True)


def _intent_test(result: Any, intent: Any, confidence: Any, top_only: bool) -> Any:
    """Classifier results (from call_classifier) keep their intents in the result's extra."""
    threshold = to_number(confidence)
    if isinstance(threshold, XError):
        return threshold
    extra = result.get("extra") if isinstance(result, XObject) else None
    intents = extra.get("intents") if isinstance(extra, XObject) else None
    if not isinstance(intents, list):
        return False
    for i, item in enumerate(intents):
        if top_only and i > 0:
            break
        if not isinstance(item, XObject):
            continue
        conf = to_number(item.get("confidence"))
        if (
            to_text(item.get("name")) == to_text(intent)
            and not isinstance(conf, XError)
            and conf >= threshold
        ):
            return passed(to_text(item.get("name")))
    return False
