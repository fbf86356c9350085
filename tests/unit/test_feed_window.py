"""The feed's window and pages, given records as a reader would hand them (Kafka's commit markers
leave gaps in the offsets, and the reader's position steps past them)."""

from __future__ import annotations

import orjson

from ledger.cloudevents import to_binary
from ledger.feed.window import Window
from ledger.log import Position, Record, TopicPartition
from tests.support.events import StreamFactory

A, B = TopicPartition("t.catalog", 0), TopicPartition("t.catalog", 1)


def records(*places: tuple[TopicPartition, int, str]) -> list[Record]:
    """A record at each (partition, offset) of an event of that type."""
    streams = StreamFactory()
    made = []
    for tp, offset, type_ in places:
        message = to_binary(streams.next(f"location:L-{tp.partition}-{offset}", type_=type_))
        headers = tuple(message.headers)
        made.append(Record(tp.topic, tp.partition, offset, message.key, headers, message.value))
    return made


def subjects(page_items: list[bytes]) -> list[str]:
    return [orjson.loads(item)["subject"] for item in page_items]


def test_a_page_takes_records_in_the_order_read_and_resumes_exactly_after_its_last_item() -> None:
    window = Window(Position({A: 0, B: 0}), capacity=100)
    # Offsets 2 and 5 of A and 1 of B are commit markers: the reader steps past them.
    read = records((A, 0, "X"), (A, 1, "X"), (B, 0, "X"), (A, 3, "X"), (A, 4, "X"))
    window.add(read, Position({A: 6, B: 2}))
    first = window.page(Position({A: 0, B: 0}), None, 3)
    assert subjects([i.json for i in first.items]) == ["location:L-0-0", "location:L-0-1", "location:L-1-0"]
    # B was read to its end in this page: its position passes the marker, A's stops after offset 1.
    assert first.next == Position({A: 2, B: 2})
    assert first.items[0].after == Position({A: 1, B: 0})
    assert first.items[-1].after == first.next
    rest = window.page(first.next, None, 10)
    assert subjects([i.json for i in rest.items]) == ["location:L-0-3", "location:L-0-4"]
    assert rest.next == Position({A: 6, B: 2})
    assert window.page(rest.next, None, 10).items == []
    assert window.covers(rest.next)


def test_a_filtered_page_passes_what_it_skipped() -> None:
    window = Window(Position({A: 0, B: 0}), capacity=100)
    window.add(records((A, 0, "X"), (B, 0, "Y"), (A, 1, "X"), (B, 1, "X")), Position({A: 2, B: 2}))
    page = window.page(Position.empty(), frozenset({"Y"}), 10)
    assert subjects([i.json for i in page.items]) == ["location:L-1-0"]
    assert page.next == Position({A: 2, B: 2})  # the skipped X after it too: never read again
    none = window.page(Position.empty(), frozenset({"Z"}), 10)
    assert none.items == []
    assert none.next == Position({A: 2, B: 2})


def test_the_oldest_records_leave_and_a_follower_behind_them_is_not_served_from_the_window() -> None:
    window = Window(Position({A: 10, B: 0}), capacity=2)
    assert not window.holds(Position({A: 9, B: 0}))  # before the tail began
    window.add(records((A, 10, "X"), (B, 0, "X"), (A, 11, "X")), Position({A: 12, B: 1}))
    assert len(window) == 2
    assert not window.holds(Position({A: 10, B: 0}))  # A's offset 10 has left
    assert window.holds(Position({A: 11, B: 0}))
    page = window.page(Position({A: 11, B: 0}), None, 10)
    assert subjects([i.json for i in page.items]) == ["location:L-1-0", "location:L-0-11"]
