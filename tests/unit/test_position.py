"""Position tokens: exact round trips, coverage, and refusal of anything we did not issue."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.log import InvalidPosition, Position, TopicPartition

offsets = st.dictionaries(
    st.builds(TopicPartition, st.sampled_from(["l.sales", "l.inventory", "x.y-z"]), st.integers(0, 63)),
    st.integers(0, 2**62),
    max_size=20,
)


@given(offsets)
def test_tokens_round_trip(raw: dict[TopicPartition, int]) -> None:
    position = Position(raw)
    assert Position.from_token(position.token()) == position


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


@pytest.mark.parametrize(
    "token", ["", "abc", "p1.", "p1.e30", "p1.W1s=", "p1.W1siYSIsLTEsMF1d", "p1." + "A" * 20000]
)
def test_foreign_tokens_are_refused(token: str) -> None:
    with pytest.raises(InvalidPosition):
        Position.from_token(token)
