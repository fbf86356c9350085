"""The API role's command path: what an API process answers itself, and what it hands on.

An API process authenticates the caller (401) and reads the body within
``LEDGER_MAX_BODY_BYTES`` (413; a body that is not what its ``Content-Encoding`` says, 400).
Then ``POST /v1/commands``, ``POST /v1/commands/{name}`` and the token admin routes go to
the active writer's internal endpoint (``ledger.writer.endpoint``) with the body as read and
the principal, and the writer's answer (status, body, headers) is answered unchanged.

No writer registered, the writer unreachable, standing by or fenced: 503 with
``Retry-After``, always within ``LEDGER_INTERNAL_TIMEOUT_S``, never a hang. A request that
could not even be sent (the writer there is gone) is sent once more to the address read
afresh (a take-over); a request that was sent and got no answer is never sent again, since
only the caller, holding its ``Idempotency-Key``, may safely ask twice.

While tracing is on, each request to the writer is a client span, and its ``traceparent``
header carries the span on to the writer's server span (``ledger.tracing.setup``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import aiohttp
import asyncpg
import orjson
import structlog
from aiohttp import web
from multidict import CIMultiDict

from ledger.config import Settings
from ledger.http.auth import Principal, authenticate
from ledger.http.context import HEADER as REQUEST_ID
from ledger.http.gates import counted_name, outcome
from ledger.http.keys import METRICS
from ledger.http.problems import Problem, problem_for
from ledger.store import unavailable_as
from ledger.writer import discovery
from ledger.writer.endpoint import PRINCIPAL_HEADER, SCOPES_HEADER, SECRET_HEADER, STATUS_PATH

log = structlog.get_logger("ledger.http")

_CONNECT_TIMEOUT: Final = 2.0
_LOOKUP_EVERY: Final = 0.1  # at most this often is the writer's address read again
_PASSED_ON: Final = ("Content-Type", "Idempotency-Key", "X-Correlation-Id")
_NOT_COPIED: Final = frozenset(
    h.lower() for h in ("Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Date", "Server")
)


class WriterUnreachable(Exception):
    """No answer from an active writer; the caller gets a 503 with ``Retry-After``."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: CIMultiDict[str]
    body: bytes


class WriterClient:
    """HTTP to the active writer, wherever ``ledger_writer.active`` says it listens now.

    The address is read once and kept; once the writer there has failed a request (it could
    not be reached, gave no answer, or answered 503), it is in doubt, and the next request
    reads the row again first (at most every ``_LOOKUP_EVERY`` seconds, however many ask)."""

    def __init__(
        self,
        settings: Settings,
        db: asyncpg.Pool,
        secret: str,
        trace_configs: Sequence[aiohttp.TraceConfig] = (),
    ) -> None:
        """``trace_configs``: the tracing of each request sent (none while tracing is off)."""
        self._settings = settings
        self._trace_configs = list(trace_configs)
        self._db = db
        self._secret = secret
        self._address: str | None = None
        self._doubt = True
        self._session: aiohttp.ClientSession | None = None
        self._session_address: str | None = None
        self._looked_up = -_LOOKUP_EVERY
        self._looking = asyncio.Lock()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def forward(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes, principal: Principal
    ) -> Answer:
        sent = {
            **headers,
            SECRET_HEADER: self._secret,
            PRINCIPAL_HEADER: principal.name,
            SCOPES_HEADER: " ".join(sorted(principal.scopes)),
        }
        address = await self._current()
        try:
            answer = await self._send(address, method, path, sent, body)
        except aiohttp.ClientConnectorError:  # never sent: the writer there is gone
            self._doubt = True
            fresh = await self._current()
            if fresh == address:
                raise WriterUnreachable(f"the writer at {address} does not answer") from None
            try:
                answer = await self._send(fresh, method, path, sent, body)
            except (aiohttp.ClientError, TimeoutError) as e:
                self._doubt = True
                raise WriterUnreachable(f"the writer at {fresh} does not answer: {e!r}") from e
        except (aiohttp.ClientError, TimeoutError) as e:  # sent, and no answer: the outcome is unknown
            self._doubt = True
            raise WriterUnreachable(f"the writer at {address} gave no answer: {e!r}") from e
        if answer.status == 503:  # standing by, fenced or reconnecting: read the row again next time
            self._doubt = True
        return answer

    async def status(self) -> dict[str, object]:
        """The writer's own account of itself (``/internal/status``), or why there is none."""
        try:
            address = await self._current()
            answer = await self._send(address, "GET", STATUS_PATH, {SECRET_HEADER: self._secret}, b"")
        except (WriterUnreachable, aiohttp.ClientError, TimeoutError) as e:
            self._doubt = True
            return {"status": "unreachable", "problem": str(e) or repr(e)}
        if answer.status != 200:
            return {"status": "unreachable", "problem": f"the writer answered {answer.status}"}
        return _json(answer.body)

    async def _current(self) -> str:
        """The active writer's address: the one kept, or (when in doubt) the row read again."""
        async with self._looking:
            if self._doubt and time.monotonic() - self._looked_up >= _LOOKUP_EVERY:
                self._looked_up = time.monotonic()
                timeout = self._settings.pool_acquire_timeout_s
                with unavailable_as("finding the writer"):
                    found = await discovery.lookup(self._db, self._settings.topic_prefix, timeout=timeout)
                # Nothing registered yet (a take-over under way): ask again next time too.
                self._address, self._doubt = (None, True) if found is None else (found.address, False)
            if self._address is None:
                raise WriterUnreachable("no writer is active on this log")
            return self._address

    async def _send(
        self, address: str, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> Answer:
        if self._session is None or self._session_address != address:
            if self._session is not None:
                await self._session.close()
            self._session, self._session_address = (
                _session(address, self._settings.internal_timeout_s, self._trace_configs),
                address,
            )
        base = "http://writer" if address.startswith("unix:") else f"http://{address.removeprefix('tcp:')}"
        async with self._session.request(method, base + path, headers=headers, data=body) as response:
            return Answer(response.status, CIMultiDict(response.headers), await response.read())


def _session(address: str, timeout: float, trace_configs: list[aiohttp.TraceConfig]) -> aiohttp.ClientSession:
    connector: aiohttp.BaseConnector
    if address.startswith("unix:"):
        connector = aiohttp.UnixConnector(path=address.removeprefix("unix:"), limit=0)
    else:
        connector = aiohttp.TCPConnector(limit=0)
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=timeout, connect=_CONNECT_TIMEOUT),
        auto_decompress=False,
        skip_auto_headers=("User-Agent", "Content-Type"),
        trace_configs=trace_configs or None,
    )


def _json(body: bytes) -> dict[str, object]:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        value = None
    return value if isinstance(value, dict) else {"status": "unreachable", "problem": "not a status"}


CLIENT = web.AppKey("writer_client", WriterClient)


async def forward(request: web.Request) -> web.StreamResponse:
    """Authenticate, read the body, and answer what the active writer answers."""
    name = request.match_info.get("name")
    if request.path.startswith("/v1/commands"):
        structlog.contextvars.bind_contextvars(command="batch" if name is None else counted_name(name))
    try:
        principal = await authenticate(request)
        body = await request.read()
        answer = await _ask_writer(request, principal, body)
    except Exception as error:
        if name is not None:  # a single command's answer is counted here when the writer gave none
            status = int(problem_for(error)[0]["status"])
            request.app[METRICS].commands.labels(counted_name(name), outcome(status)).inc()
        raise
    headers = CIMultiDict((k, v) for k, v in answer.headers.items() if k.lower() not in _NOT_COPIED)
    return web.Response(status=answer.status, body=answer.body, headers=headers)


async def _ask_writer(request: web.Request, principal: Principal, body: bytes) -> Answer:
    client = request.app[CLIENT]
    headers = {h: v for h in _PASSED_ON if (v := request.headers.get(h)) is not None}
    if (rid := structlog.contextvars.get_contextvars().get("request_id")) is not None:
        headers[REQUEST_ID] = str(rid)
    try:
        answer = await client.forward(request.method, request.path_qs, headers, body, principal)
    except WriterUnreachable as e:
        log.warning("writer_unreachable", path=request.path, reason=str(e))
        raise Problem(503, "unavailable", f"no active writer answered: {e}") from e
    if answer.status == 401:  # the caller was authenticated here: it is this process the writer refused
        detail = str(_json(answer.body).get("detail", answer.status))
        log.error("writer_refused_this_process", path=request.path, detail=detail)
        raise Problem(503, "unavailable", f"the writer refused this API process: {detail}")
    return answer


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/commands", forward)
    app.router.add_post("/v1/commands/{name}", forward)
    app.router.add_post("/v1/admin/tokens", forward)
    app.router.add_delete("/v1/admin/tokens/{principal}", forward)
