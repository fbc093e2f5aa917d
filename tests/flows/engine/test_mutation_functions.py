"""Exact behaviour of the expression functions beyond goflow's documented examples: argument
counts and their error texts, which functions see error arguments, and boundary cases.

Each row is `expression -> what it evaluates to`, written as the template output, or `!message`
for an error value (the message as a flow's error event would carry it)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flows.engine import Environment, FixedClock, evaluate, evaluate_template_with
from flows.engine.environment import SeededRandom
from flows.engine.values import XError, to_text

ENV = Environment(
    timezone=ZoneInfo("Africa/Kigali"),
    date_format="DD-MM-YYYY",
    now=FixedClock(dt.datetime(2024, 3, 1, 10, 0, tzinfo=dt.UTC)),
)
# New York moves its clocks forward on 2024-03-10 at 02:00: a day there is 23 hours long
NEW_YORK = Environment(
    timezone=ZoneInfo("America/New_York"),
    date_format="MM-DD-YYYY",
    now=FixedClock(dt.datetime(2024, 3, 9, 17, 0, tzinfo=dt.UTC)),
)
CTX = {"words": ["a", "b"], "obj": {"x": 1}}


def show(expression: str, env: Environment = ENV) -> str:
    value = evaluate(expression, CTX, env)
    if isinstance(value, XError):
        return "!" + value.message
    text = to_text(value)
    assert isinstance(text, str)
    return text


def check(rows: list[tuple[str, str]], env: Environment = ENV) -> None:
    assert [(e, show(e, env)) for e, _ in rows] == rows


ARG_COUNTS = [
    # fixed count
    ("upper()", "!error calling upper(...): need 1 argument(s), got 0"),
    ("upper(1, 2)", "!error calling upper(...): need 1 argument(s), got 2"),
    ("field(1)", "!error calling field(...): need 3 argument(s), got 1"),
    ("field(1, 2, 3, 4)", "!error calling field(...): need 3 argument(s), got 4"),
    # a range: both ends are accepted, one past either end is not
    ("split()", "!error calling split(...): need 1 to 2 argument(s), got 0"),
    ('split("a b")', "[a, b]"),
    ('split("a,b", ",")', "[a, b]"),
    ('split("a", " ", 1)', "!error calling split(...): need 1 to 2 argument(s), got 3"),
    ('word_slice("a b c", 1)', "b c"),
    ('word_slice("a b c", 0, 2, " ")', "a b"),
    ('word_slice("a b c", 0, 2, " ", 5)', "!error calling word_slice(...): need 2 to 4 argument(s), got 5"),
    ("rand(1)", "!error calling rand(...): need 0 argument(s), got 1"),
    ("today(1)", "!error calling today(...): need 0 argument(s), got 1"),
    # variadic: only a minimum (goflow: "need at least")
    ("or()", "!error calling or(...): need at least 1 argument(s), got 0"),
    ("and()", "!error calling and(...): need at least 1 argument(s), got 0"),
    ("or(false)", "false"),
    ("and(true, true, true, true)", "true"),
    ("array()", "[]"),
    ("object()", "{}"),
]


def test_argument_counts() -> None:
    check(ARG_COUNTS)


ERROR_ARGUMENTS = [
    # an error argument is passed on as the result, untouched...
    ("upper(1 / 0)", "!error calling upper(...): division by zero"),
    ("join(array(1), 1 / 0)", "!error calling join(...): division by zero"),
    # ...except to the functions that exist to look at errors
    ("is_error(1 / 0)", "true"),
    ('default(1 / 0, "x")', "x"),
    ('if(is_error(1 / 0), "e", "ok")', "e"),
    ("count(1 / 0)", "!error calling count(...): division by zero"),
    ("or(true, 1 / 0)", "true"),
    ("and(false, 1 / 0)", "false"),
]


def test_error_arguments() -> None:
    check(ERROR_ARGUMENTS)


DATES = [
    # Y and M are calendar months; a day the month lacks overflows into the next (as Go's AddDate)
    ('datetime_add("2024-01-31", 1, "Y")', "2025-01-31T00:00:00.000000+02:00"),
    ('datetime_add("2024-02-29", 1, "Y")', "2025-03-01T00:00:00.000000+02:00"),
    ('datetime_add("2024-01-31", 2, "M")', "2024-03-31T00:00:00.000000+02:00"),
    ('datetime_add("2024-01-31", -1, "M")', "2023-12-31T00:00:00.000000+02:00"),
    ('datetime_add("2024-01-31", 2, "W")', "2024-02-14T00:00:00.000000+02:00"),
    ('datetime_add("2024-01-31", 2, "D")', "2024-02-02T00:00:00.000000+02:00"),
    ('datetime_add("2024-01-31T10:00:00", 25, "h")', "2024-02-01T11:00:00.000000+02:00"),
    ('datetime_add("2024-01-31T10:00:00", 61, "m")', "2024-01-31T11:01:00.000000+02:00"),
    ('datetime_add("2024-01-31T10:00:00", 61, "s")', "2024-01-31T10:01:01.000000+02:00"),
    ('datetime_add("2024-01-31T10:00:00+05:30", 25, "h")', "2024-02-01T11:00:00.000000+05:30"),
    ('datetime_add("2024-01-31T10:00:00Z", 25, "h")', "2024-02-01T11:00:00.000000Z"),
    # units are case-sensitive: m is minutes, M months
    ('datetime_add("2024-01-31", 1, "y")', "!error calling datetime_add(...): unknown unit: y"),
    ('datetime_add("2024-01-31", 1, "d")', "!error calling datetime_add(...): unknown unit: d"),
    ('datetime_add("2024-01-31", 1, "w")', "!error calling datetime_add(...): unknown unit: w"),
    ('datetime_add("2024-01-31", 1, "H")', "!error calling datetime_add(...): unknown unit: H"),
    ('datetime_add("2024-01-31", 1, "S")', "!error calling datetime_add(...): unknown unit: S"),
    ('datetime_add("2024-01-31", 1, "x")', "!error calling datetime_add(...): unknown unit: x"),
    (
        'datetime_add("2024-01-31", "x", "D")',
        '!error calling datetime_add(...): unable to convert "x" to a number',
    ),
    ("date_from_parts(2024, 2, 29)", "2024-02-29"),
    ("date_from_parts(2023, 2, 29)", "2023-03-01"),  # days overflow into the next month
    ("date_from_parts(2024, 1, 0)", "2023-12-31"),
    ("date_from_parts(2024, 1, 1)", "2024-01-01"),
    ("date_from_parts(2024, 12, 31)", "2024-12-31"),
    (
        "date_from_parts(2024, 0, 1)",
        "!error calling date_from_parts(...): invalid value for month, must be 1-12",
    ),
    (
        "date_from_parts(2024, 13, 1)",
        "!error calling date_from_parts(...): invalid value for month, must be 1-12",
    ),
    ("date_from_parts(0, 1, 1)", "!error calling date_from_parts(...): invalid date"),
    ("date_from_parts(10000, 1, 1)", "!error calling date_from_parts(...): invalid date"),
    ('date_from_parts("x", 1, 1)', '!error calling date_from_parts(...): unable to convert "x" to a number'),
    ('tz_offset("2024-01-31T10:00:00Z")', "+0000"),
    ('tz_offset("2024-01-31T10:00:00+05:30")', "+0530"),
    ('tz_offset("2024-01-31")', "+0200"),
    ('replace_time("2024-01-31T10:00:00Z", "15:30")', "2024-01-31T15:30:00.000000Z"),
    (
        'replace_time("2024-01-31T10:00:00Z", "x")',
        '!error calling replace_time(...): unable to convert "x" to a time',
    ),
    ('replace_time("x", "15:30")', '!error calling replace_time(...): unable to convert "x" to a datetime'),
    ('parse_time("15:30", "tt:mm")', "15:30:00.000000"),
    ('parse_time("3:30 pm", "h:mm aa")', "15:30:00.000000"),
]


def test_dates() -> None:
    check(DATES)


ACROSS_DST = [
    # days and weeks keep the wall-clock time...
    ('datetime_add("2024-03-09T12:00:00", 1, "D")', "2024-03-10T12:00:00.000000-04:00"),
    ('datetime_add("2024-03-09T12:00:00", 1, "W")', "2024-03-16T12:00:00.000000-04:00"),
    # ...hours, minutes and seconds are elapsed time (goflow adds a duration)
    ('datetime_add("2024-03-09T12:00:00", 24, "h")', "2024-03-10T13:00:00.000000-04:00"),
    ('datetime_add("2024-03-09T12:00:00", 1440, "m")', "2024-03-10T13:00:00.000000-04:00"),
    ('datetime_add("2024-03-09T12:00:00", 86400, "s")', "2024-03-10T13:00:00.000000-04:00"),
    ('datetime_add("2024-03-10T12:00:00", -24, "h")', "2024-03-09T11:00:00.000000-05:00"),
    ('tz_offset("2024-07-01T10:00:00")', "-0400"),
]


def test_date_arithmetic_across_a_dst_change() -> None:
    check(ACROSS_DST, NEW_YORK)


TEXT = [
    ('word_slice("one two three four", 1, 3)', "two three"),
    ('word_slice("one two three four", 2)', "three four"),
    ('word_slice("one two three four", 0, -1)', "one two three four"),
    ('word_slice("one two three four", 0, -2)', "one two three"),
    (
        'word_slice("one two three four", -1)',
        "!error calling word_slice(...): must start with a positive index",
    ),
    ('word_slice("one,two three,four", 1, 3, ",")', "two three four"),
    ('word_slice("one two", "x")', '!error calling word_slice(...): unable to convert "x" to a number'),
    ('word_slice("one two", 0, "x")', '!error calling word_slice(...): unable to convert "x" to a number'),
    ('field("a,b,c", 0, ",")', "a"),
    ('field("a,b,c", 2, ",")', "c"),
    ('field("a,b,c", 3, ",")', ""),
    ('field("a,b,c", -1, ",")', "!error calling field(...): cannot use a negative index"),
    ('field("a   b  c", 1, " ")', "b"),  # runs of spaces are one separator
    ('field("a,,b", 1, ",")', ""),  # other separators are not collapsed
    ('field("a, b ,c", 1, ",")', "b"),
    ('field("abc", 0, "")', "abc"),
    ('field("abc", 1, "")', ""),
    ('field("a b", "x", " ")', '!error calling field(...): unable to convert "x" to a number'),
    ('remove_first_word("one two three")', "two three"),
    ('remove_first_word("one")', ""),
    ('remove_first_word("")', ""),
    ('remove_first_word("  one,  two three")', "two three"),
    ('remove_first_word("ab ab cd")', "ab cd"),
    ('remove_first_word("a b a b")', "b a b"),
    ('remove_first_word("abab ab")', "ab"),
    ('repeat("ab", 5000) = repeat("ababababab", 1000)', "true"),
    ('text_length(repeat("ab", 5000))', "10000"),  # 10,000 characters is the limit...
    ('repeat("ab", 5001)', "!error calling repeat(...): output would be too long"),  # ...and no more
    ('repeat("a", 10001)', "!error calling repeat(...): output would be too long"),
    ('repeat("ab", 0)', ""),
    ('repeat("ab", -1)', "!error calling repeat(...): must be called with a positive integer"),
    ('repeat("", 20000)', ""),
    ('repeat("a", "x")', '!error calling repeat(...): unable to convert "x" to a number'),
    ('code("")', "!error calling code(...): requires a string of at least one character"),
    ('code("€")', "8364"),
    ("char(65)", "A"),
    ("char(-1)", "!error calling char(...): -1 is not a valid character code"),
    ("char(1114112)", "!error calling char(...): 1114112 is not a valid character code"),
    ('url_encode("a b/c?d=é&")', "a%20b%2Fc%3Fd%3D%C3%A9%26"),
    ('format_location("Rwanda > Kigali > Gasabo")', "Gasabo"),
    ('format_location("Gasabo")', "Gasabo"),
    ('format_location("Kigali > Gasabo Sector")', "Gasabo Sector"),
    ('attachment_parts("image/jpeg:http://x/y.jpg")', "{content_type: image/jpeg, url: http://x/y.jpg}"),
    (
        'attachment_parts("http://x/y.jpg")',
        '!error calling attachment_parts(...): "http://x/y.jpg" is not a valid attachment',
    ),
    (
        'attachment_parts("image:http://x")',
        '!error calling attachment_parts(...): "image:http://x" is not a valid attachment',
    ),
    ('attachment_parts("jpeg")', '!error calling attachment_parts(...): "jpeg" is not a valid attachment'),
    ('parse_json("{\\"a\\": [1, 2]}")', "{a: [1, 2]}"),
    ('parse_json("[1")', "!error calling parse_json(...): unable to parse '[1' as JSON"),
    ('prompt("categorize", "a", "b")', "Categorize the following text into one of the following: a"),
    ('prompt("CATEGORIZE", "a")', "Categorize the following text into one of the following: a"),
    ('prompt("nope")', "!error calling prompt(...): no prompt named 'nope'"),
    ('prompt("categorize", 1/0)', "!error calling prompt(...): division by zero"),
]


def test_text() -> None:
    check(TEXT)


ARRAYS = [
    ("sort(array(10, 9, 100))", "[9, 10, 100]"),  # numbers by value
    ('sort(array("b", "a", "C"))', "[C, a, b]"),  # text by code point
    ('sort(array("10", "9", 100))', "[10, 100, 9]"),  # any text: all as text
    ('sort(array(3, "a", 1))', "[1, 3, a]"),
    ("sort(array())", "[]"),
    ('sort(array(1, "1"))', "[1, 1]"),  # equal texts keep their order (a number and a text never compare)
    ('sort(array("b", 2, "a"))', "[2, a, b]"),
    ('sort("abc")', "!error calling sort(...): requires an array"),
    ('sum(array(1, 2.5, "3"))', "6.5"),
    ("sum(array())", "0"),
    ('sum("x")', "!error calling sum(...): requires an array"),
    ('sum(array(1, "x"))', '!error calling sum(...): unable to convert "x" to a number'),
    ('unique(array(1, "1", 1, "a", "a"))', "[1, 1, a]"),  # the number 1 and the text "1" differ
    ("unique(array(array(1), array(1)))", "[[1]]"),
    ('unique("x")', "!error calling unique(...): requires an array"),
    ("slice(array(1, 2, 3), 1)", "[2, 3]"),
    ("slice(array(1, 2, 3), -1)", "[3]"),
    ("slice(array(1, 2, 3), 0, -1)", "[1, 2]"),
    ("slice(array(1, 2, 3), 1, 2)", "[2]"),
    ('slice("abc", 1)', "!error calling slice(...): requires an array"),
    ('slice(array(1), "x")', '!error calling slice(...): unable to convert "x" to a number'),
    ('slice(array(1, 2), 0, "x")', '!error calling slice(...): unable to convert "x" to a number'),
    ("reverse(array(1, 2, 3))", "[3, 2, 1]"),
    ("reverse(array())", "[]"),
    ('reverse("abc")', "!error calling reverse(...): requires an array"),
    ("concat(array(1), array(2))", "[1, 2]"),
    ('concat(array(1), "x")', "!error calling concat(...): requires two arrays"),
    ('concat("x", array(1))', "!error calling concat(...): requires two arrays"),
    ("contains(array(1, 2), 2)", "true"),
    ("contains(array(1, 2), 3)", "false"),
    ('contains("x", 2)', "!error calling contains(...): requires an array"),
    ("keys(obj)", "[x]"),
    ("keys(null)", "[]"),
    ('keys(object("b", 1, "a", 2))', "[a, b]"),
    ('keys("x")', "!error calling keys(...): requires an object"),
    ('count("x")', "!error calling count(...): value isn't countable"),
    ("count(array())", "0"),
    ("count(obj)", "1"),
    ("or(false, false)", "false"),
    ('or(false, 0, "")', "false"),
    ('or(false, "x")', "true"),
]


def test_arrays_and_logic() -> None:
    check(ARRAYS)


def test_legacy_add() -> None:
    """The `+` of migrated legacy flows: a date plus a number of days, either way round."""
    check(
        [
            ("legacy_add(1, 2)", "3"),
            ('legacy_add("2024-01-31", 1)', "2024-02-01T00:00:00.000000+02:00"),
            ('legacy_add(1, "2024-01-31")', "2024-02-01T00:00:00.000000+02:00"),
            ('legacy_add("2024-01-31T23:00:00Z", 1)', "2024-02-01T23:00:00.000000Z"),
            (
                'legacy_add("2024-01-31", "2024-01-31")',
                "!error calling legacy_add(...): cannot operate on two dates",
            ),
            ('legacy_add("x", 1)', '!error calling legacy_add(...): unable to convert "x" to a number'),
            ('legacy_add(1, "x")', '!error calling legacy_add(...): unable to convert "x" to a number'),
        ]
    )


def test_rand_between_stays_within_both_bounds_and_reaches_them() -> None:
    draws = {show("rand_between(1, 3)") for _ in range(200)}
    assert draws == {"1", "2", "3"}
    assert {show("rand_between(-2, -2)") for _ in range(20)} == {"-2"}
    assert (
        show('rand_between(1, "x")') == '!error calling rand_between(...): unable to convert "x" to a number'
    )


MORE = [
    ('datetime_diff("2024-01-31", "2025-03-01", "Y")', "1"),
    ('datetime_diff("2023-11-30", "2025-01-01", "M")', "14"),
    # days are counted between local dates (Kigali is UTC+2: both instants are on January 2nd)
    ('datetime_diff("2024-01-01T23:30:00Z", "2024-01-02T00:30:00Z", "D")', "0"),
    ('datetime_diff("2024-01-01", "2024-01-14", "W")', "1"),
    ('datetime_diff("2024-01-01", "2024-01-15", "W")', "2"),
    ('datetime_diff("2024-01-15", "2024-01-01", "W")', "-2"),
    ('datetime_diff("2024-01-01T10:00:00", "2024-01-01T12:59:59", "h")', "2"),
    ('datetime_diff("2024-01-01T10:00:00", "2024-01-01T10:02:59", "m")', "2"),
    ('datetime_diff("2024-01-01T10:00:00", "2024-01-01T10:02:59", "s")', "179"),
    ('datetime_diff("2024-01-01T10:00:00", "2024-01-01T09:58:01", "m")', "-1"),  # truncated
    ('datetime_diff("2024-01-01T10:00:00", "2024-01-01T13:00:00", "h")', "3"),
    ('datetime_diff("2024-01-01T10:00:00", "2024-01-01T10:03:00", "m")', "3"),
    ('datetime_diff("2024-01-01", "2024-01-02", "d")', "!error calling datetime_diff(...): unknown unit: d"),
    ('datetime_diff("2024-01-01", "2024-01-02", "x")', "!error calling datetime_diff(...): unknown unit: x"),
    # groups of 3 (then 4) only for more than one group
    ('read_chars("abc")', "a b c"),
    ('read_chars("abcd")', "a b c d"),
    ('read_chars("abcde")', "a b c d e"),
    ('read_chars("abcdef")', "a b c , d e f"),
    ('read_chars("abcdefgh")', "a b c d , e f g h"),
    ('read_chars("abcdefghijkl")', "a b c , d e f , g h i , j k l"),
    ('read_chars("")', ""),
    ("mod(5, 3)", "2"),
    ("mod(5, 1)", "0"),
    ("mod(7.5, 2)", "1.5"),
    ("mod(5, 0)", "!error calling mod(...): can't divide by zero"),
    ("format(1234.5)", "1,234.5"),
    ('format(datetime("2024-01-31T10:00:00"))', "31-01-2024 10:00"),
    ("format(date_from_parts(2024, 1, 31))", "31-01-2024"),
    ("format(time_from_parts(9, 5, 0))", "09:05"),
    ('format("x")', "x"),
    ("format(array(1))", "[1]"),
    ("format_number(1.5, 9)", "1.500000000"),
    ("format_number(1.5, 10)", "!error calling format_number(...): must take 0-9 number of places"),
    ("format_number(1.5, -1)", "!error calling format_number(...): must take 0-9 number of places"),
    ("format_number(2.5, 0)", "3"),  # half up, not half even
    ("format_number(0.125, 2)", "0.13"),
    ("format_number(1234.5, 0)", "1,235"),
    ("format_number(-1234.5)", "-1,234.5"),
    ('format_number(1.5, "x")', '!error calling format_number(...): unable to convert "x" to a number'),
    ("percent(0.125)", "13%"),
    ("percent(0.005)", "1%"),
    ("percent(0.015)", "2%"),
    ('regex_match("abc", "x")', ""),
    ('regex_match("abc", "(x)?b", 1)', ""),  # a group that took part in no match
    ('regex_match("abc", "b", 0)', "b"),
    ('regex_match("abc", "(b)", 1)', "b"),
    ('regex_match("abc", "b", 1)', "!error calling regex_match(...): invalid capture group 1"),
    ('regex_match("abc", "(b)", 2)', "!error calling regex_match(...): invalid capture group 2"),
    ('regex_match("abc", "(b)", -1)', "!error calling regex_match(...): invalid capture group -1"),
    ('regex_match("abc", "[")', "!error calling regex_match(...): '[' is not a valid regular expression"),
    ('replace("aaa", "a", "b", 2)', "bba"),
    ('replace("aaa", "a", "b", 0)', "aaa"),
    ('replace("aaa", "a", "b", -1)', "bbb"),
    ('replace("aaa", "a", "b")', "bbb"),
    ('replace("aaa", "a", "b", "x")', '!error calling replace(...): unable to convert "x" to a number'),
    ('split("a  b")', "[a, b]"),  # the default delimiter is a space; empty parts are dropped
    ('split("a,b;c", ",;")', "[a, b, c]"),  # each character is a delimiter
    ('split("a b,c", ",")', "[a b, c]"),
    ('split("aXb c")', "[aXb, c]"),
    ("filter(array(1, 2, 3), (x) => x > 1)", "[2, 3]"),
    ('filter("x", (x) => true)', "!error calling filter(...): requires an array"),
    ("foreach(array(1, 2), (x, y) => x + y, 10)", "[11, 12]"),
    ('foreach("x", (x) => x)', "!error calling foreach(...): requires an array"),
    ("foreach(array(1), (x) => 1 / 0)", "!error calling foreach(...): division by zero"),
    ("foreach_value(obj, (v) => v + 1)", "{x: 2}"),
    ('foreach_value("x", (v) => v)', "!error calling foreach_value(...): requires an object"),
    ('extract(obj, "x")', "1"),
    ('json(extract(obj, "missing"))', "null"),
    ('extract("x", "a")', "!error calling extract(...): requires an object"),
    ('json(extract_object(obj, "x", "y"))', '{"x":1,"y":null}'),
    ('extract_object("x", "a")', "!error calling extract_object(...): requires an object"),
    ("time_from_parts(23, 59, 59)", "23:59:59.000000"),
    ("time_from_parts(24, 0, 0)", "!error calling time_from_parts(...): invalid time"),
    ('time_from_parts("x", 0, 0)', '!error calling time_from_parts(...): unable to convert "x" to a number'),
    ('urn_parts("tel:+250788123123")', "{display: , path: +250788123123, scheme: tel}"),
    ('format_urn("nope")', '!error calling format_urn(...): "nope" is not a valid URN'),
    ('urn_parts("nope")', '!error calling urn_parts(...): "nope" is not a valid URN'),
    ('format_time("10:05")', "10:05"),
    ('format_time("10:05", "h:mm aa")', "10:05 am"),
    ('format_time("x")', '!error calling format_time(...): unable to convert "x" to a time'),
    ('time("10:05")', "10:05:00.000000"),
    ('time("x")', '!error calling time(...): unable to convert "x" to a time'),
    ('if(false, "a", "b")', "b"),
    ('if("", "a", "b")', "b"),
    ('if(1/0, "a", "b")', "!error calling if(...): division by zero"),
    ('epoch("2024-01-01T00:00:00Z")', "1704067200"),
    ('epoch("x")', '!error calling epoch(...): unable to convert "x" to a datetime'),
    ('join(array(1, 2), "-")', "1-2"),
    ('join(array(), "-")', ""),
    ('join("x", "-")', "!error calling join(...): requires an array as its first argument"),
]


def test_more_functions() -> None:
    check(MORE)


LAYOUTS = [
    ('parse_datetime("2024-03-05 14:07:09", "YYYY-MM-DD tt:mm:ss")', "2024-03-05T14:07:09.000000+02:00"),
    ('parse_datetime(" 05/03/24 ", "DD/MM/YY")', "2024-03-05T00:00:00.000000+02:00"),
    ('parse_datetime("5 Mar 2024", "D MMM YYYY")', "2024-03-05T00:00:00.000000+02:00"),
    ('parse_datetime("5 March 2024", "D MMMM YYYY")', "2024-03-05T00:00:00.000000+02:00"),
    (
        'parse_datetime("5 Foo 2024", "D MMM YYYY")',
        "!error calling parse_datetime(...): unable to parse \"5 Foo 2024\" with layout 'D MMM YYYY'",
    ),
    ('parse_datetime("2024", "YYYY")', "2024-01-01T00:00:00.000000+02:00"),
    ('parse_datetime("03-2024", "MM-YYYY")', "2024-03-01T00:00:00.000000+02:00"),
    ('parse_datetime("2024-1-2", "YYYY-M-D")', "2024-01-02T00:00:00.000000+02:00"),
    ('parse_datetime("2024.01.02", "YYYY.MM.DD")', "2024-01-02T00:00:00.000000+02:00"),
    ('parse_datetime("Tue 2024-01-02", "EEE YYYY-MM-DD")', "2024-01-02T00:00:00.000000+02:00"),
    ('parse_datetime("Tuesday 2024-01-02", "EEEE YYYY-MM-DD")', "2024-01-02T00:00:00.000000+02:00"),
    ('parse_datetime("2024-01-01 10:00 +05:30", "YYYY-MM-DD tt:mm Z")', "2024-01-01T10:00:00.000000+05:30"),
    ('parse_datetime("2024-01-01 10:00 -0530", "YYYY-MM-DD tt:mm ZZZ")', "2024-01-01T10:00:00.000000-05:30"),
    ('parse_datetime("2024-01-01 10:00 Z", "YYYY-MM-DD tt:mm Z")', "2024-01-01T10:00:00.000000Z"),
    (
        'parse_datetime("2024-13-01", "YYYY-MM-DD")',
        "!error calling parse_datetime(...): unable to parse \"2024-13-01\" with layout 'YYYY-MM-DD'",
    ),
    (
        'parse_datetime("2024-01-32", "YYYY-MM-DD")',
        "!error calling parse_datetime(...): unable to parse \"2024-01-32\" with layout 'YYYY-MM-DD'",
    ),
    (
        'parse_datetime("x", "YYYY")',
        "!error calling parse_datetime(...): unable to parse \"x\" with layout 'YYYY'",
    ),
    (
        'parse_datetime("2024", "YYYYX")',
        "!error calling parse_datetime(...): 'YYYYX' is not a valid datetime format",
    ),
    ('parse_time("12:30 am", "h:mm aa")', "00:30:00.000000"),
    ('parse_time("12:30 pm", "h:mm aa")', "12:30:00.000000"),
    ('parse_time("1:30 PM", "h:mm AA")', "13:30:00.000000"),
    ('parse_time("13:30 pm", "tt:mm aa")', "13:30:00.000000"),
    ('parse_time("9:15 pm", "h:mm aa")', "21:15:00.000000"),
    ('parse_time("09:15:30", "tt:mm:ss")', "09:15:30.000000"),
    ('parse_time("1:02:03.5", "t:mm:ss.fff")', "01:02:03.500000"),
    ('parse_time("1:02:03.1234567", "t:mm:ss.ffffff")', "01:02:03.123456"),  # microseconds: truncated
    (
        'parse_time("25:00", "tt:mm")',
        "!error calling parse_time(...): unable to parse \"25:00\" with layout 'tt:mm'",
    ),
    ('parse_time("x", "tt:mm")', "!error calling parse_time(...): unable to parse \"x\" with layout 'tt:mm'"),
]


def test_parsing_with_a_layout() -> None:
    check(LAYOUTS)


CALENDAR = [
    ('datetime_add("2024-05-31", 1, "M")', "2024-07-01T00:00:00.000000+02:00"),  # no June 31st
    ('datetime_add("2024-05-15", 13, "M")', "2025-06-15T00:00:00.000000+02:00"),
    ('datetime_add("2024-05-15", -5, "M")', "2023-12-15T00:00:00.000000+02:00"),
    ("datetime_from_epoch(0)", "1970-01-01T02:00:00.000000+02:00"),
    ("datetime_from_epoch(1.999999)", "1970-01-01T02:00:01.999999+02:00"),
    ("datetime_from_epoch(1704067200.5)", "2024-01-01T02:00:00.500000+02:00"),
    (
        'datetime_from_epoch("x")',
        '!error calling datetime_from_epoch(...): unable to convert "x" to a number',
    ),
    ('tz("2024-01-01T10:00:00Z")', "UTC"),
    ('tz("2024-01-01T10:00:00")', "Africa/Kigali"),
    ('tz("2024-01-01T10:00:00+05:30")', "+0530"),  # a bare offset has no zone name: the offset
]


def test_calendar() -> None:
    check(CALENDAR)


WORDS = [
    ('word_slice("a b c", 0, 0)', ""),
    ('word_slice("a b c", 1, 1)', ""),
    ('word_slice("a b c", 0, -3)', "a"),  # a negative end counts back from the last word
    ('word_slice("a b c", 0, -4)', ""),
    ('word_slice("a b,c", 0, 1, ",")', "a b"),
    ('word_slice("a b c", -1, 2)', "!error calling word_slice(...): must start with a positive index"),
    ('word("a b c", 2)', "c"),
    ('word("a b c", -3)', "a"),
    ('word("a b c", 3)', "!error calling word(...): index 3 is out of range for the number of words 3"),
    ('word("a b c", -4)', "!error calling word(...): index -4 is out of range for the number of words 3"),
    # words are runs of letters, digits and underscores; a symbol above U+2000 (emoji, currency
    # signs like €) is a word of its own, punctuation and older symbols ($, ©, ^) are not
    ('word_count("_")', "1"),
    ('word_count("a_ b")', "2"),
    ('word_count("$ a")', "1"),
    ('word_count("© a")', "1"),
    ('word_count("^ a")', "1"),
    ('word_count("a — b")', "2"),
    ('word_count("€ a")', "2"),
    ('word_count("＾ a")', "1"),  # modifier symbols (Sk) are not words, even above U+2000
    ('word_count("゛ a")', "1"),
    ('word_count("😀 a 😀")', "3"),
    # a function by its name works as a lambda does, with the environment
    ('foreach(array("2024-01-31"), format_date)', "[31-01-2024]"),
    ('foreach_value(object("a", "2024-01-31"), format_date)', "{a: 31-01-2024}"),
    ('filter(array("2024-01-31"), date)', "[2024-01-31]"),
    ("foreach(array(1), 5)", "!error calling foreach(...): 5 is not a function"),
    ('filter(array(1), "x")', '!error calling filter(...): "x" is not a function'),
]


ROUNDING = [
    ("round(2.5)", "3"),
    ("round(1.2345, 2)", "1.23"),
    # negative places round to tens, hundreds...: half up, whole numbers in the output
    ("round(1234, -2)", "1200"),
    ("round(1250, -2)", "1300"),
    ("round(-1250, -2)", "-1300"),
    ("round_down(1299, -2)", "1200"),
    ("round_up(1201, -2)", "1300"),
    ('object("a")', "!error calling object(...): requires an even number of arguments"),
    ('object("a", 1, "b")', "!error calling object(...): requires an even number of arguments"),
]


def test_rounding() -> None:
    check(ROUNDING)


def test_words() -> None:
    check(WORDS)


FORMATS_AND_TIMES = [
    ('format_date("2024-03-05", "MMM MMMM EEE EEEE")', "Mar March Tue Tuesday"),
    (
        'format_datetime("2024-03-05T14:07:09.123456Z", "t:m:ss fff ffffff fffffffff aa AA", "UTC")',
        "14:7:09 123 123456 123456000 pm PM",
    ),
    ('format_datetime("2024-03-05T09:07:05.000001Z", "t:m:s aa AA", "UTC")', "9:7:5 am AM"),
    ('format_datetime("2024-03-05T12:00:00Z", "aa AA", "UTC")', "pm PM"),  # noon is pm
    ('format_datetime("2024-03-05T11:59:00Z", "aa AA", "UTC")', "am AM"),
    ('format_datetime("2024-03-05T12:00:00Z", "tt:mm", "Asia/Kolkata")', "17:30"),
    ('format_datetime("2024-03-05T12:00:00Z", "tt:mm", "")', "14:00"),  # no zone: the environment's
    (
        'format_datetime("2024-03-05T12:00:00Z", "tt:mm", "Nowhere/City")',
        "!error calling format_datetime(...): unable to load timezone 'Nowhere/City'",
    ),
    ('format_datetime("2024-03-05T12:00:00Z", "Z ZZZ", "Asia/Kolkata")', "+05:30 +0530"),
    ('format_datetime("2024-03-05T12:00:00Z", "Z ZZZ", "America/St_Johns")', "-03:30 -0330"),
    ('format_datetime("2024-03-05T12:00:00Z", "Z ZZZ", "UTC")', "+00:00 +0000"),
    ('format_datetime("2024-03-05T12:00:00Z", "YYYY-MM-DDTtt:mm")', "2024-03-05T14:00"),  # T is literal
    ('format_date("2024-03-05", "MMMM MMM EEEE EEE")', "March Mar Tuesday Tue"),
    (
        'format_date("2024-03-05", "tt:mm")',
        "!error calling format_date(...): 'tt:mm' is not a valid date format",
    ),
    ('format_time("10:00", "YYYY")', "!error calling format_time(...): 'YYYY' is not a valid time format"),
    (
        'format_datetime("2024-03-05T12:00:00Z", "YYYY-MM-DD hh:mm x")',
        "!error calling format_datetime(...): 'YYYY-MM-DD hh:mm x' is not a valid datetime format",
    ),
    # a time found in free text: the first plausible one
    ('time("10 pm")', "22:00:00.000000"),
    ('time("12 am")', "00:00:00.000000"),
    ('time("12 pm")', "12:00:00.000000"),
    ('time("13 pm and 9 am")', "09:00:00.000000"),
    ('time("at 10:30")', "10:30:00.000000"),
    ('time("23:59:59")', "23:59:59.000000"),
    ('time("24:00 or 10:15")', "10:15:00.000000"),
    ('time("10:60 or 10:15")', "10:15:00.000000"),
    ('time("10:15:60 or 10:15")', "10:15:00.000000"),
    ('time("10:15:59.5")', "10:15:59.500000"),
    ('time("10:15:59.1234567")', "10:15:59.123456"),
    ('time("nothing 5 here 7:05")', "07:05:00.000000"),  # a bare number is no time
    # a whole number of hours
    ("time(0)", "00:00:00.000000"),
    ("time(23)", "23:00:00.000000"),
    ("time(24)", "!error calling time(...): unable to convert 24 to a time"),
    ("time(5.5)", "!error calling time(...): unable to convert 5.5 to a time"),
    ("time(-1)", "!error calling time(...): unable to convert -1 to a time"),
    ('date("x")', '!error calling date(...): unable to convert "x" to a date'),
]


def test_formats_and_times() -> None:
    check(FORMATS_AND_TIMES)


ARITHMETIC = [
    ("1 / 0", "!division by zero"),
    ('"a" / 2', '!unable to convert "a" to a number'),
    ("10 / 4", "2.5"),
    ("1 / 3", "0.3333333333333333"),  # 16 places
    ("2 ^ -1", "0.5"),
    ("0 ^ -1", "!number value out of range"),
    ("99999999999999999999999999999999 * 99999999999999999999999999999999", "!number value out of range"),
    ("2 / 3", "0.6666666666666667"),
    # large quotients keep their 16 places too (from 10^12 up they were "invalid arithmetic")
    ("10000000000000 / 3", "3333333333333.3333333333333333"),
    ("100000000000000000000 / 4", "25000000000000000000"),
    ("1 / 10000000000000000000000000000000000000000", "0"),
    ("1000000000000000000000000000000000000000000000000000000000000000 / 1", "1" + "0" * 63),
    ("10000000000000000000000000000000000000000000000000000000000000000 / 1", "!number value out of range"),
    ("1 ^ 1000", "1"),
    ("1 ^ 1001", "!invalid arithmetic"),  # whole exponents stop at 1000
    ("(-1) ^ 1001", "!invalid arithmetic"),
    ("2 ^ 1000.5", "!number value out of range"),
    ("(1", "!syntax error: expected ')' but found 'end of expression'"),
    ("foreach(array(1), (x, y) => x)", "!error calling foreach(...): lambda takes 2 arguments but got 1"),
    ('foreach(array("2024-01-31"), (d) => format_date(d))', "[31-01-2024]"),  # lambdas see the environment
    ('obj[lower("X")]', "1"),
    # empty: null, "", an empty array or object; 0 and false are values
    ('default(array(), "x")', "x"),
    ('default(array(1), "x")', "[1]"),
    ('default(object(), "x")', "x"),
    ('default(obj, "x")', "{x: 1}"),
    ('default(null, "x")', "x"),
    ('default("", "x")', "x"),
    ('default(0, "x")', "0"),
    ('json("é")', '"é"'),  # JSON keeps non-ASCII text as it is
    ('json(object("é", "é"))', '{"é":"é"}'),
    ("1 != 1", "false"),
    ("1 != 2", "true"),
]


def test_arithmetic() -> None:
    check(ARITHMETIC)


CONVERSIONS = [
    # truthiness: empty text, "false" (any case), 0, null and empty arrays/objects are false
    ("boolean(array())", "false"),
    ("boolean(array(0))", "true"),
    ("boolean(object())", "false"),
    ("boolean(obj)", "true"),
    ('boolean("FALSE")', "false"),
    ('boolean("")', "false"),
    ('boolean("no")', "true"),
    ("boolean(0)", "false"),
    ("boolean(0.0)", "false"),
    ("boolean(2)", "true"),
    ("boolean(null)", "false"),
    # numbers: decimal text only (no NaN or infinities under any spelling)
    ('number("NaN")', '!error calling number(...): unable to convert "NaN" to a number'),
    ('number("nan")', '!error calling number(...): unable to convert "nan" to a number'),
    ('number("Infinity")', '!error calling number(...): unable to convert "Infinity" to a number'),
    ('number("inf")', '!error calling number(...): unable to convert "inf" to a number'),
    ('number("sNaN")', '!error calling number(...): unable to convert "sNaN" to a number'),
    ('number(" 5 ")', "5"),
    ('number("-5.50")', "-5.5"),
    ('number("1e3")', "1000"),
    ('number("é")', '!error calling number(...): unable to convert "é" to a number'),
    ("number(array(1))", "!error calling number(...): unable to convert [1] to a number"),
    # numbers render without trailing zeros or exponents
    ("1.50 + 0", "1.5"),
    ("100 + 0", "100"),
    ("0.10 + 0", "0.1"),
    ("10.0 + 0", "10"),
    ("-0.5 + 0", "-0.5"),
    ("datetime(date_from_parts(2024, 1, 31))", "2024-01-31T00:00:00.000000+02:00"),  # midnight, local
]


def test_conversions() -> None:
    check(CONVERSIONS)


def test_workspace_prompts_come_first_by_name_in_any_case() -> None:
    env = Environment(
        timezone=ZoneInfo("UTC"), llm_prompts={"categorize": "mine: {0}", "pair": "{0}|{1}|{2}|{3}"}
    )
    assert show('prompt("CATEGORIZE", "a")', env) == "mine: a"
    assert show('prompt("pair", "a")', env) == "a|||"  # missing arguments are empty
    broken = Environment(timezone=ZoneInfo("UTC"), llm_prompts={"far": "{4}", "named": "{x}", "brace": "a {"})
    assert (
        show('prompt("far", "a")', broken)
        == "!error calling prompt(...): prompt 'far' is not a valid template"
    )
    assert (
        show('prompt("named")', broken)
        == "!error calling prompt(...): prompt 'named' is not a valid template"
    )
    assert (
        show('prompt("brace")', broken)
        == "!error calling prompt(...): prompt 'brace' is not a valid template"
    )
    assert show('prompt("categorize", "a")') == "Categorize the following text into one of the following: a"


def test_a_seeded_random_source_repeats_its_sequence_after_the_replayed_values() -> None:
    first = SeededRandom(7, prefix=[0.25])
    second = SeededRandom(7)
    assert first() == 0.25
    drawn = [first() for _ in range(3)]
    assert drawn == [second() for _ in range(3)]
    assert all(0 <= v < 1 for v in drawn)
    assert drawn != [SeededRandom(8)() for _ in range(3)]


def test_template_previews_resolve_the_context_s_own_top_levels() -> None:
    """Keys of the preview context are top levels too, whatever their case; others stay text."""
    text, errors = evaluate_template_with("@Custom.x and @other", {"custom": {"x": "v"}}, ENV)
    assert (text, errors) == ("v and @other", [])
    text, errors = evaluate_template_with("@custom.x", {"Custom": {"x": "v"}}, ENV)
    assert (text, errors) == ("v", [])


LOOKUPS = [
    ("words[1]", "b"),
    ("words[-2]", "a"),  # negative indexes count from the end...
    ("words[2]", "!index 2 out of range for 2 items"),
    ("words[-3]", "!index -3 out of range for 2 items"),  # ...down to minus the length
    ('words["x"]', "!x is not a valid array index"),
    ("obj.missing", "!object has no property 'missing'"),
    ('obj["missing"]', "!object has no property 'missing'"),
    ("null.x", "!null doesn't support lookups"),
    ('"abc".x', "!abc has no property 'x'"),
    ('"abc"[0]', "!abc has no property '0'"),
    ("array(1)(2)", "![1] is not a function"),
    ('"x"(1)', "!x is not a function"),
]


def test_lookups_and_calls() -> None:
    check(LOOKUPS)


def test_templates_find_the_end_of_an_expression_past_strings_and_escapes() -> None:
    rows = [
        ('@(")")x', (")x", [])),
        ('@("a\\"b")', ('a"b', [])),
        ('@(upper("("))y', ("(y", [])),
        ("@(obj.x)", ("1", [])),
        ("@(1", ("", [XError("syntax error: expected ')' but found 'end of expression'")])),
    ]
    assert [(t, evaluate_template_with(t, CTX, ENV)) for t, _ in rows] == rows
