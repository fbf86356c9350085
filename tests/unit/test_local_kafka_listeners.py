"""deploy/kafka's authenticated listeners, as a node's properties and its storage format say
them (the broker itself runs them in tests/integration/test_kafka_security.py).

Without the options a node is configured exactly as before. With SASL it gets a
``SASL_PLAINTEXT`` listener with SCRAM-SHA-512, which the brokers use between themselves as
``admin``, and the users' credentials are written at format time; with TLS an ``SSL``
listener that requires a client certificate, and ``SASL_SSL``. The cluster's record keeps
the users and ports, so ``status`` and ``stop`` find them again, and ``start --sasl`` prints
the ledger's settings for the SCRAM listener, its bootstrap last.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import localkafka
from localkafka import KafkaNode, LocalKafka, Sasl, ScramUser, Tls
from tests.support.pki import Pki, make_pki

SASL = Sasl((ScramUser("admin", "admin-pw"), ScramUser("ledger", "ledger-pw")))


def with_node(kafka: LocalKafka, tmp_path: Path, **extra_ports: int) -> KafkaNode:
    node = KafkaNode(0, tmp_path / "node-0", 9092, 9093, 9094, 9095, extra_ports=extra_ports)
    kafka.nodes = [node]
    return node


def properties(kafka: LocalKafka, node: KafkaNode) -> dict[str, str]:
    lines = kafka._server_properties(node).splitlines()
    return dict(line.split("=", 1) for line in lines if not line.startswith("#"))


def test_without_the_options_a_node_has_no_authenticated_listener(tmp_path: Path) -> None:
    kafka = LocalKafka(base_dir=tmp_path)
    found = properties(kafka, with_node(kafka, tmp_path))
    assert (
        found["listeners"]
        == "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093,PROXIED://127.0.0.1:9094"
    )
    assert found["inter.broker.listener.name"] == "PLAINTEXT"
    assert not [k for k in found if "sasl" in k or "ssl" in k]
    assert kafka.sasl is None
    with pytest.raises(localkafka.LocalKafkaError, match="no SASL_PLAINTEXT listener"):
        kafka.bootstrap_for("SASL_PLAINTEXT")


def test_sasl_adds_a_scram_listener_the_brokers_authenticate_on_with_users_formatted_in(
    tmp_path: Path,
) -> None:
    kafka = LocalKafka(base_dir=tmp_path, sasl=SASL)
    found = properties(kafka, with_node(kafka, tmp_path, SASL_PLAINTEXT=9096))
    assert found["listeners"].endswith(",SASL_PLAINTEXT://127.0.0.1:9096")
    assert found["advertised.listeners"].endswith(",SASL_PLAINTEXT://127.0.0.1:9096")
    assert found["listener.security.protocol.map"].endswith(",SASL_PLAINTEXT:SASL_PLAINTEXT")
    assert (found["sasl.enabled.mechanisms"], found["inter.broker.listener.name"]) == (
        "SCRAM-SHA-512",
        "SASL_PLAINTEXT",
    )
    assert (
        'username="admin" password="admin-pw"'
        in found["listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config"]
    )
    assert SASL.format_args() == [
        "--add-scram",
        "SCRAM-SHA-512=[name=admin,password=admin-pw]",
        "--add-scram",
        "SCRAM-SHA-512=[name=ledger,password=ledger-pw]",
    ]
    assert kafka.bootstrap_for("SASL_PLAINTEXT") == "127.0.0.1:9096"


def test_tls_adds_an_ssl_listener_requiring_client_certificates_and_sasl_ssl(tmp_path: Path) -> None:
    pki: Pki = make_pki(tmp_path / "pki")
    kafka = LocalKafka(base_dir=tmp_path, sasl=SASL, tls=Tls(pki.ca, pki.broker_cert, pki.broker_key))
    found = properties(kafka, with_node(kafka, tmp_path, SASL_PLAINTEXT=9096, SSL=9097, SASL_SSL=9098))
    assert found["listeners"].endswith(
        ",SASL_PLAINTEXT://127.0.0.1:9096,SSL://127.0.0.1:9097,SASL_SSL://127.0.0.1:9098"
    )
    assert (found["listener.name.ssl.ssl.client.auth"], found["listener.name.sasl_ssl.ssl.client.auth"]) == (
        "required",
        "none",
    )
    key = pki.broker_key.read_text().strip()
    assert found["listener.name.ssl.ssl.keystore.key"] == key.replace("\n", "\\n")
    assert found["listener.name.ssl.ssl.truststore.certificates"].startswith("-----BEGIN CERTIFICATE-----\\n")
    assert "listener.name.ssl.ssl.key.password" not in found  # the broker's key is not encrypted


def test_the_record_keeps_the_users_and_ports_and_start_prints_the_ledgers_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kafka = LocalKafka(base_dir=tmp_path, sasl=SASL)
    with_node(kafka, tmp_path, SASL_PLAINTEXT=9096)
    kafka._write_state()
    again = LocalKafka.attach(tmp_path)
    assert (again.sasl, again.nodes[0].extra_ports) == (SASL, {"SASL_PLAINTEXT": 9096})
    assert localkafka._settings_lines(again) == [
        "LEDGER_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT",
        "LEDGER_KAFKA_SASL_MECHANISM=SCRAM-SHA-512",
        "LEDGER_KAFKA_SASL_USERNAME=ledger",
        "LEDGER_KAFKA_SASL_PASSWORD=ledger-pw",
        "LEDGER_KAFKA_BOOTSTRAP=127.0.0.1:9096",
    ]
    assert "PLAINTEXT listeners (unauthenticated): 127.0.0.1:9092" in capsys.readouterr().err


def test_generated_users_have_random_passwords() -> None:
    one, two = Sasl.generated(), Sasl.generated()
    assert [u.name for u in one.users] == ["admin", "ledger"]
    assert one.user("ledger").password != two.user("ledger").password
