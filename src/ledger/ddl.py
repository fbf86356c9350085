"""Schema set-up that several processes run at once as they start (a writer and its standby,
every API worker): PostgreSQL's ``CREATE ... IF NOT EXISTS`` is not safe against a concurrent
twin (both may find the name free, and one fails on the catalogue's unique index), so each
set-up holds an advisory lock of its own while it runs."""

from __future__ import annotations

import asyncpg


async def set_up(pool: asyncpg.Pool, name: str, ddl: str) -> None:
    """Run ``ddl`` while holding the advisory lock ``name`` (for this transaction only)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", name)
        await conn.execute(ddl)
