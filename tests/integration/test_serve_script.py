"""``deploy/serve.sh`` loads the demo only into the embedded default log, or when told ``--demo``.

The script runs for real, as an operator runs it (bash, its set-up step, the ``ledger`` CLI),
with ``--help`` handed on to ``ledger serve`` so that the serve step ends at once. Whether the
demo step ran shows in what the script prints and in how it ends: pointed at a log that cannot
be reached (a port where nothing listens, a data directory under a regular file), a demo step
that runs fails at once, and the serve step is never reached.
"""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

from tests.support.exports import messages_in_log

pytestmark = pytest.mark.slow

SERVE_USAGE = "usage: ledger serve"


def serve_sh(repo_root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the script with ``env`` as its only ``LEDGER_*`` settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    return subprocess.run(
        ["bash", str(repo_root / "deploy" / "serve.sh"), *args],
        env={**clean, "LEDGER_LOG_TIMEOUT_S": "3", **env},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture
def dead_kafka() -> str:
    """A bootstrap address where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


def test_a_kafka_log_named_in_the_environment_gets_no_demo(
    repo_root: Path, dead_kafka: str, tmp_path: Path
) -> None:
    done = serve_sh(repo_root, "--help", LEDGER_KAFKA_BOOTSTRAP=dead_kafka, LEDGER_DATA_DIR=str(tmp_path))

    assert done.returncode == 0, done.stderr
    assert (
        "demo: LEDGER_KAFKA_BOOTSTRAP names a log of its own, not the embedded default: nothing loaded"
        in (done.stdout)
    )
    assert SERVE_USAGE in done.stdout
    assert os.listdir(tmp_path) == []  # nothing embedded was started either


@pytest.mark.postgres
@pytest.mark.parametrize("demo_env", [{}, {"LEDGER_DEMO": "0"}])
def test_demo_said_explicitly_loads_into_the_log_named_and_is_not_handed_to_serve(
    repo_root: Path, dead_kafka: str, pg_dsn: str, demo_env: dict[str, str]
) -> None:
    done = serve_sh(
        repo_root,
        "--demo",
        "--help",
        LEDGER_KAFKA_BOOTSTRAP=dead_kafka,
        LEDGER_DATABASE_URL=pg_dsn,
        **demo_env,
    )

    assert done.returncode == 1
    assert f"ledger: demo failed: Kafka unreachable at {dead_kafka}" in done.stderr
    assert SERVE_USAGE not in done.stdout


@pytest.mark.postgres
def test_a_database_named_in_the_environment_gets_no_demo(repo_root: Path, pg_dsn: str, prefix: str) -> None:
    done = serve_sh(repo_root, "--help", LEDGER_DATABASE_URL=pg_dsn, LEDGER_TOPIC_PREFIX=prefix)

    assert done.returncode == 0, done.stderr
    assert "demo: LEDGER_DATABASE_URL names a log of its own, not the embedded default: nothing loaded" in (
        done.stdout
    )
    assert SERVE_USAGE in done.stdout
    assert messages_in_log(prefix, pg_dsn) == 0


def test_the_embedded_default_gets_the_demo_unless_ledger_demo_is_0(repo_root: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    data_dir = str(blocker / "data")  # the embedded database cannot be made here: the demo fails

    done = serve_sh(repo_root, "--help", LEDGER_DATA_DIR=data_dir)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].startswith("ledger: [Errno 20] Not a directory")
    assert SERVE_USAGE not in done.stdout

    done = serve_sh(repo_root, "--help", LEDGER_DATA_DIR=data_dir, LEDGER_DEMO="0")
    assert done.returncode == 0, done.stderr
    assert "demo" not in done.stdout
    assert SERVE_USAGE in done.stdout
