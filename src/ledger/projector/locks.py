"""Who follows which projection: PostgreSQL advisory locks held for a runtime's lifetime.

Every live ``ProjectorRuntime`` holds a shared lock per projection it keeps up to date (one
key per ``prefix:name``), on one connection of its own. Swapping a projection's tables
under a running projector would leave that projector writing tables nobody reads (and then
tables that are gone), so whoever swaps takes the lock exclusively first: ``ledger replay``
from another process gets it only when no server or ``ledger project`` follows the
projection, and the online rebuild gets it only when its own process is the only follower
(a session never conflicts with its own shared lock). A runtime that starts meanwhile waits
for the swap to finish. The locks go with the session: a killed process leaves none behind.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable

import asyncpg
import structlog
from asyncpg.pool import PoolConnectionProxy

from ledger.store import Connection

log = structlog.get_logger("ledger.projector")

_KEY = "hashtext('ledger_projection'), hashtext($1)"


async def try_exclusive(conn: Connection, projection: str) -> bool:
    return bool(await conn.fetchval(f"SELECT pg_try_advisory_lock({_KEY})", projection))


async def release_exclusive(conn: Connection, projection: str) -> None:
    await conn.fetchval(f"SELECT pg_advisory_unlock({_KEY})", projection)


class Follower:
    """The shared locks of one runtime, on a connection borrowed from its pool until ``close``."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._conn: PoolConnectionProxy[asyncpg.Record] | None = None
        self._using = asyncio.Lock()
        self._projections: list[str] = []

    async def follow(self, projections: Iterable[str]) -> None:
        self._projections = list(projections)
        self._conn = await self._pool.acquire()
        for projection in self._projections:
            if not await self._conn.fetchval(f"SELECT pg_try_advisory_lock_shared({_KEY})", projection):
                log.warning("projection_being_replayed_waiting", projection=projection)
                await self._conn.execute(f"SELECT pg_advisory_lock_shared({_KEY})", projection)

    async def keep(self) -> None:
        """Follow again when the database dropped the connection, and the locks with it."""
        if self._conn is None or _alive(self._conn):
            return
        log.warning("projection_follow_locks_lost", projections=self._projections)
        async with self._using:
            lost, self._conn = self._conn, None
            with contextlib.suppress(asyncpg.InterfaceError):  # the pool may have taken it back already
                await self._pool.release(lost)
        await self.follow(self._projections)

    async def claim(self, projection: str) -> bool:
        """Take ``projection`` exclusively: true when no other process follows it."""
        if self._conn is None:
            return False
        async with self._using:
            return await try_exclusive(self._conn, projection)

    async def unclaim(self, projection: str) -> None:
        if self._conn is not None:
            async with self._using:
                await release_exclusive(self._conn, projection)

    async def close(self) -> None:
        """Give the connection back; the pool's reset on release unlocks every advisory lock."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            async with self._using:
                try:
                    with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                        await conn.execute("SELECT pg_advisory_unlock_all()")
                finally:
                    with contextlib.suppress(
                        asyncpg.InterfaceError
                    ):  # taken back when the database dropped it
                        await self._pool.release(conn)


def _alive(conn: PoolConnectionProxy[asyncpg.Record]) -> bool:
    try:
        return not conn.is_closed()
    except asyncpg.InterfaceError:  # released: the pool took it back when the database dropped it
        return False
