"""The SMPP decoder faces whatever an SMSC (or anything on its port) sends.

Properties: `decode` raises only PduError; the stream decoder frames any chunking the same way
and raises only PduError; what decodes as a deliver_sm goes through receipt parsing and
reassembly without any other exception.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from smsc import concat, dlr, pdu
from smsc.pdu import BODIES, CommandId, Pdu, PduDecoder, PduError, decode, encode
from tests.fuzz.conftest import fuzz_settings, tried


def _valid_frames() -> list[bytes]:
    frames = [encode(Pdu(command_id, 7, 0, {})) for command_id in BODIES]
    frames.append(encode(pdu.bind("transceiver", "user", "secret", system_type="x")))
    receipt = b"id:abc123 sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 stat:DELIVRD err:000 text:hi"
    frames.append(
        encode(
            Pdu(
                CommandId.deliver_sm,
                9,
                0,
                {"source_addr": "250788123123", "esm_class": 0x04, "short_message": receipt},
                {0x001E: b"abc123\0", 0x0427: b"\x02"},
            )
        )
    )
    udh_part = b"\x05\x00\x03\x2a\x02\x01" + b"Hello "
    frames.append(
        encode(
            Pdu(
                CommandId.deliver_sm,
                10,
                0,
                {
                    "source_addr": "250788123123",
                    "esm_class": 0x40,
                    "data_coding": 0,
                    "short_message": udh_part,
                },
            )
        )
    )
    return frames


VALID = _valid_frames()


@st.composite
def mutated_frames(draw: st.DrawFn) -> bytes:
    frame = bytearray(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 6))):
        action = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "fix_length"]))
        if action == "flip" and frame:
            frame[draw(st.integers(0, len(frame) - 1))] = draw(st.integers(0, 255))
        elif action == "insert":
            at = draw(st.integers(0, len(frame)))
            frame[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif action == "delete" and len(frame) > 1:
            at = draw(st.integers(0, len(frame) - 1))
            del frame[at : at + draw(st.integers(1, 4))]
        elif action == "truncate":
            del frame[draw(st.integers(0, len(frame))) :]
        if action == "fix_length" or draw(st.booleans()):
            # Keep command_length consistent so the body parser, not the framer, sees the damage.
            frame[0:4] = len(frame).to_bytes(4, "big")
    return bytes(frame)


frames = st.one_of(mutated_frames(), st.binary(max_size=300))


def _consume(decoded: Pdu) -> None:
    """What the link does with an MO PDU: receipt or message, then reassembly."""
    if decoded.command_id == CommandId.deliver_sm:
        if dlr.looks_like_receipt(decoded):
            dlr.parse_receipt(decoded)
        else:
            concat.Reassembler().add(decoded)


@fuzz_settings
@given(frames)
def test_decode_raises_only_pdu_errors(frame: bytes) -> None:
    tried("smpp.decode")
    try:
        decoded = decode(frame)
    except PduError:
        return
    assert decoded.command_id in BODIES
    _consume(decoded)


@fuzz_settings
@given(st.lists(frames, min_size=1, max_size=5), st.lists(st.integers(1, 64), min_size=1, max_size=20))
def test_stream_decoder_any_chunking(stream_frames: list[bytes], cuts: list[int]) -> None:
    tried("smpp.stream")
    data = b"".join(stream_frames)
    whole, chunked = _drain([data]), _drain(_chunks(data, cuts))
    assert whole == chunked  # framing does not depend on how TCP splits the bytes


def _chunks(data: bytes, cuts: list[int]) -> list[bytes]:
    out, pos, i = [], 0, 0
    while pos < len(data):
        size = cuts[i % len(cuts)]
        out.append(data[pos : pos + size])
        pos, i = pos + size, i + 1
    return out


def _drain(chunks: list[bytes]) -> list[str]:
    """Decoded commands (or error kinds), continuing after a MalformedPdu like the link does."""
    decoder = PduDecoder()
    seen: list[str] = []
    for chunk in chunks:
        decoder.feed(chunk)
        while True:
            try:
                for decoded in decoder.pdus():
                    seen.append(f"{decoded.command_id:x}")
                    _consume(decoded)
                break
            except pdu.MalformedPdu:
                seen.append("malformed")
            except pdu.FramingError:
                return [*seen, "framing"]
    return seen
