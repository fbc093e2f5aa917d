"""Issue 16 #2: flow regexes run on sender-controlled text in linear time, with goflow's RE2 rules.

On main `has_pattern` / `regex_match` used Python's backtracking `re`: `^(a+)+$` against 33
characters held the web process for minutes. The request below would never come back there
(the client gives up, the test fails); with RE2 it is answered at once.
"""

from __future__ import annotations

from typing import Any

from flows.engine import regex

FLOW = "6a0d1a43-5a3c-4c3e-9f1e-0000000000aa"


def _uuid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def _export() -> dict[str, Any]:
    def send(node: int, text: str) -> dict[str, Any]:
        return {
            "uuid": _uuid(node),
            "actions": [{"uuid": _uuid(node + 100), "type": "send_msg", "text": text, "quick_replies": []}],
            "exits": [{"uuid": _uuid(node + 200), "destination_uuid": None}],
        }

    wait = {
        "uuid": _uuid(1),
        "actions": [],
        "router": {
            "type": "switch",
            "operand": "@input.text",
            "wait": {"type": "msg"},
            "cases": [
                {
                    "uuid": _uuid(11),
                    "type": "has_pattern",
                    "arguments": ["^(a+)+$"],
                    "category_uuid": _uuid(21),
                },
            ],
            "categories": [
                {"uuid": _uuid(21), "name": "Evil", "exit_uuid": _uuid(31)},
                {"uuid": _uuid(22), "name": "Other", "exit_uuid": _uuid(32)},
            ],
            "default_category_uuid": _uuid(22),
        },
        "exits": [
            {"uuid": _uuid(31), "destination_uuid": _uuid(2)},
            {"uuid": _uuid(32), "destination_uuid": _uuid(3)},
        ],
    }
    nodes = [
        wait,
        send(2, "matched"),
        send(3, 'other [@(regex_match(input.text, "^(a|aa)+$"))] [@(regex_match(input.text, "(a+)!", 1))]'),
    ]
    flow = {"uuid": FLOW, "name": "Regex", "spec_version": "13.1.0", "language": "eng", "type": "messaging",
            "revision": 1, "expire_after_minutes": 60, "localization": {}, "nodes": nodes}  # fmt: skip
    return {"version": "13", "site": "https://example.org", "flows": [flow]}


def test_catastrophic_patterns_do_not_stall_the_web_process(live_asgi: Any, token: str) -> None:
    evil = "a" * 5000 + "!"
    with live_asgi.client(headers={"Authorization": f"Token {token}"}) as http:
        assert http.post("/api/v1/flows/import", json=_export()).status_code == 200
        answer = http.post("/api/v1/simulate", json={"flow": FLOW, "inputs": [evil]})
        assert answer.status_code == 200, answer.text
        texts = [e["msg"]["text"] for e in answer.json()["events"] if e["type"] == "msg_created"]
        assert texts == [f"other [] [{'a' * 5000}]"]
        # The same patterns still match what they should.
        answer = http.post("/api/v1/simulate", json={"flow": FLOW, "inputs": ["a" * 40]})
        assert [e["msg"]["text"] for e in answer.json()["events"] if e["type"] == "msg_created"] == [
            "matched"
        ]


def test_go_regexp_rules_like_goflow() -> None:
    # RE2 (Go's regexp) has no lookaround or backreferences: goflow refuses these patterns.
    for pattern in (r"(?<=a)b", r"(a)\1", r"a(?=b)"):
        try:
            regex.compile_pattern(pattern)
        except regex.error:
            continue
        raise AssertionError(f"{pattern} should be refused as goflow refuses it")
    # \d is ASCII in Go, not every Unicode digit as in Python's re.
    assert regex.compile_pattern(r"\d+").search("٣٤") is None
    assert regex.compile_pattern("buy (\\w+)", ignore_case=True).search("Buy cheese").group(1) == "cheese"
