"""``ledger serve`` as an operator runs it: a supervisor and its children, killed one by one.

A real ``ledger serve`` on PostgreSQL with two API workers, two projector processes and a
writer with one standby. Its children are counted by the role their command lines name.
Under a stream of requests an API worker and a projector process are SIGKILLed: each is
restarted (a new pid, logged, counted on ``/metrics``), every request sent once the dead
worker is gone is answered by the other, and the projections the killed projector followed
catch up with the log. SIGTERM then stops every child, API workers first, then the writers,
then the projectors, each exiting 0, and the supervisor exits 0. Its ``/metrics`` shows every
process's metrics, all that deploy/prometheus/alerts.yaml and deploy/grafana read among them.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from pathlib import Path

import aiohttp
import asyncpg
import pytest

import projections
from ledger.log import Position
from ledger.log.postgres import PostgresLog
from ledger.log.topology import Topology
from ledger.projector import bookkeeping
from ledger.projector.runtime import projector_key
from tests.support import monitoring
from tests.support.processes import Process, children_of, free_port, ready, running, serve_env, until

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

TOKEN = "serve-test-admin-token-0123"


class Load:
    """Four callers, each on a fresh connection per request: liveness, metrics and commands."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.done: list[tuple[float, float, str, int | str]] = []  # (sent, answered, path, status or error)
        self.stopping = False
        self._next = iter(range(1_000_000))

    async def caller(self) -> None:
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=30)
        ) as session:
            for i in self._next:
                if self.stopping:
                    return
                await self.one(session, i)

    async def one(self, session: aiohttp.ClientSession, i: int) -> None:
        sent = time.monotonic()
        path = ("/healthz", "/openapi.json", "/v1/commands/register-location")[i % 3]
        headers = {"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": f"k-{i}"}
        outcome: int | str
        try:
            if path.startswith("/v1/commands"):
                body = {"location_id": f"L-{i}", "name": "x", "kind": "store"}
                async with session.post(self.base + path, json=body, headers=headers) as response:
                    await response.read()
                    outcome = response.status
            else:
                async with session.get(self.base + path) as response:
                    await response.read()
                    outcome = response.status
        except (aiohttp.ClientError, TimeoutError) as e:
            outcome = repr(e)
        self.done.append((sent, time.monotonic(), path, outcome))

    def after(self, moment: float) -> list[tuple[float, float, str, int | str]]:
        return [d for d in self.done if d[0] > moment]


def expected_status(path: str) -> int:
    return 201 if path.startswith("/v1/commands") else 200


async def caught_up(pg_dsn: str, prefix: str) -> bool:
    """Every projection's checkpoint covers the log's end."""
    log = PostgresLog(pg_dsn, Topology(prefix, 2))
    await log.start()
    try:
        end = await log.end_position()
        conn = await asyncpg.connect(pg_dsn)
        try:
            for projection in projections.ALL:
                key = projector_key(prefix, projection.name, projection.version)
                mine = Position(
                    {tp: o for tp, o in end.items() if tp.topic.split(".")[1] in projection.areas}
                )
                if not (await bookkeeping.load_checkpoint(conn, key)).covers(mine):
                    return False
        finally:
            await conn.close()
    finally:
        await log.close()
    return True


async def metrics_text(port: int) -> str:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/metrics") as response,
    ):
        return await response.text()


async def follow_the_feed(port: int) -> None:
    """One page of ``GET /v1/events``: the feed's metrics have a value from then on."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"http://127.0.0.1:{port}/v1/events",
            params={"limit": "1"},
            headers={"Authorization": f"Bearer {TOKEN}"},
        ) as response,
    ):
        assert response.status == 200, await response.text()


# What a PostgreSQL log with nothing failing never shows: the command topic is Kafka's, and
# these count failures (each is in the one-process exposition: tests/http/test_metrics_exposed.py).
NOT_HERE = {
    "ledger_command_records_total",
    "ledger_command_intake_restarts_total",
    "ledger_writer_recovery_failures_total",
}


def assert_the_alerts_and_dashboard_find_their_metrics(text: str) -> None:
    """What deploy/prometheus and deploy/grafana read is on one API worker's ``/metrics``, from
    whichever process it comes: the writers' status, the projectors' lag, the workers' answers."""
    missing = monitoring.used_names() - monitoring.series_names(text, declared=False)
    assert missing <= NOT_HERE, sorted(missing)
    assert 'ledger_writer_status{status="active"} 1.0' in text
    assert 'ledger_writer_status{status="standby"} 1.0' in text
    assert "ledger_writer_standbys_configured 1.0" in text
    assert 'ledger_projector_lag_events{projection="inventory"}' in text
    assert 'ledger_http_responses_total{status="201"}' in text


async def test_serve_restarts_a_killed_api_worker_and_projector_and_stops_every_child_in_order(
    pg_dsn: str, prefix: str, tmp_path: Path
) -> None:
    port = free_port()
    env = serve_env(pg_dsn, prefix, tmp_path, port, TOKEN, projector_processes=2, writer_standbys=1)
    serve = Process(["serve"], env, tmp_path / "serve.log").start()
    try:
        await until(lambda: ready(port), "ledger serve is ready", timeout=90)
        children = children_of(serve.pid)
        assert Counter(children.values()) == {"writer": 2, "project": 2, "api": 2}, children

        load = Load(port)
        callers = [asyncio.create_task(load.caller()) for _ in range(4)]
        await until(lambda: len(load.done) >= 60, "the load is under way")
        api_pid = next(pid for pid, role in children.items() if role == "api")
        projector_pid = next(pid for pid, role in children.items() if role == "project")
        for pid in (api_pid, projector_pid):
            os.kill(pid, signal.SIGKILL)
        await until(lambda: not running(api_pid), "the killed API worker is reaped")
        gone = time.monotonic()
        await until(lambda: len(load.after(gone)) >= 60, "answers after the kill")

        def restarted() -> bool:
            now = children_of(serve.pid)
            return Counter(now.values()) == {"writer": 2, "project": 2, "api": 2} and not {
                api_pid,
                projector_pid,
            } & set(now)

        await until(restarted, "the killed API worker and projector process are restarted")
        successors = {pid: role for pid, role in children_of(serve.pid).items() if pid not in children}

        def serving_again() -> bool:
            # SIGTERM before a child installs its handler kills it by the signal: wait until
            # the restarted API worker listens and the restarted projector process owns.
            ready = {"api": "api_listening", "project": "projection_owned"}
            logged = {role: {e.get("pid") for e in serve.logged(event)} for role, event in ready.items()}
            return all(pid in logged[role] for pid, role in successors.items())

        await until(serving_again, "the restarted API worker listens and the projector process owns")
        load.stopping = True
        await asyncio.gather(*callers)

        after = load.after(gone)
        wrong = [d for d in after if d[3] != expected_status(d[2])]
        assert not wrong, wrong[:5]
        lost = [d for d in load.done if d[0] <= gone and d[3] != expected_status(d[2])]
        print(f"\nserve: {len(after)} requests after the kills all answered; {len(lost)} in flight failed")
        died = {e["role"] for e in serve.logged("child_died")}
        assert died == {"api", "project"}, died
        await follow_the_feed(port)
        text = await metrics_text(port)
        for role in ("api", "project"):
            assert f'ledger_process_restarts_total{{role="{role}"}} 1.0' in text, text[-2000:]
        assert 'ledger_process_restarts_total{role="writer"} 0.0' in text  # there from the start
        assert 'ledger_commands_total{command="register-location",outcome="accepted"}' in text
        assert_the_alerts_and_dashboard_find_their_metrics(text)
        await until(lambda: caught_up(pg_dsn, prefix), "every projection has caught up with the log")

        before_stop = set(children_of(serve.pid))
        assert serve.terminate(90) == 0, serve.tail()
    finally:
        serve.stop_quietly()
    stopped = serve.logged("child_stopped")
    assert [e["code"] for e in stopped] == [0] * 6, stopped
    order = [e["role"] for e in stopped]
    assert order == ["api", "api", "writer", "writer", "project", "project"], order
    assert not [pid for pid in before_stop if running(pid)]
