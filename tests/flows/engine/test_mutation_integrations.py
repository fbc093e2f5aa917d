"""Pins the actions that call workspace services (open_ticket, transfer_airtime, call_llm): their
exact events, what they hand the airtime and LLM services, and the output locals the flow splits
on, including every way each action can fail."""

from __future__ import annotations

import types as pytypes
from typing import Any

import pytest

from flows.engine.actions import integrations
from flows.engine.services import AirtimeTransfer, LLMResponse, ServiceError

from .builders import action_events
from .helpers import CHANNEL, FIELDS, GROUPS, contact, seeded_engine
from .test_actions import TRIGGER, one_node

# the ids SeededUUIDs(7) hands out in order: the run takes U[0] and U[1]
U = [
    "d23f0824-128b-4f33-8c5c-7fd0a6a3a450",
    "9531985d-5d9d-49f8-9818-e811892f902b",
    "6b0d549b-6f03-475a-9600-a35a099950d8",
    "8d116ece-1738-47d9-bd9c-172411e20b8f",
    "90c192cf-d3ac-44af-8f21-ddb66cad4a26",
    "a170b338-3926-4059-b28c-105d1fb17c23",
]
T4 = "2024-03-01T09:00:04.000000Z"
T5 = "2024-03-01T09:00:05.000000Z"
TOPIC = {"uuid": "70b1c000-0000-4000-8000-000000000001", "name": "Support"}
LLM = {"uuid": "11a00000-0000-4000-8000-000000000001", "name": "GPT", "type": "openai", "roles": ["engine"]}
PHONE = "tel:+250788123123"


class FakeAirtime:
    def __init__(self, error: ServiceError | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.error = error

    def transfer(
        self, *, transfer_uuid: str, sender: str, recipient: str, amounts: dict[str, Any]
    ) -> AirtimeTransfer:
        self.calls.append(
            {"transfer_uuid": transfer_uuid, "sender": sender, "recipient": recipient, "amounts": amounts}
        )
        if self.error:
            raise self.error
        return AirtimeTransfer(
            currency="RWF", amount=500, external_id="ext-1", http_logs=[{"url": "http://air.test"}]
        )


class FakeLLM:
    def __init__(self, error: ServiceError | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.error = error

    def respond(self, *, instructions: str, input: str, max_tokens: int) -> LLMResponse:
        self.calls.append({"instructions": instructions, "input": input, "max_tokens": max_tokens})
        if self.error:
            raise self.error
        return LLMResponse("Bonjour", tokens_in=12, tokens_out=3)


def run(
    *actions: dict[str, Any],
    who: dict[str, Any] | None = None,
    airtime: Any = None,
    llm: Any = None,
    **assets: Any,
) -> tuple[list[dict[str, Any]], Any]:
    """Starts a one-node flow of `actions` with these services; its events (without run start
    and end) and the sprint."""
    data = {
        "flows": [one_node(*actions)],
        "channels": [CHANNEL],
        "fields": FIELDS,
        "groups": GROUPS,
        **assets,
    }
    sprint = seeded_engine(data, airtime=airtime, llm=llm).start(who or contact(), TRIGGER)
    return action_events(sprint), sprint


def locals_of(sprint: Any) -> dict[str, Any]:
    return dict(sprint.session.runs[0].locals)


def error(text: str, uuid: str = U[2], created_on: str = T4) -> dict[str, Any]:
    return {"uuid": uuid, "type": "error", "created_on": created_on, "text": text}


def missing(kind: str, identity: str, name: str, uuid: str = U[2]) -> dict[str, Any]:
    return {
        "uuid": uuid,
        "type": "error",
        "created_on": T4,
        "text": f"Missing dependency: {kind}[uuid={identity},name={name}]",
        "code": "dependency:missing",
        "extra": {"identity": identity, "type": kind},
    }


# ----------------------------------------------------------------------------------- open_ticket


def test_open_ticket_with_topic_assignee_and_note() -> None:
    events, sprint = run(
        {
            "type": "open_ticket",
            "topic": {"uuid": TOPIC["uuid"], "name": "Old name"},
            "assignee": {"email": "bob@example.com", "name": "Bob"},
            "note": "  Call @contact.first_name back  ",
        },
        topics=[TOPIC],
    )
    assert events == [
        {
            "uuid": U[3],
            "type": "ticket_opened",
            "created_on": T4,
            "ticket": {
                "uuid": U[2],
                "status": "open",
                "topic": {"name": "Support", "uuid": TOPIC["uuid"]},
                "assignee": {"email": "bob@example.com", "name": "Bob"},
            },
        },
        {
            "uuid": U[4],
            "type": "ticket_note_added",
            "created_on": T5,
            "ticket_uuid": U[2],
            "note": "Call Amina back",
        },
    ]
    assert locals_of(sprint) == {"_new_ticket": U[2]}
    assert sprint.session.contact.to_json()["tickets"] == [
        {
            "uuid": U[2],
            "topic": {"name": "Support", "uuid": TOPIC["uuid"]},
            "assignee": {"email": "bob@example.com", "name": "Bob"},
        }
    ]


def test_open_ticket_without_topic_assignee_or_note() -> None:
    events, sprint = run({"type": "open_ticket"}, topics=[TOPIC])
    assert events == [
        {"uuid": U[3], "type": "ticket_opened", "created_on": T4, "ticket": {"uuid": U[2], "status": "open"}}
    ]
    assert locals_of(sprint) == {"_new_ticket": U[2]}
    assert sprint.session.contact.to_json()["tickets"] == [{"uuid": U[2], "topic": None, "assignee": None}]


def test_open_ticket_note_falls_back_to_body() -> None:
    events, _ = run({"type": "open_ticket", "body": "From @contact.first_name in @run.flow.name"})
    assert events[1] == {
        "uuid": U[4],
        "type": "ticket_note_added",
        "created_on": T5,
        "ticket_uuid": U[2],
        "note": "From Amina in Actions",
    }


def test_open_ticket_with_unknown_topic_is_a_missing_dependency() -> None:
    events, sprint = run(
        {"type": "open_ticket", "topic": {"uuid": "70b1c000-0000-4000-8000-00000000dead", "name": "Gone"}}
    )
    assert events == [missing("topic", "70b1c000-0000-4000-8000-00000000dead", "Gone")]
    assert locals_of(sprint) == {"_new_ticket": ""}
    assert "tickets" not in sprint.session.contact.to_json()


def test_open_ticket_topic_without_uuid_matches_no_topic() -> None:
    events, _ = run({"type": "open_ticket", "topic": {"name": "Support"}}, topics=[dict(TOPIC, uuid="XXXX")])
    assert events == [
        {
            "uuid": U[2],
            "type": "error",
            "created_on": T4,
            "text": "Missing dependency: topic[uuid=,name=Support]",
            "code": "dependency:missing",
            "extra": {"identity": "", "type": "topic"},
        }
    ]


def test_contact_with_an_open_ticket_gets_no_second_one() -> None:
    who = contact(tickets=[{"uuid": "71c00000-0000-4000-8000-000000000001", "topic": None, "assignee": None}])
    events, sprint = run({"type": "open_ticket", "note": "hi"}, who=who)
    assert events == []
    assert locals_of(sprint) == {"_new_ticket": ""}


def test_open_ticket_local_is_visible_to_later_actions() -> None:
    events, _ = run(
        {"type": "send_msg", "text": "before=@locals._new_ticket"},
        {"type": "open_ticket"},
        {"type": "send_msg", "text": "after=@locals._new_ticket"},
    )
    assert [e["msg"]["text"] for e in events if e["type"] == "msg_created"] == ["before=", f"after={U[4]}"]


def test_refused_ticket_local_is_visible_to_later_actions() -> None:
    who = contact(tickets=[{"uuid": "71c00000-0000-4000-8000-000000000001"}])
    events, _ = run(
        {"type": "set_run_local", "local": "_new_ticket", "value": "old"},
        {"type": "send_msg", "text": "before=@locals._new_ticket"},
        {"type": "open_ticket"},
        {"type": "send_msg", "text": "after=@locals._new_ticket"},
        who=who,
    )
    assert [e["msg"]["text"] for e in events] == ["before=old", "after="]


# ----------------------------------------------------------------------------------- transfer_airtime


def test_transfer_airtime_success() -> None:
    service = FakeAirtime()
    events, sprint = run({"type": "transfer_airtime", "amounts": {"RWF": 500, "USD": 0.5}}, airtime=service)
    assert service.calls == [
        {"transfer_uuid": U[2], "sender": "", "recipient": PHONE, "amounts": {"RWF": 500, "USD": 0.5}}
    ]
    assert events == [
        {
            "uuid": U[2],
            "type": "airtime_created",
            "created_on": T4,
            "external_id": "ext-1",
            "sender": "",
            "recipient": PHONE,
            "currency": "RWF",
            "amount": 500,
            "http_logs": [{"url": "http://air.test"}],
        }
    ]
    assert locals_of(sprint) == {"_new_transfer": U[2]}


@pytest.mark.parametrize(
    ("channel", "urns", "sender"),
    [
        # the preferred channel sends from its phone number
        (dict(CHANNEL, address="+250700000001"), [PHONE], "tel:+250700000001"),
        (dict(CHANNEL, address="+250700000001", country=""), [PHONE], "tel:+250700000001"),
        # a channel without an address can't be the sender
        (CHANNEL, [PHONE], ""),
        # nor can one that doesn't send to phone numbers
        (
            dict(CHANNEL, schemes=["whatsapp"], address="+250700000001"),
            ["whatsapp:250788000000", PHONE],
            "",
        ),
    ],
)
def test_transfer_airtime_sender_is_the_preferred_tel_channel(
    channel: dict[str, Any], urns: list[str], sender: str
) -> None:
    service = FakeAirtime()
    events, _ = run(
        {"type": "transfer_airtime", "amounts": {"RWF": 500}},
        who=contact(urns=urns),
        airtime=service,
        channels=[channel],
    )
    assert [c["sender"] for c in service.calls] == [sender]
    assert events[0]["sender"] == sender


def test_transfer_airtime_goes_to_the_first_phone_number() -> None:
    service = FakeAirtime()
    events, _ = run(
        {"type": "transfer_airtime", "amounts": {"RWF": 500}},
        who=contact(urns=["mailto:amina@example.com", "tel:+250788000111", PHONE]),
        airtime=service,
    )
    assert service.calls[0]["recipient"] == "tel:+250788000111"
    assert events[0]["recipient"] == "tel:+250788000111"


def test_transfer_airtime_needs_a_phone_number() -> None:
    service = FakeAirtime()
    events, sprint = run(
        {"type": "transfer_airtime", "amounts": {"RWF": 500}},
        who=contact(urns=["mailto:a@b.co"]),
        airtime=service,
    )
    assert events == [error("can't transfer airtime to contact without a phone number")]
    assert service.calls == []
    assert locals_of(sprint) == {"_new_transfer": ""}


def test_transfer_airtime_needs_a_service() -> None:
    events, sprint = run({"type": "transfer_airtime", "amounts": {"RWF": 500}})
    assert events == [error("no airtime service configured")]
    assert locals_of(sprint) == {"_new_transfer": ""}


def test_transfer_airtime_refused_by_the_provider() -> None:
    service = FakeAirtime(ServiceError("no RWF balance"))
    events, sprint = run({"type": "transfer_airtime", "amounts": {"RWF": 500}}, airtime=service)
    assert events == [error("no RWF balance", uuid=U[3])]
    assert locals_of(sprint) == {"_new_transfer": ""}


def test_transfer_airtime_local_is_visible_to_later_actions() -> None:
    events, _ = run(
        {"type": "set_run_local", "local": "_new_transfer", "value": "old"},
        {"type": "send_msg", "text": "before=@locals._new_transfer"},
        {"type": "transfer_airtime", "amounts": {"RWF": 500}},
        {"type": "send_msg", "text": "after=@locals._new_transfer"},
        airtime=FakeAirtime(),
    )
    assert [e["msg"]["text"] for e in events if e["type"] == "msg_created"] == ["before=old", f"after={U[3]}"]


def test_failed_transfer_local_is_visible_to_later_actions() -> None:
    events, _ = run(
        {"type": "set_run_local", "local": "_new_transfer", "value": "old"},
        {"type": "send_msg", "text": "before=@locals._new_transfer"},
        {"type": "transfer_airtime", "amounts": {"RWF": 500}},
        {"type": "send_msg", "text": "after=@locals._new_transfer"},
    )
    assert [e["msg"]["text"] for e in events if e["type"] == "msg_created"] == ["before=old", "after="]


# ----------------------------------------------------------------------------------- call_llm


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """time.monotonic() as call_llm sees it: the call takes 1.25 s."""
    ticks = iter([100.0, 101.25])
    monkeypatch.setattr(integrations, "time", pytypes.SimpleNamespace(monotonic=lambda: next(ticks)))


def llm_action(**over: Any) -> dict[str, Any]:
    action = {
        "type": "call_llm",
        "llm": {"uuid": LLM["uuid"], "name": "Old name"},
        "instructions": "Translate for @contact.first_name",
        "input": "Hello @contact.name",
        "output_local": "_translation",
    }
    action.update(over)
    return {k: v for k, v in action.items() if v is not None}


def test_call_llm_success(clock: None) -> None:
    service = FakeLLM()
    asked: list[dict[str, Any]] = []

    def factory(llm: dict[str, Any]) -> FakeLLM:
        asked.append(llm)
        return service

    events, sprint = run(llm_action(), llm=factory, llms=[LLM])
    assert asked == [LLM]
    assert service.calls == [
        {"instructions": "Translate for Amina", "input": "Hello Amina Uwase", "max_tokens": 2500}
    ]
    assert events == [
        {
            "uuid": U[2],
            "type": "llm_called",
            "created_on": T4,
            "llm": {"uuid": LLM["uuid"], "name": "GPT"},
            "instructions": "Translate for Amina",
            "input": "Hello Amina Uwase",
            "output": "Bonjour",
            "tokens": {"input": 12, "output": 3},
            "elapsed_ms": 1250,
        }
    ]
    assert locals_of(sprint) == {"_translation": "Bonjour"}


def test_call_llm_defaults(clock: None) -> None:
    """No instructions, input or output local: empty texts, output in `_llm_output`; an llm
    asset without a name or roles is named "" and may be used by the engine."""
    service = FakeLLM()
    bare = {"uuid": LLM["uuid"]}
    events, sprint = run(
        llm_action(instructions=None, input=None, output_local=None), llm=lambda _: service, llms=[bare]
    )
    assert service.calls == [{"instructions": "", "input": "", "max_tokens": 2500}]
    assert events[0]["llm"] == {"uuid": LLM["uuid"], "name": ""}
    assert locals_of(sprint) == {"_llm_output": "Bonjour"}


def test_call_llm_with_unknown_llm() -> None:
    events, sprint = run(
        llm_action(llm={"uuid": "11a00000-0000-4000-8000-00000000dead", "name": "Gone"}),
        llm=lambda _: FakeLLM(),
        llms=[LLM],
    )
    assert events == [missing("llm", "11a00000-0000-4000-8000-00000000dead", "Gone")]
    assert locals_of(sprint) == {"_translation": "<ERROR>"}


def test_call_llm_reference_without_uuid_matches_no_llm() -> None:
    events, sprint = run(
        llm_action(llm={"name": "GPT"}), llm=lambda _: FakeLLM(), llms=[dict(LLM, uuid="XXXX")]
    )
    assert events == [
        {
            "uuid": U[2],
            "type": "error",
            "created_on": T4,
            "text": "Missing dependency: llm[uuid=,name=GPT]",
            "code": "dependency:missing",
            "extra": {"identity": "", "type": "llm"},
        }
    ]
    assert locals_of(sprint) == {"_translation": "<ERROR>"}


def test_call_llm_needs_the_engine_role() -> None:
    service = FakeLLM()
    events, sprint = run(llm_action(), llm=lambda _: service, llms=[dict(LLM, roles=["editing"])])
    assert events == [error(f"LLM {LLM['uuid']} does not have the engine role")]
    assert service.calls == []
    assert locals_of(sprint) == {"_translation": "<ERROR>"}


@pytest.mark.parametrize("factory", [None, lambda _: None])
def test_call_llm_needs_a_service(factory: Any) -> None:
    events, sprint = run(llm_action(), llm=factory, llms=[LLM])
    assert events == [error("no LLM service configured")]
    assert locals_of(sprint) == {"_translation": "<ERROR>"}


def test_call_llm_service_error() -> None:
    events, sprint = run(llm_action(), llm=lambda _: FakeLLM(ServiceError("model overloaded")), llms=[LLM])
    assert events == [error("model overloaded")]
    assert locals_of(sprint) == {"_translation": "<ERROR>"}
