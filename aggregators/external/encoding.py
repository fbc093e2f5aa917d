"""Text preparation for External API channels: GSM-friendly substitution and splitting."""

from __future__ import annotations

# Characters phones and editors produce that GSM 03.38 lacks, mapped to what it has. "Smart"
# encoding applies this so a message with curly quotes is not sent (and billed) as UCS-2.
SMART_REPLACEMENTS = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u2010": "-",
        "\u2011": "-",
        "\u2026": "...",
        "\u00a0": " ",
        "\u2009": " ",
        "\u200b": "",
        "\u2022": "-",
        "\u00b7": "-",
        "\u02c6": "^",
        "\u02dc": "~",
        "\u00e1": "a",
        "\u00ed": "i",
        "\u00f3": "o",
        "\u00fa": "u",
        "\u00e2": "a",
        "\u00ea": "e",
        "\u00ee": "i",
        "\u00f4": "o",
        "\u00fb": "u",
        "\u00e3": "a",
        "\u00f5": "o",
        "\u00e7": "c",
    }
)


def prepare_text(text: str, encoding: str) -> str:
    if encoding == "smart":
        return text.translate(SMART_REPLACEMENTS)
    return text


def split_text(text: str, max_length: int) -> list[str]:
    """Split into parts of at most `max_length` characters, at spaces where possible."""
    if max_length <= 0 or len(text) <= max_length:
        return [text]
    parts: list[str] = []
    rest = text
    while len(rest) > max_length:
        cut = rest.rfind(" ", 0, max_length + 1)
        if cut <= max_length // 2:  # no good space: cut inside the word rather than make tiny parts
            cut = max_length
        part, rest = rest[:cut].rstrip(), rest[cut:].lstrip()
        if part:
            parts.append(part)
    if rest:
        parts.append(rest)
    return parts
