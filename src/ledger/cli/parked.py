"""``ledger parked list|retry|release``: the messages projectors could not read or apply.

``list`` shows them in log order with the reason each was parked. ``retry`` applies a
stream's parked messages again, in log order, once their cause is fixed; the first that
fails again stays parked with its new reason. ``release`` drops them unapplied (an
operator's decision, logged with who made it) so that the stream's later messages flow.
Either is carried out by the process that follows the projection, between two of its
batches, or here when none does (see ``ledger.projector.actions``).

Exit 0 when done, 1 on a refusal (or, for ``retry``, a stream still parked), 2 on bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ledger.cli.common import UsageError
from ledger.config import Settings
from ledger.logging import configure_logging
from ledger.store import Projection

if TYPE_CHECKING:
    import asyncpg

    from ledger.projector.parking import Outcome

_SHOWN = 100


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parked = commands.add_parser(
        "parked",
        help="list, retry or release the messages projectors parked",
        description="A message a projector cannot read or apply is parked with its reason, and so is "
        "every later message of its stream. List them, retry them once the cause is fixed, or release "
        "them (drop them unapplied) so that the stream's later messages flow.",
    )
    actions = parked.add_subparsers(dest="action", required=True)
    for action, summary in (
        ("list", "show the parked messages in log order, with the reason each was parked"),
        ("retry", "apply the parked messages again, in log order; exit 1 if any stays parked"),
        ("release", "drop the parked messages unapplied, so that their streams flow again"),
    ):
        sub = actions.add_parser(action, help=summary, description=summary[0].upper() + summary[1:] + ".")
        sub.add_argument("--projection", metavar="NAME", help="only this read model (default: all)")
        sub.add_argument("--stream", metavar="STREAM", help="only this stream (default: all)")
        if action == "list":
            sub.add_argument(
                "--limit",
                type=int,
                default=_SHOWN,
                metavar="N",
                help=f"show at most N per read model ({_SHOWN})",
            )
        else:
            sub.add_argument(
                "--wait",
                type=float,
                default=30.0,
                metavar="SECONDS",
                help="how long a running projector may take to carry it out (30)",
            )
        sub.set_defaults(run=_run)


def _chosen(name: str | None) -> Sequence[Projection]:
    import projections

    if name is None:
        return projections.ALL
    found = [p for p in projections.ALL if p.name == name]
    if not found:
        raise UsageError(f"unknown projection {name!r}: one of {', '.join(p.name for p in projections.ALL)}")
    return found


def _stream(value: str | None) -> str | None:
    if value is not None and not (0 < len(value) <= 500 and value.isprintable()):
        raise UsageError(f"--stream {value!r}: 1 to 500 printable characters")
    return value


def _who() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name and no passwd entry (a bare container)
        return "cli:unknown"


def _run(args: argparse.Namespace) -> int:
    import asyncpg

    from ledger.log import LogError
    from ledger.projector.actions import Refused

    chosen, stream = _chosen(args.projection), _stream(args.stream)
    if args.action == "list" and not 0 < args.limit <= 100_000:
        raise UsageError("--limit: a whole number from 1 to 100000")
    if args.action != "list" and not 0 < args.wait <= 3600:
        raise UsageError("--wait: seconds, more than 0 and at most 3600")
    if args.action == "release" and args.projection is None and stream is None:
        raise UsageError("release needs --projection or --stream: it drops messages for good")
    settings = Settings()
    configure_logging("warning")
    try:
        return asyncio.run(_on_database(settings, args, chosen, stream))
    except Refused as e:
        print(f"ledger: parked {args.action} refused: {e}", file=sys.stderr)
        return 1
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as e:
        raise UsageError(f"database unavailable: {e}") from e
    except LogError as e:
        raise UsageError(f"log unavailable: {e}") from e


async def _on_database(
    settings: Settings, args: argparse.Namespace, chosen: Sequence[Projection], stream: str | None
) -> int:
    from ledger import bootstrap
    from ledger.projector import bookkeeping

    pools = bootstrap.plan("command", settings)
    async with bootstrap.database(settings) as dsn, bootstrap.main_pool(dsn, settings, pools) as pool:
        async with pool.acquire() as conn:
            await bookkeeping.setup(conn)
        if args.action == "list":
            return await _list(pool, settings, chosen, stream, args.limit)
        return await _act(pool, settings, dsn, chosen, args.action, stream, args.wait)


async def _list(
    pool: asyncpg.Pool, settings: Settings, chosen: Sequence[Projection], stream: str | None, limit: int
) -> int:
    from ledger.projector import bookkeeping
    from ledger.projector.actions import Target

    total = 0
    async with pool.acquire() as conn:
        for projection in chosen:
            key = Target(projection, settings.topic_prefix).key
            count = await bookkeeping.parked_total(conn, key, stream)
            for row in await bookkeeping.parked_page(conn, key, stream=stream, limit=limit):
                print(
                    f"{projection.name}: {row.topic}[{row.partition}]@{row.offset} {row.event_id or '-'} "
                    f"{row.stream} {row.event_type or '-'}: {row.reason} (parked {row.parked_at.isoformat()})"
                )
            if count > limit:
                print(f"{projection.name}: ... {count - limit} more")
            total += count
    print(f"parked: {total} messages" if total else "parked: none")
    return 0


async def _act(
    pool: asyncpg.Pool,
    settings: Settings,
    dsn: str,
    chosen: Sequence[Projection],
    action: str,
    stream: str | None,
    wait: float,
) -> int:
    from ledger.projector import bookkeeping
    from ledger.projector.actions import LogOnDemand, Target, carry_out

    by = _who()
    log = LogOnDemand(settings, dsn)
    outcomes: list[Outcome] = []
    try:
        for projection in chosen:
            target = Target(projection, settings.topic_prefix)
            async with pool.acquire() as conn:
                if not await bookkeeping.parked_total(conn, target.key, stream):
                    continue
            outcome = await carry_out(pool, target, action, stream, by, read_back=log.read_back, wait=wait)
            outcomes.append(outcome)
            _report(outcome)
    finally:
        await log.close()
    if not outcomes:
        print(f"parked {action}: nothing parked")
        return 0
    applied, released, parked = (
        sum(o.as_json()[k] for o in outcomes) for k in ("applied", "released", "parked")
    )
    done = f"{applied} applied" if action == "retry" else f"{released} released"
    print(f"parked {action}: {done}" + (f", {parked} still parked" if parked else "") + f" (by {by})")
    return 1 if parked else 0


def _report(outcome: Outcome) -> None:
    for s in outcome.streams:
        done = f"{s.applied} applied" if outcome.action == "retry" else f"{s.released} released"
        still = f", {s.parked} still parked: {s.reason}" if s.parked else ""
        print(f"{outcome.projection}: {s.stream}: {done}{still}")
