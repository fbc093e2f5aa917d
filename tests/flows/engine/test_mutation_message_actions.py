"""Message actions one at a time: the exact msg_created / ivr_created / broadcast_created /
email_sent events (and the error events) for texts, attachments, quick replies, localization,
destinations, channel templates and the voice actions say_msg and play_audio."""

from __future__ import annotations

from typing import Any

import pytest

from .builders import action_events, without_ids
from .helpers import CHANNEL, contact, engine
from .test_actions import TRIGGER, one_node

SMS = {"name": "Test SMS", "uuid": CHANNEL["uuid"]}
OTHER_UUID = "c2000000-0000-4000-8000-000000000002"
OTHER = {"uuid": OTHER_UUID, "name": "Other", "schemes": ["tel"], "country": "KE"}
OTHER_REF = {"name": "Other", "uuid": OTHER_UUID}
IVR = {"uuid": "c3000000-0000-4000-8000-000000000003", "name": "IVR", "schemes": ["tel"], "roles": ["call"]}
ENV = {"allowed_languages": ["eng", "fra"], "default_country": "US"}
URN = "tel:+250788123123"
TPL_UUID = "70000000-0000-4000-8000-000000000001"


def run(
    *actions: dict[str, Any],
    who: dict[str, Any] | None = None,
    localization: dict[str, Any] | None = None,
    flow_type: str = "messaging",
    env: dict[str, Any] | None = None,
    **assets: Any,
) -> list[dict[str, Any]]:
    """Starts a one-node flow of `actions`; its events without ids or run start and end."""
    flow = one_node(*actions)
    flow["type"] = flow_type
    if localization:
        flow["localization"] = localization
    sprint = engine([flow], **assets).start(who or contact(), TRIGGER, ENV if env is None else env)
    return [without_ids(e) for e in action_events(sprint)]


def sent(msg: dict[str, Any]) -> dict[str, Any]:
    return {"type": "msg_created", "msg": msg}


def err(text: str) -> dict[str, Any]:
    return {"type": "error", "text": text}


# ------------------------------------------------------------------------------- send_msg


def test_send_msg_cuts_long_text() -> None:
    events = run({"type": "send_msg", "text": '@(repeat("a", 5000))@(repeat("a", 5001))'})
    assert events == [sent({"urn": URN, "channel": SMS, "text": "a" * 9997 + "...", "locale": "eng-RW"})]


def test_send_msg_attachments_keep_valid_ones_and_report_the_rest() -> None:
    long = "image/png:http://x/" + "a" * 2029  # 2048 characters: kept
    events = run(
        {
            "type": "send_msg",
            "text": "Pics",
            "attachments": [
                ' image/jpeg:http://x/@("a").jpg ',
                "nocolon",
                " :http://x",
                "image: ",
                long,
                long + "a",
            ],
        }
    )
    assert events == [
        err("Attachment evaluated to invalid value and will be ignored"),
        err("Attachment evaluated to invalid value and will be ignored"),
        err("Attachment evaluated to invalid value and will be ignored"),
        err("Evaluated attachment is longer than the 2048 limit and will be ignored"),
        sent(
            {
                "urn": URN,
                "channel": SMS,
                "text": "Pics",
                "attachments": ["image/jpeg:http://x/a.jpg", long],
                "locale": "eng-RW",
            }
        ),
    ]


def test_send_msg_with_only_invalid_attachments_has_none() -> None:
    events = run({"type": "send_msg", "text": "Hi", "attachments": ["bad"], "quick_replies": ['@("")']})
    assert events == [
        err("Attachment evaluated to invalid value and will be ignored"),
        err("Quick reply evaluated to empty string and will be ignored"),
        sent({"urn": URN, "channel": SMS, "text": "Hi", "locale": "eng-RW"}),
    ]


def test_send_msg_quick_replies() -> None:
    events = run(
        {
            "type": "send_msg",
            "text": "Pick",
            "quick_replies": [
                " Yes ",
                {"text": "Where?", "type": "location"},
                {"text": "Plain"},
                {"type": "text"},
                " A <extra> more ",
                "B<extra>  ",
                "q" * 65 + '<extra>@(repeat("e", 1001))',
            ],
        }
    )
    assert events == [
        err("Quick reply evaluated to empty string and will be ignored"),
        sent(
            {
                "urn": URN,
                "channel": SMS,
                "text": "Pick",
                "quick_replies": [
                    {"type": "text", "text": "Yes"},
                    {"type": "location", "text": "Where?"},
                    {"type": "text", "text": "Plain"},
                    {"type": "text", "text": "A", "extra": "more"},
                    {"type": "text", "text": "B"},
                    {"type": "text", "text": "q" * 61 + "...", "extra": "e" * 997 + "..."},
                ],
                "locale": "eng-RW",
            }
        ),
    ]


def test_send_msg_in_the_contacts_language() -> None:
    localization = {
        "fra": {
            "a0": {
                "text": ["Bonjour @contact.first_name"],
                "attachments": ["image/png:http://fr.png"],
                "quick_replies": ["Oui", "Non"],
            }
        }
    }
    action = {
        "type": "send_msg",
        "text": "Hello",
        "attachments": ["image/png:http://en.png"],
        "quick_replies": ["Yes"],
    }
    events = run(action, who=contact(language="fra"), localization=localization)
    assert events == [
        sent(
            {
                "urn": URN,
                "channel": SMS,
                "text": "Bonjour Amina",
                "attachments": ["image/png:http://fr.png"],
                "quick_replies": [{"type": "text", "text": "Oui"}, {"type": "text", "text": "Non"}],
                "locale": "fra-RW",
            }
        )
    ]
    # an empty translated text falls back to the flow's text
    localization["fra"]["a0"]["text"] = []
    events = run(
        {"type": "send_msg", "text": "Hello"}, who=contact(language="fra"), localization=localization
    )
    assert events == [
        sent(
            {
                "urn": URN,
                "channel": SMS,
                "text": "Hello",
                "attachments": ["image/png:http://fr.png"],
                "quick_replies": [{"type": "text", "text": "Oui"}, {"type": "text", "text": "Non"}],
                "locale": "fra-RW",
            }
        )
    ]


def test_send_msg_ignores_a_language_that_is_not_allowed() -> None:
    localization = {"spa": {"a0": {"text": ["Hola"]}}}
    events = run(
        {"type": "send_msg", "text": "Hello"}, who=contact(language="spa"), localization=localization
    )
    assert events == [sent({"urn": URN, "channel": SMS, "text": "Hello", "locale": "eng-RW"})]


@pytest.mark.parametrize(
    ("urns", "env", "msg"),
    [
        ([], ENV, {"text": "Hi", "locale": "eng-US", "unsendable_reason": "no_route"}),
        ([], {}, {"text": "Hi", "locale": "eng", "unsendable_reason": "no_route"}),
        (["tel:+254711000000"], {}, {"text": "Hi", "locale": "eng-KE", "unsendable_reason": "no_route"}),
        (["twitter:amina"], ENV, {"text": "Hi", "locale": "eng-US", "unsendable_reason": "no_route"}),
        (
            ["bad urn", "twitter:amina", URN],
            ENV,
            {"urn": URN, "channel": SMS, "text": "Hi", "locale": "eng-RW"},
        ),
        (
            [URN + "?channel=" + OTHER_UUID, "tel:+250788999999"],
            ENV,
            {"urn": URN, "channel": OTHER_REF, "text": "Hi", "locale": "eng-KE"},
        ),
        (
            [URN + "?foo=1&channel=c-gone&x=2"],
            ENV,
            {"urn": URN, "channel": SMS, "text": "Hi", "locale": "eng-RW"},
        ),
    ],
)
def test_send_msg_destinations(urns: list[str], env: dict[str, Any], msg: dict[str, Any]) -> None:
    channels = [CHANNEL, OTHER] if any(OTHER_UUID in u for u in urns) or not urns else [CHANNEL]
    if urns and urns[0] == "tel:+254711000000":
        channels = []
    events = run(
        {"type": "send_msg", "text": "Hi"}, who=contact(urns=urns), env=env, channels=channels or [IVR]
    )
    assert events == [sent(msg)]


def test_send_msg_uses_the_channel_named_by_the_urn() -> None:
    who = contact(urns=[URN + "?channel=" + OTHER_UUID + "&x=1"])
    events = run({"type": "send_msg", "text": "Hi"}, who=who, channels=[CHANNEL, OTHER])
    assert events == [sent({"urn": URN, "channel": OTHER_REF, "text": "Hi", "locale": "eng-KE"})]


def test_send_msg_channel_without_country_uses_the_phone_numbers_country() -> None:
    plain = {k: v for k, v in CHANNEL.items() if k != "country"}
    events = run({"type": "send_msg", "text": "Hi"}, channels=[plain])
    assert events == [sent({"urn": URN, "channel": SMS, "text": "Hi", "locale": "eng-RW"})]
    events = run({"type": "send_msg", "text": "Hi"}, who=contact(urns=["tel:12345"]), channels=[plain])
    assert events == [sent({"urn": "tel:12345", "channel": SMS, "text": "Hi", "locale": "eng-US"})]


@pytest.mark.parametrize("status", ["blocked", "stopped", "archived"])
def test_send_msg_to_an_inactive_contact_is_unsendable(status: str) -> None:
    events = run({"type": "send_msg", "text": "Hi"}, who=contact(status=status))
    assert events == [
        sent(
            {
                "urn": URN,
                "channel": SMS,
                "text": "Hi",
                "locale": "eng-RW",
                "unsendable_reason": f"contact_{status}",
            }
        )
    ]


# ------------------------------------------------------------------------------- templates


def template(*translations: dict[str, Any]) -> dict[str, Any]:
    return {"uuid": TPL_UUID, "name": "greeting", "translations": list(translations)}


def translation(locale: str, channel: dict[str, Any] = SMS, **over: Any) -> dict[str, Any]:
    t = {
        "channel": channel,
        "locale": locale,
        "components": [
            {"name": "header", "type": "header/text", "content": "Hi {{1}}", "variables": {"1": 0}},
            {
                "name": "body",
                "type": "body/text",
                "content": "{{ 1 }}, see {{2}} {{3}} {{x}}",
                "variables": {"1": 0, "2": 1},
            },
            {"name": "empty", "type": "footer/text", "content": ""},
            {
                "name": "button.0",
                "type": "button/quick_reply",
                "content": "Stop {{1}}",
                "variables": {"1": 1},
            },
            {"name": "button.1", "type": "button/quick_reply", "content": ""},
            {"name": "image", "type": "header/media", "variables": {"1": 2, "2": 3, "3": 0, "4": 9}},
            {"name": "other", "type": "button/url", "content": "ignored {{1}}"},
        ],
        "variables": [{"type": "text"}, {"type": "text"}, {}, {"type": "image"}],
    }
    t.update(over)
    return t


def templated(
    *tr: dict[str, Any], who: dict[str, Any] | None = None, env: dict[str, Any] | None = None, **action: Any
) -> list[dict[str, Any]]:
    act = {
        "type": "send_msg",
        "text": "Plain",
        "template": {"uuid": TPL_UUID, "name": "greeting"},
        "template_variables": [
            "@contact.first_name",
            '@("docs")',
            "image/png:http://x.png",
            "image/jpeg:http://y.jpg",
            "extra",
        ],
    }
    act.update(action)
    return run(act, who=who, env=env, templates=[template(*tr)], channels=[CHANNEL, OTHER])


def test_send_msg_fills_a_channel_template() -> None:
    events = templated(translation("eng-RW"))
    assert events == [
        sent(
            {
                "urn": URN,
                "channel": SMS,
                "text": "Hi Amina\n\nAmina, see docs {{3}} {{x}}",
                "attachments": ["image/png:http://x.png", "image/jpeg:http://y.jpg"],
                "quick_replies": [{"type": "text", "text": "Stop docs"}],
                "templating": {
                    "template": {"uuid": TPL_UUID, "name": "greeting"},
                    "components": [
                        {"name": "header", "type": "header/text", "variables": {"1": 0}},
                        {"name": "body", "type": "body/text", "variables": {"1": 0, "2": 1}},
                        {"name": "button.0", "type": "button/quick_reply", "variables": {"1": 1}},
                        {
                            "name": "image",
                            "type": "header/media",
                            "variables": {"1": 2, "2": 3, "3": 0, "4": 9},
                        },
                    ],
                    "variables": [
                        {"type": "text", "value": "Amina"},
                        {"type": "text", "value": "docs"},
                        {"type": "text", "value": "image/png:http://x.png"},
                        {"type": "image", "value": "image/jpeg:http://y.jpg"},
                    ],
                },
                "locale": "eng-RW",
            }
        )
    ]


def test_template_variables_missing_are_empty() -> None:
    tr = translation(
        "eng",
        components=[
            {"name": "body", "type": "body/text", "content": "A{{1}}B{{2}}", "variables": {"1": 0, "2": 1}}
        ],
        variables=[{"type": "text"}, {"type": "text"}],
    )
    events = templated(tr, template_variables=["x"])
    assert events == [
        sent(
            {
                "urn": URN,
                "channel": SMS,
                "text": "AxB",
                "templating": {
                    "template": {"uuid": TPL_UUID, "name": "greeting"},
                    "components": [{"name": "body", "type": "body/text", "variables": {"1": 0, "2": 1}}],
                    "variables": [{"type": "text", "value": "x"}, {"type": "text", "value": ""}],
                },
                "locale": "eng",
            }
        )
    ]


def test_template_without_variables_or_components() -> None:
    tr = {"channel": SMS, "locale": "eng-RW"}
    events = templated(tr, template_variables=[])
    assert events == [
        sent(
            {
                "urn": URN,
                "channel": SMS,
                "text": "",
                "templating": {"template": {"uuid": TPL_UUID, "name": "greeting"}},
                "locale": "eng-RW",
            }
        )
    ]


def test_template_variables_can_be_localized() -> None:
    tr = translation(
        "fra",
        components=[{"name": "body", "type": "body/text", "content": "Salut {{1}}", "variables": {"1": 0}}],
        variables=[{"type": "text"}],
    )
    localization = {"fra": {"a0": {"template_variables": ["@contact.name"]}}}
    act = {
        "type": "send_msg",
        "text": "Plain",
        "template": {"uuid": TPL_UUID, "name": "greeting"},
        "template_variables": ["@contact.first_name"],
    }
    events = run(act, who=contact(language="fra"), localization=localization, templates=[template(tr)])
    assert events[0]["msg"]["text"] == "Salut Amina Uwase"
    assert events[0]["msg"]["locale"] == "fra"


@pytest.mark.parametrize(
    ("locales", "lang", "chosen"),
    [
        (["eng", "eng-RW"], "eng", "eng-RW"),
        (["eng-US", "eng"], "eng", "eng"),
        (["eng-US"], "eng", "eng-US"),
        (["fra-CA", "eng-RW"], "fra", "fra-CA"),
        (["fra-RW", "eng-RW"], "fra", "fra-RW"),
        (["spa", "eng-US"], "fra", "eng-US"),
    ],
)
def test_template_translation_choice(locales: list[str], lang: str, chosen: str) -> None:
    trs = [
        translation(loc, components=[{"name": "body", "type": "body/text", "content": loc}], variables=[])
        for loc in locales
    ]
    env = {**ENV, "default_language": "eng"}
    events = templated(*trs, who=contact(language=lang), env=env)
    assert events[0]["msg"]["text"] == chosen
    assert events[0]["msg"]["locale"] == chosen


def test_template_for_another_channel_or_missing_sends_the_text() -> None:
    for tpl in ([translation("eng-RW", channel=OTHER_REF)], [translation("spa", channel=SMS)]):
        events = templated(*tpl)
        assert events == [sent({"urn": URN, "channel": SMS, "text": "Plain", "locale": "eng-RW"})]
    events = templated(translation("eng-RW"), template={"uuid": "7-gone", "name": "x"})
    assert events == [sent({"urn": URN, "channel": SMS, "text": "Plain", "locale": "eng-RW"})]


def test_no_template_without_a_channel() -> None:
    events = templated(translation("eng-RW"), who=contact(urns=[]))
    assert events == [sent({"text": "Plain", "locale": "eng-US", "unsendable_reason": "no_route"})]


def test_template_media_needs_a_content_type_with_a_slash_and_an_url() -> None:
    tr = translation(
        "eng",
        components=[{"name": "h", "type": "header/media", "variables": {"1": 0, "2": 1, "3": 2}}],
        variables=[{"type": "image"}, {"type": "image"}, {"type": "image"}],
    )
    events = templated(tr, template_variables=["image:http://a", "image/png:", "video/mp4:http://v"])
    assert events[0]["msg"]["attachments"] == ["video/mp4:http://v"]


# ------------------------------------------------------------------------------- broadcast / email


def test_send_broadcast_in_every_flow_language() -> None:
    localization = {"fra": {"a0": {"text": ["Bonjour"]}}}
    events = run(
        {
            "type": "send_broadcast",
            "text": "Hello",
            "quick_replies": ["Ok"],
            "legacy_vars": ['@("tel:+1" & "555")'],
            "urns": ["tel:+250788999999"],
            "contacts": [{"uuid": "a1", "name": "Bob"}],
            "groups": [{"uuid": "g1", "name": "G"}],
        },
        localization=localization,
    )
    assert events == [
        {
            "type": "broadcast_created",
            "translations": {
                "eng": {"text": "Hello", "quick_replies": [{"type": "text", "text": "Ok"}]},
                "fra": {"text": "Bonjour", "quick_replies": [{"type": "text", "text": "Ok"}]},
            },
            "base_language": "eng",
            "urns": ["tel:+1555", "tel:+250788999999"],
            "contacts": [{"uuid": "a1", "name": "Bob"}],
            "groups": [{"uuid": "g1", "name": "G"}],
        }
    ]


def test_send_broadcast_minimal() -> None:
    events = run({"type": "send_broadcast", "text": "Hi", "groups": [{"uuid": "g1", "name": "G"}]})
    assert events == [
        {
            "type": "broadcast_created",
            "translations": {"eng": {"text": "Hi"}},
            "base_language": "eng",
            "groups": [{"uuid": "g1", "name": "G"}],
        }
    ]


def test_send_email() -> None:
    events = run(
        {
            "type": "send_email",
            "addresses": ["mailto:a@x.org", '@("")', '@("b" & "@x.org")'],
            "subject": "Hi @contact.first_name",
            "body": "Body @(1 + 1)",
        }
    )
    assert events == [
        {"type": "email_sent", "to": ["a@x.org", "b@x.org"], "subject": "Hi Amina", "body": "Body 2"}
    ]


# ------------------------------------------------------------------------------- voice


def voice(
    *actions: dict[str, Any], who: dict[str, Any] | None = None, localization: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    return run(*actions, who=who, localization=localization, flow_type="voice", channels=[IVR])


def test_say_msg_renders_text_and_audio() -> None:
    events = voice(
        {"type": "say_msg", "text": "Hello @contact.first_name"},
        {"type": "say_msg", "text": "Listen", "audio_url": "http://a/b.mp3"},
    )
    assert events == [
        {"type": "ivr_created", "msg": {"text": "Hello Amina", "locale": "eng"}},
        {
            "type": "ivr_created",
            "msg": {"text": "Listen", "locale": "eng", "attachments": ["audio:http://a/b.mp3"]},
        },
    ]


def test_say_msg_in_the_contacts_language() -> None:
    localization = {"fra": {"a0": {"text": ["Bonjour @contact.first_name"], "audio_url": ["http://fr.mp3"]}}}
    events = voice(
        {"type": "say_msg", "text": "Hello", "audio_url": "http://en.mp3"},
        who=contact(language="fra"),
        localization=localization,
    )
    assert events == [
        {
            "type": "ivr_created",
            "msg": {"text": "Bonjour Amina", "locale": "fra", "attachments": ["audio:http://fr.mp3"]},
        }
    ]
    events = voice({"type": "say_msg", "text": "Hi"}, who=contact(language="spa"), localization=localization)
    assert events == [{"type": "ivr_created", "msg": {"text": "Hi", "locale": "eng"}}]


def test_play_audio_plays_the_url_translated_for_the_contacts_language() -> None:
    # translated under "audio_url", as goflow does; a "text" translation is not the URL
    localization = {"fra": {"a0": {"audio_url": ["http://fr/@(contact.first_name).mp3"], "text": ["non"]}}}
    events = voice(
        {"type": "play_audio", "audio_url": "http://en.mp3"},
        who=contact(language="fra"),
        localization=localization,
    )
    assert events == [
        {
            "type": "ivr_created",
            "msg": {"text": "", "attachments": ["audio:http://fr/Amina.mp3"], "locale": "fra"},
        }
    ]
    events = voice(
        {"type": "play_audio", "audio_url": "http://en.mp3"},
        who=contact(language="spa"),
        localization=localization,
    )
    assert events == [
        {"type": "ivr_created", "msg": {"text": "", "attachments": ["audio:http://en.mp3"], "locale": "eng"}}
    ]


def test_play_audio_renders_the_url() -> None:
    events = voice(
        {"type": "play_audio", "audio_url": 'http://a/@(lower("X")).mp3'},
        {"type": "play_audio", "audio_url": "http://b.mp3"},
        who=contact(language="fra"),
    )
    assert events == [
        {
            "type": "ivr_created",
            "msg": {"text": "", "attachments": ["audio:http://a/x.mp3"], "locale": "fra"},
        },
        {"type": "ivr_created", "msg": {"text": "", "attachments": ["audio:http://b.mp3"], "locale": "fra"}},
    ]
