"""Position tokens: exact round trips, coverage, and refusal of anything we did not issue."""

from __future__ import annotations

import base64
import random
import zlib
from collections.abc import Callable

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.log import InvalidPosition, Position, TopicPartition
from ledger.log.position import MAX_TOKEN_LENGTH

offsets = st.dictionaries(
    st.builds(
        TopicPartition,
        st.sampled_from(["l.sales", "l.inventory", "x.y-z", "", "é.ü"]),
        st.one_of(st.integers(0, 63), st.integers(0, 2**31 - 1)),
    ),
    st.one_of(st.integers(0, 3), st.integers(0, 2**40), st.integers(0, 2**63 - 1)),
    max_size=60,
)

# The largest configuration: 16 topics (the areas there will soon be) of 1,024 partitions each.
AREAS = [
    "catalog", "sales", "inventory", "quality", "service", "planning", "access", "purchasing",
    "marketing", "customers", "finance", "logistics", "production", "maintenance", "projects", "documents",
]  # fmt: skip


def largest(offset: Callable[[], int]) -> Position:
    """A whole-log position of the largest configuration, each offset drawn by ``offset()``."""
    return Position(
        {TopicPartition(f"production-eu-west-1.ledger.{a}", p): offset() for a in AREAS for p in range(1024)}
    )


def p1_token(position: Position) -> str:
    """The first token form, as stored checkpoints and snapshots still hold it."""
    items = sorted([tp.topic, tp.partition, offset] for tp, offset in position.items())
    return "p1." + base64.urlsafe_b64encode(orjson.dumps(items)).decode().rstrip("=")


def p2_token(packed: bytes) -> str:
    return "p2." + base64.urlsafe_b64encode(zlib.compress(packed)).decode().rstrip("=")


@given(offsets)
def test_tokens_round_trip(raw: dict[TopicPartition, int]) -> None:
    position = Position(raw)
    assert Position.from_token(position.token()) == position


@given(offsets)
def test_tokens_of_the_first_form_are_still_read(raw: dict[TopicPartition, int]) -> None:
    position = Position(raw)
    assert Position.from_token(p1_token(position), limit=None) == position


def test_a_partition_at_offset_zero_stays_apart_from_an_absent_one() -> None:
    present = Position({TopicPartition("l.sales", 0): 0, TopicPartition("l.sales", 5): 7})
    absent = Position({TopicPartition("l.sales", 5): 7})
    assert Position.from_token(present.token()) == present != absent == Position.from_token(absent.token())


LARGEST: dict[str, Callable[[random.Random], int]] = {
    "uniform below 2**40": lambda rnd: rnd.randrange(2**40),
    "balanced just below 2**40": lambda rnd: 2**40 - rnd.randrange(2**22),
    "all at 2**40 - 1": lambda _: 2**40 - 1,
    "all at zero": lambda _: 0,
}


@pytest.mark.parametrize("draw", LARGEST.values(), ids=LARGEST.keys())
def test_a_whole_log_token_of_the_largest_configuration_fits_and_round_trips(
    draw: Callable[[random.Random], int],
) -> None:
    rnd = random.Random(11)
    position = largest(lambda: draw(rnd))
    token = position.token()
    assert token.startswith("p2.")
    assert len(token) <= MAX_TOKEN_LENGTH, len(token)
    assert Position.from_token(token) == position


def test_tokens_are_compact_for_the_usual_cases() -> None:
    command = Position.after([("ledger.sales", 3, 123_456_789), ("ledger.inventory", 1, 99_000_001)])
    assert len(command.token()) < 80
    projector = Position({TopicPartition("ledger.inventory", p): 5_000_000 + p * 17 for p in range(1024)})
    assert len(projector.token()) < 4_000


@given(offsets, offsets)
def test_merge_covers_both(a: dict[TopicPartition, int], b: dict[TopicPartition, int]) -> None:
    merged = Position(a).merge(Position(b))
    assert merged.covers(Position(a))
    assert merged.covers(Position(b))


def test_after_points_past_the_last_offset() -> None:
    position = Position.after([("t", 0, 4), ("t", 0, 2), ("t", 1, 0)])
    assert position.get_offset(TopicPartition("t", 0)) == 5
    assert position.get_offset(TopicPartition("t", 1)) == 1
    assert position.get_offset(TopicPartition("t", 2)) == 0
    assert position.covers(Position.after([("t", 0, 4)]))
    assert not position.covers(Position.after([("t", 0, 5)]))
    assert Position.empty().lag_behind(position) == 6


def _varints(*values: int) -> bytes:
    out = bytearray()
    for value in values:
        while value > 0x7F:
            out.append((value & 0x7F) | 0x80)
            value >>= 7
        out.append(value)
    return bytes(out)


FOREIGN = {
    "empty": "",
    "no prefix": "abc",
    "p1 empty": "p1.",
    "p1 not a list": "p1.e30",
    "p1 bad padding": "p1.W1s=",
    "p1 negative partition": "p1.W1siYSIsLTEsMF1d",
    "p1 over the limit": "p1." + "A" * (MAX_TOKEN_LENGTH + 1),
    "p2 empty": "p2.",
    "p2 not base64": "p2.!!!!",
    "p2 not deflated": "p2." + base64.urlsafe_b64encode(b"hello world").decode(),
    "p2 data after the stream": Position.empty().token() + "AA",
    "p2 cut short": Position.after([("t", 1, 5)]).token()[:-4],
    "p2 left over": p2_token(_varints(0, 9)),
    "p2 topics out of order": p2_token(
        _varints(2, 1) + b"b" + _varints(1, 0, 0, 1) + b"a" + _varints(1, 0, 0)
    ),
    "p2 a topic twice": p2_token(_varints(2, 1) + b"a" + _varints(1, 0, 0, 1) + b"a" + _varints(1, 1, 0)),
    "p2 negative offset": p2_token(_varints(1, 1) + b"a" + _varints(1, 0, 1)),
    "p2 offset past 2**63": p2_token(_varints(1, 1) + b"a" + _varints(1, 0, 2**64)),
    "p2 partition past 2**31": p2_token(_varints(1, 1) + b"a" + _varints(1, 2**31, 0)),
    "p2 name not utf-8": p2_token(_varints(1, 1) + b"\xff" + _varints(1, 0, 0)),
    "p2 name cut short": p2_token(_varints(1, 9) + b"a"),
    "p2 more partitions than bytes": p2_token(_varints(1, 1) + b"a" + _varints(1000, 0)),
    "p2 endless varint": p2_token(_varints(1, 1) + b"a" + _varints(1) + b"\xff" * 12),
    "p2 deflate bomb": p2_token(b"\x00" * (4 << 20)),
    "p2 over the limit": "p2." + "A" * (MAX_TOKEN_LENGTH + 1),
}


@pytest.mark.parametrize("token", FOREIGN.values(), ids=FOREIGN.keys())
def test_foreign_tokens_are_refused(token: str) -> None:
    with pytest.raises(InvalidPosition):
        Position.from_token(token)


def test_stored_tokens_may_be_longer_than_a_client_may_send() -> None:
    position = Position(
        {TopicPartition(f"ledger.topic-{t}", p): 2**40 + p for t in range(16) for p in range(1024)}
    )
    old = p1_token(position)
    assert len(old) > MAX_TOKEN_LENGTH
    with pytest.raises(InvalidPosition):
        Position.from_token(old)
    assert Position.from_token(old, limit=None) == position
