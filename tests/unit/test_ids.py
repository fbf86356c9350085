"""Identifiers made by hand are real version 4 UUIDs, and never repeat."""

from __future__ import annotations

import os
import uuid
import warnings

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


def test_a_forked_child_never_makes_the_ids_its_parent_drew_for_itself() -> None:
    new_uuid()  # the parent has drawn bits in bulk and keeps the rest
    read, write = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork beside threads: the child only writes
        pid = os.fork()
    if pid == 0:
        os.write(write, (new_uuid() + new_hex()).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 200).decode()
    os.close(read)
    assert len(child) == 36 + 32
    assert child[:36] != new_uuid()  # the parent's next ones are its own
    assert child[36:] != new_hex()
