"""Every answer of the public HTTP app counted by status code: ``ledger_http_responses_total``.

The alerts on 5xx and 503 rates read it. It sits inside the request context and outside
``problems_middleware``, so an error is counted with the status it is answered with. The
writer's internal endpoint is not counted: what it answers an API process answers again,
and would be counted twice. Probes (``/healthz``, ``/readyz``, ``/metrics``) are left out,
as they are from the request log: a ``/readyz`` 503 is a readiness answer, not a failure.
"""

from __future__ import annotations

from aiohttp import web

from ledger.http.context import PROBES
from ledger.http.keys import METRICS
from ledger.http.problems import Handler


@web.middleware
async def counting_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    if request.path not in PROBES:
        request.app[METRICS].http_responses.labels(str(response.status)).inc()
    return response
