"""``ledger serve``, ``ledger project`` and ``ledger schemas``: running the ledger, writing its schemas."""

from __future__ import annotations

import argparse
from pathlib import Path

from ledger.config import Settings
from ledger.logging import configure_logging


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser("serve", help="run the HTTP API, the writer and the projectors")
    serve.set_defaults(run=_serve)
    project = commands.add_parser(
        "project",
        help="run only the projectors (no HTTP, no writer) until SIGTERM",
        description="Follow the log into the read models, as serve does, without serving or writing. "
        "Each read model is owned by one process at a time; this one stands by for those another "
        "process owns and takes them over when it dies. Safe to kill at any moment: each batch "
        "commits with its checkpoint.",
    )
    project.add_argument(
        "--projection",
        metavar="NAME",
        action="append",
        help="a read model to project (repeatable; default: all)",
    )
    project.set_defaults(run=_project)
    schemas = commands.add_parser("schemas", help="write the JSON Schema of every command and event")
    schemas.add_argument("--out", type=Path, default=Path("schemas/json"), help="directory to write into")
    schemas.set_defaults(run=_schemas)


def _serve(_: argparse.Namespace) -> int:
    from aiohttp import web

    from ledger.app import create_app
    from ledger.http.limits import MAX_FIELD_SIZE, MAX_LINE_SIZE

    settings = Settings()
    configure_logging()
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        print=None,
        # Handed on to the request handlers: a position token is longer than their default line.
        max_line_size=MAX_LINE_SIZE,
        max_field_size=MAX_FIELD_SIZE,
    )
    return 0


def _project(args: argparse.Namespace) -> int:
    import asyncio

    from ledger.cli.common import UsageError
    from ledger.projector.process import UnknownProjection, chosen, run_projectors

    try:
        chosen(args.projection)
    except UnknownProjection as e:
        raise UsageError(str(e)) from e
    settings = Settings()
    configure_logging()
    asyncio.run(run_projectors(settings, args.projection))
    return 0


def _schemas(args: argparse.Namespace) -> int:
    from schemas.export import write_json_schemas

    written = write_json_schemas(args.out)
    print(f"wrote {len(written)} JSON Schema files to {args.out}")
    return 0
