"""``GET /v1/events``: the log's events after a position, as pages or as Server-Sent Events.

Scope ``events`` (or ``admin``). Items are CloudEvents in structured mode, spelled exactly as
``ledger export`` writes its lines; ``next`` is the position after the last item, past any
records a ``types`` filter skipped, so ``after=next`` resumes with nothing missing and nothing
twice. ``wait_ms`` holds the answer while nothing (matching) is there.

With ``Accept: text/event-stream`` the same events go out as Server-Sent Events, one message
each with no ``event`` field (a browser's ``onmessage`` gets them), ``data`` the JSON on one
line and ``id`` the position after it; a filtered stream that skipped records sends an
``id``-only message, which moves the client's Last-Event-ID on without an event. A stream
resumes from ``Last-Event-ID`` (before ``after``: a browser reconnects to the same URL with
that header), else from the start of the log. A comment every ``LEDGER_SSE_KEEPALIVE_S``
keeps an idle stream open.

A stream writes with backpressure: each write waits while the client's socket is full, and
the stream reads no further than the page it is writing (``LEDGER_SSE_SEND_BUFFER_BYTES``
bounds what the kernel holds for a client that stopped reading). A client that has not taken
a write for ``STALLED_AFTER`` seconds is cut off. A stream whose client is gone, or whose
process is shutting down, ends at its next turn (within a second), freeing what it held.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from dataclasses import dataclass, field
from typing import Any, Final

import orjson
import structlog
from aiohttp import web

from ledger.feed import Feed, Page
from ledger.http.auth import authenticate
from ledger.http.keys import FEED, METRICS, SETTINGS
from ledger.http.problems import Problem
from ledger.http.query import MAX_LIMIT, Query, invalid
from ledger.log import LogError, Position
from ledger.store import DatabaseUnavailable
from schemas import EVENTS

log = structlog.get_logger("ledger.http")

MAX_WAIT_MS: Final = 60_000
STALLED_AFTER: Final = 120.0
_TURN: Final = 1.0  # a stream looks at its client and the shutdown at least this often
_TYPES: Final = frozenset(type_ for type_, _ in EVENTS)
_STREAM: Final = "text/event-stream"


@dataclass(eq=False)
class Stream:
    """One connected Server-Sent Events client, as the process sees it."""

    request: web.Request
    sent: int = 0
    written: int = 0  # bytes handed to the connection
    started: float = field(default_factory=time.monotonic)

    def buffered(self) -> int:
        """Bytes written to this client that its connection still holds in user space."""
        transport = self.request.transport
        return 0 if transport is None else transport.get_write_buffer_size()

    @property
    def gone(self) -> bool:
        transport = self.request.transport
        return transport is None or transport.is_closing()


STREAMS = web.AppKey("event_streams", set[Stream])
"""The event streams this process serves now."""


def _types(query: Query) -> frozenset[str] | None:
    raw = query.raw("types")
    if raw is None:
        return None
    names = [name.strip() for name in raw.split(",")]
    if not all(names):
        raise invalid("types", "a comma-separated list of event types, such as OrderPlaced,StockReceived")
    unknown = sorted({name for name in names if name not in _TYPES})
    if unknown:
        shown = ", ".join(repr(name[:100]) for name in unknown[:5])
        raise invalid("types", f"unknown event type{'s' if len(unknown) > 1 else ''} {shown}")
    return frozenset(names)


def _position(token: str | None) -> Position:
    return Position.empty() if token is None else Position.from_token(token)


async def events(request: web.Request) -> web.StreamResponse:
    principal = await authenticate(request)
    if not principal.scopes & {"events", "admin"}:
        raise Problem(403, "missing-scope", "this needs the scope 'events'", scope="events")
    query = Query(request)
    types = _types(query)
    limit = query.limit()
    wait_ms = query.integer("wait_ms", default=0, low=0, high=MAX_WAIT_MS)
    if _STREAM in request.headers.get("Accept", ""):
        start = request.headers.get("Last-Event-ID") or request.query.get("after")
        return await _stream(request, _position(start), types, limit)
    after = _position(request.query.get("after"))
    metrics = request.app[METRICS]
    with metrics.feed_followers.labels("poll").track_inprogress():
        page = await request.app[FEED].page(after, types, limit, wait_ms / 1000, fresh=wait_ms == 0)
    metrics.feed_events.labels("poll").inc(len(page.items))
    body = {"items": [orjson.Fragment(item.json) for item in page.items], "next": page.next.token()}
    return web.Response(body=orjson.dumps(body), content_type="application/json")


async def _stream(
    request: web.Request, position: Position, types: frozenset[str] | None, limit: int
) -> web.StreamResponse:
    settings, feed, metrics = request.app[SETTINGS], request.app[FEED], request.app[METRICS]
    await feed.open()  # the log reachable, before the answer is promised
    response = web.StreamResponse(headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    response.content_type = _STREAM
    response.enable_chunked_encoding()
    await response.prepare(request)
    _bound_send_buffer(request, settings.sse_send_buffer_bytes)
    stream = Stream(request)
    streams = request.app[STREAMS]
    streams.add(stream)
    try:
        with metrics.feed_followers.labels("stream").track_inprogress():
            await _follow(stream, response, feed, position, types, limit, settings.sse_keepalive_s)
    except (LogError, DatabaseUnavailable) as e:  # the client resumes from its last id elsewhere
        log.warning("feed_stream_cut", error=str(e), sent=stream.sent)
    except (ConnectionResetError, TimeoutError) as e:
        log.info("feed_stream_client_gone", error=repr(e), sent=stream.sent)
    except Exception:  # the answer is under way: no problem document can follow, so say it here
        log.exception("feed_stream_failed", sent=stream.sent)
    finally:
        streams.discard(stream)
        metrics.feed_events.labels("stream").inc(stream.sent)
    with contextlib.suppress(ConnectionResetError):
        await response.write_eof()
    return response


async def _follow(
    stream: Stream,
    response: web.StreamResponse,
    feed: Feed,
    position: Position,
    types: frozenset[str] | None,
    limit: int,
    keepalive: float,
) -> None:
    quiet_since = time.monotonic()
    while not (stream.gone or feed.stopping.is_set()):
        wait = min(_TURN, max(0.0, keepalive - (time.monotonic() - quiet_since)))
        page = await feed.page(position, types, limit, wait)
        if page.items:
            await _send(stream, response, _messages(page), len(page.items))
            quiet_since = time.monotonic()
        elif page.next != position:  # records skipped by the filter: resume past them
            await _send(stream, response, b"id: %s\n\n" % page.next.token().encode(), 0)
        elif time.monotonic() - quiet_since >= keepalive:
            await _send(stream, response, b": keep-alive\n\n", 0)
            quiet_since = time.monotonic()
        position = page.next


def _messages(page: Page) -> bytes:
    return b"".join(b"id: %s\ndata: %s\n\n" % (item.after.token().encode(), item.json) for item in page.items)


async def _send(stream: Stream, response: web.StreamResponse, data: bytes, events: int) -> None:
    """Write and wait while the client's socket is full (aiohttp drains past its buffer's
    limit); a client that takes nothing for ``STALLED_AFTER`` seconds is cut off."""
    try:
        async with asyncio.timeout(STALLED_AFTER):
            await response.write(data)
    except TimeoutError:
        if stream.request.transport is not None:
            stream.request.transport.abort()
        raise
    stream.written += len(data)
    stream.sent += events


def _bound_send_buffer(request: web.Request, size: int | None) -> None:
    transport = request.transport
    sock = None if transport is None or size is None else transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)


async def _stop_streams(app: web.Application) -> None:
    """On shutdown: every stream and long poll ends now, so stopping never waits on them."""
    if FEED in app:
        app[FEED].stop()


def add_routes(app: web.Application) -> None:
    app[STREAMS] = set()
    app.on_shutdown.append(_stop_streams)
    app.router.add_get("/v1/events", events)


def openapi_paths() -> dict[str, Any]:
    def param(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
        return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}

    problem = {"content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    page = {
        "type": "object",
        "required": ["items", "next"],
        "properties": {
            "items": {
                "type": "array",
                "items": {"type": "object", "description": "a CloudEvent, structured, as an export line"},
            },
            "next": {"type": "string", "description": "the position after the last item: the next `after`"},
        },
    }
    return {
        "/v1/events": {
            "get": {
                "summary": "The log's events after a position, as pages or as Server-Sent Events",
                "operationId": "events",
                "description": "Needs the scope events (or admin). With Accept: text/event-stream, "
                "one message per event, its id the position after it; Last-Event-ID resumes.",
                "parameters": [
                    param("after", {"type": "string"}, "a position token (a page's next); none: the start"),
                    param("types", {"type": "string"}, "comma-separated event types to keep"),
                    param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "default 100"),
                    param(
                        "wait_ms",
                        {"type": "integer", "minimum": 0, "maximum": MAX_WAIT_MS},
                        "how long to wait while nothing is there (default 0)",
                    ),
                ],
                "responses": {
                    "200": {
                        "description": "a page of events",
                        "content": {
                            "application/json": {"schema": page},
                            _STREAM: {"schema": {"type": "string"}},
                        },
                    },
                    **{
                        str(status): {"description": "a problem (RFC 9457)", **problem}
                        for status in (400, 401, 403, 422, 503)
                    },
                },
            }
        }
    }
