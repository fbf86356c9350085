"""Where API processes find the active writer: one row per log in ``ledger_writer.active``.

The active writer registers its endpoint's address (with its pid, host and since when) once
it is active and listening, and removes the row when it stops. A writer that dies leaves its
row behind; whoever takes over overwrites it. An API process reads the row, keeps the
address, and reads it again when the writer there cannot be reached or answers that it is
not active, so a take-over is found within one failed request.

The row is only a pointer: what makes a writer the writer is the lease and the log's
fencing, so a stale row can at worst send a command to a process that refuses it (503).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from ledger.ddl import set_up

SCHEMA = "ledger_writer"

_DDL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE TABLE IF NOT EXISTS {SCHEMA}.active (
    prefix text PRIMARY KEY,
    address text NOT NULL,
    pid integer NOT NULL,
    host text NOT NULL,
    since timestamptz NOT NULL DEFAULT now()
);
"""


@dataclass(frozen=True)
class Registration:
    address: str
    pid: int
    host: str
    since: datetime


async def setup(pool: asyncpg.Pool) -> None:
    await set_up(pool, "ledger_writer_ddl", _DDL)


async def register(pool: asyncpg.Pool, prefix: str, address: str) -> None:
    """Name this process, at ``address``, as the active writer of the log ``prefix``."""
    async with pool.acquire() as conn:
        await conn.execute(
            f"INSERT INTO {SCHEMA}.active (prefix, address, pid, host) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (prefix) DO UPDATE SET address = $2, pid = $3, host = $4, since = now()",
            prefix,
            address,
            os.getpid(),
            socket.gethostname(),
        )


async def unregister(pool: asyncpg.Pool, prefix: str, address: str) -> None:
    """Remove the row if it still names ``address`` (a successor's row is left alone)."""
    async with pool.acquire() as conn:
        await conn.execute(f"DELETE FROM {SCHEMA}.active WHERE prefix = $1 AND address = $2", prefix, address)


async def lookup(pool: asyncpg.Pool, prefix: str, *, timeout: float) -> Registration | None:
    async with pool.acquire(timeout=timeout) as conn:
        row = await conn.fetchrow(
            f"SELECT address, pid, host, since FROM {SCHEMA}.active WHERE prefix = $1",
            prefix,
            timeout=timeout,
        )
    return None if row is None else Registration(row["address"], row["pid"], row["host"], row["since"])
