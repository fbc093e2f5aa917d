"""What the External API receive makes of a provider's post, checked without the database.

Parsing and the answer are pure functions of the channel's config and the request, so these
tests build an unsaved channel and Django's own request objects; the HTTP round trips (and
what gets stored) are in test_external_cases.py and tests/channels_app. Written to answer the
mutants `make mutation` found alive in aggregators/external/receive.py (issue 26).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.test import RequestFactory

from aggregators.external import receive
from aggregators.external.receive import (
    _first,
    _raw_fields,
    courier_json,
    inbound_request,
    inbound_response,
    parse_date,
    parse_inbound,
)
from channels_app.inbound.request import BadRequest, InboundFields, InboundRequest
from channels_app.models import Channel
from channels_app.services.ingest import Received

factory = RequestFactory()


def _channel(**config: object) -> Channel:
    return Channel(channel_type="EX", name="EX", address="+250788000000", country="RW", config=config)


def _post_json(body: dict[str, object], method: str = "POST") -> InboundRequest:
    return InboundRequest(
        method=method, content_type="application/json", query={}, body=json.dumps(body).encode()
    )


def _get(**query: str) -> InboundRequest:
    return InboundRequest(method="GET", content_type="", query=query, body=b"")


def _xml(body: str, method: str = "POST") -> InboundRequest:
    return InboundRequest(method=method, content_type="text/xml", query={}, body=body.encode())


def _error(call: object, *args: object) -> str:
    with pytest.raises(BadRequest) as info:
        call(*args)  # type: ignore[operator]
    return str(info.value)


# --- the request as the parser sees it --------------------------------------------------------


def test_inbound_request_keeps_json_bodies_and_lowercases_the_content_type() -> None:
    request = factory.post(
        "/c/ex/x/receive?lang=en", data=b'{"from": "+250788123123"}', content_type="Application/JSON"
    )
    inbound = inbound_request(request)
    assert inbound.method == "POST"
    assert inbound.content_type == "application/json"
    assert inbound.query == {"lang": "en"}
    assert inbound.body == b'{"from": "+250788123123"}'
    assert inbound.form is None
    assert inbound.params() == {"lang": "en", "from": "+250788123123"}


def test_inbound_request_takes_multipart_fields_from_django_not_the_raw_body() -> None:
    request = factory.post("/c/ex/x/receive", {"from": "+250788123123", "text": "hello"})  # multipart
    inbound = inbound_request(request)
    assert inbound.content_type == "multipart/form-data"
    assert inbound.body == b""
    assert inbound.form == {"from": "+250788123123", "text": "hello"}
    assert inbound.params() == {"from": "+250788123123", "text": "hello"}


def test_inbound_request_of_a_get_has_the_query_only() -> None:
    inbound = inbound_request(factory.get("/c/ex/x/receive", {"from": "+250788123123", "text": "hi"}))
    assert (inbound.method, inbound.content_type, inbound.body, inbound.form) == ("GET", "", b"", None)
    assert receive.request_params(factory.get("/r", {"id": "7"})) == {"id": "7"}


def test_inbound_request_without_a_method_counts_as_a_get() -> None:
    request = factory.get("/r", {"from": "1"})
    request.method = None
    request.content_type = None  # type: ignore[assignment]
    inbound = inbound_request(request)
    assert inbound.method == "GET" and inbound.content_type == ""


# --- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2012-04-23T18:25:43.511Z", datetime(2012, 4, 23, 18, 25, 43, 511000, tzinfo=UTC)),
        ("2012-04-23t18:25:43z", datetime(2012, 4, 23, 18, 25, 43, tzinfo=UTC)),
        (" 2012-04-23T18:25:43Z ", datetime(2012, 4, 23, 18, 25, 43, tzinfo=UTC)),
        ("2012-04-23T18:25:43", datetime(2012, 4, 23, 18, 25, 43, tzinfo=UTC)),  # no offset: UTC
        ("2012-04-23T20:25:43+02:00", datetime(2012, 4, 23, 18, 25, 43, tzinfo=UTC)),
    ],
)
def test_rfc3339_dates_are_read_as_the_instant_they_name(value: str, expected: datetime) -> None:
    parsed = parse_date(value)
    assert parsed == expected and parsed.tzinfo is not None


def test_an_offset_is_kept_not_replaced_by_utc() -> None:
    assert parse_date("2012-04-23T20:25:43+02:00").utcoffset() == timedelta(hours=2)
    assert parse_date("2012-04-23T20:25:43-05:00").tzinfo == timezone(timedelta(hours=-5))


@pytest.mark.parametrize(
    "value",
    [
        "20170623T123000Z",
        "2012-04-23",
        "2012-04-23 18:25:43Z",
        "x2012-04-23T18:25:43Z",
        "2012-04-23T18:25:43Zx",
        17,
    ],
)
def test_dates_that_are_not_rfc3339_are_a_400_naming_the_value(value: object) -> None:
    message = _error(parse_date, value)
    assert message == f"{receive.DATE_ERROR} (got {value!r})"


def test_a_date_of_the_right_shape_but_impossible_is_a_400_too() -> None:
    assert _error(parse_date, "2012-13-45T18:25:43Z") == f"{receive.DATE_ERROR} (got '2012-13-45T18:25:43Z')"


# --- which field is which -------------------------------------------------------------------


def test_the_configured_field_wins_over_the_default_spellings() -> None:
    params = {"from": "+1", "sender": "+2", "msisdn": "+3"}
    assert _first(params, "msisdn", ("from", "sender")) == "+3"
    assert _first(params, "missing", ("from", "sender")) == "+1"  # configured but absent: defaults
    assert _first(params, None, ("sender", "from")) == "+2"  # defaults in their order
    assert _first({"sender": "+2"}, None, ("from", "sender")) == "+2"
    assert _first({}, "msisdn", ("from",)) is None


def test_default_field_names_from_sender_text_date_time_id() -> None:
    fields = _raw_fields(
        _channel(), _get(sender="+250788123123", text="hi", time="2012-04-23T18:25:43Z", id="9")
    )
    assert fields == {"from": "+250788123123", "text": "hi", "date": "2012-04-23T18:25:43Z", "id": "9"}
    fields = _raw_fields(_channel(), _get(**{"from": "+250788123124", "date": "d"}))
    assert fields == {"from": "+250788123124", "text": None, "date": "d", "id": None}


def test_configured_field_names_are_read() -> None:
    channel = _channel(mo_from_field="msisdn", mo_text_field="body", mo_date_field="at", mo_id_field="ref")
    fields = _raw_fields(channel, _get(msisdn="+250788123123", body="hi", at="A", ref="R", text="not this"))
    assert fields == {"from": "+250788123123", "text": "hi", "date": "A", "id": "R"}


# --- XML bodies -----------------------------------------------------------------------------


def test_xml_posts_are_read_at_the_configured_xpaths() -> None:
    channel = _channel(
        mo_from_xpath="//from", mo_text_xpath="//body", mo_date_xpath="//at", mo_id_xpath="string(//@ref)"
    )
    body = "<msg ref=' r-1 '><from> +250788123123 </from><body>hi <b>there</b> </body><at>2012-04-23T18:25:43Z</at></msg>"
    fields = _raw_fields(channel, _xml(body))
    assert fields == {
        "from": "+250788123123",
        "text": "hi there",
        "date": "2012-04-23T18:25:43Z",
        "id": "r-1",
    }


def test_xml_text_defaults_to_the_text_element_and_date_and_id_to_nothing() -> None:
    fields = _raw_fields(
        _channel(mo_from_xpath="//from"), _xml("<m><from>+250788123123</from><text>yo</text></m>")
    )
    assert fields == {"from": "+250788123123", "text": "yo", "date": None, "id": None}


def test_xml_takes_the_first_match_of_several() -> None:
    body = "<m><from>+250788123123</from><from>+250788999999</from><text>a</text><text>b</text></m>"
    fields = _raw_fields(_channel(mo_from_xpath="//from"), _xml(body))
    assert (fields["from"], fields["text"]) == ("+250788123123", "a")


def test_xml_xpaths_are_for_posts_only_a_get_uses_the_query() -> None:
    channel = _channel(mo_from_xpath="//from")
    assert _raw_fields(channel, _get(**{"from": "+250788123123", "text": "q"}))["text"] == "q"


def test_xml_missing_sender_or_text_is_a_400_naming_the_xpaths() -> None:
    channel = _channel(mo_from_xpath="//from")
    expected = "missing from at //from or text at //text in the posted XML"
    assert _error(_raw_fields, channel, _xml("<m><text>hi</text></m>")) == expected
    assert _error(_raw_fields, channel, _xml("<m><from>+250788123123</from></m>")) == expected


def test_unsafe_or_broken_xml_and_bad_xpaths_are_400s() -> None:
    channel = _channel(mo_from_xpath="//from")
    doctype = '<!DOCTYPE m [<!ENTITY e "+250788123123">]><m><from>&e;</from><text>x</text></m>'
    assert (
        "DOCTYPE" in _error(_raw_fields, channel, _xml(doctype))
        or "doctype" in _error(_raw_fields, channel, _xml(doctype)).lower()
    )
    _error(_raw_fields, channel, _xml("<m><from>"))
    message = _error(
        _raw_fields, _channel(mo_from_xpath="//from["), _xml("<m><from>1</from><text>x</text></m>")
    )
    assert message.startswith("the channel's XPath for from is invalid: ")
    message = _error(
        _raw_fields,
        _channel(mo_from_xpath="//from", mo_text_xpath="//text", mo_id_xpath="//["),
        _xml("<m><from>1</from><text>x</text></m>"),
    )
    assert message.startswith("the channel's XPath for id is invalid: ")
    # Each field names itself, so the admin knows which of the four XPaths to fix.
    for field in ("text", "date"):
        message = _error(
            _raw_fields,
            _channel(mo_from_xpath="//from", **{f"mo_{field}_xpath": "//["}),
            _xml("<m><from>1</from><text>x</text></m>"),
        )
        assert message.startswith(f"the channel's XPath for {field} is invalid: ")


# --- the fields the message is made of ------------------------------------------------------


def test_parse_inbound_reads_sender_text_id_and_date() -> None:
    fields = parse_inbound(
        _channel(),
        _post_json({"from": "+250788123123", "text": "hi", "id": "ext-1", "date": "2012-04-23T18:25:43Z"}),
    )
    assert fields == InboundFields(
        sender="+250788123123",
        text="hi",
        external_id="ext-1",
        received_on=datetime(2012, 4, 23, 18, 25, 43, tzinfo=UTC),
    )


def test_integer_json_ids_and_senders_are_kept_as_strings() -> None:
    # Providers send numeric ids: dropping them would store every retry as a new message.
    fields = parse_inbound(_channel(), _post_json({"from": 250788123123, "text": "hi", "id": 12345}))
    assert (fields.sender, fields.external_id) == ("250788123123", "12345")


@pytest.mark.parametrize("external_id", ["", None, 1.5, ["a"], {"a": 1}])
def test_empty_or_non_scalar_ids_are_no_id(external_id: object) -> None:
    fields = parse_inbound(_channel(), _post_json({"from": "+250788123123", "text": "hi", "id": external_id}))
    assert fields.external_id is None and fields.received_on is None


def test_missing_text_is_an_empty_message() -> None:
    assert parse_inbound(_channel(), _get(**{"from": "+250788123123"})).text == ""


@pytest.mark.parametrize("sender", [None, "", "   ", 12.5, ["+250788123123"]])
def test_a_missing_or_unusable_sender_is_a_400(sender: object) -> None:
    message = _error(parse_inbound, _channel(), _post_json({"from": sender, "text": "hi"}))
    assert message == "missing required field 'from': must have one of 'sender' or 'from' set"


def test_text_that_is_not_a_string_is_a_400() -> None:
    assert (
        _error(parse_inbound, _channel(), _post_json({"from": "+250788123123", "text": 5}))
        == "'text' must be a string"
    )


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_only_get_and_post_are_taken(method: str) -> None:
    assert (
        _error(parse_inbound, _channel(), _post_json({"from": "+250788123123"}, method=method))
        == "use GET or POST"
    )


def test_a_post_with_a_date_stores_it() -> None:
    fields = parse_inbound(
        _channel(), _post_json({"from": "+250788123123", "time": "2012-04-23T18:25:43+02:00"})
    )
    assert fields.received_on == datetime(2012, 4, 23, 16, 25, 43, tzinfo=UTC)
    assert _error(
        parse_inbound, _channel(), _post_json({"from": "+250788123123", "date": "yesterday"})
    ).startswith(receive.DATE_ERROR)


def test_tel_channels_refuse_names_ext_channels_take_them() -> None:
    message = _error(parse_inbound, _channel(), _get(**{"from": "MTN", "text": "promo"}))
    assert "not a possible number" in message and "MTN" in message
    assert parse_inbound(_channel(scheme="ext"), _get(**{"from": "MTN", "text": "promo"})).sender == "MTN"
    receive.check_sender(_channel(scheme="ext"), "MTN")  # no error


# --- the answer -------------------------------------------------------------------------------


def test_courier_json_is_compact_and_keeps_unicode() -> None:
    assert courier_json({"status": "D", "text": "café"}) == '{"status":"D","text":"café"}'.encode()


def test_the_answer_names_the_message_like_courier() -> None:
    channel = _channel()
    msg_uuid = str(uuid.uuid4())
    fields = InboundFields(
        sender="+250788123123",
        text="hi",
        external_id="ext-1",
        received_on=datetime(2012, 4, 23, 18, 25, 43, 511000, tzinfo=UTC),
        attachments=["image/jpeg:https://x/y.jpg"],
    )
    status, content_type, body = inbound_response(
        channel, Received(msg_uuid, "tel:+250788123123", True), fields
    )
    assert (status, content_type) == (200, "application/json")
    assert json.loads(body) == {
        "message": "Message Accepted",
        "data": [
            {
                "type": "msg",
                "channel_uuid": str(channel.uuid),
                "msg_uuid": msg_uuid,
                "text": "hi",
                "urn": "tel:+250788123123",
                "attachments": ["image/jpeg:https://x/y.jpg"],
                "external_id": "ext-1",
                "received_on": "2012-04-23T18:25:43.511000Z",
                "duplicate": True,
            }
        ],
        "uuid": msg_uuid,
    }
    assert b'"duplicate":true' in body  # compact, as aggregators match it


def test_the_answer_leaves_out_what_the_post_did_not_carry() -> None:
    _, _, body = inbound_response(
        _channel(), Received("u-1", "tel:+1", False), InboundFields(sender="+1", text="")
    )
    data = json.loads(body)["data"][0]
    assert set(data) == {"type", "channel_uuid", "msg_uuid", "text", "urn", "duplicate"}
    assert data["duplicate"] is False


def test_a_configured_fixed_answer_replaces_the_json() -> None:
    received, fields = Received("u-1", "tel:+1", False), InboundFields(sender="+1", text="")
    assert inbound_response(_channel(mo_response="OK"), received, fields) == (200, "text/plain", b"OK")
    assert inbound_response(
        _channel(mo_response="<ok/>", mo_response_content_type="text/xml"), received, fields
    ) == (200, "text/xml", b"<ok/>")
