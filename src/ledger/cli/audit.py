"""``ledger verify``, ``ledger export`` and ``ledger import``: the auditors' commands.

``verify`` checks the live log (per the ``LEDGER_*`` settings) or an export file: every
message an event of a known schema, stream versions 1..n, hash chains, and for a file its
manifest (counts, each stream's head, the file's SHA-256). A file without its manifest is a
finding, because deleting the manifest would otherwise hide a truncated stream end;
``--lines-only`` checks the lines alone, knowingly. One line per finding on stdout, then a
summary; exit 0 only when clean.

``import`` runs the same checks on its file before it appends a single event and refuses on
any finding; ``export`` never overwrites a file or manifest without ``--force``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

from ledger.cli.common import UsageError, log_name, progress_meter
from ledger.config import Settings
from ledger.log import EventLog, LogError
from ledger.progress import Meter

if TYPE_CHECKING:
    from ledger.audit.importing import Fingerprint
    from ledger.audit.manifest import Manifest
    from ledger.audit.verify import Verification

T = TypeVar("T")


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    verify = commands.add_parser(
        "verify",
        help="check the whole log, or an export file, for any alteration",
        description="Check every event of the live log (or of an export file and its manifest): it "
        "parses and matches its schema, stream versions run 1, 2, 3 without gaps or repeats, every "
        "prevhash is the previous event's hash and every hash recomputes. Prints one line per finding "
        "(event id, stream, what is wrong), then a summary with a digest of every stream's head. "
        "Exit 0 only when clean, 1 on any finding, 2 on bad input.",
    )
    verify.add_argument("--source", type=Path, metavar="FILE", help="an export file instead of the live log")
    verify.add_argument(
        "--lines-only",
        action="store_true",
        help="with --source: check the lines alone, without the manifest (a missing manifest is "
        "otherwise a finding: without it a stream's removed last events cannot be seen)",
    )
    verify.set_defaults(run=_verify)
    export = commands.add_parser(
        "export",
        help="write the log as CloudEvents JSON lines plus a manifest",
        description="Write every event of the log, in log order, as CloudEvents 1.0 structured-mode "
        "JSON, one per line, and FILE.manifest.json beside it (counts per area, each stream's head "
        "version, hash and event id, the file's SHA-256).",
    )
    export.add_argument("--out", type=Path, required=True, metavar="FILE", help="the file to write")
    export.add_argument(
        "--force", action="store_true", help="overwrite FILE and FILE.manifest.json if they exist"
    )
    export.set_defaults(run=_export)
    import_ = commands.add_parser(
        "import",
        help="load a verified export into an empty log",
        description="Verify an export file and its manifest as `ledger verify --source` does, then "
        "append every event to the log, exactly as recorded (ids, times, hashes). A file with any "
        "finding is refused before a single event is appended, and so is a file without its "
        "manifest (unless --unverified). Only into an empty log, and only while no writer runs on "
        "it: the import holds the log's writer lease, so a server cannot start writing half-way.",
    )
    import_.add_argument(
        "file", type=Path, metavar="FILE", help="an export file, FILE.manifest.json beside it"
    )
    import_.add_argument(
        "--unverified",
        action="store_true",
        help="import a file without its manifest (every line is still checked, and a manifest "
        "beside it still is, but without one a stream's removed last events cannot be seen)",
    )
    import_.set_defaults(run=_import)


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    return path


def _verify(args: argparse.Namespace) -> int:
    from ledger.audit.checks import verify_log

    if args.lines_only and args.source is None:
        raise UsageError("--lines-only needs --source")
    if args.source is None:
        settings = Settings()
        meter = progress_meter()
        verification = _on_log(settings, lambda log: verify_log(log, meter))
    else:
        verification, _ = check_file(
            _existing(args.source),
            "ignored" if args.lines_only else "required",
            "--lines-only checks the lines alone",
            progress_meter(),
        )
    for finding in verification.findings:
        print(finding.line())
    state = "clean" if verification.clean else f"{len(verification.findings)} findings"
    print(
        f"verify: {state}: {verification.events} events in {len(verification.heads)} streams; "
        f"heads sha256 {verification.heads_digest()}"
    )
    return 0 if verification.clean else 1


def check_file(
    source: Path,
    manifest: Literal["required", "if present", "ignored"],
    without: str,
    meter: Meter,
    fingerprint: Fingerprint | None = None,
) -> tuple[Verification, Manifest | None]:
    """``verify --source``: the lines, and the file against its manifest. A manifest missing
    when ``required``, or unreadable, is a finding; ``without`` says how to do without it."""
    from ledger.audit.checks import verify_file
    from ledger.audit.exchange import ExchangeError, Manifest, manifest_path
    from ledger.audit.verify import Finding

    beside = manifest_path(source)
    loaded, problem = None, ""
    if manifest == "ignored" or (manifest == "if present" and not os.path.lexists(beside)):
        pass
    elif not os.path.lexists(beside):
        problem = (
            f"no manifest {beside.name} beside the file: counts, stream ends and the file hash cannot "
            f"be checked ({without})"
        )
    else:
        try:
            loaded = Manifest.load(beside)
        except ExchangeError as e:
            problem = str(e)
    verification = verify_file(source, meter, loaded, fingerprint=fingerprint)
    if problem:
        verification.findings.insert(0, Finding("-", "-", 0, problem, "manifest"))
    return verification, loaded


def _on_log(settings: Settings, work: Callable[[EventLog], Awaitable[T]]) -> T:
    """Run ``work`` on the log the settings name; an unreachable log is bad input (exit 2)."""
    from ledger import bootstrap

    async def run() -> T:
        async with (
            bootstrap.database(settings) as dsn,
            bootstrap.event_log(settings, dsn, bootstrap.plan("command", settings)) as log,
        ):
            return await work(log)

    try:
        return asyncio.run(run())
    except LogError as e:
        raise UsageError(f"log unavailable: {e}") from e


class _Counter:
    """Turns the exchange's ``progress(n)`` increments into a meter's running total."""

    def __init__(self, meter: Meter) -> None:
        self.meter = meter
        self.done = 0

    def __call__(self, count: int) -> None:
        self.done += count
        self.meter.update(self.done)


def _rate(events: int, started: float) -> str:
    seconds = time.monotonic() - started
    return f"in {seconds:.1f} s ({events / seconds if seconds else 0:,.0f} events/s)"


def _export(args: argparse.Namespace) -> int:
    from ledger.audit.exchange import ExchangeError, export, manifest_path
    from ledger.audit.files import existing
    from ledger.cloudevents import MalformedMessage

    out: Path = args.out
    if not args.force and (found := existing(out, manifest_path(out))):
        raise UsageError(f"{found[0]} exists (--force overwrites it)")
    if not out.parent.is_dir():
        raise UsageError(f"{out.parent}: no such directory")
    settings = Settings()
    meter = progress_meter()
    counter = _Counter(meter)
    started = time.monotonic()

    async def work(log: EventLog) -> Manifest:
        meter.start("export", sum((await log.end_position()).values()))
        try:
            return await export(log, out, force=args.force, progress=counter)
        finally:
            meter.stop()

    try:
        manifest = _on_log(settings, work)
    except ExchangeError as e:
        raise UsageError(str(e)) from e
    except MalformedMessage as e:
        print(f"ledger: export failed, a message is not an event ({e}): see `ledger verify`", file=sys.stderr)
        return 1
    areas = ", ".join(f"{area} {count}" for area, count in sorted(manifest.areas.items()))
    print(
        f"export: {manifest.events} events of {len(manifest.streams)} streams ({areas}) to {out} "
        f"{_rate(manifest.events, started)}; sha256 {manifest.sha256}; manifest {manifest_path(out)}"
    )
    return 0


def _import(args: argparse.Namespace) -> int:
    from asyncpg import PostgresError

    from ledger.audit.exchange import ExchangeError
    from ledger.audit.importing import Fingerprint, WriterActive, claimed_log, import_

    source = _existing(args.file)
    settings = Settings()
    meter = progress_meter()
    started = time.monotonic()

    async def work() -> tuple[Verification, Manifest | None, int]:
        async with claimed_log(settings) as log:
            fingerprint = Fingerprint()
            verification, manifest = await asyncio.to_thread(
                check_file,
                source,
                "if present" if args.unverified else "required",
                "--unverified imports without it",
                meter,
                fingerprint,
            )
            if not verification.clean:
                return verification, manifest, 0
            meter.start("import", verification.events)
            try:
                return (
                    verification,
                    manifest,
                    await import_(log, source, fingerprint=fingerprint, progress=_Counter(meter)),
                )
            finally:
                meter.stop()

    try:
        verification, manifest, imported = asyncio.run(work())
    except WriterActive:
        print(
            f"ledger: import refused: a writer is active on {log_name(settings)} (a server, or another "
            "import or demo, holds its writer lease): stop it first; nothing was appended",
            file=sys.stderr,
        )
        return 1
    except ExchangeError as e:
        print(f"ledger: import refused: {e}", file=sys.stderr)
        return 1
    except (LogError, PostgresError) as e:
        raise UsageError(f"log unavailable: {e}") from e
    if not verification.clean:
        for finding in verification.findings:
            print(finding.line())
        print(
            f"ledger: import refused: {len(verification.findings)} findings in {source} (listed above, as "
            "`ledger verify --source` shows them); nothing was appended",
            file=sys.stderr,
        )
        return 1
    print(f"import: {imported} events from {source} into {log_name(settings)} {_rate(imported, started)}")
    if manifest and manifest.partitions and manifest.partitions != settings.partitions:
        print(
            f"import: note: the export came from {manifest.partitions} partitions per topic, this log has "
            f"{settings.partitions}; the same events, but a new export orders its lines differently"
        )
    return 0
