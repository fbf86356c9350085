"""The envelope's canonical bytes and hash chain, and its CloudEvents mapping."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from cloudevents.v1.kafka import KafkaMessage
from cloudevents.v1.kafka import from_binary as sdk_from_binary
from hypothesis import given
from hypothesis import strategies as st

from ledger import cloudevents
from ledger.envelope import Envelope, chain_breaks, format_time, parse_time
from tests.support.events import StreamFactory


def test_canonical_bytes_sort_keys_and_spell_times_in_utc() -> None:
    event = StreamFactory().next("order:SO-1", {"b": "1.50", "a": "x"})
    canonical = orjson.loads(event.canonical_bytes())
    assert list(canonical) == sorted(canonical)
    assert "hash" not in canonical
    assert canonical["occurred_at"] == "2026-11-02T09:00:00.000000Z"
    assert list(canonical["data"]) == ["a", "b"]


def test_the_same_instant_in_another_offset_hashes_the_same() -> None:
    event = StreamFactory().next("order:SO-1")
    shifted = replace(event, occurred_at=event.occurred_at.astimezone(timezone(timedelta(hours=5))))
    assert shifted.compute_hash() == event.hash
    with pytest.raises(ValueError, match="timezone-aware"):
        format_time(datetime(2026, 1, 1))  # noqa: DTZ001 - a naive time is the point


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(999, 1, 1, tzinfo=UTC), "0999-01-01T00:00:00.000000Z"),
        (datetime(1, 1, 1, tzinfo=UTC), "0001-01-01T00:00:00.000000Z"),
        (datetime(42, 3, 4, 5, 6, 7, 8, tzinfo=UTC), "0042-03-04T05:06:07.000008Z"),
        (datetime(1900, 1, 1, tzinfo=UTC), "1900-01-01T00:00:00.000000Z"),
        (datetime(2999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), "2999-12-31T23:59:59.999999Z"),
        (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), "9999-12-31T23:59:59.999999Z"),
        (datetime(1000, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))), "0999-12-31T23:30:00.000000Z"),
        (
            datetime(2026, 1, 1, tzinfo=timezone(-timedelta(hours=12, minutes=45))),
            "2026-01-01T12:45:00.000000Z",
        ),
    ],
)
def test_times_are_spelled_with_four_digit_years_and_read_back(moment: datetime, text: str) -> None:
    assert format_time(moment) == text
    assert parse_time(text) == moment
    assert format_time(parse_time(text)) == text


@pytest.mark.parametrize(
    "text",
    [
        "999-01-01T00:00:00.000000Z",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "2026-11-02T09:00:00",
        "",
        "\ud800",
        "yesterday",
    ],
)
def test_parse_time_refuses_bad_text_with_a_value_error_only(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the type is the contract; the message varies
        parse_time(text)


def test_hash_chains_over_prevhash() -> None:
    factory = StreamFactory()
    first, second = factory.next("order:SO-1"), factory.next("order:SO-1")
    assert first.prevhash == ""
    assert second.prevhash == first.hash
    assert chain_breaks([first, second]) == []


@pytest.mark.parametrize(
    ("tamper", "finding"),
    [
        (lambda es: [es[0], replace(es[1], data={"n": "999"}), es[2]], "hash does not match"),
        (lambda es: [es[0], es[2]], "version 3, expected 2"),
        (lambda es: [es[0], es[2], es[1]], "version 3, expected 2"),
        (lambda es: [es[0], es[1], es[1], es[2]], "version 2, expected 3"),
        (lambda es: [es[0], replace(es[1], data={"n": "9"}).sealed(), es[2]], "prevhash does not match"),
    ],
    ids=["payload-changed", "deleted", "swapped", "duplicated", "rehashed-without-chain"],
)
def test_chain_breaks_name_every_kind_of_tampering(tamper: object, finding: str) -> None:
    factory = StreamFactory()
    events = [factory.next("order:SO-1") for _ in range(3)]
    findings = chain_breaks(tamper(events))  # type: ignore[operator]
    assert any(finding in why for _, why in findings), findings


def test_envelope_dict_round_trip() -> None:
    event = StreamFactory().next("complaint:C-1", {"severity": "high"})
    assert Envelope.from_dict(orjson.loads(orjson.dumps(event.to_dict()))) == event


def test_binary_mode_round_trip_and_the_official_sdk_reads_every_attribute() -> None:
    event = replace(
        StreamFactory().next("stock:SKU-1@WH-A", {"qty": "12.50"}), idempotency_key="k-1"
    ).sealed()
    message = cloudevents.to_binary(event)
    assert cloudevents.from_binary(message.headers, message.value) == event

    parsed = sdk_from_binary(
        KafkaMessage(headers=dict(message.headers), key=message.key, value=message.value)
    )
    assert parsed["id"] == event.id
    assert parsed["type"] == event.type
    assert parsed["subject"] == event.stream
    assert parsed["source"] == cloudevents.SOURCE
    assert parsed["specversion"] == "1.0"
    assert parsed["time"] == event.occurred_at.astimezone(UTC) or parsed["time"] == format_time(
        event.occurred_at
    )
    assert parsed["streamversion"] == str(event.version)
    assert parsed["schemaversion"] == "1"
    assert parsed["actor"] == event.actor
    assert parsed["correlationid"] == event.correlation_id
    assert parsed["causationid"] == event.causation_id
    assert parsed["idempotencykey"] == "k-1"
    assert parsed["prevhash"] == event.prevhash
    assert parsed["hash"] == event.hash
    assert parsed.data == event.data


def test_structured_mode_round_trip() -> None:
    event = StreamFactory().next("lot:L-1")
    line = orjson.loads(orjson.dumps(cloudevents.to_structured(event)))
    assert line["data"] == event.data
    assert cloudevents.from_structured(line) == event


@pytest.mark.parametrize(
    "headers",
    [[], [("ce_specversion", b"0.3")], [("ce_specversion", b"1.0"), ("ce_id", b"x")]],
)
def test_incomplete_messages_are_refused_clearly(headers: list[tuple[str, bytes]]) -> None:
    with pytest.raises(cloudevents.MalformedMessage):
        cloudevents.from_binary(headers, b"{}")


def _hashed_as_first_written(event: Envelope) -> bytes:
    """The canonical bytes as the first version of the code made them: one sorted document."""
    fields = event.to_dict()
    del fields["hash"]
    return orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@given(data=st.dictionaries(st.text(max_size=8), _json, max_size=6), key=st.none() | st.text(min_size=1))
def test_sealing_encodes_data_once_and_hashes_the_bytes_it_always_hashed(
    data: dict[str, object], key: str | None
) -> None:
    sealed = Envelope.seal(
        id="e-1", type="Anything", schema_version=1, stream="order:SO-1", version=2,
        occurred_at=datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        recorded_at=datetime(2026, 1, 2, tzinfo=UTC), actor="ana", correlation_id="c", causation_id="k",
        idempotency_key=key, prevhash="ab" * 32, data=data,
    )  # fmt: skip
    assert sealed.canonical_bytes() == _hashed_as_first_written(sealed)
    assert sealed.hash == replace(sealed, hash="").sealed().hash
    assert chain_breaks([replace(sealed, version=1, prevhash="").sealed()]) == []
    message = cloudevents.to_binary(sealed)
    assert message.value == sealed.data_json() == orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    assert cloudevents.from_binary(message.headers, message.value) == sealed


def test_an_envelope_replaced_with_other_data_encodes_the_new_data() -> None:
    event = StreamFactory().next("order:SO-1", {"n": "1"})
    assert event.data_json() == b'{"n":"1"}'
    changed = replace(event, data={"n": "2"})
    assert cloudevents.to_binary(changed).value == b'{"n":"2"}'
    assert changed.compute_hash() != event.hash


@pytest.mark.parametrize("key", [None, "k-1"])
def test_binary_headers_are_the_attributes_in_their_order(key: str | None) -> None:
    event = replace(StreamFactory().next("stock:SKU-1@WH-A"), idempotency_key=key).sealed()
    headers = cloudevents.to_binary(event).headers
    expected = [
        ("content-type" if name == "datacontenttype" else f"ce_{name}", value.encode())
        for name, value in cloudevents.attributes(event).items()
    ]
    assert headers == expected


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda h: [x for x in h if x[0] != "ce_actor"], "attribute 'actor' missing"),
        (lambda h: [*h, ("ce_specversion", b"0.3")], "specversion '0.3' is not 1.0"),
        (lambda h: [*h, ("ce_streamversion", b"two")], "invalid literal for int"),
        (lambda h: [*h, ("ce_actor", b"\xff")], "can't decode byte 0xff"),
        (lambda h: [*h, ("ce_time", b"yesterday")], "yesterday"),
    ],
    ids=["missing", "spec", "version", "utf-8", "time"],
)
def test_a_damaged_record_is_a_malformed_message_saying_why(change: object, reason: str) -> None:
    message = cloudevents.to_binary(StreamFactory().next("stock:SKU-1@WH-A"))
    with pytest.raises(cloudevents.MalformedMessage, match=reason):
        cloudevents.from_binary(change(message.headers), message.value)  # type: ignore[operator]


def test_headers_not_of_the_envelope_are_never_read() -> None:
    event = StreamFactory().next("stock:SKU-1@WH-A")
    message = cloudevents.to_binary(event)
    headers = [*message.headers, ("ce_extra", b"\xff"), ("x", b"")]
    assert cloudevents.from_binary(headers, message.value) == event
