"""An operator's retry or release of parked messages, carried out by whoever owns the tables.

A projection's tables are written by the one process that owns it (``locks``), which keeps
in memory which streams it holds parked and follows the projection under a shared lock.
So a retry or a release is carried out by that owner, between two of its batches, or by
nobody:

- No process projects it: ``carry_out`` takes the follow lock exclusively (an owner that
  starts meanwhile waits for it) and does the work itself, as ``ledger replay`` does.
- A process owns it: the ask goes into ``parked_actions``; the owner's watcher picks it up
  within a second, does the work in the transaction that marks the ask done, and the answer
  is read back from there. Should the owner stop meanwhile, the work is done here after all.
- The owner does not take it within ``wait`` seconds (it runs another version of the read
  model, or is stuck): the ask is withdrawn and refused, saying so.

``ledger parked`` and the admin routes (from any API process) use this.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

import asyncpg
import orjson

from ledger import bootstrap
from ledger.config import Settings
from ledger.log import EventLog, Record
from ledger.projector import asks, bookkeeping, parking
from ledger.projector.locks import release_exclusive, try_exclusive
from ledger.projector.stats import projector_key
from ledger.store import Projection, schema_name

_POLL = 0.2


class Refused(Exception):
    """The action cannot be carried out now; the message says why."""


@dataclass(frozen=True)
class Target:
    """One projection of one log, as the bookkeeping tables name it."""

    projection: Projection
    prefix: str

    @property
    def key(self) -> str:
        return projector_key(self.prefix, self.projection.name, self.projection.version)

    @property
    def live_name(self) -> str:
        return f"{self.prefix}:{self.projection.name}"


class LogOnDemand:
    """The log, opened only if a parked row has no record kept (parked by an older release)."""

    def __init__(self, settings: Settings, dsn: str) -> None:
        self._settings, self._dsn = settings, dsn
        self._log: EventLog | None = None
        self._opened = contextlib.AsyncExitStack()

    async def read_back(self, seqs: list[parking.Seq]) -> dict[parking.Seq, Record]:
        if self._log is None:
            pools = bootstrap.plan("command", self._settings)
            self._log = await self._opened.enter_async_context(
                bootstrap.event_log(self._settings, self._dsn, pools)
            )
        return await parking.read_back(self._log, seqs)

    async def close(self) -> None:
        await self._opened.aclose()


async def carry_out(
    pool: asyncpg.Pool,
    target: Target,
    action: str,
    stream: str | None,
    by: str,
    *,
    read_back: parking.ReadBack | None = None,
    wait: float = 30.0,
) -> parking.Outcome:
    """Retry or release ``target``'s parked messages (of ``stream``, or all), by whoever may."""
    async with pool.acquire() as holder:
        if await try_exclusive(holder, target.live_name):
            try:
                return await _here(pool, target, action, stream, by, read_back)
            finally:
                await release_exclusive(holder, target.live_name)
        async with pool.acquire() as conn:
            ask = await asks.ask(conn, target.key, action, stream, by)
        deadline = time.monotonic() + wait
        while True:
            async with pool.acquire() as conn:
                answer = await asks.ask_outcome(conn, ask)
            if answer is not None:
                return _answered(target, answer)
            if await try_exclusive(holder, target.live_name):  # the owner has stopped meanwhile
                try:
                    if await _withdraw(pool, ask):
                        return await _here(pool, target, action, stream, by, read_back)
                finally:
                    await release_exclusive(holder, target.live_name)
                continue  # answered just now
            if time.monotonic() > deadline and await _withdraw(pool, ask):
                raise Refused(
                    f"the process owning {target.projection.name} did not take the {action} "
                    f"within {wait:g} s: "
                    "it may run another version of the read model (which takes no asks for this one), or be "
                    "busy or stuck (see GET /v1/projections); try again, or stop it and ask again"
                )
            await asyncio.sleep(_POLL)


async def _here(
    pool: asyncpg.Pool,
    target: Target,
    action: str,
    stream: str | None,
    by: str,
    read_back: parking.ReadBack | None,
) -> parking.Outcome:
    """The work done here, under the exclusive lock, on the tables a projector would write."""
    projection = target.projection
    async with pool.acquire() as conn, conn.transaction():
        live = await bookkeeping.live_schema(conn, target.live_name)
        if live is not None and live[1] == projection.version:
            schema = live[0]
        else:
            schema = schema_name(target.prefix, projection.name, projection.version)
        return await parking.carry_out(conn, action, projection, schema, target.key, stream, by, read_back)


async def _withdraw(pool: asyncpg.Pool, ask: int) -> bool:
    """Withdraw a pending ask; false when it was carried out meanwhile."""
    async with pool.acquire() as conn:
        return await asks.finish_ask(conn, ask, '{"withdrawn": true}')


def _answered(target: Target, answer: str) -> parking.Outcome:
    body = orjson.loads(answer)
    if "error" in body:
        raise Refused(f"the process owning {target.projection.name} failed to do it: {body['error']}")
    if "withdrawn" in body:
        raise Refused("the ask was withdrawn")
    return parking.Outcome.from_json(body)
