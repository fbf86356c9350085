"""``ledger export`` writes its file and manifest safely: through temporary files of its own,
created exclusively beside the target, then renamed; never over an existing file without
``--force``, never through a planted symlink, and never leaving a partial file behind.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from ledger.audit.exchange import ExchangeError, Manifest, file_sha256, manifest_path
from ledger.audit.files import create_beside
from ledger.log.postgres import PostgresLog
from ledger.log.topology import Topology
from tests.support.events import StreamFactory
from tests.support.exports import PARTITIONS, run, settings_env

pytestmark = pytest.mark.postgres

VICTIM = b"precious, not to be overwritten\n"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, pg_dsn: str, prefix: str) -> Iterator[str]:
    """A log of this test's own holding a few events."""
    settings_env(monkeypatch, pg_dsn, prefix)

    async def fill() -> None:
        log = PostgresLog(pg_dsn, Topology(prefix, PARTITIONS), timeout=5)
        await log.start()
        try:
            writer = await log.open_writer()
            await writer.append(list(StreamFactory().many(["stock:A@W", "stock:B@W"], 3)))
            await writer.close()
        finally:
            await log.close()

    asyncio.run(fill())
    yield prefix
    structlog.reset_defaults()  # the CLI configured logging for its process; tests share one


def victim(directory: Path) -> Path:
    path = directory / "victim.txt"
    path.write_bytes(VICTIM)
    return path


def entries(directory: Path) -> list[str]:
    return sorted(os.listdir(directory))


def written_whole(out: Path) -> bool:
    """The file holds the log's six events and its manifest describes exactly these bytes."""
    manifest = Manifest.load(manifest_path(out))
    return len(out.read_bytes().splitlines()) == manifest.events == 6 and manifest.sha256 == file_sha256(out)


def test_symlinks_planted_at_temporary_names_are_never_followed_or_written_through(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = victim(tmp_path)
    out = tmp_path / "history.jsonl"
    planted = [out.with_name("history.jsonl.partial"), out.with_name("history.jsonl.manifest.json.partial")]
    for link in planted:
        link.symlink_to(target)

    status, _, err = run(capsys, "export", "--out", str(out))

    assert status == 0, err
    assert target.read_bytes() == VICTIM
    assert all(link.is_symlink() and link.readlink() == target for link in planted)
    assert out.is_file()
    assert not out.is_symlink()
    assert written_whole(out)
    assert entries(tmp_path) == sorted(
        ["history.jsonl", "history.jsonl.manifest.json", "victim.txt", *(p.name for p in planted)]
    )


def test_a_temporary_name_taken_by_anything_is_skipped_never_opened(tmp_path: Path) -> None:
    target = victim(tmp_path)
    out = tmp_path / "history.jsonl"
    (tmp_path / "taken").symlink_to(target)
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")

    file, path = create_beside(out, names=["taken", "dangling", "free"])
    with file:
        file.write(b"mine")

    assert path == tmp_path / "free"
    assert path.read_bytes() == b"mine"
    assert target.read_bytes() == VICTIM
    assert not (tmp_path / "nowhere").exists()
    with pytest.raises(ExchangeError, match="no free temporary name beside"):
        create_beside(out, names=["taken", "dangling", "free"])


def test_an_existing_manifest_alone_or_a_dangling_symlink_is_refused_without_force(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "history.jsonl"
    manifest_path(out).write_bytes(VICTIM)

    status, lines, err = run(capsys, "export", "--out", str(out))
    assert status == 2
    assert lines == []
    assert err == f"ledger: {manifest_path(out)} exists (--force overwrites it)\n"
    assert manifest_path(out).read_bytes() == VICTIM
    assert entries(tmp_path) == ["history.jsonl.manifest.json"]

    assert run(capsys, "export", "--out", str(out), "--force")[0] == 0
    assert written_whole(out)

    elsewhere = tmp_path / "elsewhere.jsonl"
    nowhere = tmp_path / "nowhere"
    elsewhere.symlink_to(nowhere)
    status, _, err = run(capsys, "export", "--out", str(elsewhere))
    assert status == 2
    assert err == f"ledger: {elsewhere} exists (--force overwrites it)\n"
    assert run(capsys, "export", "--out", str(elsewhere), "--force")[0] == 0
    assert not nowhere.exists()  # the symlink itself was replaced, not written through
    assert elsewhere.is_file()
    assert not elsewhere.is_symlink()


@pytest.mark.parametrize("blocked", ["the file", "the manifest"])
def test_a_failed_export_leaves_no_partial_file(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], blocked: str
) -> None:
    out = tmp_path / "history.jsonl"
    # A directory where a file must go: the export fails only when it puts its files in place.
    (out if blocked == "the file" else manifest_path(out)).mkdir()
    before = entries(tmp_path)

    status, _, err = run(capsys, "export", "--out", str(out), "--force")

    assert status == 2
    assert "Is a directory" in err or "Directory not empty" in err, err
    assert entries(tmp_path) == before  # no temporary file, and no file without its manifest
