"""The active writer's internal endpoint: the command routes and token admin, for API processes only.

HTTP/1.1 over a Unix socket on one box (``LEDGER_INTERNAL_LISTEN=unix``: a socket of this
process's own in the data dir, mode 0600) or over TCP across boxes (``HOST:PORT``). Every
request carries the shared secret (``LEDGER_INTERNAL_SECRET``, compared in constant time:
else 401) and the principal the API process authenticated, name and scopes. The routes are
the very handlers of the public API (``ledger.http.commands``, ``ledger.http.admin``), given
that principal instead of a bearer token, so a command is answered the same whichever
process it reached first; the API process passes the answer on unchanged. ``GET
/internal/status`` tells an API process's ``/readyz`` how this writer stands.

Only the active writer listens: ``ledger writer`` binds once its writer is active and then
registers the address (``ledger.writer.discovery``).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import socket
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Final

import structlog
from aiohttp import web
from aiohttp.typedefs import Middleware
from structlog.contextvars import bind_contextvars

from ledger.config import Settings
from ledger.http import admin, commands
from ledger.http.auth import PRINCIPAL, Principal
from ledger.http.context import context_middleware
from ledger.http.keys import METRICS, SETTINGS, WRITER
from ledger.http.limits import MAX_FIELD_SIZE, MAX_LINE_SIZE
from ledger.http.problems import Handler, Problem, problems_middleware
from ledger.http.responses import json_response
from ledger.http.tokens import KEEPER, TokenKeeper
from ledger.metrics import Metrics
from ledger.writer.service import Writer

log = structlog.get_logger("ledger.writer")

SECRET_HEADER: Final = "X-Ledger-Internal-Secret"
PRINCIPAL_HEADER: Final = "X-Ledger-Principal"
SCOPES_HEADER: Final = "X-Ledger-Scopes"  # space-separated
STATUS_PATH: Final = "/internal/status"
_UNIX_PATH_MAX: Final = 100  # AF_UNIX holds 107 bytes; a little room to spare


def internal_app(
    settings: Settings, writer: Writer, keeper: TokenKeeper, metrics: Metrics, secret: str
) -> web.Application:
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[context_middleware, problems_middleware, _trusted(secret)],
    )
    app[SETTINGS], app[METRICS], app[WRITER], app[KEEPER] = settings, metrics, writer, keeper
    commands.add_routes(app)
    admin.add_routes(app)
    app.router.add_get(STATUS_PATH, _status)
    return app


def _trusted(secret: str) -> Middleware:
    expected = secret.encode()

    @web.middleware
    async def trusted(request: web.Request, handler: Handler) -> web.StreamResponse:
        offered = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(offered, expected):
            log.warning("internal_secret_refused", path=request.path, peer=request.remote)
            raise Problem(401, "internal-secret-refused", "this endpoint answers this ledger's API processes")
        if request.path != STATUS_PATH:
            name = request.headers.get(PRINCIPAL_HEADER)
            if not name:
                raise Problem(
                    400, "no-principal", f"forwarded requests name their principal in {PRINCIPAL_HEADER}"
                )
            request[PRINCIPAL] = Principal(name, frozenset(request.headers.get(SCOPES_HEADER, "").split()))
            bind_contextvars(principal=name)
        return await handler(request)

    return trusted


async def _status(request: web.Request) -> web.Response:
    writer = request.app[WRITER]
    body = {"status": writer.status.value, "problem": writer.problem, "pid": os.getpid()}
    return json_response(body)


@contextlib.asynccontextmanager
async def listening(settings: Settings, app: web.Application) -> AsyncIterator[str]:
    """Serve ``app`` where the settings say; answer the address API processes reach it at
    (``unix:/path`` or ``tcp:host:port``). Leaving stops listening, lets the requests in
    hand finish (each waits for its group commit) and removes the socket file."""
    runner = web.AppRunner(app, access_log=None, max_line_size=MAX_LINE_SIZE, max_field_size=MAX_FIELD_SIZE)
    await runner.setup()
    path: Path | None = None
    try:
        if settings.internal_listen == "unix":
            path = socket_path(settings.data_dir)
            await web.UnixSite(runner, str(path)).start()
            path.chmod(0o600)
            address = f"unix:{path}"
        else:
            host, _, port = settings.internal_listen.rpartition(":")
            await web.TCPSite(runner, host.strip("[]"), int(port)).start()
            bound = runner.addresses[0][1]
            address = f"tcp:{settings.internal_advertise or _reachable(host, bound)}"
        yield address
    finally:
        await runner.cleanup()
        if path is not None:
            path.unlink(missing_ok=True)


def _reachable(host: str, port: int) -> str:
    """The address others reach a TCP endpoint at: its own host, or this host's name when it
    listens on every address."""
    if host in ("", "0.0.0.0", "[::]", "::"):
        host = socket.getfqdn()
    return f"{host}:{port}"


def socket_path(data_dir: Path) -> Path:
    """A socket of this process's own (``writer-<pid>.sock``) in ``<data dir>/run``, or, when
    that path is too long for a Unix socket, in a private directory of the temporary dir
    named after the data dir. Sockets of processes that are gone are removed on the way."""
    directory = (data_dir / "run").resolve()
    name = f"writer-{os.getpid()}.sock"
    if len(os.fsencode(directory / name)) > _UNIX_PATH_MAX:
        digest = hashlib.sha256(os.fsencode(directory)).hexdigest()[:16]
        directory = Path(tempfile.gettempdir()) / f"ledger-{os.getuid()}-{digest}"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    for stale in directory.glob("writer-*.sock"):
        pid = stale.name.removeprefix("writer-").removesuffix(".sock")
        if pid.isdigit() and not _alive(int(pid)):
            stale.unlink(missing_ok=True)
    return directory / name


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
