"""Snapshots of the write model, with the log position they reflect, in PostgreSQL.

Start-up loads the newest snapshot and reads only the log's tail after it. A snapshot is
resumed only when it is certain to be right; otherwise it is ignored, logged as
``snapshot_ignored`` with the reason, and the writer reads the whole log instead:

- other code took it: ``model_version`` digests the source of every module whose classes a
  snapshot holds (all of ``handlers``, ``schemas`` and ``ledger.writer``, and
  ``ledger.log.position``), and loading refuses a class of any other module, so a change to
  any of them, a class layout included, never meets an older pickle;
- another log: a snapshot records the identity of the log it was taken from, and a log made
  afresh under the same name (say, for ``ledger import``) has a new identity;
- it does not load: corrupt bytes, or anything else unpickling raises.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import io
import os
import pickle
import signal
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import IO, Any, Final

import asyncpg
import structlog

from ledger.ddl import set_up
from ledger.log import Position

SCHEMA = "ledger_writer"
_PROTOCOL = pickle.HIGHEST_PROTOCOL

# Whose classes a snapshot holds: these packages whole (subpackages too), and these modules.
_PACKAGES: Final = ("handlers", "schemas", "ledger.writer")
_MODULES: Final = ("ledger.log.position",)
# Standard-library modules whose classes it may hold besides; their layouts do not change.
_STANDARD: Final = frozenset({"decimal", "datetime", "collections"})

# The signals that stop the process; a snapshot child must not echo them (``pickle_apart``).
_STOPPING: Final = (signal.SIGINT, signal.SIGTERM)

log = structlog.get_logger("ledger.writer")

_DDL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE TABLE IF NOT EXISTS {SCHEMA}.snapshots (
    name text PRIMARY KEY,
    model_version text NOT NULL,
    position text NOT NULL,
    events bigint NOT NULL,
    taken_at timestamptz NOT NULL DEFAULT now(),
    state bytea NOT NULL
);
ALTER TABLE {SCHEMA}.snapshots ADD COLUMN IF NOT EXISTS log_id text;
"""


@cache
def _versioned() -> dict[str, Path]:
    """Every module a snapshot's classes may come from, by name, with its source file."""
    found: dict[str, Path] = {}
    for name in _PACKAGES:
        root = Path(importlib.import_module(name).__file__ or "").parent
        for source in sorted(root.rglob("*.py")):
            parts = source.relative_to(root).with_suffix("").parts
            found[".".join((name, *parts[: -1 if parts[-1] == "__init__" else None]))] = source
    for name in _MODULES:
        found[name] = Path(importlib.import_module(name).__file__ or "")
    return found


def versioned_modules() -> frozenset[str]:
    """The modules whose source ``model_version`` digests."""
    return frozenset(_versioned())


@cache
def model_version() -> str:
    digest = hashlib.sha256(f"pickle protocol {_PROTOCOL}".encode())
    for name, source in sorted(_versioned().items()):
        digest.update(name.encode() + b"\0")
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


class _Unpickler(pickle.Unpickler):
    """Refuses a class the snapshot's version does not cover: its layout may have changed."""

    def find_class(self, module: str, name: str) -> Any:
        if module not in _versioned() and module not in _STANDARD:
            raise pickle.UnpicklingError(f"{module}.{name} is outside the code the snapshot version covers")
        return super().find_class(module, name)


def unpickle(blob: bytes) -> Any:
    return _Unpickler(io.BytesIO(blob)).load()


@dataclass(frozen=True)
class Snapshot:
    log_id: str  # the identity of the log it was taken from
    position: Position
    events: int
    state: Any


def pickle_apart(state: object, out: IO[bytes]) -> int:
    """Fork a child that pickles ``state`` into ``out`` and exits (0 when done); answers its pid.

    The child sees the state exactly as it is at this call (copy-on-write), so the caller may
    change it at once. The event loop's signal handling writes each signal's number to a
    wake-up fd that a forked child shares: a SIGINT or SIGTERM reaching the child (a Ctrl-C
    or a SIGTERM to the process group reaches both) would be echoed into the parent's loop.
    So both are blocked across the fork, and the child drops the wake-up fd and takes the
    default handlers (such a signal ends it, losing only this snapshot) before unblocking.
    """
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING)
    try:
        pid = os.fork()
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        raise
    if pid == 0:  # the child: pickle, and leave without running anything of the parent's
        code = 1
        try:
            signal.set_wakeup_fd(-1)
            for signum in _STOPPING:
                signal.signal(signum, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            pickle.dump(state, out, _PROTOCOL)
            out.flush()
            code = 0
        finally:
            os._exit(code)
    signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    return pid


class SnapshotStore:
    """One snapshot per log (named by its topic prefix), replaced as the writer moves on."""

    def __init__(self, pool: asyncpg.Pool, name: str) -> None:
        self._pool = pool
        self._name = name

    async def setup(self) -> None:
        await set_up(self._pool, "ledger_writer_ddl", _DDL)

    async def load(self, log_id: str) -> Snapshot | None:
        """The stored snapshot if it can be resumed on the log ``log_id``; else None (logged)."""
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT model_version, log_id, position, events FROM {SCHEMA}.snapshots WHERE name = $1",
                self._name,
            )
            if row is None:
                return None
            reason = _unusable(row, log_id)
            blob: bytes = b""
            if reason is None:
                query = f"SELECT state FROM {SCHEMA}.snapshots WHERE name = $1"
                blob = await conn.fetchval(query, self._name)
        if reason is None:
            try:
                position = Position.from_token(row["position"], limit=None)
                state = await asyncio.to_thread(unpickle, blob)
            except Exception as e:
                reason = f"it does not load: {e!r}"
            else:
                return Snapshot(log_id, position, row["events"], state)
        log.warning("snapshot_ignored", name=self._name, events=row["events"], reason=reason)
        return None

    async def save_apart(self, snapshot: Snapshot) -> Callable[[], Awaitable[int]]:
        """Begin a snapshot the caller need not wait for; answers what finishes and stores it.

        The state is pickled in a forked child (``pickle_apart``), so the writer goes on
        committing while a large state is pickled, where pickling in a thread made it wait
        (and took the GIL from the event loop). Call only between batches.
        """
        out = tempfile.TemporaryFile()  # noqa: SIM115  (closed by ``finish``)
        try:
            pid = pickle_apart(snapshot.state, out)
        except BaseException:
            out.close()
            raise

        async def finish() -> int:
            try:
                _, status = await asyncio.to_thread(os.waitpid, pid, 0)
                if os.waitstatus_to_exitcode(status) != 0:
                    raise RuntimeError(f"the snapshot child exited with status {status}")
                out.seek(0)
                blob = await asyncio.to_thread(out.read)
            finally:
                out.close()
            return await self.store(snapshot, blob)

        return finish

    async def store(self, snapshot: Snapshot, blob: bytes) -> int:
        """Store a pickled snapshot in place of the last; answers its size in bytes."""
        async with self._pool.acquire() as conn:
            await conn.execute(
                f"INSERT INTO {SCHEMA}.snapshots (name, model_version, log_id, position, events, state) "
                "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO UPDATE SET model_version = $2, "
                "log_id = $3, position = $4, events = $5, state = $6, taken_at = now()",
                self._name,
                model_version(),
                snapshot.log_id,
                snapshot.position.token(),
                snapshot.events,
                blob,
            )
        return len(blob)


def _unusable(row: asyncpg.Record, log_id: str) -> str | None:
    """Why a stored snapshot must not be resumed on the log ``log_id``, if it must not."""
    if row["model_version"] != model_version():
        return f"taken by other code (model version {row['model_version']}, now {model_version()})"
    if row["log_id"] != log_id:
        return f"taken from another log ({row['log_id'] or 'unknown'}, this one is {log_id})"
    return None
