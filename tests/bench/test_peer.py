"""The peer run end to end on a real PostgreSQL: counts, timings, levels, and no database left."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import psycopg
import pytest

from bench import peer


def _level_sums(moves: list[peer.Movement]) -> dict[str, int]:
    sums: dict[str, int] = {}
    for move in moves:
        sums[move.stream] = sums.get(move.stream, 0) + move.qty
    return sums


def _databases(dsn: str) -> set[str]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return {row[0] for row in conn.execute("SELECT datname FROM pg_database")}


def test_workload_is_deterministic_mostly_receipts_and_never_below_zero() -> None:
    moves = peer.movements(aggregates=20, events=500, seed=3)
    assert moves == peer.movements(aggregates=20, events=500, seed=3)
    assert len({m.stream for m in moves}) <= 20
    issues = [m for m in moves if m.qty < 0]
    assert 0 < len(issues) < len(moves) / 2
    assert all(1 <= m.qty <= 50 for m in moves if m.qty > 0)
    running: dict[str, int] = {}
    for move in moves:
        running[move.stream] = running.get(move.stream, 0) + move.qty
        assert running[move.stream] >= 0


@pytest.mark.postgres
def test_run_peer_writes_projects_and_drops_its_database(
    pg_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    used: list[str] = []
    peer_env = peer._peer_env

    def spy(settings: Mapping[str, str], streams: int) -> dict[str, str]:
        used.append(settings["POSTGRES_DBNAME"])
        return peer_env(settings, streams)

    monkeypatch.setattr(peer, "_peer_env", spy)
    moves = peer.movements(aggregates=50, events=300, seed=7)

    result = peer.run_peer(pg_dsn, moves)

    assert result.events == 300
    assert result.write_seconds > 0
    assert result.project_seconds > 0
    assert result.levels == _level_sums(moves)
    assert len(used) == 1
    assert used[0].startswith("peer_")
    assert used[0] not in _databases(pg_dsn)


@pytest.mark.postgres
def test_cli_prints_one_json_line(pg_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = peer.main(["--dsn", pg_dsn, "--aggregates", "5", "--events", "20", "--seed", "1"])

    out, err = capsys.readouterr()
    assert code == 0, err
    line = json.loads(out)
    assert line["events"] == 20
    assert line["levels_ok"] is True
    assert line["write_seconds"] > 0
    assert line["project_seconds"] > 0


def test_cli_fails_with_a_message_when_the_server_is_unreachable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dsn = f"postgresql://postgres:@/postgres?host={tmp_path}&connect_timeout=2"

    code = peer.main(["--dsn", dsn, "--aggregates", "2", "--events", "3", "--seed", "1"])

    out, err = capsys.readouterr()
    assert code != 0
    assert out == ""
    assert "peer run failed" in err
