"""How each process is put together, decided in one place: pools per role, garbage collection per
command, the children ``ledger serve`` runs, and no library patched behind anyone's back."""

from __future__ import annotations

import subprocess
import sys

import pytest
from aiohttp import web

import projections
from ledger import bootstrap
from ledger.app import create_app
from ledger.cli import _parser
from ledger.config import Settings
from ledger.http.role import create_api_app
from ledger.supervisor import Shape


@pytest.mark.parametrize(
    ("argv", "collector"),
    [
        (["writer"], "writer"),
        (["api"], "api"),
        (["project", "--projection", "sales"], "projector"),
        (["serve"], None),  # the supervisor keeps CPython's defaults; --one-process names its own
        (["demo"], "command"),
        (["verify"], "command"),
        (["replay", "--compare"], "command"),
    ],
)
def test_each_command_names_how_its_process_collects_garbage(argv: list[str], collector: str | None) -> None:
    assert _parser().parse_args(argv).gc == collector


def test_roles_open_only_the_pools_they_use() -> None:
    settings = Settings(read_pool_size=8)
    api, writer, projector = (bootstrap.plan(r, settings) for r in ("api", "writer", "projector"))
    assert api.log is None  # an API process opens no log
    assert writer.reads is None  # nor do the others serve reads
    assert projector.reads is None
    assert api.reads == bootstrap.Size(1, 8)


def test_serve_on_two_cores_stays_well_inside_postgresqls_100_connections() -> None:
    settings = Settings()
    shape = Shape.of(settings, cores=2)
    assert (shape.writers, len(shape.projector_groups), shape.api_workers) == (2, 2, 2)

    def most(role: bootstrap.Role, owned: int = 0) -> int:
        plan = bootstrap.plan(role, settings, projections_owned=owned or len(projections.ALL))
        sizes = [plan.main, plan.reads, plan.log]
        return sum(s.high for s in sizes if s is not None) + 2  # a lease or a listener, a LISTEN

    total = shape.writers * most("writer") + shape.api_workers * most("api")
    total += sum(most("projector", len(group)) for group in shape.projector_groups)
    assert total <= 80, total


def test_serve_deals_every_projection_to_exactly_one_projector_process() -> None:
    for processes in (1, 2, 3, 5, 9):
        shape = Shape.of(Settings(projector_processes=processes), cores=2)
        dealt = [name for group in shape.projector_groups for name in group]
        assert sorted(dealt) == sorted(p.name for p in projections.ALL)
        assert len(shape.projector_groups) == min(processes, len(projections.ALL))
    commands = Shape.of(Settings(projector_processes=2), cores=2).commands()
    assert [role for role, _ in commands] == ["writer", "writer", "project", "project", "api", "api"]
    assert commands[2][1] == [
        "project",
        "--projection",
        "inventory",
        "--projection",
        "quality",
        "--projection",
        "purchasing",
        "--projection",
        "audit",
        "--projection",
        "customers",
    ]
    assert commands[3][1] == [
        "project",
        "--projection",
        "sales",
        "--projection",
        "service",
        "--projection",
        "fulfilment",
        "--projection",
        "marketing",
    ]


def test_importing_the_engine_patches_no_library() -> None:
    """aiokafka's transaction backoff is set only where the writer's producer is built."""
    code = (
        "import aiokafka.producer.sender as sender; before = sender.BACKOFF_OVERRIDE\n"
        "import ledger.app, ledger.bootstrap, ledger.cli, ledger.log.kafka, ledger.supervisor\n"
        "import ledger.http.role, ledger.writer.role\n"
        "print(before, sender.BACKOFF_OVERRIDE)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, after = done.stdout.split()
    assert before == after == "0.02"


def test_ledger_api_serves_every_read_route_the_one_process_app_serves() -> None:
    def reads(app: web.Application) -> set[str]:
        return {
            route.resource.canonical
            for route in app.router.routes()
            if route.method == "GET"
            and route.resource is not None
            and route.resource.canonical.startswith("/v1/")
        }

    settings = Settings()
    one_process, api = reads(create_app(settings)), reads(create_api_app(settings))
    assert "/v1/purchasing/orders" in one_process
    assert "/v1/inventory/valuation" in one_process
    assert api == one_process
