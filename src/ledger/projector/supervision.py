"""How a projector meets failure: park the event, retry the database, or restart itself.

Three kinds of failure, told apart by ``transient`` and ``environmental``:

- A transient database or log error (a connection lost or refused, an admin shutdown, too
  many connections, a serialization failure or deadlock, a pool-acquire timeout) says
  nothing about the events: the batch is retried, with backoff, from the checkpoint.
- An environmental error (the read model's tables or schema are gone) is no event's fault
  either: the projector restarts, which creates its tables again.
- Anything else raised while applying events is the events' doing: they are parked with
  the reason. Raised anywhere else, it is a defect of the runtime: the projector restarts
  with backoff, and the restart is logged with its traceback, counted and shown.

``Health`` keeps the record of one supervised task: what failed last and when, how often it
restarted or retried, and how long to wait before the next attempt.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg
import structlog
from prometheus_client import Counter

from ledger.log import LogError

log = structlog.get_logger("ledger.projector")

BACKOFF_FIRST = 0.5
BACKOFF_CAP = 30.0

# SQLSTATEs that pass by themselves. Classes: 08 connection exception, 40 transaction
# rollback (serialization failure, deadlock), 53 insufficient resources (too many
# connections, out of memory or disk). Codes: 57P01 admin shutdown, 57P02 crash shutdown,
# 57P03 cannot connect now, 57014 query canceled (a statement timeout or an operator's
# cancel), 55P03 lock not available, 25006 read-only transaction (a standby after failover).
_TRANSIENT_CLASSES = frozenset({"08", "40", "53"})
_TRANSIENT_CODES = frozenset({"57P01", "57P02", "57P03", "57014", "55P03", "25006"})
# The tables are not there: 42P01 undefined table, 3F000 invalid schema name.
_ENVIRONMENTAL_CODES = frozenset({"42P01", "3F000"})


def _causes(error: BaseException) -> list[BaseException]:
    """The error and what it was raised from (``raise X from e``), innermost last."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and len(chain) < 8 and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _transient_one(error: BaseException) -> bool:
    if isinstance(error, asyncpg.PostgresError):
        code = str(getattr(error, "sqlstate", "") or "")
        return code[:2] in _TRANSIENT_CLASSES or code in _TRANSIENT_CODES
    if type(error) is asyncpg.InterfaceError:  # its subclasses (DataError, ...) are bad input
        # A connection the database dropped: closed, or taken back by its pool (which detaches
        # the borrowed handle, so every later call on it says so).
        return str(error).endswith(("connection is closed", "released back to the pool"))
    # asyncpg's own protocol state, broken by a connection dropped in the middle of an operation.
    return isinstance(error, (LogError, OSError, TimeoutError, asyncpg.InternalClientError))


def transient(error: BaseException) -> bool:
    """The database or the log failed for a while; the events had nothing to do with it.

    The whole chain of causes counts, so an error translated at some edge (``raise
    Unavailable(...) from e``) is known by its origin."""
    return any(_transient_one(e) for e in _causes(error))


def environmental(error: BaseException) -> bool:
    """The read model's tables or schema are missing: no event could have caused that."""
    return any(
        isinstance(e, asyncpg.PostgresError) and getattr(e, "sqlstate", None) in _ENVIRONMENTAL_CODES
        for e in _causes(error)
    )


def parkable(error: BaseException) -> bool:
    """Raised while applying events, this error is theirs: park them with it."""
    return isinstance(error, Exception) and not transient(error) and not environmental(error)


class Health:
    """One supervised task's record: restarts, retries, the last error and when, the backoff."""

    def __init__(self, name: str, restarts: Counter, retries: Counter) -> None:
        self.name = name
        self.restarts = 0
        self.retries = 0
        self.last_error: str | None = None
        self.last_error_at: datetime | None = None
        self.state = "running"
        self.failures = 0  # in a row, since the last step that went through
        self.delay = 0.0  # how long to wait after the latest failure
        self._restarts = restarts.labels(name)
        self._retries = retries.labels(name)

    def failed(self, error: BaseException, *, restart: bool, **where: object) -> float:
        """Record a failure, log it and count it; answers how long to wait before going on."""
        self.failures += 1
        self.delay = delay = min(BACKOFF_CAP, BACKOFF_FIRST * 2.0 ** min(self.failures - 1, 16))
        self.last_error = repr(error)
        self.last_error_at = datetime.now(UTC)
        if restart:
            self.restarts += 1
            self.state = "restarting"
            self._restarts.inc()
            log.error(
                "projector_restarted",
                task=self.name,
                restarts=self.restarts,
                retry_in=delay,
                exc_info=error,
                **where,
            )
        else:
            self.retries += 1
            self.state = "retrying"
            self._retries.inc()
            log.warning("projector_retrying", task=self.name, error=repr(error), retry_in=delay, **where)
        return delay

    def view(self) -> dict[str, object]:
        return {
            "restarts": self.restarts,
            "retries": self.retries,
            "last_error": self.last_error,
            "last_error_at": self.last_error_at,
            "state": self.state,
        }

    def recovered(self) -> None:
        """A step went through: the backoff starts over. The last error stays on record."""
        self.failures = 0
        self.state = "running"

    def died(self, error: BaseException) -> None:
        self.state = "dead"
        self.last_error = repr(error)
        self.last_error_at = datetime.now(UTC)


async def pause(delay: float, stopped: asyncio.Event) -> None:
    """Wait ``delay`` seconds, or less when the runtime stops meanwhile."""
    try:
        await asyncio.wait_for(stopped.wait(), delay)
    except TimeoutError:
        return
