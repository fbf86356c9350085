"""The Kafka security and durability settings: refused at start, in one line, when they could
not work together; turned into aiokafka's arguments in one place; never showing a secret.

A SASL mechanism over a protocol without SASL, a certificate without its key, a file that is
not there, a key whose password is wrong or missing (OpenSSL would otherwise ask for it on
the terminal): each is named before any client connects, instead of surfacing later as a
broker's refusal or a hang.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from ledger.cli import main
from ledger.config import Settings
from ledger.log.kafka_connection import KafkaConnection
from tests.support.pki import KEY_PASSWORD, Pki, make_pki

BOOTSTRAP = "k1:9093,k2:9093"
SASL = {
    "kafka_bootstrap": BOOTSTRAP,
    "kafka_security_protocol": "SASL_PLAINTEXT",
    "kafka_sasl_mechanism": "SCRAM-SHA-512",
    "kafka_sasl_username": "ledger",
    "kafka_sasl_password": "the-sasl-password",
}


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def tls(pki: Pki, **overrides: Any) -> dict[str, Any]:
    return {
        "kafka_bootstrap": BOOTSTRAP,
        "kafka_security_protocol": "SSL",
        "kafka_ssl_cafile": pki.ca,
        "kafka_ssl_certfile": pki.client_cert,
        "kafka_ssl_keyfile": pki.client_key,
        "kafka_ssl_key_password": KEY_PASSWORD,
        **overrides,
    }


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"kafka_security_protocol": "SASL_SSL"}, "LEDGER_KAFKA_BOOTSTRAP is not"),
        ({**SASL, "kafka_bootstrap": None}, "LEDGER_KAFKA_BOOTSTRAP is not"),
        ({**SASL, "kafka_security_protocol": "PLAINTEXT"}, "PLAINTEXT does not use SASL"),
        ({**SASL, "kafka_security_protocol": "SSL"}, "SSL does not use SASL"),
        ({**SASL, "kafka_sasl_password": None}, "SASL_PLAINTEXT needs LEDGER_KAFKA_SASL_PASSWORD"),
        (
            {**SASL, "kafka_sasl_mechanism": None, "kafka_sasl_username": None},
            "needs LEDGER_KAFKA_SASL_MECHANISM, LEDGER_KAFKA_SASL_USERNAME",
        ),
        ({**SASL, "kafka_sasl_mechanism": "GSSAPI"}, "Input should be"),
        ({"kafka_bootstrap": BOOTSTRAP, "kafka_security_protocol": "TLS"}, "Input should be"),
        ({"min_insync_replicas": 1, "min_insync_floor": 2}, "LEDGER_MIN_INSYNC_REPLICAS=1 is below"),
        ({"min_insync_replicas": 3, "replication_factor": 2}, "exceeds LEDGER_REPLICATION_FACTOR=2"),
    ],
)
def test_settings_that_cannot_work_together_are_refused_naming_them(
    values: dict[str, Any], reason: str
) -> None:
    with pytest.raises(ValidationError, match=reason):
        Settings(**values)


def test_tls_settings_are_checked_by_loading_the_files(pki: Pki, tmp_path: Path) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        (tls(pki, **SASL), "SASL_PLAINTEXT does not use TLS"),
        (tls(pki, kafka_ssl_keyfile=None, kafka_ssl_key_password=None), "a certificate needs its key"),
        (tls(pki, kafka_ssl_certfile=None), "a certificate needs its key"),
        (tls(pki, kafka_ssl_cafile=tmp_path / "missing.pem"), "Path does not point to a file"),
        (tls(pki, kafka_ssl_key_password="not-it"), "cannot be used"),
        (tls(pki, kafka_ssl_key_password=None), "is encrypted: set LEDGER_KAFKA_SSL_KEY_PASSWORD"),
        (tls(pki, kafka_ssl_keyfile=pki.stranger_key, kafka_ssl_key_password=None), "cannot be used"),
    ]
    for values, reason in cases:
        with pytest.raises(ValidationError, match=reason):
            Settings(**values)
    assert Settings(**tls(pki)).kafka_ssl_keyfile == pki.client_key


def test_ledger_says_what_is_wrong_in_one_line_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEDGER_KAFKA_BOOTSTRAP", BOOTSTRAP)
    monkeypatch.setenv("LEDGER_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    assert main(["writer"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "ledger: bad settings: LEDGER_KAFKA_SASL_MECHANISM set, but LEDGER_KAFKA_SECURITY_PROTOCOL=PLAINTEXT "
        "does not use SASL: choose SASL_PLAINTEXT or SASL_SSL\n"
    )


def test_one_place_turns_the_settings_into_every_clients_arguments(pki: Pki) -> None:
    plain = KafkaConnection.from_settings(Settings(kafka_bootstrap=BOOTSTRAP))
    assert plain.client_args() == {"bootstrap_servers": BOOTSTRAP, "security_protocol": "PLAINTEXT"}

    both = KafkaConnection.from_settings(
        Settings(**{**SASL, "kafka_security_protocol": "SASL_SSL", "kafka_ssl_cafile": pki.ca})
    )
    args = both.client_args()
    context = args.pop("ssl_context")
    assert args == {
        "bootstrap_servers": BOOTSTRAP,
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "ledger",
        "sasl_plain_password": "the-sasl-password",
    }
    assert isinstance(context, ssl.SSLContext)
    assert context.check_hostname
    assert context.verify_mode is ssl.CERT_REQUIRED

    mutual = KafkaConnection.from_settings(Settings(**tls(pki))).client_args()
    assert set(mutual) == {"bootstrap_servers", "security_protocol", "ssl_context"}


def test_no_secret_shows_in_the_settings_or_the_connection(pki: Pki) -> None:
    settings = Settings(
        **{**tls(pki, kafka_security_protocol="SASL_SSL"), **SASL, "kafka_security_protocol": "SASL_SSL"}
    )
    connection = KafkaConnection.from_settings(settings)
    shown = " ".join([repr(settings), str(settings), repr(connection), str(connection)])
    assert "the-sasl-password" not in shown
    assert KEY_PASSWORD not in shown
    assert str(connection) == f"{BOOTSTRAP} (SASL_SSL, SCRAM-SHA-512 as 'ledger')"


def test_a_connection_refuses_security_it_could_not_use() -> None:
    with pytest.raises(ValueError, match="ssl_context"):
        KafkaConnection(BOOTSTRAP, "SSL")
    with pytest.raises(ValueError, match="SASL mechanism"):
        KafkaConnection(BOOTSTRAP, "SASL_PLAINTEXT", "PLAIN", "ledger")
    with pytest.raises(ValueError, match="SASL mechanism"):
        KafkaConnection(BOOTSTRAP, "PLAINTEXT", "PLAIN", "ledger", SecretStr("x"))


def test_durability_is_the_clusters_unless_set_and_the_floor_is_one() -> None:
    settings = Settings()
    assert (settings.replication_factor, settings.min_insync_replicas, settings.min_insync_floor) == (
        None,
        None,
        1,
    )
