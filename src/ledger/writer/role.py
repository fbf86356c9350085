"""``ledger writer``: the write model, the log's one transactional producer and its endpoint.

A process of this role takes the log's writer lease and becomes the active writer, or, while
another holds the lease, waits as a hot standby (``ledger.writer.standby``). Once active it
makes sure the ``admin`` principal has its token (a generated one is printed once), reads
the command topic on Kafka (``ledger.writer.intake``), opens its internal endpoint
(``ledger.writer.endpoint``) and registers the address (``ledger.writer.discovery``), so
API processes find it.

On SIGTERM: the address is withdrawn, the endpoint stops taking requests and finishes those
in hand, the writer finishes its batch, snapshots and lets go of the lease. A writer fenced
by another exits with ``FENCED`` (3): whoever supervises it starts a fresh one, which stands
by behind the new writer's lease.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import Any, Final

import structlog

from ledger import bootstrap
from ledger.config import Settings
from ledger.lifetime import until_stopped
from ledger.metrics import Metrics
from ledger.writer import discovery
from ledger.writer.endpoint import internal_app, listening
from ledger.writer.service import Writer
from ledger.writer.state import Status

log = structlog.get_logger("ledger.writer")

FENCED: Final = 3


async def run_writer(settings: Settings, stop: Awaitable[object] | None = None) -> int:
    """Run until SIGTERM (or ``stop``, for a caller of its own): 0; or until fenced: ``FENCED``."""
    if settings.internal_secret is None:
        raise bootstrap.MissingSecret(
            "LEDGER_INTERNAL_SECRET is not set: `ledger api` and `ledger writer` share it"
        )
    pools = bootstrap.plan("writer", settings)
    metrics = Metrics()
    metrics.writer_standbys_configured.set(settings.writer_standbys)
    stopping = asyncio.ensure_future(until_stopped() if stop is None else stop)
    try:
        async with contextlib.AsyncExitStack() as stack:
            dsn = await stack.enter_async_context(bootstrap.database(settings))
            db = await stack.enter_async_context(bootstrap.main_pool(dsn, settings, pools))
            event_log = await stack.enter_async_context(bootstrap.event_log(settings, dsn, pools))
            tokens = await stack.enter_async_context(bootstrap.token_store(settings, db))
            await discovery.setup(db)
            writer = await stack.enter_async_context(bootstrap.writer(settings, dsn, event_log, db, metrics))
            if not await _first(stopping, writer, Status.ACTIVE):
                return FENCED if writer.status is Status.FENCED else 0
            keeper = await stack.enter_async_context(bootstrap.token_keeper(settings, tokens, writer))
            await stack.enter_async_context(
                bootstrap.command_intake(settings, event_log, writer, tokens, metrics)
            )
            app = internal_app(settings, writer, keeper, metrics, settings.internal_secret.get_secret_value())
            address = await stack.enter_async_context(listening(settings, app))
            await discovery.register(db, settings.topic_prefix, address)
            stack.push_async_callback(discovery.unregister, db, settings.topic_prefix, address)
            log.info("writer_endpoint_listening", address=address)
            if not await _first(stopping, writer, Status.FENCED):
                return 0
            log.error("writer_fenced_exiting", problem=writer.problem)
            return FENCED
    finally:
        stopping.cancel()
        await asyncio.wait([stopping])


async def _first(stopping: asyncio.Future[object], writer: Writer, wanted: Status) -> bool:
    """Wait for the writer to reach ``wanted`` (True), to be fenced or stop, or for SIGTERM (False)."""
    reached = asyncio.create_task(writer.until(wanted, Status.FENCED, Status.STOPPED))
    try:
        either: list[asyncio.Future[Any]] = [stopping, reached]
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    finally:
        reached.cancel()
    if stopping.done():
        return False
    if writer.status is Status.FENCED and wanted is not Status.FENCED:
        log.error("writer_fenced_exiting", problem=writer.problem)
        return False
    return writer.status is wanted
