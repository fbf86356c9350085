"""The local Kafka of deploy/kafka: real KRaft brokers from Maven Central jars, no Docker.

Self-contained on purpose (no conftest fixtures): each test starts its own cluster, talks to it
with aiokafka, and checks that stopping it leaves no JVM behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import TopicPartition

import localkafka
from tests.support.unavailable import unavailable

pytestmark = pytest.mark.kafka

KAFKA_DIR = Path(localkafka.__file__).resolve().parent


@pytest.fixture(scope="module")
def jars() -> Path:
    """The broker jars (fetched once). Without java or Maven: skipped, but failed when CI is set."""
    try:
        if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
            raise localkafka.LocalKafkaError("java is not installed")
        return localkafka.ensure_jars()
    except (localkafka.LocalKafkaError, OSError) as exc:
        unavailable("local Kafka", exc)


def _alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie (detached brokers are reaped by init)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError):
        text = stat.read_text()
        return not text[text.rindex(")") + 2 :].startswith("Z")
    return True


async def _create_topic(bootstrap: str, topic: str, replication: int, configs: dict[str, str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, replication, topic_configs=configs)])
    finally:
        await admin.close()


@contextlib.asynccontextmanager
async def _producer(bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, request_timeout_ms=30_000
    )
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


async def _read_all(bootstrap: str, topic: str, count: int) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        values: list[bytes] = []
        async with asyncio.timeout(30):
            while len(values) < count:
                record = await consumer.getone()
                assert record.value is not None
                values.append(record.value)
        return values
    finally:
        await consumer.stop()


class _Proxy:
    """A plain TCP forwarder: listens on a node's advertised proxy port, forwards to its PROXIED listener."""

    def __init__(self, listen_port: int, target_port: int) -> None:
        self.listen_port = listen_port
        self.target_port = target_port
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, localkafka.HOST, self.listen_port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        try:
            broker_r, broker_w = await asyncio.open_connection(localkafka.HOST, self.target_port)
            await asyncio.gather(self._pipe(client_r, broker_w), self._pipe(broker_r, client_w))
        except OSError:
            pass
        finally:
            client_w.close()
            self._tasks.discard(task)

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()
            with contextlib.suppress(OSError, asyncio.CancelledError):
                await writer.wait_closed()


async def test_single_node_cluster_produces_consumes_and_stops(jars: Path, tmp_path: Path) -> None:
    kafka = localkafka.LocalKafka(nodes=1, base_dir=tmp_path / "kafka")
    await asyncio.to_thread(kafka.start)
    try:
        node = kafka.nodes[0]
        assert kafka.bootstrap == f"127.0.0.1:{node.port}"
        assert kafka.proxy_bootstrap == f"127.0.0.1:{node.proxy_port}"
        assert len({node.port, node.controller_port, node.proxied_port, node.proxy_port}) == 4
        assert localkafka.metadata_brokers(node.port) == {0: ("127.0.0.1", node.port)}
        assert localkafka.metadata_brokers(node.proxied_port) == {0: ("127.0.0.1", node.proxy_port)}

        topic = f"t{uuid.uuid4().hex[:10]}"
        await _create_topic(kafka.bootstrap, topic, 1, {})
        async with _producer(kafka.bootstrap) as producer:
            await producer.send_and_wait(topic, b"hello", key=b"s-1")
        assert await _read_all(kafka.bootstrap, topic, 1) == [b"hello"]

        # Through the PROXIED listener: clients that bootstrap on the proxy stay on it.
        proxy = _Proxy(node.proxy_port, node.proxied_port)
        await proxy.start()
        try:
            async with _producer(kafka.proxy_bootstrap) as producer:
                await producer.send_and_wait(topic, b"via proxy", key=b"s-1")
            assert await _read_all(kafka.proxy_bootstrap, topic, 2) == [b"hello", b"via proxy"]
        finally:
            await proxy.close()
        assert proxy.connections >= 2

        state = (tmp_path / "kafka" / "state.json").read_text()
        assert kafka.bootstrap in state
        pids = kafka.pids
        assert len(pids) == 1
        assert all(_alive(pid) for pid in pids)
    finally:
        await asyncio.to_thread(kafka.stop)
    assert kafka.pids == []
    assert not any(_alive(pid) for pid in pids)


@pytest.mark.slow
async def test_three_node_cluster_survives_losing_a_node(jars: Path, tmp_path: Path) -> None:
    kafka = localkafka.LocalKafka(nodes=3, base_dir=tmp_path / "kafka")
    await asyncio.to_thread(kafka.start)
    try:
        pids = kafka.pids
        assert len(pids) == 3
        for node in kafka.nodes:
            assert set(localkafka.metadata_brokers(node.port)) == {0, 1, 2}

        topic = f"t{uuid.uuid4().hex[:10]}"
        await _create_topic(kafka.bootstrap, topic, 3, {"min.insync.replicas": "2"})
        async with _producer(kafka.bootstrap) as producer:
            await producer.send_and_wait(topic, b"before", key=b"s-1")

            # Kill the partition's leader: the hardest node to lose.
            leader = producer.client.cluster.leader_for_partition(TopicPartition(topic, 0))
            assert leader in (0, 1, 2)
            await asyncio.to_thread(kafka.kill_node, leader)
            assert not kafka.nodes[leader].running
            assert not _alive(pids[leader])

            async with asyncio.timeout(60):
                await producer.send_and_wait(topic, b"one node down", key=b"s-1")

            await asyncio.to_thread(kafka.start_node, leader)
            assert kafka.nodes[leader].running
            assert len(kafka.pids) == 3
            await producer.send_and_wait(topic, b"after restart", key=b"s-1")

        assert await _read_all(kafka.bootstrap, topic, 3) == [b"before", b"one node down", b"after restart"]
        pids = kafka.pids
    finally:
        await asyncio.to_thread(kafka.stop)
    assert kafka.pids == []
    assert not any(_alive(pid) for pid in pids)


def test_cli_starts_detached_and_stops(jars: Path, tmp_path: Path) -> None:
    script = KAFKA_DIR / "kafka"
    cluster_dir = tmp_path / "cli"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        # capture_output: the call must return although the brokers outlive it.
        return subprocess.run(
            [str(script), *args, "--dir", str(cluster_dir)],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
            env={**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"},
        )

    started = run("start")
    assert started.returncode == 0, started.stderr
    last = started.stdout.strip().splitlines()[-1]
    assert last.startswith("LEDGER_KAFKA_BOOTSTRAP=127.0.0.1:")
    kafka = localkafka.LocalKafka.attach(cluster_dir)
    try:
        assert last == f"LEDGER_KAFKA_BOOTSTRAP={kafka.bootstrap}"
        pids = kafka.pids
        assert len(pids) == 1
        status = run("status")
        assert status.returncode == 0, status.stdout + status.stderr
        assert "answers" in status.stdout
    finally:
        stopped = run("stop")
    assert stopped.returncode == 0, stopped.stderr
    assert not any(_alive(pid) for pid in pids)
    assert run("status").returncode == 3
