"""The Kafka security settings (``LEDGER_KAFKA_SECURITY_PROTOCOL``, ``_SASL_*``, ``_SSL_*``):
their values, the combinations that could work, and the TLS context they make.

A setting that could not work, or that the chosen protocol would silently ignore (a SASL
mechanism over ``SSL``, a client certificate over ``SASL_PLAINTEXT``, any of them without
``LEDGER_KAFKA_BOOTSTRAP``), is refused when the settings are read, with the reason on one
line, rather than discovered as a broker's refusal later. TLS files are loaded once then,
so a missing file, a key that does not match its certificate or a wrong key password is
named at start too.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Literal, Protocol

from pydantic import SecretStr

KafkaSecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]

SASL_PROTOCOLS = frozenset({"SASL_PLAINTEXT", "SASL_SSL"})
TLS_PROTOCOLS = frozenset({"SSL", "SASL_SSL"})


class KafkaSecurity(Protocol):
    """The fields of ``Settings`` this module reads."""

    @property
    def kafka_bootstrap(self) -> str | None: ...
    @property
    def kafka_security_protocol(self) -> KafkaSecurityProtocol: ...
    @property
    def kafka_sasl_mechanism(self) -> SaslMechanism | None: ...
    @property
    def kafka_sasl_username(self) -> str | None: ...
    @property
    def kafka_sasl_password(self) -> SecretStr | None: ...
    @property
    def kafka_ssl_cafile(self) -> Path | None: ...
    @property
    def kafka_ssl_certfile(self) -> Path | None: ...
    @property
    def kafka_ssl_keyfile(self) -> Path | None: ...
    @property
    def kafka_ssl_key_password(self) -> SecretStr | None: ...


def check_kafka_security(s: KafkaSecurity) -> None:
    """Raise ``ValueError`` naming the settings at fault when they cannot work together."""
    protocol = s.kafka_security_protocol
    sasl = {
        "LEDGER_KAFKA_SASL_MECHANISM": s.kafka_sasl_mechanism,
        "LEDGER_KAFKA_SASL_USERNAME": s.kafka_sasl_username,
        "LEDGER_KAFKA_SASL_PASSWORD": s.kafka_sasl_password,
    }
    tls = {
        "LEDGER_KAFKA_SSL_CAFILE": s.kafka_ssl_cafile,
        "LEDGER_KAFKA_SSL_CERTFILE": s.kafka_ssl_certfile,
        "LEDGER_KAFKA_SSL_KEYFILE": s.kafka_ssl_keyfile,
        "LEDGER_KAFKA_SSL_KEY_PASSWORD": s.kafka_ssl_key_password,
    }
    named = [name for name, value in (sasl | tls).items() if value is not None]
    if s.kafka_bootstrap is None and (protocol != "PLAINTEXT" or named):
        given = ", ".join(named or ["LEDGER_KAFKA_SECURITY_PROTOCOL"])
        raise ValueError(
            f"{given} set, but LEDGER_KAFKA_BOOTSTRAP is not: the embedded log would ignore them"
        )
    if protocol in SASL_PROTOCOLS:
        missing = [name for name, value in sasl.items() if value is None]
        if missing:
            raise ValueError(f"LEDGER_KAFKA_SECURITY_PROTOCOL={protocol} needs {', '.join(missing)}")
    elif given_sasl := [name for name, value in sasl.items() if value is not None]:
        raise ValueError(
            f"{', '.join(given_sasl)} set, but LEDGER_KAFKA_SECURITY_PROTOCOL={protocol} does not use SASL: "
            "choose SASL_PLAINTEXT or SASL_SSL"
        )
    if protocol not in TLS_PROTOCOLS:
        if given_tls := [name for name, value in tls.items() if value is not None]:
            raise ValueError(
                f"{', '.join(given_tls)} set, but LEDGER_KAFKA_SECURITY_PROTOCOL={protocol} "
                "does not use TLS: choose SSL or SASL_SSL"
            )
        return
    if (s.kafka_ssl_certfile is None) != (s.kafka_ssl_keyfile is None):
        raise ValueError(
            "LEDGER_KAFKA_SSL_CERTFILE and LEDGER_KAFKA_SSL_KEYFILE go together: a certificate needs its key"
        )
    if s.kafka_ssl_key_password is not None and s.kafka_ssl_keyfile is None:
        raise ValueError("LEDGER_KAFKA_SSL_KEY_PASSWORD set without LEDGER_KAFKA_SSL_KEYFILE")
    try:
        tls_context(s)
    except (ssl.SSLError, OSError) as e:  # a file unreadable, not PEM, a key not the certificate's
        raise ValueError(f"the TLS files (LEDGER_KAFKA_SSL_*) cannot be used: {e}") from e


def tls_context(s: KafkaSecurity) -> ssl.SSLContext:
    """The TLS context of every Kafka client: the broker verified against ``cafile`` (else
    the system's CAs), its host name checked, and this client's certificate if one is given."""
    from aiokafka.helpers import create_ssl_context

    password = s.kafka_ssl_key_password
    context: ssl.SSLContext = create_ssl_context(
        cafile=s.kafka_ssl_cafile,
        certfile=s.kafka_ssl_certfile,
        keyfile=s.kafka_ssl_keyfile,
        # Without one, OpenSSL would ask for an encrypted key's password on the terminal.
        password=_no_password if password is None else password.get_secret_value(),
    )
    return context


def _no_password() -> str:
    raise ValueError("LEDGER_KAFKA_SSL_KEYFILE is encrypted: set LEDGER_KAFKA_SSL_KEY_PASSWORD")
