"""The probe port of the roles that serve no HTTP of their own: ``ledger writer`` and ``ledger project``.

Run apart (a container, a pod), such a process is otherwise invisible to whoever runs it: the
writer's endpoint listens only while it is active, only for API processes and only with the
internal secret; a projector process listens nowhere. ``LEDGER_PROBE_LISTEN=HOST:PORT`` gives
it a small HTTP listener: ``/healthz`` (the process's event loop answers), ``/readyz`` (the
role's own readiness, named in the body; 503 while it is not ready) and ``/metrics`` (this
process's metrics, which nothing else shows outside ``ledger serve``). Unset, the default,
nothing listens; ``ledger serve`` never hands it to its children, whose metrics its API
workers already show (``ledger.metrics``).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from ledger.config import Settings
from ledger.http.problems import problems_middleware
from ledger.http.responses import json_response
from ledger.metrics import Metrics, exposition

log = structlog.get_logger("ledger.probes")

Readiness = Callable[[], tuple[bool, dict[str, object]]]
"""Whether the role is ready, and what it says of itself in the ``/readyz`` body."""


def _starting() -> tuple[bool, dict[str, object]]:
    return False, {"role": "starting"}


class Probes:
    """What ``/readyz`` asks: ``starting`` until the role names its own check."""

    def __init__(self) -> None:
        self.check: Readiness = _starting


_PROBES = web.AppKey("probes", Probes)
_METRICS = web.AppKey("metrics", Metrics)


@contextlib.asynccontextmanager
async def serving(settings: Settings, metrics: Metrics) -> AsyncIterator[Probes]:
    """Listen on ``LEDGER_PROBE_LISTEN`` (if set) while inside; the probes' check is the caller's to set."""
    probes = Probes()
    if settings.probe_listen is None:
        yield probes
        return
    runner = web.AppRunner(probe_app(probes, metrics), access_log=None)
    await runner.setup()
    try:
        host, _, port = settings.probe_listen.rpartition(":")
        await web.TCPSite(runner, host.strip("[]"), int(port)).start()
        log.info("probes_listening", address=settings.probe_listen)
        yield probes
    finally:
        await runner.cleanup()


def probe_app(probes: Probes, metrics: Metrics) -> web.Application:
    app = web.Application(middlewares=[problems_middleware])
    app[_PROBES], app[_METRICS] = probes, metrics
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _readyz)
    app.router.add_get("/metrics", _metrics)
    return app


async def _healthz(_: web.Request) -> web.Response:
    return json_response({"status": "ok"})


async def _readyz(request: web.Request) -> web.Response:
    ready, body = request.app[_PROBES].check()
    status = "ready" if ready else "unavailable"
    return json_response({"status": status, **body}, status=200 if ready else 503)


async def _metrics(request: web.Request) -> web.Response:
    return web.Response(body=exposition(request.app[_METRICS]), headers={"Content-Type": CONTENT_TYPE_LATEST})
