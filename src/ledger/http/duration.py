"""``http.server.request.duration``: every answer of a public app timed, by method, route and status.

The histogram is OpenTelemetry's (semantic conventions for HTTP servers) as Prometheus names
it, ``http_server_request_duration_seconds``, on ``/metrics`` whether or not tracing is on.
The route is the matched route's template (``/v1/commands/{name}``), empty when none matched,
and an unknown method is ``_OTHER``, so a caller cannot grow the label sets. The writer's
internal endpoint is not timed here: under ``ledger serve`` every process's metrics are
summed, and each forwarded command would count twice.
"""

from __future__ import annotations

import time
from typing import Final

from aiohttp import web

from ledger.http.keys import METRICS
from ledger.http.problems import Handler

_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})


@web.middleware
async def request_duration(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outside ``context_middleware``: the whole of the request's handling is timed."""
    started = time.perf_counter()
    status: int | None = None  # none when the request was cancelled: nothing was answered
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as e:
        status = e.status
        raise
    except Exception:
        status = 500  # what aiohttp answers for an error no middleware turned into an answer
        raise
    finally:
        if status is not None:
            method = request.method if request.method in _METHODS else "_OTHER"
            request.app[METRICS].http_duration.labels(method, _route(request), str(status)).observe(
                time.perf_counter() - started
            )


def _route(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return "" if resource is None else resource.canonical
