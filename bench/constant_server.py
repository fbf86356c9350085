"""The raw limit for HTTP: aiohttp answering a constant, with nothing behind it.

It runs as the ledger's server does (``web.run_app`` in its own process, no access log), so
the gap between this and the ledger's routes is the ledger's own work, not aiohttp's.
"""

from __future__ import annotations

import argparse
import http.client
import socket
import subprocess
import sys
import time
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


def _answers(port: int) -> bool:
    connection = http.client.HTTPConnection(HOST, port, timeout=0.5)
    try:
        connection.request("GET", PATH)
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def start_constant_server(port: int | None = None) -> tuple[subprocess.Popen[bytes], int]:
    """The server in a process of its own, so it does not share a core or a GIL with the harness."""
    port = port or free_port()
    command = [sys.executable, "-m", "bench.constant_server", "--port", str(port)]
    proc = subprocess.Popen(command, cwd=_REPO, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + _START_TIMEOUT_S
    while not _answers(port):
        if proc.poll() is not None:
            raise RuntimeError(f"constant server exited with {proc.returncode} before answering on {port}")
        if time.monotonic() > deadline:
            stop_process(proc)
            raise RuntimeError(f"constant server did not answer on {port} within {_START_TIMEOUT_S:.0f} s")
        time.sleep(0.05)
    return proc, port


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM (run_app shuts down cleanly on it), then SIGKILL if it lingers."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
    proc.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.constant_server", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    web.run_app(create_app(), host=HOST, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
