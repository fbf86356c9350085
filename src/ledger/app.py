"""Every role in one process: ``create_app(settings)`` builds the aiohttp application.

The single-process mode, for the tests and small cases (``ledger serve --one-process``): the
HTTP API, the writer and every projector share one process, as ``ledger serve`` ran them
before the roles had processes of their own. Its resources come from ``ledger.bootstrap`` as
``cleanup_ctx`` steps reached through typed ``AppKey``s, entered in this order and left in
reverse: the writer and the projectors finish their batch in hand before the log and the
pool close. The writer comes before the tokens because issuing the admin token is recorded
in the log, and the command topic's intake after both. Nothing opens at import.

``tracing``, when the process is traced (``ledger.tracing.setup.traced``, entered before the
app is built, so that its server middleware is in it), gives the writer and the projectors
their spans.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from aiohttp import web

from ledger import bootstrap
from ledger.bootstrap import provide
from ledger.config import Settings
from ledger.http import admin, commands, operations
from ledger.http.auth import TOKENS
from ledger.http.context import context_middleware
from ledger.http.counting import counting_middleware
from ledger.http.duration import request_duration
from ledger.http.keys import DB, DSN, FEED, LOG, METRICS, READ_DB, READ_MODELS, RUNTIME, SETTINGS, WRITER
from ledger.http.problems import problems_middleware
from ledger.http.tokens import KEEPER
from ledger.metrics import Metrics

if TYPE_CHECKING:
    from ledger.tracing.setup import Tracing

__all__ = ["DB", "LOG", "METRICS", "READ_MODELS", "RUNTIME", "SETTINGS", "WRITER", "create_app"]


async def _tokens(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    async with (
        bootstrap.token_store(settings, app[DB]) as store,
        bootstrap.token_keeper(settings, store, app[WRITER]) as keeper,
    ):
        app[TOKENS], app[KEEPER] = store, keeper
        yield


async def _intake(app: web.Application) -> AsyncIterator[None]:
    """The command topic, on Kafka: read whenever this process's writer is the active one."""
    async with bootstrap.command_intake(app[SETTINGS], app[LOG], app[WRITER], app[TOKENS], app[METRICS]):
        yield


def create_app(settings: Settings, tracing: Tracing | None = None) -> web.Application:
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[request_duration, context_middleware, counting_middleware, problems_middleware],
    )
    app[SETTINGS] = settings
    app[METRICS] = Metrics()
    pools = bootstrap.plan("one-process", settings)
    spans = bootstrap.engine_spans(tracing, settings)
    app.cleanup_ctx.extend(
        [
            provide(DSN, lambda _: bootstrap.database(settings)),
            provide(DB, lambda app: bootstrap.main_pool(app[DSN], settings, pools)),
            provide(READ_DB, lambda app: bootstrap.read_pool(app[DSN], settings, pools)),
            provide(LOG, lambda app: bootstrap.event_log(settings, app[DSN], pools)),
            provide(
                WRITER,
                lambda app: bootstrap.writer(
                    settings, app[DSN], app[LOG], app[DB], app[METRICS], spans=spans
                ),
            ),
            _tokens,
            _intake,
            provide(
                RUNTIME,
                lambda app: bootstrap.projector_runtime(
                    settings, app[LOG], app[DB], app[DSN], app[METRICS], spans=spans
                ),
            ),
            provide(READ_MODELS, lambda app: bootstrap.read_models(settings, app[DSN], app[DB])),
            provide(FEED, lambda app: bootstrap.feed(app[LOG], app[METRICS], owns_log=False)),
        ]
    )
    operations.add_routes(app)
    commands.add_routes(app)
    admin.add_routes(app)
    bootstrap.add_read_routes(app)
    return app
