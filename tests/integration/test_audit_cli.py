"""The auditors' command line end to end: verify, export, import and replay on a real log.

A demo history is loaded once per module through ``ledger demo`` (the command path),
projected by the real runtime and exported. Each test then works on copies of that export
or on logs and read models of its own (its own topic prefix), calling ``main(argv)`` as the
console script does, with the settings in the environment.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

import asyncpg
import orjson
import pytest
import structlog

import projections
from ledger.audit.exchange import encode_line, encode_line_with, file_sha256, manifest_path
from ledger.audit.verify import LineOrder
from ledger.cli import main
from ledger.envelope import Envelope
from ledger.log.postgres import PostgresLog
from ledger.log.topology import Topology
from ledger.projector import ProjectorRuntime
from ledger.store import q
from tests.support.exports import NOW, PARTITIONS, History, run, settings_env, write_copy

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


async def project_to_end(pg_dsn: str, prefix: str) -> None:
    """What ``ledger serve`` does on the read side, until every projector has caught up."""
    log = PostgresLog(pg_dsn, Topology(prefix, PARTITIONS), timeout=5)
    await log.start()
    pool = await asyncpg.create_pool(pg_dsn, min_size=1, max_size=6)
    runtime = ProjectorRuntime(log, pool, projections.ALL, prefix)
    try:
        await runtime.start()
        while True:
            await runtime.refresh_end()
            if runtime.caught_up():
                break
            await asyncio.sleep(0.1)
    finally:
        await runtime.stop()
        await pool.close()
        await log.close()


@pytest.fixture(scope="module")
def history(pg_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> History:
    prefix = f"t{uuid.uuid4().hex[:12]}"
    export = tmp_path_factory.mktemp("audit") / "history.jsonl"
    with pytest.MonkeyPatch.context() as monkeypatch:
        settings_env(monkeypatch, pg_dsn, prefix)
        assert main(["demo", "--days", "5", "--now", NOW]) == 0
        asyncio.run(project_to_end(pg_dsn, prefix))
        assert main(["export", "--out", str(export)]) == 0
    structlog.reset_defaults()
    return History(prefix, export, export.read_bytes().splitlines(keepends=True))


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, pg_dsn: str, prefix: str) -> Iterator[str]:
    """A log of this test's own (empty until the test fills it)."""
    settings_env(monkeypatch, pg_dsn, prefix)
    yield prefix
    structlog.reset_defaults()  # the CLI configured logging for its process; tests share one


@pytest.fixture
def on_history(monkeypatch: pytest.MonkeyPatch, pg_dsn: str, history: History) -> Iterator[History]:
    """The settings of the module's history log (tests that only read it, or compare with it)."""
    settings_env(monkeypatch, pg_dsn, history.prefix)
    yield history
    structlog.reset_defaults()


def sql(pg_dsn: str, query: str, *args: object) -> list[asyncpg.Record]:
    async def fetch() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(pg_dsn)
        try:
            return await conn.fetch(query, *args)
        finally:
            await conn.close()

    return asyncio.run(fetch())


# -- export and the CloudEvents SDK ---------------------------------------------------------


def test_every_exported_line_parses_with_the_official_cloudevents_sdk(history: History) -> None:
    from cloudevents.core.formats.json import JSONFormat
    from cloudevents.v1.http import from_json

    assert len(history.lines) > 1000
    for line, event in zip(history.lines, history.events, strict=True):
        parsed = JSONFormat().read(None, line)
        attributes = parsed.get_attributes()
        assert attributes["specversion"] == "1.0"
        assert (attributes["id"], attributes["type"], attributes["subject"]) == (
            event.id,
            event.type,
            event.stream,
        )
        assert parsed.get_data() == event.data
        legacy = from_json(line)
        assert legacy["id"] == event.id
        assert legacy["hash"] == event.hash


def test_every_exported_line_names_the_schema_of_its_type_and_version(history: History) -> None:
    for line, event in zip(history.lines, history.events, strict=True):
        assert orjson.loads(line)["dataschema"] == f"/v1/schemas/{event.type}/{event.schema_version}"


def test_the_manifest_counts_areas_and_holds_every_stream_head(history: History) -> None:
    manifest = orjson.loads(manifest_path(history.export).read_bytes())
    assert manifest["events"] == len(history.lines)
    assert sum(manifest["areas"].values()) == len(history.lines)
    assert manifest["partitions"] == PARTITIONS
    last = {e.stream: e for e in history.events}
    assert manifest["streams"] == {
        s: {"version": e.version, "hash": e.hash, "id": e.id} for s, e in last.items()
    }


# -- verify ---------------------------------------------------------------------------------


def test_verify_finds_the_live_log_and_its_export_clean_with_the_same_heads(
    on_history: History, capsys: pytest.CaptureFixture[str]
) -> None:
    status, live, _ = run(capsys, "verify")
    assert status == 0, live
    assert live[-1].startswith(f"verify: clean: {len(on_history.lines)} events in ")
    status, exported, _ = run(capsys, "verify", "--source", str(on_history.export))
    assert status == 0, exported
    assert exported == live  # the same summary line: same events, streams and heads digest


@dataclass(frozen=True)
class Tampered:
    lines: list[bytes]
    expected: list[tuple[str, ...]]  # per finding line: substrings it must hold


def _bump(event: Envelope) -> Envelope:
    """The same event with one decimal in its data changed: still valid for its schema."""
    for key, value in event.data.items():
        if isinstance(value, str) and value.replace(".", "", 1).isdigit():
            return replace(event, data={**event.data, key: str(Decimal(value) + 1)})
    raise AssertionError(f"no decimal in {event.data}")


def _streams(history: History) -> dict[str, list[int]]:
    """Line indexes per stream, in order."""
    found: dict[str, list[int]] = {}
    for index, event in enumerate(history.events):
        found.setdefault(event.stream, []).append(index)
    return found


def _long_stream(history: History) -> list[int]:
    """The lines of a stock stream of at least four events, whose second event has a decimal."""
    for stream, indexes in _streams(history).items():
        if stream.startswith("stock:") and len(indexes) >= 4:
            return indexes
    raise AssertionError("no long stock stream")


def tamper(history: History, how: str) -> Tampered:
    lines, all_events = list(history.lines), history.events
    indexes = _long_stream(history)
    middle, last = indexes[1], indexes[-1]
    one, other = all_events[middle], all_events[last]
    named = (one.id, one.stream)
    if how == "payload changed":
        lines[middle] = encode_line(_bump(one))
        return Tampered(lines, [(*named, "hash does not match"), ("manifest", "SHA-256")])
    if how == "event deleted":
        following = all_events[indexes[2]]
        del lines[middle]
        return Tampered(
            lines,
            [
                (following.id, "expected 2", "v2..v2 missing"),
                (following.id, f"v1 ({all_events[indexes[0]].id})"),
                ("manifest", "SHA-256"),
                ("manifest", "events, the manifest says"),
                ("manifest", "area inventory"),
            ],
        )
    if how == "last event deleted":
        del lines[last]
        return Tampered(
            lines,
            [
                ("manifest", "SHA-256"),
                ("manifest", "events, the manifest says"),
                ("manifest", "area inventory"),
                (other.stream, f"the manifest at v{other.version} ({other.id}", "events missing at its end"),
            ],
        )
    if how == "two events swapped":
        second = indexes[2]
        lines[middle], lines[second] = lines[second], lines[middle]
        after = all_events[second]
        return Tampered(
            lines,
            [
                (after.id, "stream version 3, expected 2"),
                (after.id, "prevhash"),
                (one.id, "stream version 2, expected 4", "repeated or out of order"),
                (one.id, "prevhash"),
                ("manifest", "SHA-256"),
            ],
        )
    if how == "event duplicated":
        lines.insert(middle + 1, lines[middle])
        return Tampered(
            lines,
            [
                (*named, "duplicate event id"),
                (*named, "stream version 2, expected 3"),
                (*named, "prevhash"),
                ("manifest", "SHA-256"),
                ("manifest", "events, the manifest says"),
                ("manifest", "area inventory"),
            ],
        )
    if how == "hash rewritten without the chain":
        lines[middle] = encode_line(_bump(one).sealed())
        following = all_events[indexes[2]]
        return Tampered(
            lines, [(following.id, following.stream, "prevhash", f"v2 ({one.id})"), ("manifest", "SHA-256")]
        )
    if how == "last hash rewritten":
        lines[last] = encode_line(_bump(other).sealed())
        return Tampered(
            lines,
            [
                ("manifest", "SHA-256"),
                (other.id, other.stream, "not the manifest's head hash", "rewritten"),
            ],
        )
    if how == "dataschema of another type":
        lines[middle] = encode_line_with(one, "/v1/schemas/OrderPlaced/1")
        elsewhere = (*named, "dataschema '/v1/schemas/OrderPlaced/1' is not its own")
        return Tampered(lines, [elsewhere, ("manifest", "SHA-256")])
    raise AssertionError(how)


TAMPERINGS = [
    "payload changed",
    "event deleted",
    "last event deleted",
    "two events swapped",
    "event duplicated",
    "hash rewritten without the chain",
    "last hash rewritten",
    "dataschema of another type",
]


@pytest.mark.parametrize("how", TAMPERINGS)
def test_verify_finds_and_names_every_alteration_of_an_export(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    tampered = tamper(history, how)
    copy = write_copy(tampered.lines, history.export, tmp_path / "tampered.jsonl")

    status, out, _ = run(capsys, "verify", "--source", str(copy))

    assert status == 1
    *findings, summary = out
    assert summary.startswith(f"verify: {len(findings)} findings: ")
    for expected in tampered.expected:
        assert any(all(part in line for part in expected) for line in findings), (expected, findings)
    assert len(findings) == len(tampered.expected), findings


def test_verify_names_lines_moved_into_another_partition_and_lines_that_are_not_events(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines, all_events = list(history.lines), history.events
    # Two lines of different topics, each amid lines of its own partition: swapped, the
    # streams' orders hardly change, but the layout of the file tells where each came from.
    place = LineOrder(PARTITIONS).place
    a = 9
    b = next(
        i
        for i in range(len(lines) - 2, a, -1)
        if place(all_events[i - 1])
        == place(all_events[i])
        == place(all_events[i + 1])
        != place(all_events[a])
    )
    lines[a], lines[b] = lines[b], lines[a]
    lines.insert(20, b'{"not": "an event"}\n')
    lines.insert(30, b"garbage\n")  # both before line b, which so moves down by two
    copy = write_copy(lines, history.export, tmp_path / "moved.jsonl")

    status, out, _ = run(capsys, "verify", "--source", str(copy))

    assert status == 1
    assert any(f"line {a + 1}: {all_events[b].id}" in x and "out of log order" in x for x in out), out
    assert any(f"line {b + 3}: {all_events[a].id}" in x and "out of log order" in x for x in out), out
    assert any(x.startswith("line 21: - - v0: unreadable, not an event") for x in out), out
    assert any(x.startswith("line 31: - - v0: unreadable, not an event") for x in out), out


def test_a_missing_manifest_is_a_finding_unless_only_the_lines_are_checked(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = write_copy(history.lines, history.export, tmp_path / "bare.jsonl", manifest=False)

    status, out, _ = run(capsys, "verify", "--source", str(copy))
    assert status == 1
    assert out[0].startswith("manifest: - - v0: no manifest bare.jsonl.manifest.json")

    status, out, _ = run(capsys, "verify", "--source", str(copy), "--lines-only")
    assert status == 0
    assert out[-1].startswith("verify: clean: ")


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["verify", "--source", "/nonexistent/x.jsonl"], "/nonexistent/x.jsonl: no such file"),
        (["verify", "--lines-only"], "--lines-only needs --source"),
        (["import", "/nonexistent/x.jsonl"], "/nonexistent/x.jsonl: no such file"),
        (["export", "--out", "/nonexistent/dir/x.jsonl"], "/nonexistent/dir: no such directory"),
        (["replay", "--projection", "nope"], "unknown projection 'nope': one of inventory, sales, quality"),
        (["replay", "--source", "/nonexistent/x.jsonl"], "/nonexistent/x.jsonl: no such file"),
    ],
)
def test_bad_input_exits_2_with_a_one_line_reason(
    env: str, capsys: pytest.CaptureFixture[str], argv: list[str], reason: str
) -> None:
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert out == []
    assert reason in err
    assert err.count("\n") == 1


# -- export, import -------------------------------------------------------------------------


def test_export_import_export_gives_the_same_bytes_and_import_refuses_a_non_empty_log(
    history: History, env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "import", str(history.export))
    assert status == 0, out
    assert out[0].startswith(f"import: {len(history.lines)} events from ")

    again = tmp_path / "again.jsonl"
    status, out, _ = run(capsys, "export", "--out", str(again))
    assert status == 0, out
    assert again.read_bytes() == history.export.read_bytes()
    assert manifest_path(again).read_bytes() == manifest_path(history.export).read_bytes()

    status, out, err = run(capsys, "import", str(history.export))
    assert status == 1
    assert err == "ledger: import refused: the log is not empty: import only into an empty log\n"

    status, _, err = run(capsys, "export", "--out", str(again))
    assert status == 2
    assert "exists (--force overwrites it)" in err


def test_import_refuses_a_file_unlike_its_manifest_or_repeating_an_event_and_imports_nothing(
    history: History, env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = write_copy(history.lines[:-1], history.export, tmp_path / "short.jsonl")
    status, out, err = run(capsys, "import", str(copy))
    assert status == 1
    assert any(line.startswith("manifest: - - v0: file SHA-256 ") for line in out), out
    last = history.events[-1]
    assert any(last.stream in line and f"at v{last.version} ({last.id}, hash" in line for line in out), out
    assert err.splitlines()[-1].startswith(f"ledger: import refused: {len(out)} findings in {copy} ")
    assert err.splitlines()[-1].endswith("; nothing was appended")

    twice = write_copy(
        [*history.lines, history.lines[-1]], history.export, tmp_path / "x.jsonl", manifest=False
    )
    status, out, err = run(capsys, "import", str(twice))
    assert status == 1
    assert out[0].startswith("manifest: - - v0: no manifest x.jsonl.manifest.json beside the file")
    assert out[0].endswith("(--unverified imports without it)")

    status, out, err = run(capsys, "import", "--unverified", str(twice))
    assert status == 1
    repeated = f"line {len(history.lines) + 1}: {last.id} {last.stream} v{last.version}: duplicate event id"
    assert repeated in out[0]
    status, out, _ = run(capsys, "verify")
    assert out[-1].startswith("verify: clean: 0 events")  # nothing was imported


def test_import_unverified_takes_a_clean_file_without_its_manifest(
    history: History, env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bare = write_copy(history.lines, history.export, tmp_path / "bare.jsonl", manifest=False)
    status, out, _ = run(capsys, "import", "--unverified", str(bare))
    assert status == 0, out
    assert out[0].startswith(f"import: {len(history.lines)} events from {bare} into the log {env!r}")
    status, out, _ = run(capsys, "verify")
    assert status == 0, out


def test_an_export_written_before_events_carried_dataschema_still_verifies_and_imports(
    history: History, env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = tmp_path / "before.jsonl"
    old.write_bytes(b"".join(encode_line_with(event, None) for event in history.events))
    manifest = orjson.loads(manifest_path(history.export).read_bytes())
    manifest_path(old).write_bytes(orjson.dumps({**manifest, "sha256": file_sha256(old)}))
    assert b"dataschema" not in old.read_bytes()

    status, out, _ = run(capsys, "verify", "--source", str(old))
    assert status == 0, out
    status, out, _ = run(capsys, "import", str(old))
    assert status == 0, out
    again = tmp_path / "again.jsonl"
    assert run(capsys, "export", "--out", str(again))[0] == 0
    assert again.read_bytes() == history.export.read_bytes()  # imported events carry it


# -- replay ---------------------------------------------------------------------------------


def test_replay_compare_finds_the_live_tables_equal_then_names_a_row_altered_by_sql(
    on_history: History, pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "replay", "--compare")
    assert status == 0, out
    assert out[-1] == "replay --compare: all equal"
    assert {line.split(":")[0] for line in out[:-1]} == {p.name for p in projections.ALL}

    live = sql(
        pg_dsn,
        "SELECT schema_name FROM ledger_projections.live WHERE projection = $1",
        f"{on_history.prefix}:inventory",
    )[0]["schema_name"]
    levels = q(live, "levels")
    sql(
        pg_dsn,
        f"UPDATE {levels} SET on_hand = on_hand + 1 WHERE ctid = "
        f"(SELECT ctid FROM {levels} ORDER BY sku, location_id LIMIT 1)",
    )
    try:
        status, out, _ = run(capsys, "replay", "--compare", "--projection", "inventory")
        assert status == 1
        assert out[0].startswith("inventory: 2 rows differ: ")
        assert out[1].startswith("inventory: levels live only: {")
        assert out[2].startswith("inventory: levels rebuild only: {")
        assert out[-1] == "replay --compare: 1 of 1 read models not equal to their live tables"
    finally:
        sql(
            pg_dsn,
            f"UPDATE {levels} SET on_hand = on_hand - 1 WHERE ctid = "
            f"(SELECT ctid FROM {levels} ORDER BY sku, location_id LIMIT 1)",
        )
    assert not sql(
        pg_dsn, "SELECT nspname FROM pg_namespace WHERE nspname LIKE $1", f"rm_{on_history.prefix}_%_cmp%"
    )


def test_replay_swaps_rebuilt_tables_in_and_they_stay_live_after_a_restart(
    history: History, env: str, pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "import", str(history.export))[0] == 0
    asyncio.run(project_to_end(pg_dsn, env))
    before = sql(
        pg_dsn,
        "SELECT projection, schema_name FROM ledger_projections.live WHERE projection LIKE $1",
        f"{env}:%",
    )

    status, out, _ = run(capsys, "replay", "--projection", "sales")
    assert status == 0, out
    assert out[-1] == "replay: 1 read models swapped in"
    old = next(r["schema_name"] for r in before if r["projection"] == f"{env}:sales")
    assert out[0].startswith("sales: rebuilt from ")
    assert out[0].endswith(f", replacing {old}")
    new = out[0].split(" live as ")[1].split(",")[0]
    live = sql(
        pg_dsn, "SELECT schema_name FROM ledger_projections.live WHERE projection = $1", f"{env}:sales"
    )
    assert live[0]["schema_name"] == new
    gone = sql(pg_dsn, "SELECT 1 FROM pg_namespace WHERE nspname = $1", old)
    assert not gone

    asyncio.run(project_to_end(pg_dsn, env))  # a restart: the projector follows the swapped-in tables
    status, out, _ = run(capsys, "replay", "--compare")
    assert status == 0, out
    keys = sql(
        pg_dsn, "SELECT projector FROM ledger_projections.checkpoints WHERE projector LIKE $1", f"{env}:%"
    )
    assert sorted(r["projector"] for r in keys) == sorted(
        f"{env}:{p.name}:v{p.version}" for p in projections.ALL
    )


def test_replay_from_an_export_needs_no_live_log_and_leaves_nothing_behind(
    history: History,
    env: str,
    pg_dsn: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    status, out, _ = run(capsys, "replay", "--source", str(history.export))
    assert status == 0, out
    assert out[-1] == f"replay: {len(projections.ALL)} read models rebuilt from the file"
    inventory = next(line for line in out if line.startswith("inventory: "))
    assert "rows levels " in inventory
    assert not sql(pg_dsn, "SELECT 1 FROM ledger_log.partitions WHERE topic LIKE $1", f"{env}%")
    assert not sql(pg_dsn, "SELECT nspname FROM pg_namespace WHERE nspname LIKE $1", f"rm_{env}%")
    assert not sql(pg_dsn, "SELECT 1 FROM ledger_projections.checkpoints WHERE projector LIKE $1", f"{env}%")

    monkeypatch.setenv("LEDGER_TOPIC_PREFIX", history.prefix)  # compare with the history's live tables
    status, out, _ = run(capsys, "replay", "--source", str(history.export), "--compare")
    assert status == 0, out
    assert out[-1] == "replay --compare: all equal"


def test_replay_compare_without_live_tables_says_so(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "replay", "--compare", "--projection", "audit")
    assert status == 1
    assert (
        out[0]
        == "audit: not comparable: no live tables to compare with: this projection was never projected here"
    )


@pytest.mark.kafka
def test_a_kafka_log_exports_verifies_and_comes_back_byte_identical_through_postgres(
    kafka_bootstrap: str,
    pg_dsn: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings_env(monkeypatch, pg_dsn, f"t{uuid.uuid4().hex[:12]}")
    monkeypatch.setenv("LEDGER_KAFKA_BOOTSTRAP", kafka_bootstrap)
    try:
        assert main(["demo", "--days", "2", "--now", NOW]) == 0
        export = tmp_path / "kafka.jsonl"
        status, out, _ = run(capsys, "export", "--out", str(export))
        assert status == 0, out
        status, live, _ = run(capsys, "verify")
        assert status == 0, live
        status, exported, _ = run(capsys, "verify", "--source", str(export))
        assert exported == live

        monkeypatch.delenv("LEDGER_KAFKA_BOOTSTRAP")  # into an empty PostgreSQL log, and out again
        monkeypatch.setenv("LEDGER_TOPIC_PREFIX", f"t{uuid.uuid4().hex[:12]}")
        assert run(capsys, "import", str(export))[0] == 0
        again = tmp_path / "again.jsonl"
        assert run(capsys, "export", "--out", str(again))[0] == 0
        assert again.read_bytes() == export.read_bytes()
        assert run(capsys, "verify")[1] == live
    finally:
        structlog.reset_defaults()
