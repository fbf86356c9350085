"""Per-request log context: every line logged while a request is handled carries its
``request_id`` (and, once known, its ``principal`` and ``command``), and the answer carries
the same id in ``X-Request-Id`` so a caller can quote it.

A caller's own ``X-Request-Id`` is kept when it is a sane token, else one is made. The
context is cleared at the start of every request: aiohttp handles the requests of one
keep-alive connection in one task, which would otherwise carry one request's context into
the next.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Final

import structlog
from aiohttp import web

from ledger.http.problems import Handler

log = structlog.get_logger("ledger.http")

HEADER: Final = "X-Request-Id"
_SANE: Final = re.compile(r"[A-Za-z0-9._:-]{1,128}")
PROBES: Final = frozenset({"/healthz", "/readyz", "/metrics"})


def request_id(request: web.Request) -> str:
    offered = request.headers.get(HEADER)
    return offered if offered is not None and _SANE.fullmatch(offered) else uuid.uuid4().hex


@web.middleware
async def context_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost, around ``problems_middleware``, which turns every error into an answer."""
    structlog.contextvars.clear_contextvars()
    rid = request_id(request)
    structlog.contextvars.bind_contextvars(request_id=rid)
    started = time.perf_counter()
    try:
        response = await handler(request)
        response.headers[HEADER] = rid
        if request.path not in PROBES:
            log.info(
                "request",
                method=request.method,
                path=request.path,
                status=response.status,
                ms=round((time.perf_counter() - started) * 1000, 1),
            )
        return response
    finally:
        structlog.contextvars.clear_contextvars()
