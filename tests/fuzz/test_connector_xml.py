"""The connector parser/validator reads XML uploaded by any workspace admin.

Property: `parse_connector` never raises, whatever the bytes; it answers either a connector or
errors that point at a line and column inside the document. Inputs: random text, byte-level
and element-level mutations of our built-in connectors and of the reference seeds.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from aggregators.connector.parser import parse_connector
from tests import SHARED
from tests.fuzz.conftest import fuzz_settings, tried

ROOT = Path(__file__).resolve().parents[2]
SEEDS_DIR = SHARED / "seeds"


def _corpus() -> list[str]:
    docs = [p.read_text() for p in sorted((ROOT / "aggregators" / "connectors").glob("*.xml"))]
    if SEEDS_DIR.is_dir():  # the reference documents' examples, where this checkout has them
        for seed in sorted(SEEDS_DIR.glob("*connector*.txt")):
            docs += re.findall(r"<\?xml.*?</connector>", seed.read_text(), flags=re.S)
    return docs


CORPUS = _corpus()
TAGS = sorted(
    {el.tag for doc in CORPUS for el in etree.fromstring(doc.encode()).iter() if isinstance(el.tag, str)}
)
ATTRS = sorted({a for doc in CORPUS for el in etree.fromstring(doc.encode()).iter() for a in el.attrib})
odd_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["", "0", "-1", "99999999999", "@{x}", "${", "&amp;", "true", "yes", "https://", "{{", "]]>"]
    ),
)


@st.composite
def element_mutations(draw: st.DrawFn) -> str:
    root = etree.fromstring(draw(st.sampled_from(CORPUS)).encode())
    for _ in range(draw(st.integers(1, 5))):
        elements = [el for el in root.iter() if isinstance(el.tag, str)]
        el = draw(st.sampled_from(elements))
        action = draw(st.sampled_from(["drop", "dup", "retag", "attr", "text", "move"]))
        parent = el.getparent()
        if action == "drop" and parent is not None:
            parent.remove(el)
        elif action == "dup" and parent is not None:
            parent.append(etree.fromstring(etree.tostring(el)))
        elif action == "retag":
            el.tag = draw(st.sampled_from(TAGS))
        elif action == "attr":
            el.set(draw(st.sampled_from(ATTRS)), draw(odd_text.filter(_xml_safe)))
        elif action == "text":
            el.text = draw(odd_text.filter(_xml_safe))
        elif action == "move" and parent is not None:
            target = draw(st.sampled_from(elements))
            if el not in target.iterancestors() and target is not el:
                target.append(el)
    return etree.tostring(root, encoding="unicode")


def _xml_safe(text: str) -> bool:
    try:
        etree.Element("x").text = text
    except ValueError:
        return False
    return True


@st.composite
def byte_mutations(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(CORPUS)).encode())
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data) - 1))
        if draw(st.booleans()):
            data[at] = draw(st.sampled_from(b"<>/\"'&=! \n\x00\xff?x"))
        else:
            del data[at : at + draw(st.integers(1, 20))]
    return bytes(data)


documents = st.one_of(element_mutations(), byte_mutations(), st.text(max_size=200), st.binary(max_size=200))


@fuzz_settings
@given(documents)
def test_parse_connector_never_raises(document: str | bytes) -> None:
    tried("connector.xml")
    result = parse_connector(document)
    if result.ok:
        assert result.connector is not None
        return
    assert result.errors, "a refused document must say why"
    lines = (document if isinstance(document, bytes) else document.encode()).count(b"\n") + 1
    for error in result.errors:
        assert error.message
        assert 0 <= error.line <= lines + 1, error


def test_corpus_is_valid_before_mutation() -> None:
    """Mutations start from connectors that parse, so they explore near-valid documents."""
    assert len(CORPUS) >= 10
    assert [parse_connector(doc).errors for doc in CORPUS if not parse_connector(doc).ok] == []


def test_text_after_a_filter_is_an_error_not_a_crash() -> None:
    """Found by the atheris harness: this template used to trip an assert (a 500 on upload)."""
    from aggregators.connector.values import TemplateError, compile_template

    with pytest.raises(TemplateError, match="not a filter call"):
        compile_template("@recipients|no_plus|fir@@")
