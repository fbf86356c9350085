"""The figures measured through ``ledger serve`` as shipped: latency, take-over, scale-out, batches.

Each runs on a server ``Serves`` keeps (the demo company's history for the first three, so
reads look at a real business), and names on every figure how many processes of each role
the server ran. Each raw limit is measured in the same run: an aiohttp handler answering a
constant in as many processes as the server has API workers, Kafka's own transaction and
fencing, a bare producer writing the same records.
"""

from __future__ import annotations

import uuid

from bench import http, scaleout, takeover, writer
from bench.constant_server import start_constant_servers, stop_process
from bench.infra import new_prefix
from bench.loadgen import Target, percentile
from bench.results import Figure
from bench.run import Run, say
from bench.workload import StockWorkload, command
from ledger.log.topology import Topology

QUANTILES = {"command": (50.0, 99.0, 99.9), "inventory": (50.0, 99.0), "attainment": (50.0, 99.0)}
TARGETS_MS = {"command": 25.0, "inventory": 5.0, "attainment": 15.0}  # each at p99
TAKEOVER_TARGET_S = 5.0


def _constant(port: int) -> list[Target]:
    return [Target("GET", f"http://127.0.0.1:{port}/constant")]


async def http_latency_figures(run: Run) -> None:
    env, scale = run.env, run.scale
    server = await run.serves.get(run.serves.demo(scale.demo_days))
    constants, port = start_constant_servers(server.processes.get("api", 1))
    rate, seconds = scale.http_rate, scale.http_seconds
    try:
        skus, locations = await http.catalogue(server)
        demo_stock = StockWorkload(tuple(skus), tuple(locations))  # receipts on the demo's own stock
        months = [f"2026-{m:02d}" for m in (8, 9, 10)]
        reads = {
            "inventory": http.inventory_targets(server, skus, locations),
            "attainment": http.attainment_targets(server, months),
        }
        figures: dict[tuple[str, float], Figure] = {}
        for what, quantiles in QUANTILES.items():
            for q in quantiles:
                figures[(what, q)] = run.report.add(
                    Figure(
                        f"http.{what}.p{q:g}",
                        f"HTTP {what} latency p{q:g} at {rate}/s offered (open loop)"
                        + (", projectors running" if what == "command" else ""),
                        "ms",
                        "lower",
                        limit_title="aiohttp handler returning a constant, same rate, as many processes",
                        target=TARGETS_MS[what] if q == 99.0 else None,
                        processes=server.processes,
                    )
                )
        for i in range(scale.repeat):
            baseline = await http.measure(_constant(port), rate, seconds)
            kafka = await writer.transaction_latency(
                env.bootstrap, Topology(new_prefix("t"), 1), scale.kafka_transactions
            )
            # Every command its own receipt (a repeated id is refused), the warm-up's too.
            commands = http.command_targets(server, demo_stock, int(rate * seconds) + 1, f"l{i}")
            warm_up = http.command_targets(server, demo_stock, 2 * rate + 1, f"w{i}")
            results = {
                "command": await http.measure(commands, rate, seconds, warm_up),
                **{what: await http.measure(targets, rate, seconds) for what, targets in reads.items()},
            }
            for (what, q), figure in figures.items():
                result = results[what]
                figure.ours.append(result.percentile(q))
                figure.limit.append(baseline.percentile(q))
                figure.detail.setdefault("achieved_rate", []).append(result.achieved_rate)
                # Open loop: an overloaded server shows as failures (timeouts count at the
                # timeout's latency), never as fewer requests; the share answered is kept.
                figure.detail.setdefault("success_ratio", []).append(result.success_ratio())
                figure.detail.setdefault("statuses", []).append(dict(result.status_codes))  # 0: no answer
                if what == "command":  # the log's own floor: one record's transaction, same run
                    figure.detail.setdefault("kafka_transaction_ms", []).append(percentile(kafka, q))
            say(
                f"http run {i + 1} on ledger serve ({server.shape()}): p99 "
                + ", ".join(
                    f"{what} {r.percentile(99):.1f} ms ({r.success_ratio():.1%} answered 2xx)"
                    for what, r in {**results, "constant": baseline}.items()
                )
            )
    finally:
        for process in constants:
            stop_process(process)


async def takeover_figure(run: Run) -> None:
    env, scale = run.env, run.scale
    server = await run.serves.get(run.serves.demo(scale.demo_days))
    skus, locations = await http.catalogue(server)
    figure = run.report.add(
        Figure(
            "writer.takeover",
            "writer take-over: kill -9 of the active writer under commands, to the first 201 "
            "through the standby",
            "s",
            "lower",
            limit_title="Kafka alone: a producer killed in a transaction, to its successor's commit",
            target=TAKEOVER_TARGET_S,
            processes=server.processes,
        )
    )
    for i in range(scale.repeat):
        tag = f"k{uuid.uuid4().hex[:8]}"  # receipts of their own, whichever run came before
        taken = await takeover.writer_takeover(server, skus, locations, tag, scale.takeover_after_s)
        raw = await takeover.raw_takeover(env.bootstrap, Topology(new_prefix("k"), 1))
        figure.ours.append(taken.seconds)
        figure.limit.append(raw)
        figure.detail.setdefault("statuses", []).append(taken.statuses)
        figure.detail.setdefault("standbys", []).append(taken.standbys)
        say(
            f"take-over run {i + 1}: first 201 {taken.seconds:.2f} s after the kill "
            f"(answers {taken.statuses}); Kafka alone {raw:.2f} s"
        )


async def scale_out_figures(run: Run) -> None:
    """Inventory lookups a second within the bound, with 1 and with 2 API workers."""
    scale, search = run.scale, run.scale.scale_out
    prefix = run.serves.demo(scale.demo_days)
    figures = {
        workers: run.report.add(
            Figure(
                f"http.scale_out.api{workers}",
                f"inventory lookups/s with p{search.quantile:g} <= {search.bound_ms:g} ms, {workers} API "
                f"worker{'s' if workers > 1 else ''} (offered rate stepped, open loop)",
                "req/s",
                "higher",
                limit_title=f"aiohttp constant handler in {workers} process{'es' if workers > 1 else ''}, "
                "same search",
                detail={"search": search.__dict__},
            )
        )
        for workers in (1, 2)
    }
    for workers in (2, 1):  # 2 first: the server the figures before ran may already be it
        figure = figures[workers]
        server = await run.serves.get(prefix, api_workers=workers)
        figure.processes = server.processes
        skus, locations = await http.catalogue(server)
        lookups = http.inventory_targets(server, skus, locations)
        constants, port = start_constant_servers(workers)
        try:
            for i in range(scale.repeat):
                ours = await scaleout.highest_rate(lookups, search)
                limit = await scaleout.highest_rate(_constant(port), search)
                figure.ours.append(ours.rate)
                figure.limit.append(limit.rate)
                figure.detail.setdefault("steps", []).append(ours.detail())
                figure.detail.setdefault("limit_steps", []).append(limit.detail())
                say(
                    f"scale-out run {i + 1}, {workers} API worker(s): {ours.rate:,} lookups/s "
                    f"within p{search.quantile:g} <= {search.bound_ms:g} ms; constant {limit.rate:,}/s"
                )
        finally:
            for process in constants:
                stop_process(process)
    one, two = figures[1].median, figures[2].median
    if one and two:
        figures[2].detail["over_one_worker"] = two / one


async def http_batch_figure(run: Run) -> None:
    scale = run.scale
    workload = StockWorkload.sized(scale.products, scale.locations)
    figure = run.report.add(
        Figure(
            "writer.http_batch",
            "writer: stock movements through POST /v1/commands, 1000 a request, 4 clients",
            "events/s",
            "higher",
            limit_title="aiokafka producing the same workload's records (the in-process figure's limit)",
            target=20_000,
        )
    )
    server = await run.serves.get(new_prefix("h"))
    figure.processes = server.processes
    setup = list(workload.setup())
    await http.post_batches(server, [[setup[i : i + 1000] for i in range(0, len(setup), 1000)]])
    for i in range(scale.repeat):
        moves = workload.movements(scale.writer_commands, seed=100 + i)
        commands = [command(m, n, f"h{i}") for n, m in enumerate(moves)]
        events, seconds = await http.post_batches(server, http.lanes(commands, 4, 1000))
        figure.ours.append(events / seconds)
        say(f"http batch run {i + 1} on ledger serve ({server.shape()}): {events / seconds:,.0f} events/s")
    # The same records and transactions as the in-process figure's raw limit, measured in this run.
    in_process = next((f for f in run.report.figures if f.key == "writer.in_process"), None)
    figure.limit.extend(in_process.limit if in_process else [])
    if not figure.limit:
        figure.detail["limit_note"] = "the writer figure did not run: no raw producer rate to stand beside"
