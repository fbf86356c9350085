"""``ledger demo`` end to end on a real PostgreSQL log: it loads the whole history, once.

The CLI is called as the console script calls it, ``main(argv)``, with the settings in the
environment. ``--now`` pins the end of the history, so the test can work out exactly how many
events the history causes by deciding it with the pure handlers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import structlog

from handlers import WriteModel, decide, evolve
from ledger.cli import main
from ledger.demo import generate
from ledger.demo.runner import messages_held
from ledger.log.postgres import PostgresLog
from ledger.log.topology import Topology
from ledger.writer.lease import WriterLease
from schemas import parse_command
from tests.support.exports import messages_in_log

pytestmark = pytest.mark.postgres

PARTITIONS = 2


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, pg_dsn: str, prefix: str) -> Iterator[str]:
    """The settings ``ledger demo`` reads: this test's own topics on the session's PostgreSQL."""
    monkeypatch.setenv("LEDGER_DATABASE_URL", pg_dsn)
    monkeypatch.setenv("LEDGER_TOPIC_PREFIX", prefix)
    monkeypatch.setenv("LEDGER_PARTITIONS", str(PARTITIONS))
    monkeypatch.delenv("LEDGER_KAFKA_BOOTSTRAP", raising=False)
    monkeypatch.delenv("LEDGER_TIMEZONE", raising=False)
    yield prefix
    structlog.reset_defaults()  # the CLI configured logging for its process; tests share one


def events_in_log(pg_dsn: str, prefix: str) -> int:
    async def count() -> int:
        log = PostgresLog(pg_dsn, Topology(prefix, PARTITIONS), timeout=5)
        await log.start()
        try:
            return messages_held(await log.end_position())
        finally:
            await log.close()

    return asyncio.run(count())


def events_caused(now: datetime, days: int) -> int:
    state, total = WriteModel(), 0
    for name, body in generate(now, 7, days):
        for event in decide(state, parse_command(name, body)):
            evolve(state, event)
            total += 1
    return total


def test_demo_loads_every_event_of_the_history_and_refuses_a_second_load(env: str, pg_dsn: str) -> None:
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    argv = ["demo", "--days", "7", "--seed", "7", "--now", now.isoformat()]

    assert main(argv) == 0
    loaded = events_in_log(pg_dsn, env)
    assert loaded == events_caused(now, 7)
    assert loaded > 1000

    assert main(argv) != 0  # the log is not empty: no demo data mixed into it
    assert main([*argv, "--if-empty"]) == 0  # what deploy/serve.sh runs: a quiet no-op
    assert events_in_log(pg_dsn, env) == loaded


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["--days", "0"], "--days must be from 1 to 5000, not 0"),
        (["--days", "5001"], "--days must be from 1 to 5000, not 5001"),
        (["--now", "2999-01-01T00:00:00Z"], "lies in the future"),
        (["--now", "yesterday"], "is not an RFC 3339 time"),
    ],
)
def test_bad_input_exits_2_with_a_one_line_reason(
    env: str, capsys: pytest.CaptureFixture[str], argv: list[str], reason: str
) -> None:
    assert main(["demo", *argv]) == 2
    err = capsys.readouterr().err
    assert reason in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("log", ["postgres", pytest.param("kafka", marks=pytest.mark.kafka)])
async def test_demo_refuses_in_one_line_while_a_server_holds_the_writer_lease(
    env: str,
    pg_dsn: str,
    log: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    kafka = request.getfixturevalue("kafka_bootstrap") if log == "kafka" else None
    if kafka:
        monkeypatch.setenv("LEDGER_KAFKA_BOOTSTRAP", kafka)
    server = WriterLease(pg_dsn, env)  # what a running server holds for its whole life
    assert await server.try_acquire()
    try:
        status = await asyncio.to_thread(main, ["demo", "--days", "1", "--if-empty"])
    finally:
        await server.release()
    assert status == 1
    refusal = capsys.readouterr().err.splitlines()[-1]
    assert refusal.startswith(f"ledger: demo refused: a writer is active on the log {env!r} on ")
    assert refusal.endswith("a server runs on it (run the demo before `ledger serve`, never beside it)")
    assert await asyncio.to_thread(messages_in_log, env, pg_dsn, kafka) == 0


def test_demo_if_embedded_loads_nothing_into_a_log_the_settings_name(
    env: str, pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--days", "1", "--if-empty", "--if-embedded"]) == 0
    assert capsys.readouterr().out == (
        "demo: LEDGER_DATABASE_URL names a log of its own, not the embedded default: nothing loaded\n"
    )
    assert events_in_log(pg_dsn, env) == 0
