"""The ``ledger`` command line. ``main(argv)`` is what the console script, ``python -m ledger.cli``
and the tests call.

One module per group of subcommands adds its parsers, each with a ``run`` default that
carries the command out and answers the exit status: 0 done (and, for checks, clean), 1 a
refusal or a finding, 2 bad input, told in one line on stderr. Nothing heavy is imported
before a command needs it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from ledger.cli import audit, demo, parked, replay, server
from ledger.cli.common import UsageError
from ledger.memory import tune_collector

__all__ = ["UsageError", "main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ledger", description="An event-sourced ERP-lite ledger.")
    parser.set_defaults(gc="command")  # a role's command names its own (``ledger.memory``)
    commands = parser.add_subparsers(dest="command", required=True)
    server.add_parsers(commands)
    demo.add_parsers(commands)
    audit.add_parsers(commands)
    replay.add_parsers(commands)
    parked.add_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.gc is not None:  # each command's role says how its process collects garbage
        tune_collector(args.gc)
    try:
        return int(args.run(args))
    except ValidationError as e:
        first = e.errors()[0]
        reason = first["msg"].removeprefix("Value error, ")
        # A rule over several settings has no one field to blame; its reason names them.
        what = f"setting LEDGER_{str(first['loc'][0]).upper()}" if first["loc"] else "settings"
        print(f"ledger: bad {what}: {reason}", file=sys.stderr)
        return 2
    except (UsageError, OSError) as e:
        print(f"ledger: {e}", file=sys.stderr)
        return 2
