"""One batch's delivered commands (``ledger.writer.outbox``), answered inside its append.

A success's answer names its events' positions, which exist only once the events are sent in
the transaction: so the answers are built by the append itself (``attach``), after the
events and before the commit, and the results computed there are the very ones the writer
then settles. Each delivery's outcome is what an HTTP caller of the same command would hear.
"""

from __future__ import annotations

from collections.abc import Sequence

from ledger.envelope import Envelope
from ledger.log import Attachment, Record
from ledger.writer.outbox import Delivery, Outbox, Outcome
from ledger.writer.requests import Pending, repeat_outcome, results_of
from ledger.writer.results import CommandResult


class Answering:
    def __init__(
        self,
        outbox: Outbox,
        decided: Sequence[tuple[Pending, Sequence[Envelope]]],
        repeats: Sequence[tuple[Pending, Pending]],
        delivered: Sequence[Pending],
    ) -> None:
        self._outbox = outbox
        self._decided = decided
        self._repeats = repeats
        self._delivered = delivered
        self._answers: list[tuple[Delivery, Outcome]] = []
        self.results: list[CommandResult] = []  # each decided command's, once ``attach`` ran

    def attach(self, records: list[Record]) -> Attachment:
        """The answers and offsets of the batch's deliveries, its events' records known."""
        self.results = results_of(self._decided, records)
        decided = {id(p): r for (p, _), r in zip(self._decided, self.results, strict=True)}
        first_of = {id(p): first for p, first in self._repeats}

        def outcome(pending: Pending) -> Outcome:
            if (result := decided.get(id(pending))) is not None:
                return result
            if (first := first_of.get(id(pending))) is not None:
                settled = decided.get(id(first))
                if settled is None and first.done():
                    return repeat_outcome(pending, first, first.outcome())
                return repeat_outcome(pending, first, settled)
            return pending.outcome()  # refused by the gates, failed deciding, or known by its key

        self._answers = []
        for pending in self._delivered:
            assert pending.delivery is not None
            self._answers.append((pending.delivery, outcome(pending)))
        return self._outbox.attachment(self._answers)

    def committed(self) -> None:
        self._outbox.committed(self._answers)
