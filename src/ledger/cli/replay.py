"""``ledger replay``: rebuild read models from the log or an export; compare them or swap them in.

Without ``--compare`` the rebuilt tables replace the live ones (recorded in the live-schema
table, so every reader turns to them at once); that needs every projector of those read
models stopped, since a running one would go on writing the replaced tables: a running
server is told to rebuild online instead (``POST /v1/projections/{name}/rebuild``), and a
server that starts meanwhile waits for the swap. ``--compare`` runs beside a live server.
``--source FILE`` never opens the live log: the file is imported into a scratch log in the
configured database, projected, and then compared (``--compare``) or summarised, rows per
table. Exit 1 on any difference or any parked event, 0 otherwise, 2 on bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ledger.cli.common import UsageError, progress_meter
from ledger.config import Settings
from ledger.store import Projection

if TYPE_CHECKING:
    from ledger.audit.replay import Outcome


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    replay = commands.add_parser(
        "replay",
        help="rebuild read models from the log or an export; --compare reports every difference",
        description="Rebuild read models from the log (or from an export file, without any live log) "
        "into scratch schemas. With --compare, list every row that differs from the live tables (exit 1 "
        "on any); without, swap the rebuilt tables in as the live ones (only while no server or "
        "`ledger project` follows them). With --source and no --compare, report rows per table.",
    )
    replay.add_argument("--projection", metavar="NAME", help="only this read model (default: all)")
    replay.add_argument(
        "--compare", action="store_true", help="compare with the live tables instead of replacing them"
    )
    replay.add_argument("--source", type=Path, metavar="FILE", help="an export file instead of the live log")
    replay.set_defaults(run=_replay)


def _chosen(name: str | None) -> Sequence[Projection]:
    import projections

    if name is None:
        return projections.ALL
    found = [p for p in projections.ALL if p.name == name]
    if not found:
        names = ", ".join(p.name for p in projections.ALL)
        raise UsageError(f"unknown projection {name!r}: one of {names}")
    return found


def _replay(args: argparse.Namespace) -> int:
    from ledger.audit.exchange import ExchangeError
    from ledger.audit.replay import ReplayRefused, replay
    from ledger.log import LogError

    chosen = _chosen(args.projection)
    if args.source is not None and not args.source.is_file():
        raise UsageError(f"{args.source}: no such file")
    settings = Settings()
    meter = progress_meter()
    try:
        outcomes = asyncio.run(
            replay(settings, chosen, compare=args.compare, source=args.source, meter=meter)
        )
    except (ReplayRefused, ExchangeError) as e:
        print(f"ledger: replay refused: {e}", file=sys.stderr)
        return 1
    except LogError as e:
        raise UsageError(f"log unavailable: {e}") from e
    failed = sum(_report(outcome, compare=args.compare, source=args.source) for outcome in outcomes)
    if args.compare:
        differ = f"{failed} of {len(outcomes)} read models not equal to their live tables"
        print(f"replay --compare: {differ if failed else 'all equal'}")
    else:
        done = "swapped in" if args.source is None else "rebuilt from the file"
        print(
            f"replay: {len(outcomes)} read models {done}"
            + (f"; {failed} with parked events" if failed else "")
        )
    return 1 if failed else 0


def _report(outcome: Outcome, *, compare: bool, source: Path | None) -> int:
    """Print one projection's outcome; answers 1 when it counts against the exit status."""
    name = outcome.projection
    if compare:
        if outcome.problem:
            print(f"{name}: not comparable: {outcome.problem}")
        else:
            state = "equal" if outcome.equal else f"{len(outcome.differences)} rows differ"
            print(f"{name}: {state}: {outcome.events} events rebuilt, {outcome.note}")
        for difference in outcome.differences:
            print(f"{name}: {difference.table} {difference.side}: {difference.row}")
    elif source is not None:
        rows = ", ".join(f"{table} {count}" for table, count in outcome.rows.items())
        print(f"{name}: rebuilt from {outcome.events} events of the file: rows {rows or 'none'}")
    else:
        replaced = f", replacing {outcome.replaced}" if outcome.replaced else ""
        print(f"{name}: rebuilt from {outcome.events} events, live as {outcome.schema}{replaced}")
    for line in outcome.parked:
        print(f"{name}: parked {line}")
    if outcome.parked_count > len(outcome.parked):
        print(f"{name}: parked ... {outcome.parked_count - len(outcome.parked)} more")
    return int(not outcome.equal if compare else outcome.parked_count > 0)
