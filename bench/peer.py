"""The peer: the same stock-movement workload on the ``eventsourcing`` library with PostgreSQL.

Each movement is one application command (get the aggregate, trigger one event, save it in
its own committed transaction), and the library's projection runner then catches a table of
stock levels up from the start of the application's notification log, writing each level
change in the same transaction as its tracking position. The peer is tuned as a competent
user would tune it for a single writer (an aggregate cache that is not re-read from the
database on every command) but keeps its durability: fsync, logged tables, a commit per save.

Run alone as ``python -m bench.peer --dsn DSN --aggregates A --events N --seed S``; it prints
one JSON line, so the harness can run it in a process of its own.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from random import Random
from typing import Any, NamedTuple
from uuid import UUID

import psycopg
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.projection import Projection, ProjectionRunner
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

CATCH_UP_TIMEOUT = 3600.0
"""Seconds the projection may take to catch up before the run is declared failed."""


class Movement(NamedTuple):
    """One command: ``qty`` received (positive) or issued (negative) on a stock stream."""

    stream: str
    qty: int


@dataclass(frozen=True)
class PeerResult:
    """What one run of the peer measured, and the levels its projection ended with."""

    events: int
    write_seconds: float
    project_seconds: float
    levels: dict[str, int]


class InsufficientStockError(Exception):
    """An issue larger than the level: refused, as the ledger's own decider refuses it."""


class StockItem(Aggregate):
    """A product at a location; its first movement opens it, so every movement is one event."""

    class Opened(Aggregate.Created):
        stream: str
        qty: int

    class Moved(Aggregate.Event):
        qty: int

    @staticmethod
    def create_id(stream: str) -> UUID:
        """Ids derived from the stream key, so a command can find its aggregate by key."""
        return uuid.uuid5(uuid.NAMESPACE_URL, f"/stock/{stream}")

    @event(Opened)
    def __init__(self, stream: str, qty: int) -> None:
        self.stream = stream
        self.on_hand = qty

    def move(self, qty: int) -> None:
        """Checked before the event is triggered, so a refusal leaves no pending event."""
        if self.on_hand + qty < 0:
            raise InsufficientStockError(f"{self.stream}: {-qty} wanted, {self.on_hand} on hand")
        self.moved(qty)

    @event(Moved)
    def moved(self, qty: int) -> None:
        self.on_hand += qty


class StockApp(Application[UUID]):
    """The write side: one command per movement, through the library's repository and save."""

    def move(self, stream: str, qty: int) -> None:
        try:
            item: StockItem = self.repository.get(StockItem.create_id(stream))
        except AggregateNotFoundError:
            if qty < 0:
                raise InsufficientStockError(f"{stream}: {-qty} wanted, nothing on hand") from None
            item = StockItem(stream=stream, qty=qty)
        else:
            item.move(qty)
        self.save(item)


class LevelsView(PostgresTrackingRecorder):
    """The materialised view: a levels table updated atomically with the tracking position."""

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        # The tracking table is named after the projection; the levels table sits beside it.
        table = sql.Identifier(self.tracking_table_name.removesuffix("_tracking") + "_levels")
        schema = sql.Identifier(self.datastore.schema)
        self.sql_create_statements.append(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {0}.{1} ("
                "item_id uuid PRIMARY KEY, stream text NOT NULL, on_hand bigint NOT NULL)"
            ).format(schema, table)
        )
        self._open = sql.SQL("INSERT INTO {0}.{1} VALUES (%s, %s, %s)").format(schema, table)
        self._move = sql.SQL("UPDATE {0}.{1} SET on_hand = on_hand + %s WHERE item_id = %s").format(
            schema, table
        )
        self._select = sql.SQL("SELECT stream, on_hand FROM {0}.{1}").format(schema, table)
        # Progress, stamped in the processing thread itself so the catch-up is timed exactly
        # (the runner's own wait() polls with a backoff of up to 0.8s).
        self.progress = threading.Condition()
        self.position = 0
        self.started_at: float | None = None
        self.reached_at: float | None = None

    def open_level(self, item_id: UUID, stream: str, qty: int, tracking: Tracking) -> None:
        self._begin()
        with self.datastore.transaction(commit=True) as curs:
            self._insert_tracking(curs, tracking)
            curs.execute(self._open, (item_id, stream, qty), prepare=True)
        self._committed(tracking)

    def move_level(self, item_id: UUID, qty: int, tracking: Tracking) -> None:
        self._begin()
        with self.datastore.transaction(commit=True) as curs:
            self._insert_tracking(curs, tracking)
            curs.execute(self._move, (qty, item_id), prepare=True)
            if curs.rowcount != 1:
                raise LookupError(f"no level for {item_id} at notification {tracking.notification_id}")
        self._committed(tracking)

    def levels(self) -> dict[str, int]:
        with self.datastore.transaction() as curs:
            return {row["stream"]: row["on_hand"] for row in curs.execute(self._select)}

    def _begin(self) -> None:
        if self.started_at is None:
            self.started_at = time.perf_counter()

    def _committed(self, tracking: Tracking) -> None:
        with self.progress:
            self.position = tracking.notification_id
            self.reached_at = time.perf_counter()
            self.progress.notify_all()


class StockLevels(Projection[LevelsView]):
    """Stock levels from stock events; topics are left empty since every event is one."""

    name = "stocklevels"

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        raise TypeError(f"unexpected event {type(domain_event).__qualname__}")

    @process_event.register
    def _(self, domain_event: StockItem.Opened, tracking: Tracking) -> None:
        self.view.open_level(domain_event.originator_id, domain_event.stream, domain_event.qty, tracking)

    @process_event.register
    def _(self, domain_event: StockItem.Moved, tracking: Tracking) -> None:
        self.view.move_level(domain_event.originator_id, domain_event.qty, tracking)


def _admin_connect(params: Mapping[str, Any]) -> psycopg.Connection[Any]:
    return psycopg.connect(**params, autocommit=True)


@contextmanager
def _scratch_database(dsn: str) -> Iterator[dict[str, str]]:
    """A database of this run's own, dropped afterwards; yields the library's POSTGRES_* settings."""
    params = conninfo_to_dict(dsn)
    name = f"peer_{uuid.uuid4().hex[:16]}"
    with _admin_connect(params) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        info = admin.info
        # The library needs every part spelled out; fill what the DSN left to libpq's defaults.
        settings = {
            "POSTGRES_DBNAME": name,
            "POSTGRES_HOST": str(params.get("host") or info.host),
            "POSTGRES_PORT": str(params.get("port") or info.port),
            "POSTGRES_USER": str(params.get("user") or info.user),
            "POSTGRES_PASSWORD": str(params.get("password") or info.password or ""),
        }
    try:
        yield settings
    finally:
        with _admin_connect(params) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _peer_env(settings: Mapping[str, str], streams: int) -> dict[str, str]:
    """PostgreSQL persistence, an aggregate cache for every stream, the library's durability."""
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        **settings,
        "AGGREGATE_CACHE_MAXSIZE": str(max(streams, 1)),
        # A single writer owns these aggregates, so the cache need not be re-read on every get
        # (the library's documented setting for that case); the saved aggregate is cached instead.
        "AGGREGATE_CACHE_FASTFORWARD": "n",
        # One round trip per save (an insert function) instead of a pipelined lock, notify and
        # insert: what the library's own speed runs use. Still one committed transaction per save,
        # and safe for ordering here because this single writer never races itself.
        "POSTGRES_ENABLE_DB_FUNCTIONS": "y",
    }


def _write(env: Mapping[str, str], movements: Sequence[Movement]) -> tuple[float, int | None]:
    """Seconds to apply every movement as a command, and the last notification id recorded."""
    app = StockApp(env=env)
    try:
        start = time.perf_counter()
        for movement in movements:
            app.move(movement.stream, movement.qty)
        seconds = time.perf_counter() - start
        return seconds, app.recorder.max_notification_id()
    finally:
        app.close()


def _project(env: Mapping[str, str], last_id: int | None) -> tuple[float, dict[str, int]]:
    """Seconds for the projection runner to catch up from the start, and the levels it wrote.

    The clock runs from the first event handed to the projection to the commit of the last
    one: the runner's start-up (its pools and table checks) is left out, as the write phase
    leaves out the application's.
    """
    runner = ProjectionRunner(
        application_class=StockApp,
        projection_class=StockLevels,
        view_class=LevelsView,
        env=env,
    )
    view = runner.view
    try:
        with runner:
            deadline = time.monotonic() + CATCH_UP_TIMEOUT
            with view.progress:
                while view.position < (last_id or 0):
                    view.progress.wait(timeout=0.05)
                    if runner.is_interrupted.is_set():
                        runner.run_forever(timeout=0)  # re-raises the processing thread's error
                        raise RuntimeError("projection runner stopped before catching up")
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"projection not caught up after {CATCH_UP_TIMEOUT:.0f}s")
            # The library's own check that the position is recorded (returns at once when it is).
            runner.wait(last_id, timeout=10.0)
            seconds = (view.reached_at or 0.0) - (view.started_at or 0.0)
            return seconds, view.levels()
    finally:
        view.datastore.close()


def run_peer(dsn: str, movements: Sequence[Movement]) -> PeerResult:
    """Write then project ``movements`` on the peer, in a fresh database dropped afterwards."""
    streams = len({m.stream for m in movements})
    with _scratch_database(dsn) as settings:
        env = _peer_env(settings, streams)
        write_seconds, last_id = _write(env, movements)
        project_seconds, levels = _project(env, last_id)
    return PeerResult(
        events=len(movements),
        write_seconds=write_seconds,
        project_seconds=project_seconds,
        levels=levels,
    )


def movements(aggregates: int, events: int, seed: int) -> list[Movement]:
    """A deterministic workload: mostly receipts of 1 to 50, and issues that fit the level."""
    rng = Random(seed)
    levels: dict[str, int] = {}
    out: list[Movement] = []
    for _ in range(events):
        stream = f"SKU-{rng.randrange(aggregates):07d}@WH-1"
        level = levels.get(stream, 0)
        qty = -rng.randint(1, min(level, 50)) if level and rng.random() < 0.3 else rng.randint(1, 50)
        levels[stream] = level + qty
        out.append(Movement(stream, qty))
    return out


def expected_levels(moves: Sequence[Movement]) -> dict[str, int]:
    """The levels the projection must end with: the sum of every stream's movements."""
    levels: dict[str, int] = {}
    for stream, qty in moves:
        levels[stream] = levels.get(stream, 0) + qty
    return levels


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.peer", description="Run the stock workload on the eventsourcing peer."
    )
    parser.add_argument(
        "--dsn", required=True, help="libpq URI of a PostgreSQL server to create databases on"
    )
    parser.add_argument("--aggregates", type=int, required=True)
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    try:
        moves = movements(args.aggregates, args.events, args.seed)
        result = run_peer(args.dsn, moves)
    except Exception as e:
        print(f"peer run failed: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    levels_ok = result.levels == expected_levels(moves)
    line = {
        "events": result.events,
        "write_seconds": round(result.write_seconds, 6),
        "project_seconds": round(result.project_seconds, 6),
        "levels_ok": levels_ok,
    }
    print(json.dumps(line), flush=True)
    if not levels_ok:
        print("peer run failed: projected levels differ from the sums of the movements", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
