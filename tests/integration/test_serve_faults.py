"""Faults on real Kafka through ``ledger serve``: its processes counted, then killed under load.

One ``ledger serve`` for the module, on real Kafka and PostgreSQL, as an operator runs it:
its default hot standby writer, two projector processes and two API workers (pinned, so the
test means the same on any number of cores). Each test puts a few seconds of load on it
(``tests.support.serve_load``: orders placed and read back through ``min_position``,
reads without it back to back), SIGKILLs children and checks, at the end:

- the supervisor restarts what died (a new pid, ``child_died`` logged, counted on
  ``/metrics``) and runs the same processes as before;
- every order acknowledged is in the log exactly once, and every order asked for was
  acknowledged in the end (asked again with its key after a 503 or a dropped connection);
- no request failed but those a kill explains (``serve_load.unexplained``), and nothing
  else is tolerated: an order answered 503 from the active writer's kill until the take-over
  is seen complete (never a 201 for what is not in the log); a request on a connection the
  killed API worker had accepted or still queued. With ``SO_REUSEPORT`` each worker has an
  accept queue of its own, reset when it dies, and a connection opened once it is gone
  reaches the other worker: so every request sent after that succeeds, and every read sent
  while it was down was answered by the other worker;
- every read back saw exactly the caller's own orders, whichever process answered. A read
  through ``min_position`` of a read model whose projector process was killed waits for
  the restarted one (``wait_ms`` 15 s): it is answered, late, and the longest wait printed;
- the read models equal a clean rebuild (``ledger replay --compare``), and, after the longer
  run, ``ledger verify`` finds the log clean.

The figures (take-over seconds, failed reads, restart times, restarts) are printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
import orjson
import pytest

from ledger.log.kafka import KafkaLog
from ledger.log.topology import Topology
from tests.integration.test_writer_faults import assert_log_is_whole, read_envelopes
from tests.integration.test_writer_takeover import TAKEOVER_TARGET_S
from tests.support.processes import (
    Process,
    arguments_of,
    children_of,
    free_port,
    ledger_cli,
    ready,
    registered_pid,
    role_env,
    running,
    until,
)
from tests.support.serve_load import ATTAINMENT, INVENTORY, LATEST, ORDER, Kill, Load, unexplained

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

TOKEN = "serve-faults-admin-token-42"
SHAPE = Counter({"writer": 2, "project": 2, "api": 2})
PARTITIONS = 2
ORDERS = 30  # acknowledged (and read back) before a kill, and again once the service is whole


def _at(line: dict[str, Any]) -> float:
    return datetime.fromisoformat(line["timestamp"]).timestamp()


@dataclass
class Serving:
    """The module's ``ledger serve`` and what the tests ask of it."""

    process: Process
    env: dict[str, str]
    port: int
    prefix: str
    dsn: str
    bootstrap: str

    def children(self) -> dict[int, str]:
        return children_of(self.process.pid)

    def logged(self, event: str) -> list[dict[str, Any]]:
        """The lines of ``event`` in the log every child writes to; only those parsed, since the
        tests poll it while the load runs in this same process."""
        mark = f'"{event}"'.encode()
        found = []
        for line in self.process.log_path.read_bytes().splitlines():
            if mark in line:
                with contextlib.suppress(orjson.JSONDecodeError):
                    value = orjson.loads(line)
                    if isinstance(value, dict) and value.get("event") == event:
                        found.append(value)
        return found

    def whole(self, without: Iterable[int] = ()) -> bool:
        """Every child of the shape running, none of ``without`` among them."""
        now = self.children()
        return Counter(now.values()) == SHAPE and not set(without) & set(now)

    async def active_writer(self) -> int:
        pid = await registered_pid(self.dsn, self.prefix)
        assert pid is not None
        return pid

    def following(self, projection: str) -> int:
        """The projector process started for ``projection``."""
        [pid] = [
            pid
            for pid, role in self.children().items()
            if role == "project" and projection in arguments_of(pid)
        ]
        return pid

    async def kill(self, pid: int) -> Kill:
        """SIGKILL, and wait until it is gone (reaped by the supervisor: its sockets are closed)."""
        role = self.children()[pid]
        at, wall = time.monotonic(), time.time()
        os.kill(pid, signal.SIGKILL)
        await until(lambda: not running(pid), f"the killed {role} {pid} is gone", timeout=10)
        return Kill(role, pid, at, wall, time.monotonic())

    def since(self, kill: Kill, event: str) -> list[float]:
        """Seconds from ``kill`` to each ``event`` logged by a process of its role started after it."""
        started = {
            e["pid"] for e in self.logged("child_started") if e["role"] == kill.role and _at(e) > kill.wall
        }
        return sorted(_at(e) - kill.wall for e in self.logged(event) if e.get("pid") in started)

    async def back(self, kill: Kill, event: str, count: int = 1) -> float:
        """Seconds from ``kill`` to the ``count``-th ``event`` of its successor, once logged."""
        await until(lambda: len(self.since(kill, event)) >= count, f"{event} x{count} after the {kill.role}")
        return self.since(kill, event)[count - 1]

    async def restarts(self) -> Counter[str]:
        """``ledger_process_restarts_total`` by role, as ``/metrics`` on an API worker shows it."""
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{self.port}/metrics") as response,
        ):
            text = await response.text()
        found = re.findall(r'^ledger_process_restarts_total\{role="(\w+)"\} ([0-9.]+)$', text, re.M)
        return Counter({role: int(float(count)) for role, count in found})

    def died(self, pids: Iterable[int]) -> list[str]:
        """The roles ``child_died`` was logged for, of ``pids``."""
        wanted = set(pids)
        return sorted(e["role"] for e in self.logged("child_died") if e["pid"] in wanted)

    def answered_by(self, pid: int) -> int:
        """Requests an API worker logged as answered."""
        return sum(1 for e in self.logged("request") if e.get("pid") == pid)

    async def orders_in_log(self, tag: str) -> Counter[str]:
        """How often each order of a load is in the log, the whole log checked for its chains."""
        log = KafkaLog(self.bootstrap, Topology(self.prefix, PARTITIONS))
        await log.start()
        try:
            events = await read_envelopes(log)
        finally:
            await log.close()
        assert_log_is_whole(events)
        return Counter(
            e.data["order_id"]
            for e in events
            if e.type == "OrderPlaced" and e.data["order_id"].startswith(f"SO-{tag}-")
        )

    async def cli(self, *arguments: str) -> tuple[int, str]:
        """``python -m ledger <arguments>`` against this serve's log and database."""
        return await ledger_cli(self.env, *arguments, timeout=300)


@pytest.fixture(scope="module")
async def serving(
    kafka_bootstrap: str, pg_dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Serving]:
    data = tmp_path_factory.mktemp("serve-faults")
    port = free_port()
    prefix = f"t{uuid.uuid4().hex[:12]}"
    env = role_env(
        LEDGER_KAFKA_BOOTSTRAP=kafka_bootstrap,
        LEDGER_DATABASE_URL=pg_dsn,
        LEDGER_TOPIC_PREFIX=prefix,
        LEDGER_PARTITIONS=str(PARTITIONS),
        LEDGER_ADMIN_TOKEN=TOKEN,
        LEDGER_DATA_DIR=str(data),
        LEDGER_PORT=str(port),
        LEDGER_API_WORKERS="2",
        LEDGER_PROJECTOR_PROCESSES="2",
    )  # LEDGER_WRITER_STANDBYS left to its default
    process = Process(["serve"], env, data / "serve.log").start()
    try:
        await until(lambda: ready(port), "ledger serve is ready", timeout=120)
        serving = Serving(process, env, port, prefix, pg_dsn, kafka_bootstrap)
        yield serving
        # However many of its children were killed and started again, SIGTERM stops them all.
        children = serving.children()
        assert process.terminate(90) == 0, process.tail()
        stopped = {e["pid"]: e["code"] for e in serving.logged("child_stopped")}
        assert stopped == dict.fromkeys(children, 0), stopped
    finally:
        process.stop_quietly()


async def finish(load: Load, serving: Serving, kills: list[Kill]) -> None:
    """What must hold after every run: nothing lost or doubled, nothing failed unexplained."""
    left = unexplained(load, kills)
    assert not left, left[:5]
    assert not load.wrong, load.wrong[:5]
    in_log = await serving.orders_in_log(load.tag)
    assert set(in_log) == set(load.acknowledged), "an acknowledged order is missing, or one is unasked for"
    assert set(in_log.values()) == {1}, "an order is in the log twice"


READS = (INVENTORY, ATTAINMENT, INVENTORY + LATEST, ATTAINMENT + LATEST)


def failed(load: Load, *kinds: str) -> int:
    return sum(1 for kind in kinds for a in load.of(kind) if not a.ok)


def reads(load: Load) -> int:
    return sum(len(load.of(kind)) for kind in READS)


async def test_kill_9_of_the_active_writer_its_default_standby_takes_over_and_a_new_one_stands_by(
    serving: Serving,
) -> None:
    before = serving.children()
    assert Counter(before.values()) == SHAPE, before
    active = await serving.active_writer()
    [standby] = [pid for pid, role in before.items() if role == "writer" and pid != active]
    restarts = await serving.restarts()
    load = Load(serving.port, TOKEN, "w")
    await load.prepare()
    load.start()
    try:
        await until(lambda: load.acknowledged_after(0) >= ORDERS, "orders acknowledged")
        kill = await serving.kill(active)
        await until(lambda: load.acknowledged_after(kill.at) >= ORDERS, "orders acknowledged after the kill")
        kill.settled = time.monotonic()
    finally:
        await load.stop()

    takeover = load.first_acknowledged_after(kill.at)
    assert await serving.active_writer() == standby
    refused = [a for a in load.of(ORDER) if a.outcome == 503]
    in_flight = [a for a in refused if a.sent < kill.at]
    await finish(load, serving, [kill])
    assert refused, "no caller met the writer's death: the kill hit nothing"
    warm = await serving.back(kill, "writer_standby_warm")  # the supervisor's new writer stands by
    assert serving.whole(without=[active])
    assert await serving.active_writer() == standby  # ...and took nothing over
    assert serving.died([active]) == ["writer"]
    assert await serving.restarts() == restarts + Counter(writer=1)
    print(
        f"\nserve, active writer kill -9: take-over {takeover:.2f} s to the first 201 through the "
        f"standby; a new standby warm {warm:.1f} s after the kill; {len(load.acknowledged)} orders "
        f"acknowledged, each once in the log; {len(refused)} answers 503 ({len(in_flight)} to orders "
        f"in flight at the kill), each asked again until 201; failed reads {failed(load, *READS)} of "
        f"{reads(load)}"
    )
    assert takeover <= TAKEOVER_TARGET_S, f"take-over took {takeover:.2f} s"


async def test_kill_9_of_a_projector_process_and_an_api_worker_reads_keep_answering_and_both_restart(
    serving: Serving,
) -> None:
    before = serving.children()
    assert Counter(before.values()) == SHAPE, before
    projector = serving.following("inventory")  # reads back through min_position wait on it
    followed = arguments_of(projector).count("--projection")
    api = min(pid for pid, role in before.items() if role == "api")
    restarts = await serving.restarts()
    load = Load(serving.port, TOKEN, "p")
    await load.prepare()
    load.start()
    try:
        await until(lambda: load.acknowledged_after(0) >= ORDERS, "orders acknowledged")
        kills = list(await asyncio.gather(serving.kill(projector), serving.kill(api)))
        by_role = {k.role: k for k in kills}
        listening = await serving.back(by_role["api"], "api_listening")
        owned = await serving.back(by_role["project"], "projection_owned", followed)
        back = time.monotonic()
        await until(
            lambda: load.acknowledged_after(back) >= ORDERS, "orders acknowledged and read back since"
        )
        for kill in kills:
            kill.settled = time.monotonic()
    finally:
        await load.stop()

    await finish(load, serving, kills)
    assert serving.whole(without=[projector, api])
    assert sorted(serving.died([projector, api])) == ["api", "project"]
    assert await serving.restarts() == restarts + Counter(api=1, project=1)
    gone = by_role["api"].gone
    gap = [a for a in load.attempts if a.kind in READS and gone < a.sent and a.answered < gone + listening]
    assert gap, "no read was sent while one API worker was down"
    assert all(a.ok for a in gap), "reads went unanswered while one API worker was down"
    [new_api] = [pid for pid, role in serving.children().items() if role == "api" and pid not in before]
    assert serving.answered_by(new_api) > 0, "the restarted API worker answers nothing"
    code, out = await serving.cli("replay", "--compare")
    assert code == 0, out

    waited = max(a.latency for a in load.of(INVENTORY) if a.ok and a.sent > by_role["project"].at)
    dropped = [a for a in load.attempts if isinstance(a.outcome, str)]
    print(
        f"\nserve, projector and API worker kill -9: the API worker listening again {listening:.1f} s "
        f"after, its projector owning its {followed} read models again {owned:.1f} s after; "
        f"failed reads {failed(load, *READS)} of {reads(load)} ({len(dropped)} requests in all on "
        f"connections the killed worker held, each asked again), {len(gap)} reads answered by the "
        f"other worker meanwhile; "
        f"reads back through min_position waited at most {waited:.2f} s; {len(load.acknowledged)} "
        f"orders acknowledged, each once in the log; replay --compare: all equal"
    )


async def kill_and_recover(serving: Serving, load: Load, victim: int) -> Kill:
    """Kill ``victim``; answer once it is restarted and ``ORDERS`` more were acknowledged and read back."""
    kill = await serving.kill(victim)
    await until(lambda: serving.whole(without=[kill.pid]), f"the killed {kill.role} restarted")
    await until(lambda: load.acknowledged_after(kill.gone) >= ORDERS, f"orders after the {kill.role}")
    kill.settled = time.monotonic()
    return kill


async def test_killed_one_by_one_writer_projector_api_worker_nothing_acknowledged_lost_the_log_verifies(
    serving: Serving,
) -> None:
    assert serving.whole(), serving.children()
    restarts = await serving.restarts()
    load = Load(serving.port, TOKEN, "k")
    await load.prepare()
    load.start()
    kills: list[Kill] = []
    try:
        await until(lambda: load.acknowledged_after(0) >= ORDERS, "orders acknowledged")
        for role in ("writer", "project", "api"):
            if role == "writer":
                victim = await serving.active_writer()
            elif role == "project":
                victim = serving.following("sales")
            else:
                victim = max(pid for pid, r in serving.children().items() if r == "api")
            kills.append(await kill_and_recover(serving, load, victim))
    finally:
        await load.stop()

    await finish(load, serving, kills)
    assert serving.died([k.pid for k in kills]) == ["api", "project", "writer"]
    assert await serving.restarts() == restarts + Counter(writer=1, project=1, api=1)
    writer, projector, api = kills
    warm = await serving.back(writer, "writer_standby_warm")
    owned = await serving.back(
        projector, "projection_owned", arguments_of(serving.following("sales")).count("--projection")
    )
    listening = await serving.back(api, "api_listening")
    takeover = load.first_acknowledged_after(writer.at)
    await until(lambda: ready(serving.port), "ledger serve is ready again")
    code, out = await serving.cli("verify")
    assert code == 0, out
    assert "verify: clean" in out, out
    code, out = await serving.cli("replay", "--compare")
    assert code == 0, out
    print(
        f"\nserve, killed one by one: the writer (take-over {takeover:.2f} s, "
        f"a new standby warm {warm:.1f} s after), a projector (its read models owned again {owned:.1f} s "
        f"after), an API worker (listening again {listening:.1f} s after); {len(load.acknowledged)} orders "
        f"acknowledged, each once in the log; {failed(load, ORDER)} order answers not 201 (asked again "
        f"with their keys); failed reads {failed(load, *READS)} of {reads(load)}; restarts so far "
        f"{dict(sorted((await serving.restarts()).items()))}; ledger verify: clean; "
        "replay --compare: all equal"
    )
