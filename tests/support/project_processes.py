"""``ledger project`` as a real child process of a test, on the test's log and database.

The process is the command an operator runs (``python -m ledger.cli project``), with the
test's settings in its environment. What it owns is read where any process would read it:
its row in ``ledger_projections.processes``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import asyncpg

import projections
from ledger.config import Settings
from ledger.projector import bookkeeping

NAMES = tuple(p.name for p in projections.ALL)


def env_for(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that gives a child process ``settings``' log and database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    assert settings.database_url is not None
    env.update(
        LEDGER_DATABASE_URL=settings.database_url.get_secret_value(),
        LEDGER_TOPIC_PREFIX=settings.topic_prefix,
        LEDGER_PARTITIONS=str(settings.partitions),
        LEDGER_LOG_TIMEOUT_S=str(settings.log_timeout_s),
        LEDGER_PROJECTOR_BATCH=str(settings.projector_batch),
    )
    if settings.kafka_bootstrap:
        env["LEDGER_KAFKA_BOOTSTRAP"] = settings.kafka_bootstrap
    env.update(extra)
    return env


class ProjectProcess:
    """One ``ledger project [--projection NAME ...]`` process."""

    def __init__(self, env: dict[str, str], log_path: Path, projections: Sequence[str] = ()) -> None:
        self.env, self.log_path, self.projections = env, log_path, list(projections)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ProjectProcess:
        argv = [sys.executable, "-m", "ledger.cli", "project"]
        for name in self.projections:
            argv += ["--projection", name]
        with self.log_path.open("ab") as output:
            self.process = subprocess.Popen(argv, env=self.env, stdout=output, stderr=output)
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def owner(self) -> str:
        return f"{socket.gethostname()}:{self.pid}"

    def output(self, tail: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-tail:]

    async def owns(self, dsn: str, prefix: str) -> set[str]:
        """What this process says it owns, in its row (none before it has written one)."""
        conn = await asyncpg.connect(dsn)
        try:
            owns = await conn.fetchval(
                f"SELECT owns FROM {bookkeeping.SCHEMA}.processes WHERE prefix = $1 AND owner = $2",
                prefix,
                self.owner,
            )
        except asyncpg.UndefinedTableError:
            return set()
        finally:
            await conn.close()
        return set(owns or ())

    async def owning(self, dsn: str, prefix: str, names: Sequence[str], timeout: float = 60.0) -> None:
        """Until this process owns every projection in ``names``."""
        deadline = time.monotonic() + timeout
        while not set(names) <= await self.owns(dsn, prefix):
            assert self.process is not None
            assert self.process.poll() is None, self.output()
            assert time.monotonic() < deadline, self.output()
            await asyncio.sleep(0.2)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> int:
        """SIGTERM, and the exit status once it has finished its batch."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(60)
