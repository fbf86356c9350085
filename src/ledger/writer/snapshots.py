"""Snapshots of the write model, with the log position they reflect, in PostgreSQL.

Start-up loads the newest snapshot and reads only the log's tail after it. A snapshot is
valid only for the domain code that made it: its ``model_version`` is a digest of the
``handlers`` and ``schemas`` sources, so after any change to the rules the writer rebuilds
from the log instead of resuming from a state the new code would not have produced.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import pickle
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import asyncpg

import handlers
import schemas
from ledger.log import Position

SCHEMA = "ledger_writer"
_PROTOCOL = pickle.HIGHEST_PROTOCOL

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
"""


@cache
def model_version() -> str:
    digest = hashlib.sha256()
    for package in (handlers, schemas):
        root = Path(package.__file__ or "").parent
        for source in sorted(root.glob("*.py")):
            digest.update(source.name.encode())
            digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Snapshot:
    position: Position
    events: int
    state: Any


class SnapshotStore:
    """One snapshot per log (named by its topic prefix), replaced as the writer moves on."""

    def __init__(self, pool: asyncpg.Pool, name: str) -> None:
        self._pool = pool
        self._name = name

    async def setup(self) -> None:
        async with self._pool.acquire() as conn:
            await conn.execute(_DDL)

    async def load(self) -> Snapshot | None:
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT position, events, state FROM {SCHEMA}.snapshots "
                "WHERE name = $1 AND model_version = $2",
                self._name,
                model_version(),
            )
        if row is None:
            return None
        state = await asyncio.to_thread(pickle.loads, row["state"])
        return Snapshot(Position.from_token(row["position"]), row["events"], state)

    async def save_apart(self, snapshot: Snapshot) -> Callable[[], Awaitable[int]]:
        """Begin a snapshot the caller need not wait for; answers what finishes and stores it.

        The state is pickled in a forked child, which sees it exactly as it is at this call
        (copy-on-write), so the caller may change it at once: the writer goes on committing
        while a large state is pickled, where pickling in a thread made it wait (and took
        the GIL from the event loop). Call only between batches.
        """
        out = tempfile.TemporaryFile()  # noqa: SIM115  (closed by ``finish``)
        pid = os.fork()
        if pid == 0:  # the child: pickle, and leave without running anything of the parent's
            code = 1
            try:
                pickle.dump(snapshot.state, out, _PROTOCOL)
                out.flush()
                code = 0
            finally:
                os._exit(code)

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
                f"INSERT INTO {SCHEMA}.snapshots (name, model_version, position, events, state) "
                "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO UPDATE SET model_version = $2, "
                "position = $3, events = $4, state = $5, taken_at = now()",
                self._name,
                model_version(),
                snapshot.position.token(),
                snapshot.events,
                blob,
            )
        return len(blob)
