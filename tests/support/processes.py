"""The ledger's roles as real child processes (``python -m ledger <command>``), killed for real.

Each process writes its JSON log lines to a file of its own; tests read the events back
from there. ``children_of`` tells the processes of ``ledger serve`` apart by their command
lines, as ``ps`` does.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import orjson

from ledger.writer import discovery

ROLES = ("writer", "project", "api")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def role_env(**settings: str) -> dict[str, str]:
    """This process's environment without any ``LEDGER_*`` of its own, plus ``settings``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    clean.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return {**clean, **settings}


def serve_env(
    dsn: str,
    prefix: str,
    data_dir: Path,
    port: int,
    admin_token: str,
    *,
    api_workers: int = 2,
    projector_processes: int = 1,
    writer_standbys: int = 0,
    **settings: str,
) -> dict[str, str]:
    """The environment of a ``ledger serve`` on the test's PostgreSQL log: its own topic
    prefix, data dir and port, and as many processes of each role as the test needs."""
    return role_env(
        LEDGER_DATABASE_URL=dsn,
        LEDGER_TOPIC_PREFIX=prefix,
        LEDGER_PARTITIONS="2",
        LEDGER_ADMIN_TOKEN=admin_token,
        LEDGER_DATA_DIR=str(data_dir),
        LEDGER_PORT=str(port),
        LEDGER_API_WORKERS=str(api_workers),
        LEDGER_PROJECTOR_PROCESSES=str(projector_processes),
        LEDGER_WRITER_STANDBYS=str(writer_standbys),
        **settings,
    )


class Process:
    """``python -m ledger <arguments>``, its output in ``log_path``."""

    def __init__(self, arguments: list[str], env: dict[str, str], log_path: Path) -> None:
        self.arguments, self.env, self.log_path = arguments, env, log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> Process:
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ledger", *self.arguments], env=self.env, stdout=out, stderr=out
            )
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def terminate(self, timeout: float = 60) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def tail(self, characters: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-characters:]

    def events(self) -> list[dict[str, Any]]:
        """Every JSON line logged so far (other lines, such as tracebacks' own, skipped)."""
        found = []
        for line in self.log_path.read_bytes().splitlines():
            with contextlib.suppress(orjson.JSONDecodeError):
                value = orjson.loads(line)
                if isinstance(value, dict):
                    found.append(value)
        return found

    def logged(self, event: str) -> list[dict[str, Any]]:
        return [e for e in self.events() if e.get("event") == event]

    def stop_quietly(self) -> None:
        if self.alive():
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.terminate(30)
        if self.alive():
            self.kill()


async def ledger_cli(env: dict[str, str], *arguments: str, timeout: float) -> tuple[int, str]:
    """``python -m ledger <arguments>`` in ``env`` (a thread waits for it): its exit code and
    everything it printed."""
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "ledger", *arguments],
        env=env,
        capture_output=True,
        timeout=timeout,
    )
    return done.returncode, done.stdout.decode(errors="replace") + done.stderr.decode(errors="replace")


async def until(check: Callable[[], Awaitable[bool] | bool], what: str, timeout: float = 60) -> None:
    """Poll ``check`` until it holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = check()
        if not isinstance(outcome, bool):
            outcome = await outcome
        if outcome:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.1)


async def ready(port: int) -> bool:
    """``/readyz`` answers 200 on ``port``."""
    return (await readiness(port))[0] == 200


async def writer_reachable(port: int) -> bool:
    """``/readyz`` on ``port`` says the API process reaches an active writer (whatever else it
    still waits for: with no projector process running, reads are not ready)."""
    status, body = await readiness(port)
    return status in (200, 503) and body.get("writer") == "active"


async def readiness(port: int) -> tuple[int, dict[str, Any]]:
    """``/readyz`` on ``port``: its status and body (0 and nothing while nothing answers)."""
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/readyz") as response,
        ):
            body = await response.json(content_type=None)
            return response.status, body if isinstance(body, dict) else {}
    except (aiohttp.ClientError, ValueError):
        return 0, {}


def children_of(pid: int) -> dict[int, str]:
    """The children of ``pid`` that run a role, by pid: the role their command line names."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:  # gone meanwhile
            continue
        parent = int(stat.rpartition(")")[2].split()[1])
        words = [a.decode(errors="replace") for a in argv]
        if parent == pid and "ledger" in words:
            role = words[words.index("ledger") + 1]
            if role in ROLES:
                found[int(entry.name)] = role
    return found


def arguments_of(pid: int) -> list[str]:
    """The command line of ``pid`` after ``ledger`` (its role and options); empty once it is gone."""
    try:
        words = [a.decode(errors="replace") for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")]
    except OSError:
        return []
    return words[words.index("ledger") + 1 :] if "ledger" in words else []


def running(pid: int) -> bool:
    """Whether ``pid`` is a process still (a zombie not yet reaped counts)."""
    return Path(f"/proc/{pid}").exists()


async def registered_pid(dsn: str, prefix: str) -> int | None:
    """The pid of the writer whose address is registered as the log's active one."""
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1)
    try:
        await discovery.setup(pool)
        found = await discovery.lookup(pool, prefix, timeout=5)
    finally:
        await pool.close()
    return None if found is None else found.pid


async def registered_pid_is(dsn: str, prefix: str, pid: int) -> bool:
    return await registered_pid(dsn, prefix) == pid


async def active_and_warm_standby(
    env: dict[str, str], tmp_path: Path, dsn: str, prefix: str
) -> tuple[Process, Process]:
    """Two ``ledger writer`` processes: the first once it is the log's active writer, the second
    once it stands by with its state warm. The caller stops both."""
    active = Process(["writer"], env, tmp_path / "writer-a.log").start()
    standby = Process(["writer"], env, tmp_path / "writer-b.log")

    try:
        await until(
            lambda: registered_pid_is(dsn, prefix, active.pid), "the first writer is active", timeout=90
        )
        standby.start()
        await until(lambda: bool(standby.logged("writer_standby_warm")), "the second writer stands by, warm")
    except BaseException:
        for process in (standby, active):
            process.stop_quietly()
        raise
    return active, standby
