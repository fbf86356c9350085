"""The raw limit for HTTP: aiohttp answering a constant, with nothing behind it.

It runs as the ledger's API workers do (``web.run_app`` in a process of its own, no access
log, the port shared with ``SO_REUSEPORT``), so the gap between this and the ledger's routes
is the ledger's own work, not aiohttp's. ``start_constant_servers(n)`` runs ``n`` of them on
one port, as ``ledger serve`` runs ``n`` API workers.
"""

from __future__ import annotations

import argparse
import selectors
import socket
import subprocess
import sys
from pathlib import Path

from aiohttp import web

HOST = "127.0.0.1"
PATH = "/constant"
BODY = b'{"ok": true}'
_REPO = Path(__file__).resolve().parent.parent
_START_TIMEOUT_S = 20.0
_STOP_TIMEOUT_S = 10.0


async def _constant(_: web.Request) -> web.Response:
    return web.Response(body=BODY, content_type="application/json")


def create_app() -> web.Application:
    app = web.Application()
    app.router.add_get(PATH, _constant)  # also answers HEAD
    app.router.add_post(PATH, _constant)
    return app


def free_port() -> int:
    """A port the kernel just handed out; free again by the time the caller binds it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def start_constant_server(port: int | None = None) -> tuple[subprocess.Popen[bytes], int]:
    """The server in a process of its own, so it does not share a core or a GIL with the harness."""
    procs, port = start_constant_servers(1, port)
    return procs[0], port


def start_constant_servers(
    workers: int, port: int | None = None
) -> tuple[list[subprocess.Popen[bytes]], int]:
    """``workers`` processes sharing one port, answered once each says it is bound (with
    others on the port already, an answer there would not tell whether this one is; one not
    yet bound would be left out of the kernel's spreading of connections)."""
    port = port or free_port()
    command = [sys.executable, "-m", "bench.constant_server", "--port", str(port)]
    procs = [
        subprocess.Popen(command, cwd=_REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        for _ in range(workers)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            with selectors.DefaultSelector() as selector:
                selector.register(proc.stdout, selectors.EVENT_READ)
                said = selector.select(_START_TIMEOUT_S) and proc.stdout.readline()
            if not said:
                raise RuntimeError(
                    f"a constant server did not listen on {port} within {_START_TIMEOUT_S:.0f} s"
                )
    except BaseException:
        for proc in procs:
            stop_process(proc)
        raise
    return procs, port


def stop_process(proc: subprocess.Popen[bytes], timeout: float = _STOP_TIMEOUT_S) -> None:
    """SIGTERM (run_app shuts down cleanly on it), then SIGKILL if it lingers."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.constant_server", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    web.run_app(
        create_app(), host=HOST, port=args.port, reuse_port=True, access_log=None, print=_say_listening
    )


def _say_listening(_: str) -> None:
    """One line on stdout once bound, which ``_start_one`` waits for."""
    print("listening", flush=True)


if __name__ == "__main__":
    main()
