"""``GET /v1/streams/{stream}/events``: a stream's whole envelopes in version order (scope ``audit``)."""

from __future__ import annotations

import re

from aiohttp import web

from ledger.http.problems import Problem
from ledger.http.query import whole
from ledger.http.reads import page, reading
from projections import audit

# A category, then ids or (in a sales target's key) free text: printable, so never a control
# character or a lone surrogate, which could not reach the database. Send it URL-encoded.
_STREAM = re.compile(r"[a-z]{1,32}:[^\x00-\x1f\x7f-\x9f\ud800-\udfff]{1,1000}")
_VERSION = whole(1, 2**31 - 1)  # the audit table's integer column


async def stream_events(request: web.Request) -> web.Response:
    stream = request.match_info["stream"]
    if not _STREAM.fullmatch(stream):
        raise Problem(404, "unknown-stream", f"no stream {stream!r}")
    async with reading(request, "audit", scope="audit") as scope:
        limit = scope.query.limit()
        cursor = scope.query.cursor(_VERSION)
        after = 0 if cursor is None else cursor[0]
        events = await audit.stream_events(
            scope.conn, scope.schema, stream, after_version=after, limit=limit + 1
        )
        if not events and after == 0:
            raise Problem(404, "unknown-stream", f"no events in stream {stream!r}")
        return scope.json(page(events, limit, ["version"]))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/streams/{stream}/events", stream_events)
