"""Undoable tables for the write model.

The writer decides a batch of commands in order, each against the effects of the ones before
it, and only then commits the batch to the log. If the commit fails, the state must be as if
the batch never happened. Every table of the write model is a ``Table``: a dict that records
what each write replaced in a shared ``Journal``, so a batch is rolled back exactly, without
copying the state. Values must be immutable (frozen dataclasses, tuples): a change is always
a new value stored under its key, which is what the journal sees.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

_MISSING: Any = object()


class Journal:
    """What each table write replaced, in order, while a batch is open."""

    __slots__ = ("_undo",)

    def __init__(self) -> None:
        self._undo: list[tuple[dict[Any, Any], Any, Any]] = []

    def mark(self) -> int:
        return len(self._undo)

    def record(self, table: dict[Any, Any], key: Any, previous: Any) -> None:
        self._undo.append((table, key, previous))

    def rollback(self, mark: int = 0) -> None:
        """Restore every table to how it was at ``mark``."""
        while len(self._undo) > mark:
            table, key, previous = self._undo.pop()
            if previous is _MISSING:
                dict.pop(table, key, None)
            else:
                dict.__setitem__(table, key, previous)

    def commit(self) -> None:
        """Keep every change: the batch is durable."""
        self._undo.clear()

    def __len__(self) -> int:
        return len(self._undo)

    def __reduce__(self) -> tuple[type[Journal], tuple[()]]:
        return (Journal, ())  # an open batch is never part of a snapshot: it unpickles empty


class Table(dict[K, V], Generic[K, V]):
    """A dict whose writes are journaled (see the module docstring)."""

    __slots__ = ("journal",)

    def __init__(self, journal: Journal) -> None:
        super().__init__()
        self.journal = journal

    def __setitem__(self, key: K, value: V) -> None:
        self.journal.record(self, key, dict.get(self, key, _MISSING))
        super().__setitem__(key, value)

    def __delitem__(self, key: K) -> None:
        self.journal.record(self, key, dict.__getitem__(self, key))
        super().__delitem__(key)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_table, (self.journal, dict(self)))


def _rebuild_table(journal: Journal, items: dict[Any, Any]) -> Table[Any, Any]:
    table: Table[Any, Any] = Table(journal)
    dict.update(table, items)
    return table
