"""What a read model is given to work with: the facts to project, and the SQL helpers.

A projection (``projections/<name>.py``) owns its tables, applies a batch of facts with
set-based SQL on the connection it is handed (inside the runtime's transaction, which also
commits the new checkpoint), and answers queries. It never commits, never reads the log and
never sees the HTTP layer.

Rules every projection keeps, because the runtime relies on them:
- Applying the same facts in any split into batches yields the same tables.
- Facts of one stream arrive in stream order; facts of different streams may arrive in any
  order (different partitions, different topics). So anything joining streams (an order's
  product category, a complaint's shipped units) joins at query time, not at apply time.
- Tables live in the schema handed in (one per projection version), so a rebuild can run
  beside the live tables and be swapped in.
- A projection that applies only some event types names them as ``event_types`` (a
  frozenset of type tags): records of other types in its topics are then never decoded.
- A projection that reads only envelopes, never events, says so with ``envelopes_only =
  True``: no event is built for it (a fact's ``event`` is then built only if asked for).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from ledger.envelope import Envelope
from schemas import Event, decode_event

Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"
"""A connection as a projection is handed one: plain, or borrowed from a pool."""


class DatabaseUnavailable(Exception):
    """The database cannot answer now; asking again later may work (HTTP answers 503).

    Raised ``from`` the driver's error wherever the engine meets the database, so the layers
    above see one error whatever the cause: the server unreachable, refusing connections or
    shutting down, the connection lost, a statement timeout, a pool with no connection free
    in time, or a read model's tables dropped under a reader by an online rebuild."""

    retry_after = 1


_UNAVAILABLE = (
    asyncpg.PostgresConnectionError,  # class 08: refused, failed, or gone
    asyncpg.OperatorInterventionError,  # class 57: statement timeout, admin or crash shutdown, starting up
    asyncpg.InsufficientResourcesError,  # class 53: too many connections, out of memory, disk full
    asyncpg.UndefinedTableError,  # a replaced read model's tables dropped under a reader
    asyncpg.InvalidSchemaNameError,  # ... or its whole schema
    asyncpg.InvalidCachedStatementError,  # a table changed under a prepared statement
    asyncpg.exceptions.OutdatedSchemaCacheError,
    asyncpg.InterfaceError,  # the connection closed under the query
    asyncpg.InternalClientError,  # ... or in the middle of a protocol step, which leaves its state broken
    OSError,  # refused or reset sockets; TimeoutError, a pool acquire that timed out, is one
)


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database cannot answer now (rather than a defect or bad input).

    asyncpg's client-side ``DataError`` (an argument its column type cannot hold) is an
    ``InterfaceError`` and a ``ValueError``: a defect in what was asked, never unavailability."""
    return isinstance(error, _UNAVAILABLE) and not isinstance(error, ValueError)


@contextmanager
def unavailable_as(what: str) -> Iterator[None]:
    """Translate the driver's unavailability errors raised inside into ``DatabaseUnavailable``."""
    try:
        yield
    except Exception as e:
        if is_unavailable(e):
            reason = str(e) or ("no connection or answer in time" if isinstance(e, TimeoutError) else "")
            raise DatabaseUnavailable(f"{what}: {type(e).__name__}: {reason}".rstrip(": ")) from e
        raise


@dataclass(slots=True)
class Fact:
    """One event as a projection sees it: where it is in the log, its envelope, its model.

    Never changed once built but for ``event``, built on first use when the fact came
    without it (for a projection that reads envelopes only). Not frozen: one is built per
    event projected, and a frozen dataclass costs more to build.
    """

    topic: str
    partition: int
    offset: int
    envelope: Envelope
    _event: Event | None = None

    @property
    def event(self) -> Event:
        event = self._event
        if event is None:
            envelope = self.envelope
            event = self._event = decode_event(envelope.type, envelope.schema_version, envelope.data)
        return event

    @property
    def seq(self) -> tuple[str, int, int]:
        return (self.topic, self.partition, self.offset)


class Projection(Protocol):
    """A read model. ``version`` changes whenever its tables or their meaning change."""

    name: ClassVar[str]
    version: ClassVar[int]
    areas: ClassVar[tuple[str, ...]]

    def ddl(self, schema: str) -> str:
        """CREATE TABLE IF NOT EXISTS ... for every table, qualified with ``schema``."""
        ...

    async def apply(self, conn: Connection, schema: str, facts: Sequence[Fact]) -> None:
        """Project a batch with set-based SQL; never commits (the runtime does)."""
        ...


_UNSAFE = re.compile(r"[^a-z0-9_]")


def schema_name(prefix: str, name: str, version: int, *, scratch: str = "") -> str:
    """The PostgreSQL schema holding one version of one read model of one log."""
    raw = _UNSAFE.sub("_", f"rm_{prefix}_{name}_v{version}{'_' + scratch if scratch else ''}".lower())
    if len(raw) <= 63:
        return raw
    return raw[:50] + "_" + hashlib.sha256(raw.encode()).hexdigest()[:12]


def q(*parts: str) -> str:
    """A qualified, quoted identifier: q("rm_x", "levels") -> "rm_x"."levels"."""
    return ".".join('"' + p.replace('"', '""') + '"' for p in parts)


async def insert_new(
    conn: Connection,
    schema: str,
    table: str,
    rows: Sequence[tuple[object, ...]],
    columns: Sequence[tuple[str, str]],
) -> None:
    """Insert ``rows`` (one per fact, or per line of a fact) unless already there: the write of
    insert-only read models, whose rows are keyed by the facts' own ids, so a redelivered
    fact changes nothing."""
    if not rows:
        return
    names = ", ".join(name for name, _ in columns)
    arrays = ", ".join(f"${n}::{type_}[]" for n, (_, type_) in enumerate(columns, start=1))
    await conn.execute(
        f"INSERT INTO {q(schema, table)} ({names}) SELECT * FROM unnest({arrays}) ON CONFLICT DO NOTHING",
        *[list(column) for column in zip(*rows, strict=True)],
    )


async def copy_into_temp(
    conn: Connection, name: str, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[Any]]
) -> str:
    """Stage rows in a temporary table dropped at commit, by COPY: the first half of an upsert."""
    table = f"stage_{name}"
    definition = ", ".join(f"{column} {type_}" for column, type_ in columns)
    await conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} ({definition}) ON COMMIT DROP")
    await conn.execute(f"TRUNCATE {table}")
    await conn.copy_records_to_table(table, records=list(rows), columns=[c for c, _ in columns])
    return table
