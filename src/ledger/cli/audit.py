"""``ledger verify``, ``ledger export`` and ``ledger import``: the auditors' commands.

``verify`` checks the live log (per the ``LEDGER_*`` settings) or an export file: every
message an event of a known schema, stream versions 1..n, hash chains, and for a file its
manifest (counts, each stream's head, the file's SHA-256). A file without its manifest is a
finding, because deleting the manifest would otherwise hide a truncated stream end;
``--lines-only`` checks the lines alone, knowingly. One line per finding on stdout, then a
summary; exit 0 only when clean.

``export`` never overwrites a file or manifest without ``--force``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from ledger.cli.common import UsageError, progress_meter
from ledger.config import Settings
from ledger.log import EventLog, LogError
from ledger.progress import Meter

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
        help="load an export into an empty log",
        description="Append every event of an export file to the log, exactly as recorded (ids, "
        "times, hashes). Only into an empty log; a file that does not match its manifest is refused.",
    )
    import_.add_argument(
        "file", type=Path, metavar="FILE", help="an export file (its manifest is read when present)"
    )
    import_.set_defaults(run=_import)


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    return path


def _verify(args: argparse.Namespace) -> int:
    from ledger.audit.checks import verify_file, verify_log
    from ledger.audit.exchange import ExchangeError, Manifest, manifest_path
    from ledger.audit.verify import Finding

    if args.lines_only and args.source is None:
        raise UsageError("--lines-only needs --source")
    if args.source is None:
        settings = Settings()
        meter = progress_meter()
        verification = _on_log(settings, lambda log: verify_log(log, meter))
    else:
        source = _existing(args.source)
        meter = progress_meter()
        manifest, problem = None, ""
        if args.lines_only:
            pass
        elif not manifest_path(source).exists():
            problem = (
                f"no manifest {manifest_path(source).name} beside the file: counts, stream ends and the "
                "file hash cannot be checked (--lines-only checks the lines alone)"
            )
        else:
            try:
                manifest = Manifest.load(manifest_path(source))
            except ExchangeError as e:
                problem = str(e)
        verification = verify_file(source, meter, manifest)
        if problem:
            verification.findings.insert(0, Finding("-", "-", 0, problem, "manifest"))
    for finding in verification.findings:
        print(finding.line())
    state = "clean" if verification.clean else f"{len(verification.findings)} findings"
    print(
        f"verify: {state}: {verification.events} events in {len(verification.heads)} streams; "
        f"heads sha256 {verification.heads_digest()}"
    )
    return 0 if verification.clean else 1


def _on_log(settings: Settings, work: Callable[[EventLog], Awaitable[T]]) -> T:
    """Run ``work`` on the log the settings name; an unreachable log is bad input (exit 2)."""
    from ledger.database import database_url
    from ledger.log.factory import build_log

    async def run() -> T:
        log = build_log(settings, database_url(settings))
        await log.start()
        try:
            return await work(log)
        finally:
            await log.close()

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
    from ledger.audit.exchange import ExchangeError, Manifest, export, manifest_path
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
    from ledger.audit.exchange import (
        ExchangeError,
        Manifest,
        count_lines,
        file_sha256,
        import_,
        manifest_path,
    )

    source = _existing(args.file)
    settings = Settings()
    manifest = None
    try:
        if manifest_path(source).exists():
            manifest = Manifest.load(manifest_path(source))
            if file_sha256(source) != manifest.sha256:
                raise ExchangeError(
                    f"{source} does not match its manifest (SHA-256 differs): see `ledger verify --source`"
                )
    except ExchangeError as e:
        print(f"ledger: import refused: {e}", file=sys.stderr)
        return 1
    meter = progress_meter()
    counter = _Counter(meter)
    started = time.monotonic()

    async def work(log: EventLog) -> int:
        meter.start("import", manifest.events if manifest else count_lines(source))
        try:
            return await import_(log, source, progress=counter)
        finally:
            meter.stop()

    try:
        imported = _on_log(settings, work)
    except ExchangeError as e:
        print(f"ledger: import refused: {e}", file=sys.stderr)
        return 1
    into = f"into the log {settings.topic_prefix!r}"
    print(f"import: {imported} events from {source} {into} {_rate(imported, started)}")
    if manifest and manifest.partitions and manifest.partitions != settings.partitions:
        print(
            f"import: note: the export came from {manifest.partitions} partitions per topic, this log has "
            f"{settings.partitions}; the same events, but a new export orders its lines differently"
        )
    return 0
