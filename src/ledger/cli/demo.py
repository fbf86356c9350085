"""``ledger demo``: a seeded, realistic company history loaded through the command path."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from ledger.cli.common import UsageError, log_name
from ledger.config import Settings
from ledger.logging import configure_logging


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = commands.add_parser(
        "demo",
        help="load a seeded demo history through the command path (run it before serve, not beside it)",
        description="Generate a realistic, seeded history of a small company's operations over the last "
        "days and submit it through the writer, command by command, as the HTTP API would. Run it before "
        "`ledger serve`, never beside it: it holds the log's writer lease while it loads, and refuses "
        "while a server holds it. It loads only into an empty log, unless --force.",
    )
    demo.add_argument("--days", type=int, default=90, help="days of history, 1 to 5000 (default 90)")
    demo.add_argument(
        "--seed", type=int, default=7, help="same seed, days and --now: same history (default 7)"
    )
    demo.add_argument(
        "--now", help="end the history at this RFC 3339 time instead of now (not in the future)"
    )
    when_not_empty = demo.add_mutually_exclusive_group()
    when_not_empty.add_argument(
        "--force", action="store_true", help="load even into a log that already holds events"
    )
    when_not_empty.add_argument(
        "--if-empty",
        action="store_true",
        help="when the log already holds events, load nothing and exit 0 (what deploy/serve.sh does)",
    )
    demo.add_argument(
        "--if-embedded",
        action="store_true",
        help="load only into the embedded default log; when LEDGER_KAFKA_BOOTSTRAP or "
        "LEDGER_DATABASE_URL names a log, load nothing and exit 0 (what deploy/serve.sh does unless "
        "told --demo)",
    )
    demo.set_defaults(run=_demo)


def _demo_now(value: str | None) -> datetime:
    now = datetime.now(UTC)
    if value is None:
        return now
    try:
        chosen = datetime.fromisoformat(value)
    except ValueError as e:
        raise UsageError(f"--now {value!r} is not an RFC 3339 time") from e
    if chosen.tzinfo is None:
        raise UsageError(f"--now {value!r} has no time zone")
    if chosen > now:
        raise UsageError(f"--now {value!r} lies in the future")
    return chosen


def _demo(args: argparse.Namespace) -> int:
    import asyncio

    from asyncpg import PostgresError
    from rich.console import Console

    from ledger.demo import MAX_DAYS
    from ledger.demo.progress import meter_for
    from ledger.demo.runner import DemoFailed, LogNotEmpty, WriterActive, load_demo
    from ledger.log import LogError

    if not 1 <= args.days <= MAX_DAYS:
        raise UsageError(f"--days must be from 1 to {MAX_DAYS}, not {args.days}")
    now = _demo_now(args.now)
    settings = Settings()
    if args.if_embedded and not settings.embedded:
        named = "LEDGER_KAFKA_BOOTSTRAP" if settings.kafka_bootstrap is not None else "LEDGER_DATABASE_URL"
        print(f"demo: {named} names a log of its own, not the embedded default: nothing loaded")
        return 0
    console = Console(stderr=True)
    # On a terminal the progress bar tells how loading goes; info records would only break it up.
    configure_logging("warning" if console.is_terminal else "info")
    demo = load_demo(
        settings, days=args.days, seed=args.seed, now=now, force=args.force, meter=meter_for(console)
    )
    try:
        summary = asyncio.run(demo)
    except LogNotEmpty as e:
        if args.if_empty:
            print(f"demo: the log already holds events ({e.held} messages); nothing loaded")
            return 0
        print(f"ledger: {e}", file=sys.stderr)
        return 1
    except WriterActive:
        print(
            f"ledger: demo refused: a writer is active on {log_name(settings)}: a server runs on it "
            "(run the demo before `ledger serve`, never beside it)",
            file=sys.stderr,
        )
        return 1
    except (DemoFailed, LogError, PostgresError) as e:
        print(f"ledger: demo failed: {e}", file=sys.stderr)
        return 1
    print(summary.report())
    return 0
