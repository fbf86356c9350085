"""The writer's lease: one PostgreSQL advisory lock per log, held by whoever writes to it.

Fencing (Kafka's transactional id, the PostgreSQL epoch row) makes a stale writer harmless,
but it is a last resort: whoever opens a writer fences the one already running. The lease
comes first, so that nothing fences a live writer by accident. The active writer holds it
for its whole life on a connection of its own; a standby waits for it; ``ledger import`` and
``ledger demo`` try it and refuse while it is held. A killed writer's session ends, and with
it the lease, so a standby takes over without any timeout to wait out.

The lock is keyed by the log's topic prefix: every process that shares the database and the
prefix shares the log.
"""

from __future__ import annotations

import contextlib

import asyncpg

_KEY = "hashtext('ledger_writer'), hashtext($1)"


class WriterLease:
    """The lease of one log, on a dedicated connection (never a pool's: its reset would unlock)."""

    def __init__(self, dsn: str, prefix: str, *, timeout: float = 10.0) -> None:
        self._dsn = dsn
        self._prefix = prefix
        self._timeout = timeout
        self._conn: asyncpg.Connection | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    async def try_acquire(self) -> bool:
        """Take the lease if nobody holds it; false (and nothing held) when another does."""
        conn = await asyncpg.connect(self._dsn, timeout=self._timeout)
        try:
            taken = bool(await conn.fetchval(f"SELECT pg_try_advisory_lock({_KEY})", self._prefix))
        except BaseException:
            await conn.close()
            raise
        if not taken:
            await conn.close()
            return False
        self._conn = conn
        return True

    async def acquire(self) -> None:
        """Wait until the lease is free, then take it (a standby's wait)."""
        conn = await asyncpg.connect(self._dsn, timeout=self._timeout)
        try:
            await conn.execute(f"SELECT pg_advisory_lock({_KEY})", self._prefix)
        except BaseException:
            with contextlib.suppress(Exception):
                await conn.close(timeout=1)
            raise
        self._conn = conn

    async def release(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                await conn.close(timeout=self._timeout)  # the session's end unlocks


async def writer_active(dsn: str, prefix: str, *, timeout: float = 10.0) -> bool:
    """True while some process holds the lease of this log (a server or another writer)."""
    lease = WriterLease(dsn, prefix, timeout=timeout)
    if await lease.try_acquire():
        await lease.release()
        return False
    return True
