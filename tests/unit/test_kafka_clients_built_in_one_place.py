"""Every Kafka client the ledger opens is built by ``ledger.log.kafka_clients``, from the log's
``KafkaConnection``: so none can be left without the cluster's TLS and SASL settings. A
producer, consumer or admin client constructed anywhere else in the engine or the benchmark
code fails this test, however it was imported."""

from __future__ import annotations

import re
from pathlib import Path

FACTORY = Path("src/ledger/log/kafka_clients.py")
# A construction, or an alias that would hide one from the first alternative.
CLIENTS = re.compile(r"\bAIOKafka(Producer|Consumer|AdminClient)\s*(\(|\s+as\b)")


def test_no_kafka_client_is_built_outside_the_factory(repo_root: Path) -> None:
    found = [
        f"{path.relative_to(repo_root)}:{n}: {line.strip()}"
        for folder in ("src", "bench")
        for path in sorted((repo_root / folder).rglob("*.py"))
        if path.relative_to(repo_root) != FACTORY
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if CLIENTS.search(line)
    ]
    assert found == [], "build Kafka clients with ledger.log.kafka_clients:\n" + "\n".join(found)


def test_the_factory_builds_all_three_kinds(repo_root: Path) -> None:
    built = {m.group(1) for m in CLIENTS.finditer((repo_root / FACTORY).read_text(encoding="utf-8"))}
    assert built == {"Producer", "Consumer", "AdminClient"}
