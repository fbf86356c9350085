"""``ledger serve`` as shipped, for the figures that go through HTTP: started, counted, stopped.

The server runs as an operator runs it: ``python -m ledger.cli serve`` in a process of its
own, every setting from the environment (this process's, so ``LEDGER_API_WORKERS`` and the
like set by whoever runs the benchmark reach it), plus the benchmark's broker, database,
topic prefix, port and admin token. A figure may ask for a setting of its own (the scale-out
figure sets the API workers); nothing else is chosen for it.

Its processes are counted from ``/proc``, the children of the supervisor by the role their
command lines name (``python -m ledger writer``), as ``ps`` shows them, and each figure
measured through it says how many of each role ran. ``Serves`` keeps one server running
between figures that want the same one, since starting one (writer recovery, projectors
catching up) takes seconds, and at most one runs at a time: a second on the same log would
stand by behind the first.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp
import asyncpg
import orjson

from bench.constant_server import free_port, stop_process
from bench.infra import REPO, Environment, new_prefix

TOKEN = "bench-admin-token-0123456789abcdef"
ROLES = ("writer", "project", "api")
START_TIMEOUT_S = 300.0


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    url: str
    prefix: str
    dsn: str
    settings: dict[str, str]  # what the benchmark set beyond its own plumbing
    log_path: Path
    processes: dict[str, int] = field(default_factory=dict)  # role: how many ran

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}

    def children(self) -> dict[int, str]:
        return children_of(self.proc.pid)

    def logged(self, event: str) -> list[dict[str, Any]]:
        """Every JSON line of the server and its children naming ``event`` (each names its pid)."""
        found = []
        for line in self.log_path.read_bytes().splitlines():
            with contextlib.suppress(orjson.JSONDecodeError):
                value = orjson.loads(line)
                if isinstance(value, dict) and value.get("event") == event:
                    found.append(value)
        return found

    def shape(self) -> str:
        """How many processes of each role, as the table shows it."""
        return ", ".join(f"{role} {self.processes.get(role, 0)}" for role in ROLES)


def children_of(pid: int) -> dict[int, str]:
    """The children of ``pid`` that run a role of the ledger, by pid: the role each one runs."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            argv = [a.decode(errors="replace") for a in (entry / "cmdline").read_bytes().split(b"\0")]
        except OSError:  # gone meanwhile
            continue
        parent = int(stat.rpartition(")")[2].split()[1])
        if parent == pid and "ledger" in argv[:-1] and argv[argv.index("ledger") + 1] in ROLES:
            found[int(entry.name)] = argv[argv.index("ledger") + 1]
    return found


def role_env(env: Environment, prefix: str, port: int, settings: Mapping[str, str] = {}) -> dict[str, str]:
    return {
        **os.environ,
        "LEDGER_KAFKA_BOOTSTRAP": env.bootstrap,
        "LEDGER_DATABASE_URL": env.dsn,
        "LEDGER_TOPIC_PREFIX": prefix,
        "LEDGER_PORT": str(port),
        "LEDGER_ADMIN_TOKEN": TOKEN,
        "LEDGER_DATA_DIR": str(env.workdir / "data"),
        **settings,
    }


def load_demo(env: Environment, prefix: str, days: int) -> None:
    """The demo history into ``prefix`` through ``ledger demo``, as a newcomer loads it."""
    done = subprocess.run(
        [sys.executable, "-m", "ledger.cli", "demo", "--days", str(days), "--now", "2026-11-01T18:00:00Z"],
        env=role_env(env, prefix, 0),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        raise RuntimeError(f"ledger demo failed ({done.returncode}): {done.stderr[-2000:]}")


async def start_server(env: Environment, prefix: str, settings: Mapping[str, str] = {}) -> Server:
    """``ledger serve`` on ``prefix``, once it is ready, every API worker listens and every
    standby writer is warm."""
    port = free_port()
    log_path = env.workdir / f"serve-{prefix}-{int(time.time() * 1000)}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ledger.cli", "serve"],
            env=role_env(env, prefix, port, settings),
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(proc, f"http://127.0.0.1:{port}", prefix, env.dsn, dict(settings), log_path)
    try:
        async with aiohttp.ClientSession() as session:
            await until(lambda: _ready(session, server), "ledger serve ready, every API worker listening")
        server.processes = dict(Counter(server.children().values()))
        await settled(server)
    except BaseException:
        stop_process(proc)
        raise
    return server


async def until(check: Callable[[], bool | Awaitable[bool]], what: str) -> None:
    """Poll ``check`` until it holds; fail naming ``what`` after ``START_TIMEOUT_S``."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        outcome = check()
        if not isinstance(outcome, bool):
            outcome = await outcome
        if outcome:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"not within {START_TIMEOUT_S:.0f} s: {what}")
        await asyncio.sleep(0.1)


async def _ready(session: aiohttp.ClientSession, server: Server) -> bool:
    """``/readyz`` answers 200 and each API worker has said it listens (one that has not yet
    would get no connections: the kernel spreads them over those bound to the port)."""
    if server.proc.poll() is not None:
        raise RuntimeError(f"ledger serve exited with {server.proc.returncode}; see {server.log_path}")
    try:
        async with session.get(f"{server.url}/readyz") as response:
            if response.status != 200:
                return False
    except aiohttp.ClientError:
        return False
    return _api_listening(server)


def _api_listening(server: Server) -> bool:
    workers = {pid for pid, role in server.children().items() if role == "api"}
    listening = {line.get("pid") for line in server.logged("api_listening")}
    return bool(workers) and workers <= listening


async def active_writer(dsn: str, prefix: str) -> int | None:
    """The pid the active writer registered (``ledger_writer.active``), if any."""
    conn = await asyncpg.connect(dsn)
    try:
        pid = await conn.fetchval("SELECT pid FROM ledger_writer.active WHERE prefix = $1", prefix)
    except asyncpg.UndefinedTableError:
        return None
    finally:
        await conn.close()
    return None if pid is None else int(pid)


async def settled(server: Server) -> int:
    """Wait until the active writer is registered and every standby is warm (a standby still
    reading the log would share the cores with what is measured); answer the active pid."""
    standbys = server.processes.get("writer", 1) - 1
    active: int | None = None

    async def warm() -> bool:
        nonlocal active
        active = await active_writer(server.dsn, server.prefix)
        writers = {pid for pid, role in server.children().items() if role == "writer"}
        warmed = {line.get("pid") for line in server.logged("writer_standby_warm")}
        return active in writers and len((writers - {active}) & warmed) >= standbys

    await until(warm, f"the active writer registered and {standbys} standby writers warm")
    assert active is not None
    return active


def stop_server(server: Server) -> None:
    stop_process(server.proc, timeout=60)


class Serves:
    """At most one ``ledger serve`` at a time, kept running for the next figure that wants it."""

    def __init__(self, env: Environment) -> None:
        self.env = env
        self.current: Server | None = None
        self._demos: dict[int, str] = {}

    def demo(self, days: int) -> str:
        """The prefix holding the demo company's ``days``, loaded once per run."""
        if days not in self._demos:
            prefix = new_prefix("l")
            load_demo(self.env, prefix, days)
            self._demos[days] = prefix
        return self._demos[days]

    async def get(self, prefix: str, *, api_workers: int | None = None) -> Server:
        """A server on ``prefix``: the running one if it fits, else a new one (the old stopped).

        ``api_workers`` None: as configured. A number: that many API workers, which the
        running server fits if it runs that many, however it came to."""
        running = self.current
        if running is not None and running.proc.poll() is None and running.prefix == prefix:
            configured = "LEDGER_API_WORKERS" not in running.settings
            if configured if api_workers is None else running.processes.get("api") == api_workers:
                return running
        self.close()
        settings = {} if api_workers is None else {"LEDGER_API_WORKERS": str(api_workers)}
        self.current = await start_server(self.env, prefix, settings)
        return self.current

    def close(self) -> None:
        if self.current is not None:
            stop_server(self.current)
            self.current = None

    def __enter__(self) -> Serves:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
