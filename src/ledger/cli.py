"""The ``ledger`` command line. ``main(argv)`` is what the console script and the tests call."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from ledger.config import Settings
from ledger.logging import configure_logging


class UsageError(Exception):
    """Bad input on the command line: one line to stderr, exit 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ledger", description="An event-sourced ERP-lite ledger.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the HTTP API, the writer and the projectors")
    commands.add_parser(
        "project",
        help="run only the projectors (no HTTP, no writer) until SIGTERM",
        description="Follow the log into the read models, as serve does, without serving or writing. "
        "Safe to kill at any moment: each batch commits with its checkpoint.",
    )
    schemas = commands.add_parser("schemas", help="write the JSON Schema of every command and event")
    schemas.add_argument("--out", type=Path, default=Path("schemas/json"), help="directory to write into")
    _add_demo(commands)
    return parser


def _add_demo(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = commands.add_parser(
        "demo",
        help="load a seeded demo history through the command path (run it before serve, not beside it)",
        description="Generate a realistic, seeded history of a small company's operations over the last "
        "days and submit it through the writer, command by command, as the HTTP API would. Run it before "
        "`ledger serve`, never beside it: it claims the log's one writer, which fences a server running "
        "on the same log. It loads only into an empty log, unless --force.",
    )
    demo.add_argument("--days", type=int, default=90, help="days of history, 1 to 3650 (default 90)")
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


def _serve(settings: Settings) -> int:
    from aiohttp import web

    from ledger.app import create_app

    web.run_app(create_app(settings), host=settings.host, port=settings.port, print=None)
    return 0


def _project(settings: Settings) -> int:
    import asyncio

    from ledger.projector.process import run_projectors

    asyncio.run(run_projectors(settings))
    return 0


def _schemas(out: Path) -> int:
    from schemas.export import write_json_schemas

    written = write_json_schemas(out)
    print(f"wrote {len(written)} JSON Schema files to {out}")
    return 0


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

    from rich.console import Console

    from ledger.demo import MAX_DAYS
    from ledger.demo.progress import meter_for
    from ledger.demo.runner import DemoFailed, LogNotEmpty, load_demo
    from ledger.log import LogError

    if not 1 <= args.days <= MAX_DAYS:
        raise UsageError(f"--days must be from 1 to {MAX_DAYS}, not {args.days}")
    now = _demo_now(args.now)
    settings = Settings()
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
    except (DemoFailed, LogError) as e:
        print(f"ledger: demo failed: {e}", file=sys.stderr)
        return 1
    print(summary.report())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "schemas":
            return _schemas(args.out)
        if args.command == "demo":
            return _demo(args)
        settings = Settings()
        configure_logging()
        if args.command == "project":
            return _project(settings)
        return _serve(settings)
    except ValidationError as e:
        first = e.errors()[0]
        print(f"ledger: bad setting LEDGER_{str(first['loc'][0]).upper()}: {first['msg']}", file=sys.stderr)
        return 2
    except (UsageError, OSError) as e:
        print(f"ledger: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
