"""kill -9 of the active ``ledger writer`` in the middle of a stream of command records.

Two real writer processes on real Kafka, the active one and a hot standby; an integrator's
plain aiokafka producer streams a few hundred command records into ``<prefix>.commands``
(new locations, records that are not JSON, and keys sent again), and the active writer is
SIGKILLed once a hundred answers have committed. What must hold once the standby has taken
over and read on from the group's committed offsets: every record has exactly one committed
answer (a plain ``read_committed`` consumer reads them all), a key sent again answers its
first answer, each command's events are in the log exactly once, and ``ledger verify``
finds the log clean.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from ledger.log.kafka import KafkaLog
from ledger.log.topology import Topology
from tests.integration.test_writer_faults import assert_log_is_whole, read_envelopes
from tests.support.command_topic import Answers, Sent, bearer, by_command, command
from tests.support.processes import active_and_warm_standby, registered_pid_is, role_env, until

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

TOKEN = "topic-takeover-admin-token-42"
RECORDS = 300
KILL_AFTER = 100  # answers committed before the kill


def record(i: int) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """Mostly new locations; every tenth not JSON; every thirteenth the previous record again."""
    if i % 10 == 9:
        return f"k-{i}".encode(), b'{"name": "register-location", "body": ', bearer(TOKEN)
    n = i - 1 if i % 13 == 12 else i
    body = {"location_id": f"L-{n}", "name": f"Depot {n}", "kind": "warehouse"}
    return f"k-{n}".encode(), command("register-location", body), bearer(TOKEN)


async def stream(bootstrap: str, topic: str) -> list[Sent]:
    """The records one after another, as fast as a plain producer sends them a few at a time,
    so the writer is busy with them, a transaction open most of the time, when it is killed."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        futures = []
        for i in range(RECORDS):
            key, value, headers = record(i)
            futures.append(await producer.send(topic, value=value, key=key, headers=headers))
            if i % 5 == 4:
                await asyncio.sleep(0.005)
        metadata = [await f for f in futures]
    finally:
        await producer.stop()
    return [Sent(m.partition, m.offset, record(i)[0]) for i, m in enumerate(metadata)]


async def aborted_answers(bootstrap: str, topic: str, committed: int) -> int:
    """Answer records the log holds beyond the committed ones: those of aborted transactions."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, isolation_level="read_uncommitted")
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(2)]
        consumer.assign(tps)
        await consumer.seek_to_beginning()
        ends = await consumer.end_offsets(tps)
        seen = 0
        while not all([await consumer.position(tp) >= ends[tp] for tp in tps]):
            seen += sum(len(batch) for batch in (await consumer.getmany(timeout_ms=200)).values())
    finally:
        await consumer.stop()
    return seen - committed


async def test_kill_9_of_the_writer_mid_stream_every_record_has_one_answer_and_its_events_once(
    kafka_bootstrap: str, pg_dsn: str, prefix: str, tmp_path: Path
) -> None:
    env = role_env(
        LEDGER_KAFKA_BOOTSTRAP=kafka_bootstrap,
        LEDGER_DATABASE_URL=pg_dsn,
        LEDGER_TOPIC_PREFIX=prefix,
        LEDGER_PARTITIONS="2",
        LEDGER_ADMIN_TOKEN=TOKEN,
        LEDGER_INTERNAL_SECRET="topic-takeover-internal-secret",
        LEDGER_DATA_DIR=str(tmp_path),
    )
    active, standby = await active_and_warm_standby(env, tmp_path, pg_dsn, prefix)
    try:
        async with Answers(kafka_bootstrap, f"{prefix}.command-results", 2) as answers:
            producing = asyncio.create_task(stream(kafka_bootstrap, f"{prefix}.commands"))
            async with asyncio.timeout(60):  # watched closely: the stream lasts well under a second
                while len(answers.received) < KILL_AFTER:
                    await asyncio.sleep(0.005)
            active.kill()
            answered_at_kill = len(answers.received)
            sent = await producing
            received = by_command(await answers.complete(RECORDS, timeout=90))
        # The standby registers its address once active; answering may come first.
        await until(
            lambda: registered_pid_is(pg_dsn, prefix, standby.pid), "the standby registered", timeout=30
        )
        assert answered_at_kill < RECORDS, "the kill came after the stream had been answered"
        aborted = await aborted_answers(kafka_bootstrap, f"{prefix}.command-results", len(received))
        print(
            f"\ncommand topic take-over: {answered_at_kill} of {RECORDS} answered before the kill -9, "
            f"{aborted} answers of its open transaction aborted"
        )
        assert standby.terminate() == 0
    finally:
        for process in (standby, active):
            process.stop_quietly()

    assert set(received) == {(s.partition, s.offset) for s in sent}, "a record unanswered"
    first_answer: dict[bytes, Any] = {}
    for i, s in enumerate(sent):
        answer = received[(s.partition, s.offset)]
        assert answer.key == s.key
        if i % 10 == 9:
            assert (answer.status, answer.body["type"]) == (400, "/problems/malformed-json")
            continue
        assert answer.status == 201, answer
        assert s.key is not None
        assert first_answer.setdefault(s.key, answer.body) == answer.body, "a key sent again answers anew"

    log = KafkaLog(kafka_bootstrap, Topology(prefix, 2))
    await log.start()
    events = await read_envelopes(log)
    await log.close()
    assert_log_is_whole(events)
    placed = Counter(e.idempotency_key for e in events if e.type == "LocationRegistered")
    assert placed == Counter({key.decode(): 1 for key in first_answer}), "a command's events missing or twice"
    ids = {e.id for e in events}
    assert all(e["id"] in ids for body in first_answer.values() for e in body["events"])

    verified = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "ledger", "verify"], env=env, capture_output=True, timeout=120
    )
    assert verified.returncode == 0, verified.stdout[-2000:] + verified.stderr[-2000:]
    assert b"verify: clean" in verified.stdout
