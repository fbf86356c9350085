"""Import: an export appended to an empty log, exactly as recorded (ids, times, hashes).

``ledger import`` verifies the whole file first, as ``ledger verify --source`` does, taking a
``Fingerprint`` of it on the way; only a clean file goes on. It then takes the log's writer
lease (``ledger.writer.lease``) for the whole append, so it never fences a running server and
no server can start writing half-way. Each batch read for appending is compared with the
fingerprint before it is appended: a file changed after it was verified is never appended
beyond the last batch that still matches what was verified.

``replay --source`` imports into a scratch log of its own and only checks that every line is
an event, as ``import_`` without a fingerprint does.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ledger import bootstrap
from ledger.audit.exchange import parse_line, read_lines
from ledger.audit.manifest import ExchangeError
from ledger.config import Settings
from ledger.envelope import Envelope
from ledger.log import EventLog

BATCH = 1000
Progress = Callable[[int], None]


class WriterActive(ExchangeError):
    """Another process holds the log's writer lease: a server, or another import or demo."""


@dataclass
class Fingerprint:
    """The SHA-256 of each run of ``lines`` lines of a file, taken while it was verified."""

    lines: int = BATCH
    digests: list[bytes] = field(default_factory=list)
    _digest: hashlib._Hash = field(default_factory=hashlib.sha256, repr=False)
    _count: int = 0

    def add(self, line: bytes) -> None:
        self._digest.update(line)
        self._count += 1
        if self._count == self.lines:
            self._close_run()

    def finish(self) -> None:
        if self._count:
            self._close_run()

    def _close_run(self) -> None:
        self.digests.append(self._digest.digest())
        self._digest, self._count = hashlib.sha256(), 0


@contextlib.asynccontextmanager
async def claimed_log(settings: Settings) -> AsyncIterator[EventLog]:
    """The log ``settings`` name, empty, with its writer lease held until the block ends.

    The lease comes first, so a refusal never touches the log; ``WriterActive`` when another
    process holds it, ``ExchangeError`` when the log already holds events."""
    async with bootstrap.database(settings) as dsn:
        lease = bootstrap.lease(settings, dsn)
        if not await lease.try_acquire():
            raise WriterActive("a writer is active on the log")
        try:
            async with bootstrap.event_log(settings, dsn, bootstrap.plan("command", settings)) as log:
                if any((await log.end_position()).values()):
                    raise ExchangeError("the log is not empty: import only into an empty log")
                yield log
        finally:
            await lease.release()


async def import_(
    log: EventLog,
    source: Path,
    *,
    fingerprint: Fingerprint | None = None,
    progress: Progress | None = None,
) -> int:
    """Append every event of an export to an EMPTY log.

    With a ``fingerprint`` the file was verified already, and each batch must match it. Without
    one, the file is read twice: once to refuse it whole if any line is not an event (or
    repeats an event id, which the log would refuse half-way), once to append.
    """
    if any((await log.end_position()).values()):
        raise ExchangeError("the log is not empty: import only into an empty log")
    if fingerprint is None:
        _check_lines(log, source)
    batch = fingerprint.lines if fingerprint else BATCH
    writer = await log.open_writer()
    appended = runs = 0
    try:
        for first, lines in _runs(source, batch):
            if fingerprint is not None and not _matches(fingerprint, runs, lines):
                raise ExchangeError(_changed(source, appended))
            events = [_event(source, first + offset, line) for offset, line in enumerate(lines)]
            appended += len(await writer.append(events))
            runs += 1
            if progress:
                progress(len(events))
        if fingerprint is not None and runs != len(fingerprint.digests):
            raise ExchangeError(_changed(source, appended))
    finally:
        await writer.close()
    return appended


def _check_lines(log: EventLog, source: Path) -> None:
    seen: set[str] = set()
    for number, item in read_lines(source):
        if isinstance(item, str):
            raise ExchangeError(f"{source}:{number}: not an event: {item}")
        try:
            log.topic_for(item.stream)
        except ValueError as e:
            raise ExchangeError(f"{source}:{number}: {e}") from e
        if item.id in seen:
            raise ExchangeError(f"{source}:{number}: event {item.id} appears twice")
        seen.add(item.id)


def _runs(source: Path, size: int) -> Iterator[tuple[int, list[bytes]]]:
    """(number of the first line, up to ``size`` lines) in file order."""
    with source.open("rb") as lines:
        run: list[bytes] = []
        first = 1
        for number, line in enumerate(lines, start=1):
            run.append(line)
            if len(run) == size:
                yield first, run
                run, first = [], number + 1
        if run:
            yield first, run


def _matches(fingerprint: Fingerprint, index: int, lines: list[bytes]) -> bool:
    if index >= len(fingerprint.digests):
        return False
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line)
    return digest.digest() == fingerprint.digests[index]


def _event(source: Path, number: int, line: bytes) -> Envelope:
    item = parse_line(line)
    if isinstance(item, str):
        raise ExchangeError(f"{source}:{number}: not an event: {item}")
    return item


def _changed(source: Path, appended: int) -> str:
    return (
        f"{source} changed after it was verified: {appended} verified events were appended, the rest "
        "was not; import the file again into a fresh log"
    )
