"""Token grants and revocations go through ``verify``, ``export`` and ``import`` like every other
area, on both logs: the ``access`` topic is one of the log's, its events verify clean, the
export counts them, and an import into an empty PostgreSQL log exports the same bytes."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import orjson
import pytest
import structlog

from ledger.audit.exchange import manifest_path
from ledger.cli import main
from ledger.config import Settings
from ledger.log.factory import build_log
from ledger.writer import CommandRequest, Writer
from schemas.access import IssueToken, RevokeToken
from schemas.base import Command
from schemas.catalog import RegisterLocation


async def grant_and_revoke(settings: Settings, dsn: str) -> None:
    """What the token routes record: alice issued, rotated, revoked; beside one business event."""
    log = build_log(settings, dsn)
    await log.start()
    writer = Writer(log)
    await writer.start()
    commands: list[Command] = [
        IssueToken(principal="alice", scopes=("audit", "read")),
        RegisterLocation(location_id="WH-A", name="Main", kind="warehouse"),
        IssueToken(principal="alice", scopes=("read",)),
        RevokeToken(principal="alice"),
    ]
    try:
        for command in commands:
            await writer.submit(CommandRequest(command.command_name, command, "admin"))
    finally:
        await writer.stop()
        await log.close()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    status = main(list(argv))
    return status, capsys.readouterr().out.splitlines()


@pytest.mark.parametrize("backend", ["postgres", pytest.param("kafka", marks=pytest.mark.kafka)])
def test_token_events_verify_export_and_import_like_any_other(
    backend: str,
    request: pytest.FixtureRequest,
    pg_dsn: str,
    prefix: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", pg_dsn)
    monkeypatch.setenv("LEDGER_TOPIC_PREFIX", prefix)
    monkeypatch.setenv("LEDGER_PARTITIONS", "2")
    monkeypatch.delenv("LEDGER_ADMIN_TOKEN", raising=False)
    monkeypatch.delenv("LEDGER_KAFKA_BOOTSTRAP", raising=False)
    if backend == "kafka":
        monkeypatch.setenv("LEDGER_KAFKA_BOOTSTRAP", request.getfixturevalue("kafka_bootstrap"))
    try:
        asyncio.run(grant_and_revoke(Settings(), pg_dsn))
        capsys.readouterr()  # the writer's log lines
        status, live = run(capsys, "verify")
        assert status == 0, live
        export = tmp_path / "history.jsonl"
        assert run(capsys, "export", "--out", str(export))[0] == 0
        manifest = orjson.loads(manifest_path(export).read_bytes())
        assert manifest["areas"]["access"] == 3
        assert manifest["streams"]["principal:alice"]["version"] == 3
        status, exported = run(capsys, "verify", "--source", str(export))
        assert (status, exported) == (0, live)

        monkeypatch.delenv("LEDGER_KAFKA_BOOTSTRAP", raising=False)  # into an empty PostgreSQL log
        monkeypatch.setenv("LEDGER_TOPIC_PREFIX", f"t{uuid.uuid4().hex[:12]}")
        assert run(capsys, "import", str(export))[0] == 0
        again = tmp_path / "again.jsonl"
        assert run(capsys, "export", "--out", str(again))[0] == 0
        assert again.read_bytes() == export.read_bytes()
        assert run(capsys, "verify")[1] == live
    finally:
        structlog.reset_defaults()
