"""``python -m bench``: every figure of the benchmark, several runs each, one table and one JSON file.

Each figure is measured beside its raw limit in the same run, on the same broker and
database, so the ratio holds whatever the machine. ``--scale smoke`` runs every figure on
a tiny load in well under a minute (the test suite does, so the harness never rots);
``--scale full`` is the benchmark proper.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

import projections
from bench import history, http, peer, projectors, rss, writer
from bench.infra import REPO, Environment, environment, new_prefix
from bench.loadgen import Target, percentile
from bench.results import Figure, Report
from bench.table import render
from bench.workload import StockWorkload, command, setup_for
from ledger.log.kafka import KafkaLog
from ledger.log.topology import Topology
from ledger.memory import tune_collector

console = Console(stderr=True)


@dataclass(frozen=True)
class Scale:
    name: str
    repeat: int
    writer_commands: int
    products: int
    locations: int
    history_events: int
    rebuild_events: int
    http_rate: int
    attainment_rate: int
    http_seconds: float
    demo_days: int
    rss_products: int
    rss_locations: int
    peer_aggregates: int
    peer_events: int


SCALES = {
    "full": Scale(
        "full", 3, 200_000, 10_000, 10, 85_000, 1_000_000, 1000, 200, 10.0, 90, 100_000, 10, 2_000, 20_000
    ),
    "smoke": Scale("smoke", 1, 2_000, 50, 3, 1_500, 3_000, 50, 20, 1.0, 3, 200, 5, 20, 200),
}
# Latency first, on a quiet database: later figures leave large tables behind.
FIGURES = ("http-latency", "writer", "http-batch", "projectors", "rebuild", "rss", "peer")


def _say(text: str) -> None:
    console.print(f"[dim]{time.strftime('%H:%M:%S')}[/dim] {text}")


async def writer_figures(env: Environment, scale: Scale, report: Report) -> None:
    workload = StockWorkload.sized(scale.products, scale.locations)
    commands = [command(m, n, "w") for n, m in enumerate(workload.movements(scale.writer_commands, seed=1))]
    figure = report.add(
        Figure(
            "writer.in_process",
            "writer: stock movements through the command path, in-process (acks=all)",
            "events/s",
            "higher",
            limit_title="aiokafka producing the same records in the same transactions",
            target=30_000,
        )
    )
    for i in range(scale.repeat):
        prefix = new_prefix("w")
        log = KafkaLog(env.bootstrap, Topology(prefix, env.settings(prefix).partitions))
        run = await writer.run_writer(
            log, workload.setup(), commands, max_batch=env.settings(prefix).max_batch
        )
        raw_seconds = await writer.raw_produce(env.bootstrap, Topology(new_prefix("r"), 3), run.batches)
        figure.ours.append(run.rate)
        figure.limit.append(run.events / raw_seconds)
        figure.detail.setdefault("transactions", []).append(len(run.batches))
        _say(f"writer run {i + 1}: {run.rate:,.0f} events/s; raw {run.events / raw_seconds:,.0f}/s")


async def http_batch_figure(env: Environment, scale: Scale, report: Report) -> None:
    workload = StockWorkload.sized(scale.products, scale.locations)
    figure = report.add(
        Figure(
            "writer.http_batch",
            "writer: stock movements through POST /v1/commands, 1000 a request, 4 clients",
            "events/s",
            "higher",
            limit_title="aiokafka producing the same workload's records (the in-process figure's limit)",
            target=30_000,
        )
    )
    prefix = new_prefix("h")
    server = await http.start_server(env, prefix)
    try:
        setup = list(workload.setup())
        await http.post_batches(server, [[setup[i : i + 1000] for i in range(0, len(setup), 1000)]])
        for i in range(scale.repeat):
            moves = workload.movements(scale.writer_commands, seed=100 + i)
            commands = [command(m, n, f"h{i}") for n, m in enumerate(moves)]
            events, seconds = await http.post_batches(server, http.lanes(commands, 4, 1000))
            figure.ours.append(events / seconds)
            _say(f"http batch run {i + 1}: {events / seconds:,.0f} events/s")
    finally:
        http.stop_server(server)
    # The same records and transactions as the in-process figure's raw limit, measured in this run.
    in_process = next((f for f in report.figures if f.key == "writer.in_process"), None)
    figure.limit.extend(in_process.limit if in_process else [])


async def projector_figures(env: Environment, scale: Scale, report: Report) -> None:
    loaded = await history.load_history(env, new_prefix("p"), history.days_for(scale.history_events))
    _say(
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
    groups = [[p] for p in projections.ALL] + [list(projections.ALL)]
    for group in groups:
        name = group[0].name if len(group) == 1 else "all"
        figure = report.add(
            Figure(
                f"projector.{name}",
                f"projector catch-up from offset 0: {name}",
                "events/s",
                "higher",
                limit_title="asyncpg copy_records_to_table of one row per event read",
                target=50_000 if len(group) == 1 else None,
            )
        )
        rows: list[projectors.Row] = []
        consume = 0.0
        for projection in group:
            topics = [f"{loaded.prefix}.{area}" for area in projection.areas]
            read, seconds = await projectors.read_rows(env, loaded.prefix, topics)
            rows += read
            consume += seconds
        figure.detail["raw_consume_events_per_s"] = len(rows) / consume
        for _ in range(scale.repeat):
            run = await projectors.catch_up(env, loaded.prefix, group)
            copy = await projectors.copy_rows(env.dsn, rows)
            figure.ours.append(run.rate)
            figure.limit.append(len(rows) / copy)
        figure.detail["events"] = len(rows)
        _say(f"projector {name}: {figure.median:,.0f} events/s; COPY {figure.limit_median:,.0f} rows/s")


async def rebuild_figure(env: Environment, scale: Scale, report: Report) -> None:
    loaded = await history.load_history(env, new_prefix("r"), history.days_for(scale.rebuild_events))
    _say(f"rebuild history: {loaded.events:,} events loaded at {loaded.events / loaded.load_seconds:,.0f}/s")
    figure = report.add(
        Figure(
            "rebuild.all",
            f"full rebuild of {loaded.events:,} events, all projectors",
            "s",
            "lower",
            limit_title="aiokafka reading every event + COPY of one row per event",
            target=60.0 * loaded.events / 1_000_000,
            detail={"events": loaded.events},
        )
    )
    topics = list(Topology(loaded.prefix, 3).topics)
    for _ in range(scale.repeat):
        run = await projectors.catch_up(env, loaded.prefix, projections.ALL)
        rows, consume = await projectors.read_rows(env, loaded.prefix, topics)
        copy = await projectors.copy_rows(env.dsn, rows)
        figure.ours.append(run.seconds)
        figure.limit.append(consume + copy)
        _say(f"rebuild: {run.seconds:.1f} s; raw read {consume:.1f} s + COPY {copy:.1f} s")


async def http_latency_figures(env: Environment, scale: Scale, report: Report) -> None:
    from bench.constant_server import start_constant_server, stop_process

    prefix = new_prefix("l")
    http.load_demo(env, prefix, scale.demo_days)
    server = await http.start_server(env, prefix)
    constant, port = start_constant_server()
    rate, seconds = scale.http_rate, scale.http_seconds
    constant_targets = [Target("GET", f"http://127.0.0.1:{port}/constant")]
    try:
        skus, locations = await http.catalogue(server)
        demo_stock = StockWorkload(tuple(skus), tuple(locations))  # receipts on the demo's own stock
        months = [f"2026-{m:02d}" for m in (8, 9, 10)]
        reads = {
            "inventory": http.inventory_targets(server, skus, locations),
            "attainment": http.attainment_targets(server, months),
        }
        # Attainment aggregates a period's orders, lines and moves per request: a report, not
        # a lookup. It is offered a fifth of the rate, which this machine can answer.
        rates = {"command": rate, "inventory": rate, "attainment": scale.attainment_rate}
        figures: dict[tuple[str, float], Figure] = {}
        for what, quantiles, target in (
            ("command", (50.0, 99.0, 99.9), {99.0: 25.0}),
            ("inventory", (50.0, 99.0), {99.0: 5.0}),
            ("attainment", (50.0, 99.0), dict[float, float]()),
        ):
            for q in quantiles:
                figures[(what, q)] = report.add(
                    Figure(
                        f"http.{what}.p{q:g}",
                        f"HTTP {what} latency p{q:g} at {rates[what]}/s offered (open loop)",
                        "ms",
                        "lower",
                        limit_title="aiohttp handler returning a constant, same rate",
                        target=target.get(q),
                    )
                )
        for i in range(scale.repeat):
            baselines = {
                r: await http.measure(constant_targets, r, seconds) for r in sorted(set(rates.values()))
            }
            kafka = await writer.transaction_latency(env.bootstrap, Topology(new_prefix("t"), 1), 300)
            # Every command its own receipt (a repeated id is refused), the warm-up's too.
            commands = http.command_targets(server, demo_stock, int(rate * seconds) + 1, f"l{i}")
            warm_up = http.command_targets(server, demo_stock, 2 * rate + 1, f"w{i}")
            results = {
                "command": await http.measure(commands, rate, seconds, warm_up),
                **{
                    what: await http.measure(targets, rates[what], seconds) for what, targets in reads.items()
                },
            }
            for (what, q), figure in figures.items():
                result = results[what]
                figure.ours.append(result.percentile(q))
                figure.limit.append(baselines[rates[what]].percentile(q))
                figure.detail.setdefault("achieved_rate", []).append(result.achieved_rate)
                # Open loop: an overloaded server shows as failures (timeouts count at the
                # timeout's latency), never as fewer requests; the share answered is kept.
                figure.detail.setdefault("success_ratio", []).append(result.success_ratio())
                if what == "command":  # the log's own floor: one record's transaction, same run
                    figure.detail.setdefault("kafka_transaction_ms", []).append(percentile(kafka, q))
            _say(
                f"http run {i + 1}: p99 "
                + ", ".join(
                    f"{what} {r.percentile(99):.1f} ms ({r.success_ratio():.1%} answered 2xx)"
                    for what, r in {**results, "constant": baselines[rate]}.items()
                )
            )
    finally:
        stop_process(constant)
        http.stop_server(server)


async def rss_figure(env: Environment, scale: Scale, report: Report) -> None:
    workload = StockWorkload.sized(scale.rss_products, scale.rss_locations)
    prefix = new_prefix("m")
    topology = Topology(prefix, 3)
    events = await rss.fill(env.bootstrap, topology, workload)
    _say(f"rss: {events:,} events over {workload.streams:,} stock streams in the log")
    result = _json_from("bench.rss", ["--bootstrap", env.bootstrap, "--prefix", prefix], timeout=1800)
    report.add(
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
    _say(f"rss: {result['rss_mib']:,.0f} MiB after recovering in {result['recover_seconds']:.1f} s")


async def peer_figure(env: Environment, scale: Scale, report: Report) -> None:
    moves = peer.movements(scale.peer_aggregates, scale.peer_events, seed=3)
    figure = report.add(
        Figure(
            "peer.stock",
            f"peer workload: {len(moves):,} stock movements over {scale.peer_aggregates:,} streams, "
            "written then projected to levels",
            "events/s",
            "higher",
            limit_title="eventsourcing (PostgreSQL persistence), same movements",
            target=10.0,
            target_is_ratio=True,
        )
    )
    for i in range(scale.repeat):
        prefix = new_prefix("e")
        log = KafkaLog(env.bootstrap, Topology(prefix, 3))
        commands = [command(m, n, f"e{i}") for n, m in enumerate(moves)]
        run = await writer.run_writer(
            log, setup_for(moves), commands, max_batch=env.settings(prefix).max_batch
        )
        projected = await projectors.catch_up(env, prefix, [projections.inventory.PROJECTION])
        ours = run.events / (run.seconds + projected.seconds)
        theirs = await asyncio.to_thread(_run_peer, env.dsn, scale)
        figure.ours.append(ours)
        figure.limit.append(theirs["events"] / (theirs["write_seconds"] + theirs["project_seconds"]))
        figure.detail.setdefault("ours_write_s", []).append(run.seconds)
        figure.detail.setdefault("ours_project_s", []).append(projected.seconds)
        figure.detail.setdefault("peer_write_s", []).append(theirs["write_seconds"])
        figure.detail.setdefault("peer_project_s", []).append(theirs["project_seconds"])
        _say(f"peer run {i + 1}: ours {ours:,.0f} events/s, peer {figure.limit[-1]:,.0f} events/s")


def _run_peer(dsn: str, scale: Scale) -> dict[str, Any]:
    args = ["--dsn", dsn, "--aggregates", str(scale.peer_aggregates), "--events", str(scale.peer_events)]
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


RUNNERS: dict[str, Callable[[Environment, Scale, Report], Coroutine[Any, Any, None]]] = {
    "writer": writer_figures,
    "http-batch": http_batch_figure,
    "projectors": projector_figures,
    "rebuild": rebuild_figure,
    "http-latency": http_latency_figures,
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
        scale = Scale(**{**scale.__dict__, "repeat": args.repeat})
    chosen = FIGURES if not args.only else tuple(f.strip() for f in args.only.split(","))
    if unknown := [f for f in chosen if f not in RUNNERS]:
        parser.error(f"unknown figures {unknown}; choose from {', '.join(FIGURES)}")
    tune_collector("projector")  # as ``ledger project`` and ``ledger replay`` run
    # SIGTERM unwinds like Ctrl-C, so the broker, the database and the servers are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    report = Report(scale.name, scale.repeat)
    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as scratch:
        workdir = args.workdir or Path(scratch)
        with environment(workdir) as env:
            report.environment.update(
                kafka=env.bootstrap, database="embedded" if "host=/" in env.dsn else "external"
            )
            _say(
                f"Kafka at {env.bootstrap}, PostgreSQL ready; "
                f"running {', '.join(chosen)} at {scale.name} scale"
            )
            for name in chosen:
                asyncio.run(RUNNERS[name](env, scale, report))
                report.write(args.out)
    render(report)
    console.print(f"results written to {args.out}")
    return 0
