"""Who owns and who follows which projection: PostgreSQL advisory locks held by a session.

Two locks per projection (one key per ``prefix:name``), both on one connection of the
runtime's own, so that both go with the session when a process dies:

- The owner lock, exclusive: one process at a time projects a projection. Another process
  that runs it too stands by and takes it the moment the owner's session ends. Whoever
  takes it also takes a new epoch for the projection's checkpoint (``bookkeeping.claim``),
  and every batch commits only under that epoch: a process that lost its session without
  noticing yet (a dropped connection) can write nothing more.
- The follow lock, shared: held by the owner for as long as it projects. Swapping a
  projection's tables under a running projector would leave it writing tables nobody reads,
  so whoever swaps them (``ledger replay``, ``ledger parked`` with no owner running) takes
  this lock exclusively first, and an owner waits for the swap to finish before it projects.

Nothing here blocks the session: locks are tried, and tried again a moment later.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import structlog
from asyncpg.pool import PoolConnectionProxy

from ledger.store import Connection

log = structlog.get_logger("ledger.projector")

_FOLLOW = "hashtext('ledger_projection'), hashtext($1)"
_OWN = "hashtext('ledger_projection_owner'), hashtext($1)"


async def try_exclusive(conn: Connection, projection: str) -> bool:
    """Take the follow lock exclusively: true when no process projects ``projection``."""
    return bool(await conn.fetchval(f"SELECT pg_try_advisory_lock({_FOLLOW})", projection))


async def release_exclusive(conn: Connection, projection: str) -> None:
    await conn.fetchval(f"SELECT pg_advisory_unlock({_FOLLOW})", projection)


class LocksLost(Exception):
    """The session holding the locks is gone, and every lock with it."""


class Locks:
    """The owner and follow locks of one runtime, on a connection borrowed from its pool."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._conn: PoolConnectionProxy[asyncpg.Record] | None = None
        self._using = asyncio.Lock()
        self.owned: set[str] = set()
        self.followed: set[str] = set()
        self._waiting_logged: set[str] = set()
        self._opened = False  # open() was called: a session is wanted until close()

    async def open(self) -> None:
        self._opened = True
        self._conn = await self._pool.acquire()

    async def own(self, projection: str) -> bool:
        """Take ``projection``'s owner lock if no other process holds it."""
        if projection not in self.owned and await self._try(
            f"SELECT pg_try_advisory_lock({_OWN})", projection
        ):
            self.owned.add(projection)
        return projection in self.owned

    async def follow(self, projection: str) -> bool:
        """Take the shared follow lock; false while a replay or a parked action swaps or
        changes the tables (logged once)."""
        if projection in self.followed:
            return True
        if await self._try(f"SELECT pg_try_advisory_lock_shared({_FOLLOW})", projection):
            self.followed.add(projection)
            self._waiting_logged.discard(projection)
            return True
        if projection not in self._waiting_logged:
            self._waiting_logged.add(projection)
            log.warning("projection_being_replayed_waiting", projection=projection)
        return False

    async def release(self, projection: str) -> None:
        """Let go of both locks of ``projection`` (nothing to do once the session is gone)."""
        owned, followed = projection in self.owned, projection in self.followed
        self.owned.discard(projection)
        self.followed.discard(projection)
        if self._conn is None or not _alive(self._conn):
            return
        async with self._using:
            if followed:
                await self._conn.execute(f"SELECT pg_advisory_unlock_shared({_FOLLOW})", projection)
            if owned:
                await self._conn.execute(f"SELECT pg_advisory_unlock({_OWN})", projection)

    async def keep(self) -> set[str]:
        """A new session when the database dropped the old one; answers the projections
        whose locks went with it (their projectors must stop and take them anew)."""
        if not self._opened:
            return set()
        if self._conn is None:  # reopening failed last time: try again
            await self.open()
            return set()
        if _alive(self._conn):
            return set()
        lost = self.owned | self.followed
        log.warning("projection_locks_lost", projections=sorted(lost))
        async with self._using:
            dropped, self._conn = self._conn, None
            self.owned, self.followed = set(), set()
            with contextlib.suppress(asyncpg.InterfaceError):  # the pool may have taken it back already
                await self._pool.release(dropped)
        await self.open()
        return lost

    async def _try(self, sql: str, projection: str) -> bool:
        if self._conn is None:
            raise LocksLost("the locks' session is not open")
        async with self._using:
            try:
                return bool(await self._conn.fetchval(sql, projection))
            except asyncpg.InterfaceError as e:
                raise LocksLost(str(e)) from e

    async def close(self) -> None:
        """Give the connection back; unlocking all first, so the next borrower holds none."""
        self._opened = False
        if self._conn is None:
            return
        conn, self._conn = self._conn, None
        self.owned, self.followed = set(), set()
        async with self._using:
            try:
                with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                    await conn.execute("SELECT pg_advisory_unlock_all()")
            finally:
                with contextlib.suppress(asyncpg.InterfaceError):  # taken back when the database dropped it
                    await self._pool.release(conn)


def _alive(conn: PoolConnectionProxy[asyncpg.Record]) -> bool:
    try:
        return not conn.is_closed()
    except asyncpg.InterfaceError:  # released: the pool took it back when the database dropped it
        return False
