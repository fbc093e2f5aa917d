"""Reading provider payloads: formats, paths, selectors and scalars, pinned value by value.

Written against the mutation run (`scripts/mutation.py --only connector-parser-mapping`): the
exact value a connector's `use="..."` path reads is what a provider integration relies on, so
each case names the path, the payload and the one value read (or MISSING).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from lxml import etree

from aggregators.connector.errors import PayloadError
from aggregators.connector.payload import (
    MISSING,
    TEXT_SEARCH_CHARS,
    Payload,
    _form,
    _match,
    _select,
    detect_format,
    load,
    path_segments,
    resolve,
    scalar,
    xml_to_data,
)
from aggregators.connector.xmlsafe import PAYLOAD_MAX_BYTES

DATA = {
    "id": "m1",
    "n": 0,
    "empty": "",
    "list": [{"id": "a", "s": "OK"}, {"id": "b", "s": "bad"}, {"x": "c"}],
    "ids": ["i0", "i1", "i2"],
    "nested": {"deep": {"v": "7"}},
    "json": '{"Status": "DELIVRD", "Parts": [{"Id": "p1"}]}',
    "jsonlist": '[{"Id": "q1"}]',
    "badjson": "{not json",
    "text": "{plain but not json",
    "dotted": [{"k.x": "1", "url": "u1"}, {"k.x": "2", "url": "u2"}, {"k.x": "", "url": "u3"}],
    "none": None,
    "one": {"k": "v", "w": "1"},
    "parts": [
        {"type": "Text", "text": "hi"},
        {"type": "IMAGE", "url": "http://i/1"},
        {"type": "image", "url": "http://i/2"},
    ],
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("", DATA),
        ("id", "m1"),
        ("n", 0),
        ("missing", MISSING),
        ("id.more", MISSING),  # a name applied to text
        ("list.0.id", "a"),
        ("list.1.id", "b"),
        ("list.2.id", MISSING),
        ("list.-1.x", "c"),
        ("list.-3.id", "a"),
        ("list.-4.id", MISSING),  # past the start
        ("list.3.id", MISSING),  # past the end
        ("list.id", "a"),  # a name on a list reads its first item
        ("ids.2", "i2"),
        ("ids.1", "i1"),
        ("nested.deep.v", "7"),
        ("nested.deep.missing", MISSING),
        ("json.Status", "DELIVRD"),  # a form field holding JSON is looked into
        ("json.Parts.0.Id", "p1"),
        ("jsonlist.Id", "q1"),
        ("jsonlist.0.Id", "q1"),
        ("badjson.x", MISSING),
        ("text.x", MISSING),
        ("none.x", MISSING),
        ("list[s=ok].id", ["a"]),  # case-insensitive
        ("list[s=BAD].id", ["b"]),
        ("list[s].id", ["a", "b"]),
        ("list[s=nope].id", MISSING),
        ("list[x]", [{"x": "c"}]),
        ("list[x].id", MISSING),  # every kept item lacks it
        ("dotted[k.x=2].url", ["u2"]),  # a dot inside a selector is part of its value
        ("dotted[k.x].url", ["u1", "u2"]),  # an empty value does not count as having the key
        ("parts[type=image].url", ["http://i/1", "http://i/2"]),
        ("parts[type=image].0.url", "http://i/1"),  # a number after a selector indexes the kept items
        ("parts[type=text].text", ["hi"]),
        ("missing[type=x].y", MISSING),
        ("one[k].w", ["1"]),  # one object is selected as a list of itself
        ("nested[deep].deep", MISSING),  # an object value is no value to select on
        ("list[id].s", ["OK", "bad"]),
    ],
)
def test_resolve_follows_paths(path: str, expected: Any) -> None:
    assert resolve(DATA, path) == expected


def test_resolve_on_a_list_document() -> None:
    # a name on a list reads its first item; only after a selector does it read every item
    assert resolve([{"id": "a"}, {"id": "b"}], "id") == "a"
    assert resolve([{"id": "a"}, {"id": "b"}], "[id].id") == ["a", "b"]
    # after a selector a negative number indexes the kept items, a name is read in each
    assert resolve(DATA, "parts[type=image].-1.url") == "http://i/2"
    assert resolve({"l": [{"k": "v", "X1": "y"}, {"k": "w", "X1": "z"}]}, "l[k].X1") == ["y", "z"]
    assert resolve({"l": [{"X1": "y"}]}, "l.X1") == "y"  # a name that is not a number


def test_resolve_a_selector_on_the_whole_document() -> None:
    assert resolve([{"a": "1"}, {"b": "2"}], "[a]") == [{"a": "1"}]
    assert resolve([{"a": "1"}, {"b": "2"}], "[a=1].a") == ["1"]
    assert resolve([{"a": "1"}], "[a=2]") == MISSING


def test_resolve_decodes_json_text_only_up_to_the_payload_limit() -> None:
    small = json.dumps({"a": "1"})
    assert resolve({"f": small}, "f.a") == "1"
    big = json.dumps({"a": "1", "pad": "x" * PAYLOAD_MAX_BYTES})
    assert resolve({"f": big}, "f.a") is MISSING
    exact = '{"a":"1","p":"' + "x" * (PAYLOAD_MAX_BYTES - 16) + '"}'
    assert len(exact) == PAYLOAD_MAX_BYTES
    assert resolve({"f": exact}, "f.a") == "1"
    deep = "[" * 100_000 + "]" * 100_000
    assert resolve({"f": deep}, "f.0") is MISSING  # too deep to decode: nothing, not a crash


@pytest.mark.parametrize(
    ("path", "segments"),
    [
        ("", [""]),
        ("a", ["a"]),
        ("a.b.c", ["a", "b", "c"]),
        ("a[k.x=1].b", ["a[k.x=1]", "b"]),
        ("a[k=[x.y]].b", ["a[k=[x.y]]", "b"]),
        (".a.", ["", "a", ""]),
        ("a]b.c", ["a]b.c"]),  # an unbalanced ] keeps the depth below zero: no split
        ("[a.b]", ["[a.b]"]),
    ],
)
def test_path_segments(path: str, segments: list[str]) -> None:
    assert path_segments(path) == segments


@pytest.mark.parametrize(
    ("items", "key", "value", "expected"),
    [
        ([{"k": "A"}, {"k": "b"}, {"j": "c"}], "k", None, [{"k": "A"}, {"k": "b"}]),
        ([{"k": "A"}, {"k": "b"}], "k", "a", [{"k": "A"}]),
        ([{"k": "A"}, {"k": "b"}], "k", "B", [{"k": "b"}]),
        ({"k": "v"}, "k", None, [{"k": "v"}]),  # one object is a list of one
        ({"k": "v"}, "k", "w", []),
        ([{"k": ""}, {"k": None}, "text", {"k": {"#text": ""}}], "k", None, []),  # empty is absent
        ([{"k": 5}, {"k": True}], "k", "5", [{"k": 5}]),
        ([{"k": True}], "k", "TRUE", [{"k": True}]),
        ("plain", "k", None, []),
    ],
)
def test_select(items: Any, key: str, value: str | None, expected: list[Any]) -> None:
    assert _select(items, key, value) == expected


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (MISSING, None),
        (None, None),
        ("", ""),
        ("a", "a"),
        (0, "0"),
        (1.5, "1.5"),
        (True, "true"),
        (False, "false"),
        ([], None),
        (["x", "y"], "x"),
        ([[True]], "true"),
        ({"#text": "t", "@a": "1"}, "t"),
        ({"@a": "1"}, None),
        ({"#text": 3}, "3"),
        ([{"#text": "first"}, "second"], "first"),
    ],
)
def test_scalar(value: Any, text: str | None) -> None:
    assert scalar(value) == text


def _xml(text: str) -> Any:
    return xml_to_data(etree.fromstring(text))


@pytest.mark.parametrize(
    ("xml", "data"),
    [
        ("<r/>", ""),
        ("<r> hi </r>", "hi"),
        ('<r a="1"/>', {"@a": "1"}),
        ('<r a="1"> t </r>', {"@a": "1", "#text": "t"}),
        ("<r><a>1</a><b>2</b></r>", {"a": "1", "b": "2"}),
        ("<r><a>1</a><a>2</a></r>", {"a": ["1", "2"]}),
        ("<r><a>1</a><a>2</a><a>3</a></r>", {"a": ["1", "2", "3"]}),
        ("<r><a>1</a><b/><a>2</a></r>", {"a": ["1", "2"], "b": ""}),
        ("<r>lead<a>1</a></r>", {"a": "1", "#text": "lead"}),
        ("<r>  <a>1</a></r>", {"a": "1"}),  # whitespace around elements is no text
        ('<r xmlns:p="urn:x"><p:a>1</p:a></r>', {"a": "1"}),  # namespaces dropped
        ("<r><!-- c --><a>1</a><?pi x?></r>", {"a": "1"}),  # comments and PIs are not children
        ('<r><a k="v"><b>x</b></a></r>', {"a": {"@k": "v", "b": "x"}}),
    ],
)
def test_xml_to_data(xml: str, data: Any) -> None:
    assert _xml(xml) == data


@pytest.mark.parametrize(
    ("content_type", "body", "declared", "fmt"),
    [
        ("application/json; charset=utf-8", b"<x/>", "xml", "json"),
        ("APPLICATION/JSON", b"", None, "json"),
        ("text/xml", b"{}", "json", "xml"),
        ("Application/XML", b"", None, "xml"),
        ("application/x-www-form-urlencoded", b"{}", "json", "form"),
        ("APPLICATION/X-WWW-FORM-URLENCODED", b"<x/>", None, "form"),
        ("text/plain", b'  {"a": 1}', None, "json"),
        ("", b"\n[1]", "xml", "json"),
        ("", b" <r/>", "json", "xml"),
        ("", b"a=1", "json", "json"),  # nothing says otherwise: the declared format
        ("", b"a=1", "text", "text"),
        ("", b"a=1", None, "form"),
        ("", b"a=1", "", "form"),
        ("", b"", None, "form"),
    ],
)
def test_detect_format(content_type: str, body: bytes, declared: str | None, fmt: str) -> None:
    assert detect_format(content_type, body, declared) == fmt


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((b'{"a": [1, "x"]}', "application/json"), Payload({"a": [1, "x"]})),
        ((b"[]", ""), Payload([])),
        ((b"<r><id>5</id></r>", "text/xml"), Payload({"id": "5"}, "r")),
        ((b'<p:r xmlns:p="urn:x"><id>5</id></p:r>', ""), Payload({"id": "5"}, "r")),
        (
            (b"a=1&b=&a=2&c=%2B1+2", "application/x-www-form-urlencoded"),
            Payload({"a": "1", "b": "", "c": "+1 2"}, form=True),
        ),
        ((b"a=1", "", None, "a=9&q=2"), Payload({"a": "1", "q": "2"}, form=True)),  # the body wins
        ((b"", "application/json", "json", "a=9&q=2"), Payload({"a": "9", "q": "2"}, form=True)),
        ((b"  \n", "", None, "x=1"), Payload({"x": "1"}, form=True)),
        ((b"", ""), Payload({}, form=True)),
        ((b'Success "id"', "application/json", "text"), Payload('Success "id"', text=True)),
        ((b"\xff ok", "", "text"), Payload("\ufffd ok", text=True)),
        ((b"0: Accepted", "text/plain", "form"), Payload({"0: Accepted": ""}, form=True)),
    ],
)
def test_load(args: tuple[Any, ...], expected: Payload) -> None:
    assert load(*args) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            (b"{bad", "application/json"),
            "invalid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        ),
        ((b"[" * 200 + b"]" * 200, ""), "invalid JSON: "),
        ((b"<r><a></r>", "text/xml"), "invalid XML at 1:"),
        ((b"a=\xff", ""), "form body is not UTF-8"),
    ],
)
def test_load_refuses(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(PayloadError) as info:
        load(*args)
    assert str(info.value).startswith(message)


def test_load_size_limit_is_inclusive() -> None:
    at_limit = b"a=" + b"x" * (PAYLOAD_MAX_BYTES - 2)
    assert load(at_limit).data == {"a": "x" * (PAYLOAD_MAX_BYTES - 2)}
    with pytest.raises(PayloadError) as info:
        load(at_limit + b"x")
    assert str(info.value) == f"payload is {PAYLOAD_MAX_BYTES + 1} bytes; the limit is {PAYLOAD_MAX_BYTES}"


def test_form_keeps_blank_values_and_the_first_of_repeated_names() -> None:
    assert _form("a=1&a=2&b=&c") == {"a": "1", "b": "", "c": ""}
    assert _form("") == {}


@pytest.mark.parametrize(
    ("text", "pattern", "found"),
    [
        ('Success "abc"', r'"(\w+)"', "abc"),
        ("id=1 id=2", r"id=(\d)", "1"),
        ("status 0: ok", r"\d: \w+", "0: ok"),  # no group: the whole match
        ("status 0: ok", r"(\d): (\w+)", "0"),  # the first group
        ("status", r"(x)?status", None),  # an optional group that took no part
        ("nothing", r"\d+", MISSING),
        ("x", r"(unclosed", MISSING),
        ("a" * TEXT_SEARCH_CHARS + "ID9", r"ID\d", MISSING),  # only the start is searched
        ("a" * (TEXT_SEARCH_CHARS - 3) + "ID9", r"ID\d", "ID9"),
    ],
)
def test_text_answers_are_read_with_regular_expressions(text: str, pattern: str, found: Any) -> None:
    assert _match(text, pattern) == found


XML = Payload({"Message": {"Sid": "SM1", "@a": "x"}, "Status": "ok"}, "TwilioResponse")
FORM = Payload({"CreatedDatetime": "t1", "msg.id": "d", "Id": "x"}, form=True)
TEXT = Payload('  Success "id9"\n', text=True)


@pytest.mark.parametrize(
    ("payload", "path", "base", "expected"),
    [
        (TEXT, ".", MISSING, 'Success "id9"'),
        (TEXT, r'"(\w+)"', MISSING, "id9"),
        (TEXT, r'"(\w+)"', {"ignored": 1}, "id9"),  # a text answer is searched whole
        (XML, ".", MISSING, XML.data),
        (XML, ".", "item", "item"),
        (XML, "Message.Sid", MISSING, "SM1"),
        (XML, "TwilioResponse.Message.Sid", MISSING, "SM1"),  # the root named first
        (XML, "TwilioResponse", MISSING, XML.data),  # the document element itself
        (XML, "TwilioResponseX", MISSING, MISSING),
        (XML, "TwilioResponse.Nope", MISSING, MISSING),
        (XML, "TwilioResponse.Message.Sid", {"Message": {}}, MISSING),  # not inside an item
        (XML, "TwilioResponse", {"Message": {}}, MISSING),
        (XML, "Sid", {"Sid": "item"}, "item"),
        (XML, "Status", MISSING, "ok"),
        (FORM, "createdDatetime", MISSING, "t1"),  # forms: any case
        (FORM, "CREATEDDATETIME", MISSING, "t1"),
        (FORM, "id", MISSING, "x"),
        (FORM, "msg.id", MISSING, MISSING),  # a path with dots is a path, not a field name
        (FORM, "nope", MISSING, MISSING),
        (FORM, "", MISSING, FORM.data),
        (FORM, "createdDatetime", {"CREATEDDATETIME": "b"}, "b"),
        (FORM, "createdDatetime", ["not a dict"], MISSING),
        (Payload({"CreatedDatetime": "t1"}), "createdDatetime", MISSING, MISSING),  # JSON keeps case
    ],
)
def test_payload_get(payload: Payload, path: str, base: Any, expected: Any) -> None:
    assert payload.get(path, base) == expected
