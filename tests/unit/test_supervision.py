"""Which failures a projector retries, restarts from, or parks an event for; and its backoff."""

from __future__ import annotations

import asyncpg
import pytest
from prometheus_client import CollectorRegistry, Counter

from ledger.log import LogUnavailable
from ledger.projector.supervision import BACKOFF_CAP, Health, environmental, parkable, transient


def _postgres(cls: type[asyncpg.PostgresError]) -> asyncpg.PostgresError:
    return cls("boom")


@pytest.mark.parametrize(
    "error",
    [
        _postgres(asyncpg.AdminShutdownError),  # pg_terminate_backend
        _postgres(asyncpg.CannotConnectNowError),
        _postgres(asyncpg.TooManyConnectionsError),
        _postgres(asyncpg.SerializationError),
        _postgres(asyncpg.DeadlockDetectedError),
        _postgres(asyncpg.QueryCanceledError),
        _postgres(asyncpg.ConnectionDoesNotExistError),
        asyncpg.InterfaceError("cannot perform operation: connection is closed"),
        asyncpg.InterfaceError(
            "cannot call Connection.fetch(): connection has been released back to the pool"
        ),
        asyncpg.InternalClientError("cannot switch to state 15; another operation (2) is in progress"),
        TimeoutError(),  # a pool acquire that timed out
        ConnectionRefusedError(),
        LogUnavailable("broker down"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_database_and_log_outages_are_transient_never_parked(error: BaseException) -> None:
    assert transient(error)
    assert not parkable(error)


def test_an_outage_translated_at_some_edge_is_known_by_its_cause() -> None:
    class Unavailable(Exception):
        pass

    def query() -> None:
        try:
            raise asyncpg.AdminShutdownError("terminating connection due to administrator command")
        except asyncpg.PostgresError as e:
            raise Unavailable("database unavailable") from e

    with pytest.raises(Unavailable) as translated:
        query()
    assert transient(translated.value)


@pytest.mark.parametrize(
    "error",
    [
        ValueError("bad amount"),
        KeyError("sku"),
        LookupError("what"),
        RuntimeError("anything at all"),
        _postgres(asyncpg.UniqueViolationError),
        _postgres(asyncpg.NumericValueOutOfRangeError),
        asyncpg.DataError("invalid input for query argument $1"),
        asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_anything_else_an_apply_raises_parks_the_event(error: BaseException) -> None:
    assert parkable(error)


def test_missing_tables_restart_the_projector_rather_than_park_every_event() -> None:
    for error in (_postgres(asyncpg.UndefinedTableError), _postgres(asyncpg.InvalidSchemaNameError)):
        assert environmental(error)
        assert not parkable(error)
        assert not transient(error)


def test_a_base_exception_is_never_parked() -> None:
    assert not parkable(KeyboardInterrupt())


def test_backoff_doubles_is_capped_and_starts_over_once_a_step_goes_through() -> None:
    registry = CollectorRegistry()
    restarts = Counter("restarts", "", ["projection"], registry=registry)
    retries = Counter("retries", "", ["projection"], registry=registry)
    health = Health("inventory", restarts, retries)
    delays = [health.failed(RuntimeError("x"), restart=True) for _ in range(10)]
    assert delays[:4] == [0.5, 1.0, 2.0, 4.0]
    assert delays[-1] == BACKOFF_CAP
    assert (health.restarts, health.state) == (10, "restarting")
    assert registry.get_sample_value("restarts_total", {"projection": "inventory"}) == 10
    health.recovered()
    assert health.failed(TimeoutError(), restart=False) == 0.5
    assert (health.retries, health.state, health.last_error) == (1, "retrying", "TimeoutError()")
    health.recovered()
    assert health.state == "running"
    assert health.last_error == "TimeoutError()"
