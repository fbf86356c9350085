"""HTTP load on ``ledger serve``: the requests of each figure, latency at a fixed offered rate
(vegeta, open loop) and batch-command throughput.

Ours is ``ledger serve`` as shipped (``bench.serve``) on the benchmark's Kafka and PostgreSQL,
with the demo history loaded first (``ledger demo``) so reads look at a real company. The raw
limit is an aiohttp handler answering a constant, in as many processes as the server runs
API workers, under the same load generator at the same rate, on the same machine in the
same run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import aiohttp
import orjson

from bench.loadgen import AttackResult, Target, attack_async
from bench.serve import Server
from bench.workload import Body, StockWorkload, command


def command_targets(server: Server, workload: StockWorkload, count: int, tag: str) -> list[Target]:
    """One receipt per request, each with its own document id (a repeat would be refused)."""
    moves = [m for m in workload.movements(count * 2, seed=hash(tag) & 0xFFFF) if m.qty > 0][:count]
    return [
        Target("POST", f"{server.url}/v1/commands/{name}", server.headers, orjson.dumps(body))
        for name, body in (command(m, n, tag) for n, m in enumerate(moves))
    ]


def inventory_targets(server: Server, skus: Sequence[str], locations: Sequence[str]) -> list[Target]:
    return [
        Target("GET", f"{server.url}/v1/inventory?sku={sku}&location_id={loc}", server.headers)
        for sku in skus
        for loc in locations
    ]


def attainment_targets(server: Server, periods: Sequence[str]) -> list[Target]:
    return [
        Target("GET", f"{server.url}/v1/sales/attainment?period={p}&dimension={d}", server.headers)
        for p in periods
        for d in ("team", "channel", "category", "total")
    ]


async def catalogue(server: Server) -> tuple[list[str], list[str]]:
    """The skus and locations the demo registered, from the inventory read model."""
    async with (
        aiohttp.ClientSession(headers=server.headers) as session,
        session.get(f"{server.url}/v1/inventory") as response,
    ):
        items = (await response.json())["items"]
    return sorted({i["sku"] for i in items}), sorted({i["location_id"] for i in items})


async def measure(
    targets: Sequence[Target], rate: int, seconds: float, warm_up: Sequence[Target] | None = None
) -> AttackResult:
    """A short warm-up at the same rate (on ``warm_up``, else the same targets), then the attack."""
    await attack_async(warm_up or targets, rate=rate, duration_s=min(2.0, seconds))
    return await attack_async(targets, rate=rate, duration_s=seconds)


async def post_batches(
    server: Server, lanes: Sequence[Sequence[Sequence[tuple[str, Body]]]]
) -> tuple[int, float]:
    """Batch commands (``POST /v1/commands``), one client per lane posting its batches in order.

    Concurrent requests may be decided in any order, so each lane must hold streams of its
    own (a receipt and the issue it allows travel in one lane); answers events and seconds.
    """
    events = 0
    refused: list[object] = []

    async def client(session: aiohttp.ClientSession, batches: Sequence[Sequence[tuple[str, Body]]]) -> None:
        nonlocal events
        for batch in batches:
            body = orjson.dumps([{"name": n, "body": b} for n, b in batch])
            async with session.post(f"{server.url}/v1/commands", data=body) as response:
                answer = orjson.loads(await response.read())
            for result in answer["results"]:
                if result["status"] != 201:
                    refused.append(result["body"])
                else:
                    events += len(result["body"]["events"])

    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(headers=server.headers, timeout=timeout) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session, lane) for lane in lanes))
        seconds = time.perf_counter() - started
    if refused:
        raise RuntimeError(f"{len(refused)} batch commands were refused, first: {refused[0]}")
    return events, seconds


def lanes(commands: Sequence[tuple[str, Body]], count: int, size: int) -> list[list[list[tuple[str, Body]]]]:
    """``commands`` split into ``count`` lanes by stream, order kept, each cut into batches of ``size``."""
    split: list[list[tuple[str, Body]]] = [[] for _ in range(count)]
    for name, body in commands:
        split[hash((body["sku"], body["location_id"])) % count].append((name, body))
    return [[lane[i : i + size] for i in range(0, len(lane), size)] for lane in split]
