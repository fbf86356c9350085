"""``ledger serve``, the roles it runs (``ledger writer``, ``ledger project``, ``ledger api``) and
``ledger schemas``: running the ledger, writing its schemas.

Each role's command names how its process collects garbage (``ledger.memory``); the
supervisor of ``ledger serve`` keeps CPython's defaults.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ledger.cli.common import UsageError
from ledger.config import Settings
from ledger.logging import configure_logging


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser(
        "serve",
        help="run the ledger on this box: a writer (and standbys), projector processes and API workers",
        description="Supervise one `ledger writer` (plus LEDGER_WRITER_STANDBYS hot standbys), "
        "LEDGER_PROJECTOR_PROCESSES `ledger project` processes and LEDGER_API_WORKERS `ledger api` "
        "processes on LEDGER_PORT; restart any that dies; on SIGTERM stop them all in order.",
    )
    serve.add_argument(
        "--one-process",
        action="store_true",
        help="run HTTP, the writer and every projector in this one process instead (tests, small cases)",
    )
    serve.set_defaults(run=_serve, gc=None)
    writer = commands.add_parser(
        "writer",
        help="the log's writer and its internal endpoint; a hot standby while another is active",
        description="Take the log's writer lease (or wait as a hot standby until it comes free), then "
        "serve commands forwarded by `ledger api` processes on the internal endpoint "
        "(LEDGER_INTERNAL_LISTEN, LEDGER_INTERNAL_SECRET) until SIGTERM. Exits 3 when fenced.",
    )
    writer.set_defaults(run=_writer, gc="writer")
    api = commands.add_parser(
        "api",
        help="stateless HTTP on LEDGER_PORT, shared with other API processes",
        description="Authenticate callers, forward commands and token admin to the active writer, "
        "answer reads from PostgreSQL, until SIGTERM. Any number may share one port.",
    )
    api.set_defaults(run=_api, gc="api")
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
    project.set_defaults(run=_project, gc="projector")
    schemas = commands.add_parser(
        "schemas",
        help="write the JSON Schema of every command and event, and the AsyncAPI document",
        description="Write DIR/commands/<name>.json, DIR/events/<Type>.v<n>.json and DIR/asyncapi.json "
        "(the AsyncAPI 3.0 document of the log the LEDGER_* settings name, as /asyncapi.json serves it).",
    )
    schemas.add_argument("--out", type=Path, default=Path("schemas/json"), help="directory to write into")
    schemas.set_defaults(run=_schemas)


def _serve(args: argparse.Namespace) -> int:
    settings = Settings()
    if args.one_process:
        return _one_process(settings)
    from ledger.supervisor import serve

    configure_logging(role="serve")
    return serve(settings)


def _one_process(settings: Settings) -> int:
    from aiohttp import web

    from ledger.app import create_app
    from ledger.http.limits import MAX_FIELD_SIZE, MAX_LINE_SIZE
    from ledger.memory import tune_collector
    from ledger.tracing.setup import traced

    tune_collector("one-process")
    configure_logging()
    with traced("serve") as tracing:
        web.run_app(
            create_app(settings, tracing),
            host=settings.host,
            port=settings.port,
            print=None,
            # Handed on to the request handlers: a position token is longer than their default line.
            max_line_size=MAX_LINE_SIZE,
            max_field_size=MAX_FIELD_SIZE,
        )
    return 0


def _writer(_: argparse.Namespace) -> int:
    import asyncio

    from ledger.bootstrap import MissingSecret
    from ledger.tracing.setup import traced
    from ledger.writer.role import run_writer

    settings = Settings()
    configure_logging(role="writer")
    try:
        with traced("writer") as tracing:
            return asyncio.run(run_writer(settings, tracing=tracing))
    except MissingSecret as e:
        raise UsageError(str(e)) from e


def _api(_: argparse.Namespace) -> int:
    import asyncio

    from ledger.bootstrap import MissingSecret
    from ledger.http.role import run_api
    from ledger.tracing.setup import traced

    settings = Settings()
    configure_logging(role="api")
    try:
        with traced("api") as tracing:
            asyncio.run(run_api(settings, tracing=tracing))
    except MissingSecret as e:
        raise UsageError(str(e)) from e
    return 0


def _project(args: argparse.Namespace) -> int:
    import asyncio

    from ledger.projector.process import UnknownProjection, chosen, run_projectors
    from ledger.tracing.setup import traced

    try:
        wanted = chosen(args.projection)
    except UnknownProjection as e:
        raise UsageError(str(e)) from e
    settings = Settings()
    configure_logging(role="project")
    with traced("project") as tracing:
        asyncio.run(run_projectors(settings, wanted, tracing=tracing))
    return 0


def _schemas(args: argparse.Namespace) -> int:
    from ledger import asyncapi
    from schemas.export import write_json_schemas

    settings = Settings()
    written = write_json_schemas(args.out)
    document = asyncapi.write(asyncapi.for_settings(settings), args.out)
    print(f"wrote {len(written)} JSON Schema files and {document.name} to {args.out}")
    return 0
