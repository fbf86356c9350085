"""Identifiers made by hand are real version 4 UUIDs, and never repeat."""

from __future__ import annotations

import uuid

from ledger.ids import new_hex, new_uuid


def test_new_uuid_is_a_random_rfc_4122_uuid() -> None:
    made = [new_uuid() for _ in range(2000)]
    for text in made:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
    assert len(set(made)) == len(made)


def test_new_hex_is_128_bits_of_hex() -> None:
    made = {new_hex() for _ in range(1000)}
    assert len(made) == 1000
    assert all(len(h) == 32 and int(h, 16) >= 0 for h in made)
