"""Authenticated listeners for the local Kafka of ``localkafka.py``: SASL/SCRAM and TLS.

A real cluster is never open to anyone: clients authenticate with SCRAM-SHA-512 over
``SASL_PLAINTEXT`` or ``SASL_SSL``, or with a client certificate over ``SSL``. This module
adds such listeners to a local node beside its ``PLAINTEXT`` one (which stays, so nothing
that uses it changes):

* ``Sasl``: a ``SASL_PLAINTEXT`` listener with SCRAM-SHA-512. On KRaft, SCRAM credentials
  live in the metadata log, so they are written when the storage is formatted, before the
  first start (``kafka-storage format --add-scram``, KIP-900): an ``admin`` user, which the
  brokers use between themselves (the inter-broker listener is then this one), and a
  ``ledger`` user for the application. Passwords are random per cluster.
* ``Tls``: an ``SSL`` listener that requires a client certificate signed by the given CA,
  and, with ``Sasl`` too, a ``SASL_SSL`` listener (TLS without a client certificate, then
  SCRAM). The broker's key and certificates are PEM files, inlined into the node's
  properties, as Kafka reads PEM keystores (an unencrypted key needs no password that way).

The controller listener stays ``PLAINTEXT``: KRaft controllers cannot authenticate with
SCRAM, whose credentials they themselves keep. Standard library only, like ``localkafka.py``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCRAM_MECHANISM = "SCRAM-SHA-512"
ADMIN_USER = "admin"
LEDGER_USER = "ledger"

SASL_PLAINTEXT = "SASL_PLAINTEXT"
SSL = "SSL"
SASL_SSL = "SASL_SSL"


@dataclass(frozen=True)
class ScramUser:
    name: str
    password: str


@dataclass(frozen=True)
class Sasl:
    """SCRAM-SHA-512 users, created at format time; the first is the brokers' own."""

    users: tuple[ScramUser, ...]

    @classmethod
    def generated(cls) -> Sasl:
        """``admin`` and ``ledger``, each with a random password (URL-safe: no quoting needed)."""
        return cls(tuple(ScramUser(name, secrets.token_urlsafe(18)) for name in (ADMIN_USER, LEDGER_USER)))

    @property
    def admin(self) -> ScramUser:
        return self.users[0]

    def user(self, name: str) -> ScramUser:
        for user in self.users:
            if user.name == name:
                return user
        raise KeyError(f"no SCRAM user {name!r}")

    def format_args(self) -> list[str]:
        """``kafka-storage format`` arguments that store every user's credentials."""
        args: list[str] = []
        for user in self.users:
            args += ["--add-scram", f"{SCRAM_MECHANISM}=[name={user.name},password={user.password}]"]
        return args

    def jaas(self) -> str:
        """The login the brokers use towards each other (and accept SCRAM clients with)."""
        admin = self.admin
        return (
            "org.apache.kafka.common.security.scram.ScramLoginModule required "
            f'username="{admin.name}" password="{admin.password}";'
        )

    def to_json(self) -> dict[str, Any]:
        return {"mechanism": SCRAM_MECHANISM, "users": {u.name: u.password for u in self.users}}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Sasl:
        return cls(tuple(ScramUser(str(n), str(p)) for n, p in dict(raw["users"]).items()))


@dataclass(frozen=True)
class Tls:
    """The broker's TLS material, PEM files: the CA that signs client certificates (and the
    broker's), the broker's certificate chain, and its PKCS#8 key (encrypted with
    ``key_password``, or not)."""

    ca: Path
    cert: Path
    key: Path
    key_password: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "ca": str(self.ca),
            "cert": str(self.cert),
            "key": str(self.key),
            "key_password": self.key_password,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Tls:
        password = raw.get("key_password")
        return cls(
            Path(raw["ca"]), Path(raw["cert"]), Path(raw["key"]), None if password is None else str(password)
        )


def protocols(sasl: Sasl | None, tls: Tls | None) -> tuple[str, ...]:
    """The extra listeners a node gets (each one is also its listener's name), in port order."""
    names: list[str] = []
    if sasl is not None:
        names.append(SASL_PLAINTEXT)
    if tls is not None:
        names.append(SSL)
        if sasl is not None:
            names.append(SASL_SSL)
    return tuple(names)


def _pem(path: Path) -> str:
    """A PEM file as one properties value: Java reads ``\\n`` in a value as a newline."""
    return path.read_text().strip().replace("\n", "\\n")


def node_settings(sasl: Sasl | None, tls: Tls | None, ports: dict[str, int], host: str) -> dict[str, object]:
    """Broker properties for the extra listeners on ``ports`` (by protocol): the listener and
    advertised-listener entries to append, the protocol map's, and each listener's own settings."""
    if not ports:
        return {}
    settings: dict[str, object] = {
        "+listeners": ",".join(f"{name}://{host}:{port}" for name, port in ports.items()),
        "+advertised.listeners": ",".join(f"{name}://{host}:{port}" for name, port in ports.items()),
        "+listener.security.protocol.map": ",".join(f"{name}:{name}" for name in ports),
    }
    if sasl is not None:
        settings["sasl.enabled.mechanisms"] = SCRAM_MECHANISM
        settings["sasl.mechanism.inter.broker.protocol"] = SCRAM_MECHANISM
        settings["inter.broker.listener.name"] = SASL_PLAINTEXT  # the brokers authenticate too
        for name in (SASL_PLAINTEXT, SASL_SSL):
            if name in ports:
                settings[f"listener.name.{name.lower()}.{SCRAM_MECHANISM.lower()}.sasl.jaas.config"] = (
                    sasl.jaas()
                )
    if tls is not None:
        for name in (SSL, SASL_SSL):
            if name not in ports:
                continue
            prefix = f"listener.name.{name.lower()}."
            settings[prefix + "ssl.keystore.type"] = "PEM"
            settings[prefix + "ssl.keystore.certificate.chain"] = _pem(tls.cert)
            settings[prefix + "ssl.keystore.key"] = _pem(tls.key)
            if tls.key_password is not None:
                settings[prefix + "ssl.key.password"] = tls.key_password
            settings[prefix + "ssl.truststore.type"] = "PEM"
            settings[prefix + "ssl.truststore.certificates"] = _pem(tls.ca)
            # SSL: the certificate is the client's identity; SASL_SSL: SCRAM is.
            settings[prefix + "ssl.client.auth"] = "required" if name == SSL else "none"
    return settings


def merged(base: dict[str, object], extra: dict[str, object]) -> dict[str, object]:
    """``base`` with ``extra`` applied: a ``+key`` appends to ``key``'s comma list, others set."""
    result = dict(base)
    for key, value in extra.items():
        if key.startswith("+"):
            name = key[1:]
            result[name] = f"{result[name]},{value}" if result.get(name) else value
        else:
            result[key] = value
    return result
