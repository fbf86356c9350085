"""``ledger writer``: the write model, the log's one transactional producer and its endpoint.

A process of this role takes the log's writer lease and becomes the active writer, or, while
another holds the lease, waits as a hot standby (``ledger.writer.standby``). Once active it
makes sure the ``admin`` principal has its token (a generated one is printed once), reads
the command topic on Kafka (``ledger.writer.intake``), opens its internal endpoint
(``ledger.writer.endpoint``) and registers the address (``ledger.writer.discovery``), so
API processes find it.

Run on its own, it answers probes on ``LEDGER_PROBE_LISTEN`` (``ledger.probes``) from the
moment it starts: ready while active or standing by.

On SIGTERM: the address is withdrawn, the endpoint stops taking requests and finishes those
in hand, the writer finishes its batch, snapshots and lets go of the lease. A writer fenced
by another exits with ``FENCED`` (3): whoever supervises it starts a fresh one, which stands
by behind the new writer's lease.

A writer that cannot start exits with ``UNUSABLE`` (1) after one log line saying why: the log
unreachable, Kafka refusing its credentials or TLS handshake (``writer_cannot_start``), or
the log's topics keeping fewer in-sync copies than ``LEDGER_MIN_INSYNC_FLOOR`` asks
(``writer_refused_exiting``). It appended nothing; whoever supervises it tries again later.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Final

import structlog

from ledger import bootstrap
from ledger.config import Settings
from ledger.lifetime import until_stopped
from ledger.log import LogError
from ledger.metrics import Metrics
from ledger.probes import serving
from ledger.writer import discovery
from ledger.writer.endpoint import internal_app, listening
from ledger.writer.service import Writer
from ledger.writer.state import Status

if TYPE_CHECKING:
    from ledger.tracing.setup import Tracing

log = structlog.get_logger("ledger.writer")

FENCED: Final = 3
UNUSABLE: Final = 1


async def run_writer(
    settings: Settings, stop: Awaitable[object] | None = None, tracing: Tracing | None = None
) -> int:
    """Run until SIGTERM (or ``stop``, for a caller of its own): 0; or until fenced: ``FENCED``;
    or ``UNUSABLE`` at once when the log cannot be opened or refuses this writer. ``tracing``:
    entered already when the process is traced."""
    if settings.internal_secret is None:
        raise bootstrap.MissingSecret(
            "LEDGER_INTERNAL_SECRET is not set: `ledger api` and `ledger writer` share it"
        )
    stopping = asyncio.ensure_future(until_stopped() if stop is None else stop)
    try:
        return await _serve(settings, settings.internal_secret.get_secret_value(), stopping, tracing)
    except LogError as e:
        log.error("writer_cannot_start", reason=str(e) or repr(e))
        return UNUSABLE
    finally:
        stopping.cancel()
        await asyncio.wait([stopping])


def readiness(writer: Writer) -> tuple[bool, dict[str, object]]:
    """For ``LEDGER_PROBE_LISTEN``'s ``/readyz``: active, or a hot standby following the log, is
    doing its job; starting, unavailable (the log failed), fenced or stopped is not."""
    body: dict[str, object] = {"writer": writer.status.value}
    if writer.problem:
        body["writer_problem"] = writer.problem
    return writer.status in (Status.ACTIVE, Status.STANDBY), body


async def _serve(
    settings: Settings, secret: str, stopping: asyncio.Future[object], tracing: Tracing | None
) -> int:
    pools = bootstrap.plan("writer", settings)
    metrics = Metrics()
    metrics.writer_standbys_configured.set(settings.writer_standbys)
    async with contextlib.AsyncExitStack() as stack:
        probes = await stack.enter_async_context(serving(settings, metrics))
        dsn = await stack.enter_async_context(bootstrap.database(settings))
        db = await stack.enter_async_context(bootstrap.main_pool(dsn, settings, pools))
        event_log = await stack.enter_async_context(bootstrap.event_log(settings, dsn, pools))
        tokens = await stack.enter_async_context(bootstrap.token_store(settings, db))
        await discovery.setup(db)
        spans = bootstrap.engine_spans(tracing, settings)
        writer = await stack.enter_async_context(
            bootstrap.writer(settings, dsn, event_log, db, metrics, spans=spans)
        )
        probes.check = functools.partial(readiness, writer)
        if not await _first(stopping, writer, Status.ACTIVE):
            return _ended(writer, stopping)
        keeper = await stack.enter_async_context(bootstrap.token_keeper(settings, tokens, writer))
        await stack.enter_async_context(
            bootstrap.command_intake(settings, event_log, writer, tokens, metrics)
        )
        app = internal_app(settings, writer, keeper, metrics, secret)
        address = await stack.enter_async_context(listening(settings, app))
        await discovery.register(db, settings.topic_prefix, address)
        stack.push_async_callback(discovery.unregister, db, settings.topic_prefix, address)
        log.info("writer_endpoint_listening", address=address)
        await _first(stopping, writer, Status.FENCED)
        return _ended(writer, stopping)


def _ended(writer: Writer, stopping: asyncio.Future[object]) -> int:
    """The exit status of a writer no longer waited for: asked to stop, fenced or refused."""
    if stopping.done():
        return 0
    if writer.status is Status.REFUSED:
        log.error("writer_refused_exiting", problem=writer.problem)
        return UNUSABLE
    if writer.status is Status.FENCED:
        return FENCED
    return 0


async def _first(stopping: asyncio.Future[object], writer: Writer, wanted: Status) -> bool:
    """Wait for the writer to reach ``wanted`` (True), to be fenced or stop, or for SIGTERM (False)."""
    reached = asyncio.create_task(writer.until(wanted, Status.FENCED, Status.STOPPED, Status.REFUSED))
    try:
        either: list[asyncio.Future[Any]] = [stopping, reached]
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    finally:
        reached.cancel()
    if stopping.done():
        return False
    if writer.status is Status.FENCED:
        log.error("writer_fenced_exiting", problem=writer.problem)
        return wanted is Status.FENCED
    return writer.status is wanted
