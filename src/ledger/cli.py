"""The ``ledger`` command line. ``main(argv)`` is what the console script and the tests call."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
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
    schemas = commands.add_parser("schemas", help="write the JSON Schema of every command and event")
    schemas.add_argument("--out", type=Path, default=Path("schemas/json"), help="directory to write into")
    return parser


def _serve(settings: Settings) -> int:
    from aiohttp import web

    from ledger.app import create_app

    web.run_app(create_app(settings), host=settings.host, port=settings.port, print=None)
    return 0


def _schemas(out: Path) -> int:
    from schemas.export import write_json_schemas

    written = write_json_schemas(out)
    print(f"wrote {len(written)} JSON Schema files to {out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "schemas":
            return _schemas(args.out)
        settings = Settings()
        configure_logging()
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
