"""``ledger import`` appends only a verified file, and never beside a live writer, on both logs.

A demo history is exported once per module. Each test imports into a log of its own, on
PostgreSQL or on Kafka, and reads that log back through the log's own interface.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import orjson
import pytest
import structlog

from ledger.audit.exchange import encode_line, file_sha256, manifest_path
from ledger.audit.importing import WriterActive, claimed_log, import_
from ledger.cli import main
from ledger.config import Settings
from ledger.writer.lease import WriterLease, writer_active
from tests.support.exports import History, exported_history, messages_in_log, run, settings_env

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture(scope="module")
def history(pg_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> History:
    out = tmp_path_factory.mktemp("import") / "history.jsonl"
    return exported_history(pg_dsn, f"t{uuid.uuid4().hex[:12]}", out, days=2)


@pytest.fixture(params=["postgres", pytest.param("kafka", marks=pytest.mark.kafka)])
def target(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, pg_dsn: str, prefix: str
) -> Iterator[str | None]:
    """An empty log of this test's own; the Kafka bootstrap when it is on Kafka, else None."""
    kafka = request.getfixturevalue("kafka_bootstrap") if request.param == "kafka" else None
    settings_env(monkeypatch, pg_dsn, prefix, kafka)
    yield kafka
    structlog.reset_defaults()  # the CLI configured logging for its process; tests share one


async def test_import_refuses_while_another_connection_holds_the_writer_lease_then_imports_once_free(
    history: History, target: str | None, prefix: str, pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    server = WriterLease(pg_dsn, prefix)  # what a running server holds for its whole life
    assert await server.try_acquire()
    try:
        status = await asyncio.to_thread(main, ["import", str(history.export)])
    finally:
        await server.release()
    err = capsys.readouterr().err
    assert status == 1
    assert err.splitlines()[-1].startswith(
        f"ledger: import refused: a writer is active on the log {prefix!r} on "
    )
    assert (f"Kafka {target}" if target else "PostgreSQL") in err.splitlines()[-1]
    assert await asyncio.to_thread(messages_in_log, prefix, pg_dsn, target) == 0

    status, out, _ = await asyncio.to_thread(run, capsys, "import", str(history.export))
    assert status == 0, out
    status, out, _ = await asyncio.to_thread(run, capsys, "verify")
    assert status == 0, out
    assert out[-1].startswith(f"verify: clean: {len(history.lines)} events in ")


async def test_the_import_holds_the_lease_while_it_appends_so_no_server_can_start_writing(
    history: History, target: str | None, prefix: str, pg_dsn: str
) -> None:
    settings = Settings()
    async with claimed_log(settings) as log:
        assert await writer_active(pg_dsn, prefix)  # a server would wait, a demo or import refuse
        with pytest.raises(WriterActive):
            async with claimed_log(settings):
                pass
        assert await import_(log, history.export) == len(history.lines)
        assert await writer_active(pg_dsn, prefix)
    assert not await writer_active(pg_dsn, prefix)


def test_a_file_whose_manifest_was_rewritten_to_match_is_refused_before_anything_is_appended(
    history: History,
    target: str | None,
    prefix: str,
    pg_dsn: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The last event of a stream changed and sealed again, and the manifest's SHA-256 (and so
    # the check the import used to make) brought in line: only the chains and heads tell.
    events = history.events
    last = max(range(len(events)), key=lambda i: (events[i].version, i))
    tampered = list(history.lines)
    changed = events[last]
    tampered[last] = encode_line(replace(changed, actor="mallory").sealed())
    copy = tmp_path / "tampered.jsonl"
    copy.write_bytes(b"".join(tampered))
    manifest = orjson.loads(manifest_path(history.export).read_bytes())
    manifest["sha256"] = file_sha256(copy)
    manifest_path(copy).write_bytes(orjson.dumps(manifest))

    status, out, err = run(capsys, "import", str(copy))

    assert status == 1
    assert any(changed.id in line and "not the manifest's head hash" in line for line in out), out
    assert err.splitlines()[-1].startswith(f"ledger: import refused: {len(out)} findings in {copy} ")
    assert messages_in_log(prefix, pg_dsn, target) == 0
