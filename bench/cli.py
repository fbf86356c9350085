"""``python -m bench``: every figure of the benchmark, several runs each, one table and one JSON file.

Each figure is measured beside its raw limit in the same run, on the same broker and
database, so the ratio holds whatever the machine. The HTTP figures, the take-over and the
scale-out go through ``ledger serve`` as shipped (``bench.serve_figures``); the writer, the
projectors, the rebuild and the writer's memory are measured on the engine's parts as the
roles run them (this module). ``--scale smoke`` runs every figure on a tiny load in well
under a minute (the test suite does, so the harness never rots); ``--scale full`` is the
benchmark proper.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import projections
from bench import history, peer, projectors, rss, writer
from bench.infra import REPO, environment, new_prefix
from bench.results import Figure, Report
from bench.run import Run, console, say
from bench.scale import SCALES
from bench.serve import Serves
from bench.serve_figures import http_batch_figure, http_latency_figures, scale_out_figures, takeover_figure
from bench.table import render
from bench.workload import StockWorkload, command, setup_for
from ledger.log.topology import Topology
from ledger.memory import tune_collector

# Latency first, on a quiet database: later figures leave large tables behind. The take-over
# and the scale-out follow on the same demo company (and, where it fits, the same server).
FIGURES = (
    "http-latency",
    "takeover",
    "scale-out",
    "writer",
    "http-batch",
    "projectors",
    "rebuild",
    "rss",
    "peer",
)
ON_DEMO_SERVER = {"http-latency", "takeover", "scale-out"}


async def writer_figures(run: Run) -> None:
    env, scale = run.env, run.scale
    workload = StockWorkload.sized(scale.products, scale.locations)
    commands = [command(m, n, "w") for n, m in enumerate(workload.movements(scale.writer_commands, seed=1))]
    figure = run.report.add(
        Figure(
            "writer.in_process",
            "writer: stock movements through the command path, in-process (acks=all)",
            "events/s",
            "higher",
            limit_title="aiokafka producing the same records in the same transactions",
            target=30_000,
        )
    )
    tune_collector("writer")  # as ``ledger writer`` runs
    try:
        for i in range(scale.repeat):
            prefix = new_prefix("w")
            run_ = await writer.run_writer(
                env.log(prefix), workload.setup(), commands, max_batch=env.settings(prefix).max_batch
            )
            raw_seconds = await writer.raw_produce(env.bootstrap, Topology(new_prefix("r"), 3), run_.batches)
            figure.ours.append(run_.rate)
            figure.limit.append(run_.events / raw_seconds)
            figure.detail.setdefault("transactions", []).append(len(run_.batches))
            say(f"writer run {i + 1}: {run_.rate:,.0f} events/s; raw {run_.events / raw_seconds:,.0f}/s")
    finally:
        tune_collector("projector")


async def projector_figures(run: Run) -> None:
    env, scale, report = run.env, run.scale, run.report
    loaded = await history.load_history(env, new_prefix("p"), history.days_for(scale.history_events))
    say(
        f"history: {loaded.events:,} events ({loaded.days} days) "
        f"loaded at {loaded.events / loaded.load_seconds:,.0f}/s"
    )
    report.add(
        Figure(
            "writer.business_mix",
            f"writer: the demo company's {loaded.days} days ({loaded.commands:,} commands), in-process",
            "events/s",
            "higher",
            ours=[loaded.events / loaded.load_seconds],
            detail={"events": loaded.events, "commands": loaded.commands},
        )
    )
    # Each projection alone, as the process that owns it projects it; all of them at once is
    # the rebuild figure (one worker process per projection, at most one per core).
    for projection in projections.ALL:
        name = projection.name
        figure = report.add(
            Figure(
                f"projector.{name}",
                f"projector catch-up from offset 0: {name}, one process",
                "events/s",
                "higher",
                limit_title="asyncpg copy_records_to_table of one row per event read",
                target=50_000,
            )
        )
        topics = [f"{loaded.prefix}.{area}" for area in projection.areas]
        rows, consume = await projectors.read_rows(env, loaded.prefix, topics)
        figure.detail["raw_consume_events_per_s"] = len(rows) / consume
        for _ in range(scale.repeat):
            done = await projectors.catch_up(env, loaded.prefix, [projection])
            copy = await projectors.copy_rows(env.dsn, rows)
            figure.ours.append(done.rate)
            figure.limit.append(len(rows) / copy)
        figure.detail["events"] = len(rows)
        say(f"projector {name}: {figure.median:,.0f} events/s; COPY {figure.limit_median:,.0f} rows/s")


async def rebuild_figure(run: Run) -> None:
    env, scale = run.env, run.scale
    loaded = await history.load_history(env, new_prefix("r"), history.days_for(scale.rebuild_events))
    say(f"rebuild history: {loaded.events:,} events loaded at {loaded.events / loaded.load_seconds:,.0f}/s")
    workers = projectors.workers_for(projections.ALL)
    figure = run.report.add(
        Figure(
            "rebuild.all",
            f"full rebuild of {loaded.events:,} events, all projections, as `ledger replay` builds them "
            f"({workers} worker processes at once)",
            "s",
            "lower",
            limit_title="aiokafka reading every event + COPY of one row per event, one process",
            target=60.0 * loaded.events / 1_000_000,
            detail={"events": loaded.events, "worker_processes": workers},
        )
    )
    topics = list(Topology(loaded.prefix, env.settings(loaded.prefix).partitions).topics)
    for _ in range(scale.repeat):
        built = await projectors.build_in_workers(env, loaded.prefix, projections.ALL)
        rows, consume = await projectors.read_rows(env, loaded.prefix, topics)
        copy = await projectors.copy_rows(env.dsn, rows)
        figure.ours.append(built.seconds)
        figure.limit.append(consume + copy)
        say(f"rebuild: {built.seconds:.1f} s; raw read {consume:.1f} s + COPY {copy:.1f} s")


async def rss_figure(run: Run) -> None:
    env, scale = run.env, run.scale
    workload = StockWorkload.sized(scale.rss_products, scale.rss_locations)
    prefix = new_prefix("m")
    topology = Topology(prefix, 3)
    events = await rss.fill(env.bootstrap, topology, workload)
    say(f"rss: {events:,} events over {workload.streams:,} stock streams in the log")
    result = _json_from("bench.rss", ["--bootstrap", env.bootstrap, "--prefix", prefix], timeout=1800)
    run.report.add(
        Figure(
            "writer.rss",
            f"writer RSS holding {result['stock_streams']:,} stock streams",
            "MiB",
            "lower",
            target=1024.0 if workload.streams >= 1_000_000 else None,  # the 1 GiB for 1M
            ours=[result["rss_mib"]],
            detail={**result, "recover_events_per_s": events / result["recover_seconds"]},
        )
    )
    say(f"rss: {result['rss_mib']:,.0f} MiB after recovering in {result['recover_seconds']:.1f} s")


async def peer_figure(run: Run) -> None:
    env, scale = run.env, run.scale
    moves = peer.movements(scale.peer_aggregates, scale.peer_events, seed=3)
    figure = run.report.add(
        Figure(
            "peer.stock",
            f"peer workload: {len(moves):,} stock movements over {scale.peer_aggregates:,} streams, "
            "written then projected to levels",
            "events/s",
            "higher",
            limit_title="eventsourcing (PostgreSQL persistence), same movements",
            target=20.0,
            target_is_ratio=True,
        )
    )
    for i in range(scale.repeat):
        prefix = new_prefix("e")
        commands = [command(m, n, f"e{i}") for n, m in enumerate(moves)]
        written = await writer.run_writer(
            env.log(prefix), setup_for(moves), commands, max_batch=env.settings(prefix).max_batch
        )
        projected = await projectors.catch_up(env, prefix, [projections.inventory.PROJECTION])
        ours = written.events / (written.seconds + projected.seconds)
        theirs = await asyncio.to_thread(_run_peer, env.dsn, scale.peer_aggregates, scale.peer_events)
        figure.ours.append(ours)
        figure.limit.append(theirs["events"] / (theirs["write_seconds"] + theirs["project_seconds"]))
        figure.detail.setdefault("ours_write_s", []).append(written.seconds)
        figure.detail.setdefault("ours_project_s", []).append(projected.seconds)
        figure.detail.setdefault("peer_write_s", []).append(theirs["write_seconds"])
        figure.detail.setdefault("peer_project_s", []).append(theirs["project_seconds"])
        say(f"peer run {i + 1}: ours {ours:,.0f} events/s, peer {figure.limit[-1]:,.0f} events/s")


def _run_peer(dsn: str, aggregates: int, events: int) -> dict[str, Any]:
    args = ["--dsn", dsn, "--aggregates", str(aggregates), "--events", str(events)]
    result = _json_from("bench.peer", [*args, "--seed", "3"], timeout=3600)
    if not result.get("levels_ok"):
        raise RuntimeError("the peer's projected levels are wrong")
    return result


def _json_from(module: str, args: list[str], *, timeout: float) -> dict[str, Any]:
    """Run ``python -m module args`` in a process of its own; answer the JSON of its last line."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args], capture_output=True, text=True, timeout=timeout, cwd=REPO
    )
    if done.returncode != 0:
        raise RuntimeError(f"{module} failed: {done.stderr[-2000:]}")
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def _settings_shown() -> dict[str, str]:
    """The ``LEDGER_*`` settings this run was given (``ledger serve`` reads them), secrets left out."""
    hidden = ("TOKEN", "SECRET", "URL")
    return {
        k: v for k, v in os.environ.items() if k.startswith("LEDGER_") and not any(h in k for h in hidden)
    }


RUNNERS: dict[str, Callable[[Run], Coroutine[Any, Any, None]]] = {
    "http-latency": http_latency_figures,
    "takeover": takeover_figure,
    "scale-out": scale_out_figures,
    "writer": writer_figures,
    "http-batch": http_batch_figure,
    "projectors": projector_figures,
    "rebuild": rebuild_figure,
    "rss": rss_figure,
    "peer": peer_figure,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--repeat", type=int, help="runs per figure (default: 3 full, 1 smoke)")
    parser.add_argument("--only", help=f"comma-separated figures of {', '.join(FIGURES)}")
    parser.add_argument("--out", type=Path, default=Path("bench-results.json"), help="the JSON results file")
    parser.add_argument(
        "--workdir", type=Path, help="where the broker and database live (default: a temp dir)"
    )
    args = parser.parse_args(argv)
    scale = SCALES[args.scale]
    if args.repeat is not None:
        if args.repeat < 1:
            parser.error("--repeat must be at least 1")
        scale = dataclasses.replace(scale, repeat=args.repeat)
    chosen = FIGURES if not args.only else tuple(f.strip() for f in args.only.split(","))
    if unknown := [f for f in chosen if f not in RUNNERS]:
        parser.error(f"unknown figures {unknown}; choose from {', '.join(FIGURES)}")
    tune_collector("projector")  # as ``ledger project`` and ``ledger replay`` run
    # SIGTERM unwinds like Ctrl-C, so the broker, the database and the servers are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    report = Report(scale.name, scale.repeat)
    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as scratch:
        workdir = args.workdir or Path(scratch)
        with environment(workdir) as env, Serves(env) as serves:
            report.environment.update(
                kafka=env.bootstrap,
                database="embedded" if "host=/" in env.dsn else "external",
                cores=os.cpu_count(),
                ledger_settings=_settings_shown(),
                load_average={},
                figure_seconds={},
            )
            say(f"Kafka at {env.bootstrap}, PostgreSQL ready; {', '.join(chosen)} at {scale.name} scale")
            for name in chosen:
                if name not in ON_DEMO_SERVER:
                    serves.close()  # no server shares the machine with figures that do not use it
                report.environment["load_average"][name] = os.getloadavg()  # 1, 5, 15 min, as it starts
                started = time.monotonic()
                asyncio.run(RUNNERS[name](Run(env, scale, report, serves)))
                report.environment["figure_seconds"][name] = round(time.monotonic() - started, 1)
                report.write(args.out)
    render(report)
    console.print(f"results written to {args.out}")
    return 0
