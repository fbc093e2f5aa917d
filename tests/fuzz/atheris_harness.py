"""Coverage-guided fuzzing (atheris/libFuzzer) of the pure parsers, for `make fuzz`.

    python -m tests.fuzz.atheris_harness smpp -runs=50000
    python -m tests.fuzz.atheris_harness connector -max_total_time=60
    python -m tests.fuzz.atheris_harness expression -runs=50000

Targets are the parsers the hypothesis properties in tests/fuzz cover, minus Django: libFuzzer
mutates bytes guided by branch coverage, which reaches spots random generation rarely does.
A crash prints the input and saves it as crash-<sha1> in the working directory.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["smsc", "aggregators.connector", "flows.engine"]):
    from aggregators.connector.parser import parse_connector
    from flows.engine import Environment, FixedClock, evaluate, evaluate_template_with
    from smsc import concat, dlr
    from smsc.pdu import CommandId, PduDecoder, PduError, decode

ENV = Environment(now=FixedClock(dt.datetime(2024, 3, 1, 10, 0, tzinfo=dt.UTC)))
CONTEXT = {"contact": {"name": "Amina", "age": 31}, "input": {"text": "Yes 42"}, "items": ["x", 3]}


def smpp(data: bytes) -> None:
    try:
        pdu = decode(data)
    except PduError:
        pdu = None
    if pdu is not None and pdu.command_id == CommandId.deliver_sm:
        if dlr.looks_like_receipt(pdu):
            dlr.parse_receipt(pdu)
        else:
            concat.Reassembler().add(pdu)
    decoder = PduDecoder()
    decoder.feed(data[: len(data) // 2])
    decoder.feed(data[len(data) // 2 :])
    try:
        for _ in decoder.pdus():
            pass
    except PduError:
        pass


def connector(data: bytes) -> None:
    result = parse_connector(data)
    assert result.ok or result.errors


def expression(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    text = fdp.ConsumeUnicodeNoSurrogates(300)
    evaluate(text, CONTEXT, ENV)
    evaluate_template_with("@(" + text + ") @" + text, CONTEXT, ENV)


TARGETS: dict[str, Callable[[bytes], None]] = {"smpp": smpp, "connector": connector, "expression": expression}


def seeds(name: str) -> list[bytes]:
    """Valid inputs to start from: libFuzzer alone would take long to build a connector file."""
    root = Path(__file__).resolve().parents[2]
    if name == "connector":
        return [p.read_bytes() for p in sorted((root / "aggregators" / "connectors").glob("*.xml"))]
    if name == "smpp":
        from tests.fuzz.test_smpp_pdu import VALID

        return VALID
    return [b"upper(contact.name) & 1 + 2", b'if(has_text(input.text), "a", items[1])', b"(x) => x * 2"]


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: python -m tests.fuzz.atheris_harness {{{','.join(TARGETS)}}} [libFuzzer flags]")
    name = sys.argv[1]
    corpus = Path("var") / "fuzz-corpus" / name  # grows across runs: new coverage is kept
    corpus.mkdir(parents=True, exist_ok=True)
    for i, seed in enumerate(seeds(name)):
        (corpus / f"seed-{i}").write_bytes(seed)
    atheris.Setup([sys.argv[0], *sys.argv[2:], str(corpus)], TARGETS[name])
    atheris.Fuzz()


if __name__ == "__main__":
    main()
